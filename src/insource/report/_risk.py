"""What the report reads from a risk analysis (the shape of ``insource.risk.analyse``)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import pandas as pd

__all__ = ["RiskLike"]


@runtime_checkable
class RiskLike(Protocol):
    """A risk result: tidy tables over the sampled inputs.

    Attributes
    ----------
    npv
        ``sample, option, npv`` (money): each option's NPV in each sample.
    summary
        ``option, mean, p5, p50, p95, prob_beats_baseline, expected_regret,
        var_5, cvar_5`` (probabilities as fractions; ``prob_ties_baseline`` may
        follow).
    tornado
        ``input, label, low, high, npv_low, npv_high, swing`` (``attrs["base"]``
        may hold the NPV at the base inputs).
    sobol
        ``input, label, S1, S1_conf, ST, ST_conf``.
    breakeven
        ``option, input, label, base, breakeven, unit``.
    waiting
        ``metric, value, unit`` (value of waiting a year), or ``None``.
    meta
        Run settings: samples, seed, method, and anything else worth an audit line.

    """

    @property
    def npv(self) -> pd.DataFrame: ...

    @property
    def summary(self) -> pd.DataFrame: ...

    @property
    def tornado(self) -> pd.DataFrame: ...

    @property
    def sobol(self) -> pd.DataFrame: ...

    @property
    def breakeven(self) -> pd.DataFrame: ...

    @property
    def waiting(self) -> pd.DataFrame | None: ...

    @property
    def meta(self) -> dict[str, Any]: ...
