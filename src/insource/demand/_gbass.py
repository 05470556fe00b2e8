r"""The generalised Bass model (Bass, Krishnan and Jain 1994).

Marketing-mix drivers stretch or compress *effective* time:

.. math::

    F(t) = \frac{1 - e^{-(p+q)X(t)}}{1 + (q/p) e^{-(p+q)X(t)}}, \qquad
    X(t) = \int_0^t x(\tau)\,d\tau, \qquad
    x(t) = 1 + \sum_k \beta_k \frac{d z_k(t)}{dt},

where ``z_k`` are drivers on a log scale (``z = ln(net price)`` makes
``beta dz`` the BKJ percentage price change). Integrated, effective time is
``X(t) = t + sum_k beta_k (z_k(t) - z_k(0))``. Drivers are given once per
unit of model time (per month); a change at step ``j`` shifts effective time
from ``j`` on, so a price drop (``beta < 0``) or a subsidy rise pulls adoption
forward and a subsidy cut pushes it back. Increments of ``X`` are clipped at
zero so adoption never runs backwards. With all ``beta = 0`` this is the Bass
model.

The built-in case uses one driver, the buyer's net price
``ln(list_price - subsidy)``; separate price and subsidy drivers are allowed
(``ln(list_price)`` and ``ln(1 - subsidy / list_price)``).

References
----------
Bass, F. M., Krishnan, T. V. and Jain, D. C. (1994). Why the Bass model fits
without decision variables. Marketing Science 13(3), 203-223.

"""

from __future__ import annotations

import numpy as np

from insource.demand import _nls
from insource.demand._bass import BassModel, _as_observations, bass_cdf
from insource.demand._data import Observations
from insource.errors import InsourceError

__all__ = ["GeneralizedBassModel", "effective_time"]

_LOG_LO, _LOG_HI = np.log(1e-7), np.log(20.0)
_BETA = 20.0


