"""Nonlinear least squares shared by the diffusion and share models.

A model predicts ``y_i = s * g_i(theta)`` (with a scale ``s`` profiled out in
closed form, *variable projection*) or ``y_i = g_i(theta)`` (no scale). The
weighted sum of squares ``sum w_i^2 (y_i - s g_i)^2`` is minimised over
``theta`` with :func:`scipy.optimize.least_squares` from the best point of a
start grid. Parameter uncertainty comes from the asymptotic covariance
``sigma^2 (J^T J)^{-1}`` and from a residual bootstrap.

References
----------
Golub, G. and Pereyra, V. (2003). Separable nonlinear least squares: the
variable projection method and its applications. Inverse Problems 19(2), R1-R26.
Efron, B. and Tibshirani, R. (1993). An Introduction to the Bootstrap, ch. 9.

"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from insource.errors import InsourceError

__all__ = ["NLSResult", "bootstrap", "fit_nls"]

Basis = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class NLSResult:
    """Result of one fit: ``theta``, scale, fitted values and covariance."""

    theta: np.ndarray
    scale: float
    fitted: np.ndarray
    residuals: np.ndarray
    sse: float
    cov: np.ndarray
    """Covariance of ``(scale, *theta)`` (or of ``theta`` without a scale)."""


def _profile(g: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    gw = g * w
    den = np.einsum("...i,...i->...", gw, gw)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.einsum("...i,...i->...", gw, y * w) / den
    return np.where(den > 0, s, np.nan)


def _solve(
    basis: Basis,
    y: np.ndarray,
    w: np.ndarray,
    start: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    scaled: bool,
) -> tuple[np.ndarray, bool]:
    ynorm = max(float(np.max(np.abs(y * w))), 1e-12)

    def resid(theta: np.ndarray) -> np.ndarray:
        g = basis(theta)
        s = _profile(g, y, w) if scaled else 1.0
        r = (y - s * g) * w / ynorm
        return np.where(np.isfinite(r), r, 1e3)

    x0 = np.clip(start, bounds[0] + 1e-9, bounds[1] - 1e-9)
    res = least_squares(resid, x0, bounds=bounds, method="trf", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    return np.asarray(res.x), bool(res.status > 0)


def fit_nls(
    basis: Basis,
    y: np.ndarray,
    w: np.ndarray,
    grid: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    *,
    scaled: bool = True,
    what: str = "model",
) -> NLSResult:
    """Fit ``theta`` (and the scale) by weighted nonlinear least squares.

    Parameters
    ----------
    basis
        ``theta -> g`` (shape ``(n,)``); called with a stack of thetas (shape
        ``(G, k)``) it must return ``(G, n)`` (used for the start grid).
    y, w
        Observations and weights (``1/sd`` of each observation, up to a factor).
    grid
        Start candidates, shape ``(G, k)``; the best is refined.
    bounds
        Lower and upper bounds of ``theta``.
    scaled
        Profile a scale ``s`` out (``y = s g``) or not (``y = g``).
    what
        Name used in error messages.

    Raises
    ------
    InsourceError
        If no start point gives a finite fit or the optimiser fails.

    """
    g_all = basis(grid)
    s_all = _profile(g_all, y, w) if scaled else np.ones(len(grid))
    sse_all = np.sum(((y - s_all[:, None] * g_all) * w) ** 2, axis=1)
    sse_all = np.where(np.isfinite(sse_all), sse_all, np.inf)
    if not np.isfinite(sse_all).any():
        raise InsourceError(
            f"the {what} fit did not converge (no finite start point)",
            "check the data for a series that is all zero or has huge jumps",
        )
    theta, ok = _solve(basis, y, w, grid[int(np.argmin(sse_all))], bounds, scaled)
    g = basis(theta)
    scale = float(_profile(g, y, w)) if scaled else 1.0
    fitted = scale * g
    if not ok or not np.all(np.isfinite(fitted)):
        raise InsourceError(
            f"the {what} fit did not converge",
            "try more data points, a coarser model (bass) or check the series for outliers",
        )
    resid = y - fitted
    sse = float(np.sum((resid * w) ** 2))
    cov = _covariance(basis, y, w, theta, scale, sse, scaled)
    return NLSResult(theta, scale, fitted, resid, sse, cov)


def _covariance(
    basis: Basis,
    y: np.ndarray,
    w: np.ndarray,
    theta: np.ndarray,
    scale: float,
    sse: float,
    scaled: bool,
) -> np.ndarray:
    """Asymptotic covariance ``sigma^2 (J^T J)^{-1}`` of (scale, theta)."""
    k = len(theta) + int(scaled)
    n = len(y)
    if n <= k:
        return np.full((k, k), np.nan)
    g = basis(theta)
    cols = [g * w] if scaled else []
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        cols.append(scale * (basis(tp) - basis(tm)) / (2 * h) * w)
    jac = np.column_stack(cols)
    sigma2 = sse / (n - k)
    try:
        return sigma2 * np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)


def bootstrap(
    basis: Basis,
    y: np.ndarray,
    w: np.ndarray,
    result: NLSResult,
    bounds: tuple[np.ndarray, np.ndarray],
    n_boot: int,
    seed: int,
    *,
    scaled: bool = True,
) -> tuple[np.ndarray, float]:
    """Residual bootstrap: refit on ``fitted + resampled residuals``.

    Standardised residuals ``w r / sqrt(1 - k/n)`` are resampled with
    replacement, unweighted back and added to the fitted values; each
    replicate is refitted from the point estimate. Replicates with a negative
    value are clipped at zero (volumes are non-negative).

    Returns
    -------
    draws
        Shape ``(B, 1 + k)`` of (scale, *theta) for the replicates that
        converged (``(B, k)`` without a scale).
    failed
        Share of replicates that did not converge.

    """
    rng = np.random.default_rng(seed)
    k = len(result.theta) + int(scaled)
    n = len(y)
    infl = np.sqrt(n / max(n - k, 1))
    std_resid = result.residuals * w * infl
    out = []
    failures = 0
    for _ in range(n_boot):
        e = rng.choice(std_resid, size=n, replace=True) / w
        yb = np.maximum(result.fitted + e, 0.0)
        theta, ok = _solve(basis, yb, w, result.theta, bounds, scaled)
        g = basis(theta)
        s = float(_profile(g, yb, w)) if scaled else 1.0
        if not ok or not np.isfinite(s) or s <= 0:
            failures += 1
            continue
        out.append(np.concatenate([[s], theta]) if scaled else theta)
    if not out:
        return np.empty((0, k)), 1.0
    return np.asarray(out), failures / n_boot
