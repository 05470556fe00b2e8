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
    replacement, unweighted back and added to the fitted values (clipped at
    zero: volumes are non-negative). All replicates are refitted together from
    the point estimate by a batched Levenberg-Marquardt iteration
    (:func:`fit_batch`).

    Returns
    -------
    draws
        Shape ``(B, 1 + k)`` of (scale, *theta) for the replicates that
        converged (``(B, k)`` without a scale).
    failed
        Share of replicates that did not converge.

    """
    k = len(result.theta) + int(scaled)
    if n_boot <= 0:
        return np.empty((0, k)), 0.0
    rng = np.random.default_rng(seed)
    n = len(y)
    infl = np.sqrt(n / max(n - k, 1))
    std_resid = result.residuals * w * infl
    e = rng.choice(std_resid, size=(n_boot, n), replace=True) / w
    yb = np.maximum(result.fitted[None, :] + e, 0.0)
    theta, scale, ok = fit_batch(basis, yb, w, result.theta, bounds, scaled)
    ok &= np.isfinite(scale) & (scale > 0)
    out = np.column_stack([scale, theta]) if scaled else theta
    return out[ok], float(1 - ok.mean())


def fit_batch(
    basis: Basis,
    y: np.ndarray,
    w: np.ndarray,
    start: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    scaled: bool,
    max_iter: int = 200,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit many series ``y`` (shape ``(B, n)``) at once by Levenberg-Marquardt.

    Each row has its own damping; steps are clipped to the bounds; the
    Jacobian of the (variable-projection) residual is taken by forward
    differences on the stacked basis.

    Returns
    -------
    theta, scale, converged
        Shapes ``(B, k)``, ``(B,)`` and ``(B,)``.

    """
    b, k = len(y), len(start)
    lo, hi = bounds
    theta = np.tile(np.clip(start, lo, hi), (b, 1))
    lam = np.full(b, 1e-3)
    ynorm = np.maximum(np.max(np.abs(y * w), axis=1), 1e-12)[:, None]

    def resid(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = basis(th)
        s = _profile(g, y, w) if scaled else np.ones(b)
        r = (y - s[:, None] * g) * w / ynorm
        return np.where(np.isfinite(r), r, 1e3), s

    r, s = resid(theta)
    sse = np.sum(r * r, axis=1)
    done = np.zeros(b, dtype=bool)
    for _ in range(max_iter):
        jac = np.empty((b, r.shape[1], k))
        for j in range(k):
            h = 1e-7 * np.maximum(1.0, np.abs(theta[:, j]))
            tp = theta.copy()
            tp[:, j] += h
            jac[:, :, j] = (resid(tp)[0] - r) / h[:, None]
        jtj = np.einsum("bni,bnj->bij", jac, jac)
        jtr = np.einsum("bni,bn->bi", jac, r)
        damp = lam[:, None, None] * (
            np.eye(k)[None] * (np.einsum("bii->bi", jtj)[:, :, None] + 1e-12)
        )
        try:
            step = -np.linalg.solve(jtj + damp, jtr[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            break
        cand = np.clip(theta + step, lo, hi)
        r_new, s_new = resid(cand)
        sse_new = np.sum(r_new * r_new, axis=1)
        better = (sse_new < sse) & ~done
        rel = np.where(better, (sse - sse_new) / np.maximum(sse, 1e-300), 0.0)
        theta[better] = cand[better]
        r[better] = r_new[better]
        s = np.where(better, s_new, s)
        sse = np.where(better, sse_new, sse)
        lam = np.where(better, lam / 3, lam * 4)
        small = np.max(np.abs(cand - theta), axis=1) < 1e-10
        done |= (better & (rel < 1e-12)) | (~better & (lam > 1e10)) | small | (sse < 1e-30)
        if done.all():
            break
    return theta, s, done
