"""Seeded samples of the uncertain inputs, with rank correlations.

Three designs fill the unit hypercube (``scipy.stats.qmc``): plain Monte Carlo,
Latin hypercube (McKay, Beckman & Conover 1979) and scrambled Sobol points
(Owen 1998). The target Spearman rank correlations are induced by the
distribution-free method of Iman & Conover (1982), which reorders each column
and so keeps every marginal exactly (and a Latin hypercube stratified).
Marginals are applied last through their inverse CDFs.

References
----------
R. L. Iman and W. J. Conover, "A distribution-free approach to inducing rank
correlation among input variables", Communications in Statistics - Simulation
and Computation 11(3), 311-334, 1982.

"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from insource.errors import InsourceError
from insource.risk._distributions import Marginal

__all__ = ["METHODS", "Samples", "correlation_matrix", "iman_conover", "sample", "unit_design"]

METHODS = ("mc", "lhs", "sobol")


@dataclass(frozen=True)
class Samples:
    """Sampled inputs: one column per marginal, one row per sample."""

    marginals: tuple[Marginal, ...]
    values: np.ndarray  # (n, d)

    def frame(self) -> pd.DataFrame:
        """Tidy wide table: a column per input id, a row per sample."""
        out = pd.DataFrame(self.values, columns=[m.id for m in self.marginals])
        out.index.name = "sample"
        return out


def unit_design(n: int, d: int, method: str, seed: int) -> np.ndarray:
    """``n`` points in the open unit cube ``(0, 1)^d`` by ``method``."""
    if n < 1:
        raise InsourceError(f"{n} samples requested", "ask for at least one sample")
    if method not in METHODS:
        raise InsourceError(
            f"unknown sampling method {method!r}", f"use one of {', '.join(METHODS)}"
        )
    rng = np.random.default_rng(seed)
    if d == 0:
        return np.empty((n, 0))
    if method == "mc":
        u = rng.random((n, d))
    elif method == "lhs":
        u = qmc.LatinHypercube(d=d, rng=rng).random(n)
    else:
        m = int(np.ceil(np.log2(n)))
        u = qmc.Sobol(d=d, scramble=True, rng=rng).random_base2(m)[:n]
    eps = np.finfo(float).eps
    return np.clip(u, eps, 1 - eps)


def correlation_matrix(
    marginals: list[Marginal] | tuple[Marginal, ...], correlations: pd.DataFrame
) -> np.ndarray:
    """Target rank-correlation matrix over ``marginals`` from the ``correlations`` table."""
    pos = {m.id: i for i, m in enumerate(marginals)}
    mat = np.eye(len(marginals))
    for r in correlations.dropna(subset=["a", "b", "rho"]).to_dict("records"):
        if r["a"] in pos and r["b"] in pos:
            i, j = pos[str(r["a"])], pos[str(r["b"])]
            mat[i, j] = mat[j, i] = float(r["rho"])
    return mat


def iman_conover(x: np.ndarray, target: np.ndarray, seed: int) -> np.ndarray:
    r"""Reorder the columns of ``x`` so their rank correlation approaches ``target``.

    With van der Waerden scores :math:`S` (a random permutation per column),
    :math:`T = \operatorname{corr}(S) = Q Q^\top` and ``target`` :math:`= P P^\top`
    (Cholesky), the scores :math:`S^* = S (Q^{-1})^\top P^\top` have
    correlation ``target``; each column of ``x`` is then rearranged to have the
    ranks of the matching column of :math:`S^*`. Marginal values are unchanged.
    """
    n, d = x.shape
    if d < 2 or np.allclose(target, np.eye(d)):
        return x
    rng = np.random.default_rng(seed)
    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    s = np.column_stack([rng.permutation(scores) for _ in range(d)])
    t = np.corrcoef(s, rowvar=False)
    p = np.linalg.cholesky(_nearest_psd(target))
    q = np.linalg.cholesky(t)
    s_star = s @ np.linalg.inv(q).T @ p.T
    ranks = np.argsort(np.argsort(s_star, axis=0), axis=0)
    return np.take_along_axis(np.sort(x, axis=0), ranks, axis=0)


def _nearest_psd(c: np.ndarray) -> np.ndarray:
    """``c`` with eigenvalues floored just above zero (validation rejects non-PSD input)."""
    w, v = np.linalg.eigh(c)
    w = np.maximum(w, 1e-10)
    out = (v * w) @ v.T
    d = np.sqrt(np.diag(out))
    return out / np.outer(d, d)


def sample(
    marginals: list[Marginal] | tuple[Marginal, ...],
    n: int,
    method: str = "lhs",
    seed: int = 0,
    correlation: np.ndarray | None = None,
) -> Samples:
    """Draw ``n`` joint samples of ``marginals``.

    Parameters
    ----------
    marginals
        The uncertain inputs (from :func:`marginals_from_case`).
    n
        Number of samples.
    method
        ``mc``, ``lhs`` or ``sobol``.
    seed
        Same seed, same samples.
    correlation
        Target Spearman rank correlations (identity when ``None``).

    """
    d = len(marginals)
    u = unit_design(n, d, method, seed)
    if correlation is not None and d > 1 and n > d:
        u = iman_conover(u, correlation, seed + 1)
    values = np.column_stack([m.ppf(u[:, j]) for j, m in enumerate(marginals)]) if d else u
    return Samples(tuple(marginals), values)
