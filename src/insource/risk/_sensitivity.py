"""What drives the answer: one-at-a-time tornado and variance-based Sobol indices.

Both take a vectorised model ``f(X) -> y`` with ``X`` of shape ``(n, d)`` (one
column per uncertain input, in the order of ``marginals``) and ``y`` of shape
``(n,)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from insource.risk._distributions import Marginal

__all__ = ["sobol_indices", "tornado"]

Model = Callable[[np.ndarray], np.ndarray]


def tornado(
    f: Model, marginals: list[Marginal], low_q: float = 0.05, high_q: float = 0.95
) -> pd.DataFrame:
    """One-at-a-time swings: each input at its ``low_q`` and ``high_q`` quantiles.

    All other inputs stay at their medians. Rows are sorted by swing
    :math:`|y_{high} - y_{low}|`, largest first.
    """
    d = len(marginals)
    base = np.array([m.ppf(np.array([0.5]))[0] for m in marginals])
    lows = np.array([m.ppf(np.array([low_q]))[0] for m in marginals])
    highs = np.array([m.ppf(np.array([high_q]))[0] for m in marginals])
    x = np.tile(base, (2 * d + 1, 1))
    idx = np.arange(d)
    x[1 + idx, idx] = lows
    x[1 + d + idx, idx] = highs
    y = np.asarray(f(x), dtype=float)
    out = pd.DataFrame(
        {
            "input": [m.id for m in marginals],
            "low": lows,
            "high": highs,
            "y_low": y[1 : d + 1],
            "y_high": y[d + 1 :],
        }
    )
    out["swing"] = (out["y_high"] - out["y_low"]).abs()
    out = out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update(name="tornado", base=float(y[0]), quantiles=(low_q, high_q))
    return out


def sobol_indices(
    f: Model, marginals: list[Marginal], n: int = 1024, seed: int = 0
) -> pd.DataFrame:
    r"""First-order and total Sobol indices by Saltelli's scheme (SALib).

    .. math:: S_i = \frac{V[E(y \mid x_i)]}{V(y)}, \qquad
              S_{Ti} = \frac{E[V(y \mid x_{\sim i})]}{V(y)}

    estimated from :math:`n (d + 2)` model runs (Saltelli et al. 2010), with
    bootstrap 95% intervals. The inputs are treated as independent (Sobol
    indices are defined for independent inputs); correlations are ignored here.

    Returns
    -------
    DataFrame
        ``input, S1, S1_conf, ST, ST_conf`` sorted by ``ST``.

    """
    d = len(marginals)
    problem = {"num_vars": d, "names": [m.id for m in marginals], "bounds": [[0.0, 1.0]] * d}
    u = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    eps = np.finfo(float).eps
    u = np.clip(u, eps, 1 - eps)
    x = np.column_stack([m.ppf(u[:, j]) for j, m in enumerate(marginals)])
    y = np.asarray(f(x), dtype=float)
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    out = pd.DataFrame(
        {
            "input": problem["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )
    out = out.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update(name="Sobol indices", runs=len(y))
    return out
