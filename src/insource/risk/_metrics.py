"""Risk metrics of option outcomes: spread, chance of beating the status quo, regret, tail.

Inputs are NPV samples as an array of shape ``(samples, options)``; every
function is vectorised over options.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["npv_metrics"]


def npv_metrics(
    npv: np.ndarray, options: list[str], baseline: str, alpha: float = 0.05
) -> pd.DataFrame:
    r"""Summarise NPV samples per option.

    For option :math:`i` with NPV samples :math:`X_i` and the baseline :math:`X_0`:

    * mean, standard deviation, P5 / P50 / P95;
    * ``p_beat`` :math:`= P(X_i > X_0)`, strictly: an option that ties the baseline
      (the same plan) does not beat it; ``p_tie`` :math:`= P(X_i = X_0)`;
    * ``regret`` :math:`= E[\max_j X_j - X_i]`, the expected loss against the
      best option in hindsight;
    * ``var`` (value at risk at level ``alpha``) :math:`= -q_\alpha(X_i - X_0)`,
      the shortfall against the baseline exceeded with probability ``alpha``;
      ``cvar`` :math:`= -E[X_i - X_0 \mid X_i - X_0 \le q_\alpha]`, the mean
      shortfall in that tail (Rockafellar & Uryasev 2000).

    Returns
    -------
    DataFrame
        One row per option; money columns in the case currency.

    """
    x = np.asarray(npv, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(options):
        raise ValueError("npv must have shape (samples, options)")
    base = x[:, options.index(baseline)][:, None]
    diff = x - base
    q = np.quantile(diff, alpha, axis=0, method="inverted_cdf")
    tail = diff <= q
    cvar = -(np.where(tail, diff, 0.0).sum(axis=0) / tail.sum(axis=0))
    out = pd.DataFrame(
        {
            "option": options,
            "mean": x.mean(axis=0),
            "sd": x.std(axis=0, ddof=1) if len(x) > 1 else np.zeros(len(options)),
            "p5": np.quantile(x, 0.05, axis=0),
            "p50": np.quantile(x, 0.50, axis=0),
            "p95": np.quantile(x, 0.95, axis=0),
            "mean_vs_baseline": diff.mean(axis=0),
            "p_beat": (diff > 0).mean(axis=0),
            "p_tie": (diff == 0).mean(axis=0),
            "regret": (x.max(axis=1, keepdims=True) - x).mean(axis=0),
            "var": -q,
            "cvar": cvar,
        }
    )
    out.loc[out["option"] == baseline, ["p_beat", "p_tie"]] = np.nan
    out.attrs.update(name="NPV risk metrics", unit="currency", alpha=alpha)
    return out