def effective_time(z: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Effective time ``X(k)`` at integer times ``k = 0..T`` from drivers.

    Parameters
    ----------
    z
        Drivers per step, shape ``(T, K)`` (step ``j`` covers ``(j, j+1]``).
    beta
        Coefficients, shape ``(K,)`` or stacked ``(G, K)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(T + 1,)`` (or ``(G, T + 1)``): ``X(0) = 0``,
        ``X(k) = sum_{j<k} max(1 + beta . (z_j - z_{j-1}), 0)``.

    Examples
    --------
    >>> z = np.log(np.array([[100.0], [100.0], [80.0], [80.0]]))
    >>> effective_time(z, np.array([-1.0])).round(3)
    array([0.   , 1.   , 2.   , 3.223, 4.223])

    """
    dz = np.diff(z, axis=0, prepend=z[:1])  # (T, K), zero at step 0
    b = np.atleast_2d(beta)  # (G, K)
    inc = np.maximum(1.0 + dz @ b.T, 0.0).T  # (G, T)
    x = np.concatenate([np.zeros((len(b), 1)), np.cumsum(inc, axis=1)], axis=1)
    return x if np.ndim(beta) == 2 else x[0]


class GeneralizedBassModel:
    """Generalised Bass model with drivers (price, subsidy) shifting time.

    Parameters
    ----------
    drivers
        Names of the driver columns (used in reports).
    fixed_beta
        Coefficients to hold fixed instead of fitting (for example from the
        literature when the history barely moves the driver); ``None`` fits
        them.
    n_boot, level, seed, max_potential
        As :class:`BassModel`.

    Attributes
    ----------
    m_, p_, q_, beta_
        Point estimates.
    draws_
        Parameter draws ``(B, 3 + K)``: ``m, p, q, beta...``.
    intervals_
        ``{"m": (lo, hi), ..., "beta_<driver>": (lo, hi)}``.
    z_
        The drivers the model was fitted with (``(T, K)``).

    """

    def __init__(
        self,
        drivers: tuple[str, ...] = ("net_price",),
        fixed_beta: tuple[float, ...] | None = None,
        n_boot: int = 200,
        level: float = 0.9,
        max_potential: float = 50.0,
        seed: int = 0,
    ) -> None:
        self.drivers = drivers
        self.fixed_beta = fixed_beta
        self.n_boot = n_boot
        self.level = level
        self.max_potential = max_potential
        self.seed = seed

    def _basis_fn(self, t0: np.ndarray, t1: np.ndarray, z: np.ndarray) -> _nls.Basis:
        i0, i1 = t0.astype(int), t1.astype(int)
        fixed = None if self.fixed_beta is None else np.asarray(self.fixed_beta, dtype=float)

        def basis(theta: np.ndarray) -> np.ndarray:
            th = np.atleast_2d(theta)
            p, q = np.exp(th[:, 0:1]), np.exp(th[:, 1:2])
            beta = th[:, 2:] if fixed is None else np.broadcast_to(fixed, (len(th), len(fixed)))
            x = effective_time(z, beta)
            g = bass_cdf(x[:, i1], p, q) - bass_cdf(x[:, i0], p, q)
            return g if np.ndim(theta) == 2 else g[0]

        return basis

    def fit(
        self,
        y: np.ndarray | Observations,
        z: np.ndarray,
        t0: np.ndarray | None = None,
        t1: np.ndarray | None = None,
    ) -> GeneralizedBassModel:
        """Fit ``m, p, q, beta`` to volumes over integer intervals ``(t0, t1]``.

        Parameters
        ----------
        y
            Volumes or :class:`Observations`.
        z
            Drivers (already on a log scale), shape ``(T, K)`` with ``T >=
            max(t1)``; row ``j`` holds the drivers during step ``(j, j+1]``.
        t0, t1
            Interval bounds (integers; default consecutive unit steps).

        Returns
        -------
        GeneralizedBassModel
            ``self``, fitted.

        Raises
        ------
        InsourceError
            Too few points, drivers that do not cover the history, a fit that
            does not converge.

        """
        obs = _as_observations(y, t0, t1)
        z = np.asarray(z, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        k = z.shape[1]
        if len(self.drivers) != k:
            raise InsourceError(
                f"{k} driver column(s) given for drivers {self.drivers}",
                "give one column per driver",
            )
        if len(z) < obs.t1.max() or not np.all(np.isfinite(z)):
            raise InsourceError(
                "the drivers do not cover every step of the history",
                "give a finite driver value (price, subsidy) for every month of the history",
            )
        n_free = 3 + (k if self.fixed_beta is None else 0)
        if len(obs) < n_free + 1:
            raise InsourceError(
                f"too few points to fit a generalised Bass model: {len(obs)} (need {n_free + 1})",
                "give a longer history, fix the driver coefficients (fixed_beta) or use bass",
            )
        base = BassModel(n_boot=0, max_potential=self.max_potential).fit(obs)
        self.z_ = z
        w = 1.0 / np.sqrt(obs.length)
        basis = self._basis_fn(obs.t0, obs.t1, z)
        if self.fixed_beta is None:
            betas = np.linspace(-3, 3, 13)
            grid = np.column_stack(
                [
                    np.repeat(base.theta_[None, :], len(betas) ** k, axis=0),
                    np.array(np.meshgrid(*[betas] * k)).reshape(k, -1).T,
                ]
            )
            bounds = (
                np.concatenate([[_LOG_LO] * 2, [-_BETA] * k]),
                np.concatenate([[_LOG_HI] * 2, [_BETA] * k]),
            )
        else:
            grid = base.theta_[None, :]
            bounds = (np.full(2, _LOG_LO), np.full(2, _LOG_HI))
        res = _nls.fit_nls(basis, obs.y, w, grid, bounds, what="generalised Bass")
        seen = float(obs.y.sum())
        if res.scale > self.max_potential * seen:
            raise InsourceError(
                "the generalised Bass fit did not converge to a finite market potential",
                "the series shows no slowdown yet; give more history or use a statistical model",
            )
        self.obs_ = obs
        self.m_ = res.scale
        self.p_, self.q_ = (float(v) for v in np.exp(res.theta[:2]))
        self.beta_ = (
            np.asarray(res.theta[2:]) if self.fixed_beta is None else np.asarray(self.fixed_beta)
        )
        self.fitted_ = res.fitted
        self.residuals_ = res.residuals
        self.sse_ = res.sse
        draws, self.boot_failed_ = _nls.bootstrap(
            basis, obs.y, w, res, bounds, self.n_boot, self.seed
        )
        if len(draws) == 0:
            draws = np.concatenate([[res.scale], res.theta])[None, :]
        cols = [draws[:, 0], np.exp(draws[:, 1]), np.exp(draws[:, 2])]
        if self.fixed_beta is None:
            cols += [draws[:, 3 + j] for j in range(k)]
        else:
            cols += [np.full(len(draws), b) for b in self.fixed_beta]
        self.draws_ = np.column_stack(cols)
        names = ["m", "p", "q", *[f"beta_{d}" for d in self.drivers]]
        a = (1 - self.level) / 2
        lo = np.quantile(self.draws_, a, axis=0)
        hi = np.quantile(self.draws_, 1 - a, axis=0)
        self.intervals_ = {n: (float(lo[i]), float(hi[i])) for i, n in enumerate(names)}
        return self

    @property
    def params_(self) -> dict[str, float]:
        """Point estimates as a dictionary."""
        out = {"m": self.m_, "p": self.p_, "q": self.q_}
        out.update({f"beta_{d}": float(b) for d, b in zip(self.drivers, self.beta_, strict=True)})
        return out

    def _volumes(
        self, params: np.ndarray, z: np.ndarray, t0: np.ndarray, t1: np.ndarray
    ) -> np.ndarray:
        m, p, q, beta = params[:, 0:1], params[:, 1:2], params[:, 2:3], params[:, 3:]
        x = effective_time(z, beta)
        i0, i1 = t0.astype(int), t1.astype(int)
        return np.asarray(m * (bass_cdf(x[:, i1], p, q) - bass_cdf(x[:, i0], p, q)))

    def predict(self, z: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """Return expected volumes over ``(t0, t1]`` given drivers ``z`` from time 0.

        ``z`` must cover the history and the forecast steps (shape ``(T, K)``,
        ``T >= max(t1)``); a scenario changes its future rows (a subsidy cut
        from FY2028 raises ``ln(net price)`` from that month on).
        """
        z = np.asarray(z, dtype=float)
        z = z[:, None] if z.ndim == 1 else z
        point = np.array([[self.m_, self.p_, self.q_, *self.beta_]])
        return self._volumes(point, z, np.asarray(t0, float), np.asarray(t1, float))[0]

    def simulate(
        self, n: int, seed: int, z: np.ndarray, t0: np.ndarray, t1: np.ndarray
    ) -> np.ndarray:
        """Sample ``n`` paths from the parameter draws (shape ``(n, len(t0))``)."""
        z = np.asarray(z, dtype=float)
        z = z[:, None] if z.ndim == 1 else z
        rng = np.random.default_rng(seed)
        d = self.draws_[rng.integers(0, len(self.draws_), size=n)]
        return self._volumes(d, z, np.asarray(t0, float), np.asarray(t1, float))
