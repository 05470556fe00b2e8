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
    # one option at a time, so that the temporaries are one column each (80 MB at
    # 10 million samples) whatever the number of options
    base = x[:, options.index(baseline)]
    best = x.max(axis=1)
    rows = []
    for o in range(x.shape[1]):
        xo = np.ascontiguousarray(x[:, o])
        diff = xo - base
        q = float(np.quantile(diff, alpha, method="inverted_cdf"))
        tail = diff <= q
        p5, p50, p95 = np.quantile(xo, [0.05, 0.50, 0.95])
        rows.append(
            {
                "option": options[o],
                "mean": xo.mean(),
                "sd": xo.std(ddof=1) if len(xo) > 1 else 0.0,
                "p5": p5,
                "p50": p50,
                "p95": p95,
                "mean_vs_baseline": diff.mean(),
                "p_beat": np.count_nonzero(diff > 0) / len(xo),
                "p_tie": np.count_nonzero(diff == 0) / len(xo),
                "regret": (best - xo).mean(),
                "var": -q,
                "cvar": -(diff[tail].sum() / np.count_nonzero(tail)),
            }
        )
    out = pd.DataFrame(rows, columns=list(rows[0]))
    out.loc[out["option"] == baseline, ["p_beat", "p_tie"]] = np.nan
    out.attrs.update(name="NPV risk metrics", unit="currency", alpha=alpha)
    return out
