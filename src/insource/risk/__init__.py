"""Risk: sample uncertain inputs, evaluate options, rank what drives the answer."""

from insource.risk._distributions import Marginal, marginals_from_case
from insource.risk._sampling import (
    METHODS,
    Samples,
    correlation_matrix,
    iman_conover,
    sample,
    unit_design,
)

__all__ = [
    "METHODS",
    "Marginal",
    "Samples",
    "correlation_matrix",
    "iman_conover",
    "marginals_from_case",
    "sample",
    "unit_design",
]
