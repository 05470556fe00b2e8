"""Risk: sample uncertain inputs, evaluate options, rank what drives the answer.

Examples
--------
>>> from insource.case import load_case
>>> from insource.risk import analyse
>>> result = analyse(load_case("tests/data/tiny"), samples=2_000)  # doctest: +SKIP
>>> result.summary[["option", "mean", "p5", "p95"]]  # doctest: +SKIP

"""

from insource.risk._analyse import RiskModel, RiskResult, analyse, breakeven, risk_model
from insource.risk._distributions import Marginal, marginals_from_case
from insource.risk._evaluate import evaluate, evaluate_policy
from insource.risk._policy import Policy, policy_from_plan
from insource.risk._sampling import (
    METHODS,
    Samples,
    correlation_matrix,
    iman_conover,
    sample,
    unit_design,
)
from insource.risk._waiting import (
    WaitingProblem,
    extensive_form,
    solve_waiting,
    value_of_waiting,
)

__all__ = [
    "METHODS",
    "Marginal",
    "Policy",
    "RiskModel",
    "RiskResult",
    "Samples",
    "WaitingProblem",
    "analyse",
    "breakeven",
    "correlation_matrix",
    "evaluate",
    "evaluate_policy",
    "extensive_form",
    "iman_conover",
    "marginals_from_case",
    "policy_from_plan",
    "risk_model",
    "sample",
    "solve_waiting",
    "unit_design",
    "value_of_waiting",
]
