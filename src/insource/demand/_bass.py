r"""The Bass (1969) diffusion model fitted by nonlinear least squares.

The hazard of adoption at time ``t`` rises with the share already adopted:

.. math::

    \frac{f(t)}{1 - F(t)} = p + q F(t), \qquad
    F(t) = \frac{1 - e^{-(p+q)t}}{1 + (q/p) e^{-(p+q)t}},

with market potential ``m`` (adopters over the product's life), coefficient
of innovation ``p`` and of imitation ``q`` (both per unit of model time).
The volume over an interval is ``m [F(t_1) - F(t_0)]``: the discrete-interval
form of Srinivasan and Mason (1986), which also fits yearly or multi-month
totals exactly (aggregated least squares).

References
----------
Bass, F. M. (1969). A new product growth for model consumer durables.
Management Science 15(5), 215-227.
Srinivasan, V. and Mason, C. H. (1986). Nonlinear least squares estimation of
new product diffusion models. Marketing Science 5(2), 169-178.

"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from insource.demand import _nls
from insource.demand._data import Observations
from insource.errors import InsourceError

__all__ = ["BassModel", "bass_cdf", "bass_ols", "bass_pdf"]

_LOG_LO, _LOG_HI = np.log(1e-7), np.log(20.0)


def bass_cdf(t: np.ndarray | float, p: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
    """Cumulative share adopted, ``F(t) = (1-e^{-(p+q)t}) / (1+(q/p)e^{-(p+q)t})``.

    ``F(t) = 0`` for ``t <= 0``. Arguments broadcast.

    Examples
    --------
    >>> round(float(bass_cdf(10.0, 0.03, 0.38)), 4)
    0.9316

    """
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    e = np.exp(-(p + q) * t)
    return np.asarray((1.0 - e) / (1.0 + (q / p) * e))


def bass_pdf(t: np.ndarray | float, p: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
    """Adoption density ``f(t) = ((p+q)^2/p) e^{-(p+q)t} / (1+(q/p)e^{-(p+q)t})^2``."""
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    e = np.exp(-(p + q) * t)
    return np.asarray(((p + q) ** 2 / p) * e / (1.0 + (q / p) * e) ** 2)


def bass_ols(y: np.ndarray) -> tuple[float, float, float]:
    """Bass's (1969) ordinary least squares estimates ``(m, p, q)``.

    Regresses ``S_t = a + b Y_{t-1} + c Y_{t-1}^2`` (``S`` sales per period,
    ``Y`` cumulative sales before the period), then ``m = (-b - sqrt(b^2 -
    4ac)) / 2c``, ``p = a/m``, ``q = -mc``. Used as a classical reference and
    cross-check; :class:`BassModel` fits by nonlinear least squares.

    Raises
    ------
    InsourceError
        If the regression gives no positive market potential.

    """
    y = np.asarray(y, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(y)[:-1]])
    design = np.column_stack([np.ones_like(cum), cum, cum**2])
    a, b, c = np.linalg.lstsq(design, y, rcond=None)[0]
    disc = b * b - 4 * a * c
    if c >= 0 or disc < 0:
        raise InsourceError(
            "Bass OLS gives no finite market potential (the series shows no slowdown)",
            "use the nonlinear least squares fit (BassModel) or more data",
        )
    m = (-b - np.sqrt(disc)) / (2 * c)
    return float(m), float(a / m), float(-m * c)


class BassModel:
    """Bass diffusion model, ``y(t0, t1) = m [F(t1) - F(t0)]``, fitted by NLS.

    Parameters
    ----------
    form
        ``"interval"`` (default; Srinivasan and Mason 1986: volume over each
        interval) or ``"density"`` (``y_i = m f(t1_i)``, the form many
        textbooks fit to yearly sales; kept to reproduce published numbers).
    intervals
        ``"bootstrap"`` (residual bootstrap, default) or ``"asymptotic"``
        (``sigma^2 (J^T J)^{-1}`` on ``log p``, ``log q``).
    n_boot
        Bootstrap replicates.
    level
        Coverage of the reported parameter intervals.
    max_potential
        Largest believable ``m`` as a multiple of the volume seen so far; a fit
        beyond it means the data show no slowdown and ``m`` is not identified.
    seed
        Seed of the bootstrap.

    Attributes
    ----------
    m_, p_, q_
        Point estimates.
    draws_
        Parameter draws ``(B, 3)`` of ``(m, p, q)`` (bootstrap replicates or
        normal draws on ``(m, log p, log q)``).
    intervals_
        ``{"m": (lo, hi), "p": ..., "q": ...}`` at ``level``.
    se_
        Asymptotic standard errors of ``(m, p, q)`` (delta method).
    fitted_, residuals_
        In-sample fit.
    sigma_
        Residual scale per unit of time, ``sqrt(SSE_w / (n - 3))`` with the
        ``1/sqrt(length)`` weights.
    obs_
        The observations fitted.

    Examples
    --------
    >>> t = np.arange(1.0, 11.0)
    >>> y = 1000 * (bass_cdf(t, 0.03, 0.4) - bass_cdf(t - 1, 0.03, 0.4))
    >>> model = BassModel(n_boot=0).fit(y)
    >>> round(model.m_), round(model.p_, 3), round(model.q_, 3)
    (1000, 0.03, 0.4)

    """

    n_params = 3

    def __init__(
        self,
        form: str = "interval",
        intervals: str = "bootstrap",
        n_boot: int = 200,
        level: float = 0.9,
        max_potential: float = 50.0,
        seed: int = 0,
    ) -> None:
        self.form = form
        self.intervals = intervals
        self.n_boot = n_boot
        self.level = level
        self.max_potential = max_potential
        self.seed = seed

    # -- model ----------------------------------------------------------
    def _basis_fn(self, t0: np.ndarray, t1: np.ndarray) -> _nls.Basis:
        form = self.form

        def basis(theta: np.ndarray) -> np.ndarray:
            th = np.atleast_2d(theta)
            p = np.exp(th[:, 0:1])
            q = np.exp(th[:, 1:2])
            if form == "density":
                g = bass_pdf(t1[None, :], p, q)
            else:
                g = bass_cdf(t1[None, :], p, q) - bass_cdf(t0[None, :], p, q)
            return g if np.ndim(theta) == 2 else g[0]

        return basis

    def _grid(self, horizon: float) -> np.ndarray:
        ps = np.logspace(-3.5, 0.5, 17) / horizon
        qs = np.logspace(-2, 1.3, 17) / horizon
        pp, qq = np.meshgrid(ps, qs)
        return np.log(np.column_stack([pp.ravel(), qq.ravel()]))

    def fit(
        self,
        y: np.ndarray | Observations,
        t0: np.ndarray | None = None,
        t1: np.ndarray | None = None,
    ) -> BassModel:
        """Fit ``m, p, q`` to volumes ``y`` over intervals ``(t0, t1]``.

        Parameters
        ----------
        y
            Volumes, or :class:`Observations` (which carry ``t0``, ``t1``).
        t0, t1
            Interval bounds in model time (default: consecutive unit steps
            ``(i-1, i]``, ``i = 1..n``).

        Returns
        -------
        BassModel
            ``self``, fitted.

        Raises
        ------
        InsourceError
            Too few points, an all-zero series, a fit that does not converge,
            or a market potential the data cannot pin down.

        """
        obs = _as_observations(y, t0, t1)
        self._check_settings()
        n = len(obs)
        if n < self.n_params + 1:
            raise InsourceError(
                f"too few points to fit a Bass model: {n} (need at least {self.n_params + 1})",
                "give a longer history, or fix the market potential from outside data",
            )
        if np.sum(obs.y) <= 0:
            raise InsourceError(
                "the series is all zero", "a diffusion curve needs some adoption to fit"
            )
        w = 1.0 / np.sqrt(obs.length)
        basis = self._basis_fn(obs.t0, obs.t1)
        bounds = (np.full(2, _LOG_LO), np.full(2, _LOG_HI))
        res = _nls.fit_nls(basis, obs.y, w, self._grid(float(obs.t1.max())), bounds, what="Bass")
        seen = float(np.sum(obs.y))
        if res.scale > self.max_potential * seen or np.any(np.isclose(res.theta, bounds[1])):
            raise InsourceError(
                f"the Bass fit did not converge to a finite market potential "
                f"(m > {self.max_potential:g} x the {seen:,.0f} units seen so far)",
                "the series shows no slowdown yet, so m is not identified; give more history "
                "or use a statistical model (--model ets)",
            )
        self.obs_ = obs
        self.m_ = res.scale
        self.p_, self.q_ = (float(v) for v in np.exp(res.theta))
        self.fitted_ = res.fitted
        self.residuals_ = res.residuals
        self.sse_ = res.sse
        self.sigma_ = float(np.sqrt(res.sse / max(n - self.n_params, 1)))
        self.theta_ = res.theta
        cov = res.cov
        grad = np.diag([1.0, self.p_, self.q_])
        self.cov_ = grad @ cov @ grad  # delta method to (m, p, q)
        self.se_ = np.sqrt(np.clip(np.diag(self.cov_), 0, None))
        self._draw(basis, obs.y, w, res, bounds, cov)
        return self

    def _check_settings(self) -> None:
        if self.form not in ("interval", "density"):
            raise InsourceError(f"unknown form {self.form!r}", "use 'interval' or 'density'")
        if self.intervals not in ("bootstrap", "asymptotic"):
            raise InsourceError(
                f"unknown interval method {self.intervals!r}", "use 'bootstrap' or 'asymptotic'"
            )
        if not 0 < self.level < 1:
            raise InsourceError(f"level {self.level} is not in (0, 1)", "use for example 0.9")

    def _draw(
        self,
        basis: _nls.Basis,
        y: np.ndarray,
        w: np.ndarray,
        res: _nls.NLSResult,
        bounds: tuple[np.ndarray, np.ndarray],
        cov: np.ndarray,
    ) -> None:
        point = np.array([self.m_, self.p_, self.q_])
        self.boot_failed_ = 0.0
        draws = np.empty((0, 3))
        if self.intervals == "bootstrap" and self.n_boot > 0:
            raw, self.boot_failed_ = _nls.bootstrap(
                basis, y, w, res, bounds, self.n_boot, self.seed
            )
            if len(raw):
                draws = np.column_stack([raw[:, 0], np.exp(raw[:, 1]), np.exp(raw[:, 2])])
        elif self.n_boot > 0 and np.all(np.isfinite(cov)):
            rng = np.random.default_rng(self.seed)
            mean = np.concatenate([[self.m_], res.theta])
            vals, vecs = np.linalg.eigh((cov + cov.T) / 2)  # clip rounding-negative eigenvalues
            z = (
                mean
                + (rng.standard_normal((self.n_boot, 3)) * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
            )
            z[:, 1:] = np.clip(z[:, 1:], _LOG_LO, _LOG_HI)
            draws = np.column_stack([np.maximum(z[:, 0], 0), np.exp(z[:, 1]), np.exp(z[:, 2])])
        self.draws_ = draws if len(draws) else point[None, :]
        a = (1 - self.level) / 2
        lo = np.quantile(self.draws_, a, axis=0)
        hi = np.quantile(self.draws_, 1 - a, axis=0)
        self.intervals_ = {k: (float(lo[i]), float(hi[i])) for i, k in enumerate(("m", "p", "q"))}

    def profile_interval(self, level: float | None = None, param: str = "m") -> tuple[float, float]:
        r"""Profile-likelihood interval of ``m``, ``p`` or ``q``.

        For each trial value of ``param`` the other parameters are refitted
        (for ``m``: ``p, q``; for ``p``: ``q`` and ``m``; for ``q``: ``p`` and
        ``m``); the value is inside the interval while

        .. math::

            SSE(\text{value}) \le SSE_{min} \left(1 + \frac{F_{1,n-3}(\text{level})}{n-3}\right)

        (Bates and Watts 1988, section 6.1). Near a well-determined optimum
        this is the ``t_{n-3}`` Wald interval on the scale where the model is
        close to linear (``log p``, ``log q``); it does not assume that, so it
        is asymmetric where the sum of squares is. An end that does not cross
        within the search range is ``-inf`` or ``inf``: the data do not close
        the interval on that side. The range is ``[sum(y) / 2, max_potential
        * sum(y)]`` for ``m`` and the optimiser's bounds ``[1e-7, 20]`` (per
        unit of model time) for ``p`` and ``q``; while ``p`` or ``q`` is
        profiled, ``m`` is free (not held under ``max_potential``).

        Parameters
        ----------
        level
            Coverage (default: the model's ``level``).
        param
            ``"m"``, ``"p"`` or ``"q"``.

        Raises
        ------
        InsourceError
            For another ``param``.

        References
        ----------
        Bates, D. M. and Watts, D. G. (1988). Nonlinear Regression Analysis and
        Its Applications. Wiley.

        """
        from scipy.optimize import brentq
        from scipy.stats import f as f_dist

        if param not in ("m", "p", "q"):
            raise InsourceError(f"unknown parameter {param!r}", "use 'm', 'p' or 'q'")
        level = self.level if level is None else level
        if not 0 < level < 1:
            raise InsourceError(f"level {level} is not in (0, 1)", "use for example 0.9")
        obs = self.obs_
        n = len(obs)
        if n <= self.n_params:
            return (float("nan"), float("nan"))
        limit = self.sse_ * (1 + f_dist.ppf(level, 1, n - 3) / (n - 3))
        excess = self._profile_excess(param, limit)
        if param == "m":
            seen = float(np.sum(obs.y))
            lo_end, hi_end = max(seen * 0.5, 1e-9), self.max_potential * seen
            tol = 1e-5 * self.m_
            lo = brentq(excess, lo_end, self.m_, xtol=tol) if excess(lo_end) > 0 else -np.inf
            hi = brentq(excess, self.m_, hi_end, xtol=tol) if excess(hi_end) > 0 else np.inf
            return (float(lo), float(hi))
        i = 0 if param == "p" else 1
        centre = float(self.theta_[i])
        se_log = self.se_[1 + i] / self.params_[param]
        step = float(se_log) if np.isfinite(se_log) and se_log > 0 else 0.5
        lo = _outward_root(excess, centre, _LOG_LO, step)
        hi = _outward_root(excess, centre, _LOG_HI, step)
        return (float(np.exp(lo)) if np.isfinite(lo) else -np.inf, float(np.exp(hi)))

    def _profile_excess(self, param: str, limit: float) -> Callable[[float], float]:
        """``value -> SSE(value) - limit`` with the other parameters refitted.

        ``value`` is ``m`` itself, or ``log p`` / ``log q``. For ``p`` and
        ``q``, ``m`` is closed-form and the free log-rate is searched on a
        65-point grid over its bounds, then refined by bounded Brent between
        the best point's neighbours, so a second valley of the sum of squares
        is not missed.
        """
        from scipy.optimize import minimize_scalar

        obs = self.obs_
        w = 1.0 / np.sqrt(obs.length)
        basis = self._basis_fn(obs.t0, obs.t1)
        if param == "m":
            bounds = (np.full(2, _LOG_LO), np.full(2, _LOG_HI))

            def excess_m(m: float) -> float:
                theta, _ = _nls._solve(
                    lambda th: m * basis(th), obs.y, w, self.theta_, bounds, scaled=False
                )
                return float(np.sum(((obs.y - m * basis(theta)) * w) ** 2)) - limit

            return excess_m
        fixed = 0 if param == "p" else 1
        grid = np.linspace(_LOG_LO, _LOG_HI, 65)
        step = grid[1] - grid[0]

        def sse(value: float, free: np.ndarray) -> np.ndarray:
            theta = np.empty((free.size, 2))
            theta[:, fixed] = value
            theta[:, 1 - fixed] = free
            g = basis(theta)
            s = _nls._profile(g, obs.y, w)
            out = np.sum(((obs.y - s[:, None] * g) * w) ** 2, axis=1)
            return np.where(np.isfinite(out), out, np.inf)

        def excess_log(value: float) -> float:
            best = float(grid[int(np.argmin(sse(value, grid)))])
            res = minimize_scalar(
                lambda x: float(sse(value, np.array([x]))[0]),
                bounds=(max(best - step, _LOG_LO), min(best + step, _LOG_HI)),
                method="bounded",
                options={"xatol": 1e-8},
            )
            return float(min(res.fun, sse(value, np.array([best]))[0])) - limit

        return excess_log

    # -- use ------------------------------------------------------------
    @property
    def params_(self) -> dict[str, float]:
        """Point estimates as a dictionary."""
        return {"m": self.m_, "p": self.p_, "q": self.q_}

    @property
    def peak_time_(self) -> float:
        """Time of peak adoption, ``ln(q/p) / (p+q)`` (0 if ``q <= p``)."""
        return float(max(np.log(self.q_ / self.p_) / (self.p_ + self.q_), 0.0))

    def predict(self, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """Return the expected volume over each interval ``(t0, t1]``."""
        t0 = np.asarray(t0, dtype=float)
        t1 = np.asarray(t1, dtype=float)
        return self.m_ * (bass_cdf(t1, self.p_, self.q_) - bass_cdf(t0, self.p_, self.q_))

    def forecast(self, h: int) -> np.ndarray:
        """Volume over the next ``h`` unit steps after the last observation."""
        start = float(self.obs_.t1[-1])
        t0 = start + np.arange(h)
        return self.predict(t0, t0 + 1)

    def simulate(
        self,
        n: int,
        seed: int,
        t0: np.ndarray | None = None,
        t1: np.ndarray | None = None,
        noise: bool = False,
    ) -> np.ndarray:
        """Sample ``n`` paths consistent with the parameter uncertainty.

        Each path draws one parameter set ``(m, p, q)`` from :attr:`draws_`
        (with replacement) and returns its expected volumes over the
        intervals (default: the fitted intervals). With ``noise`` each
        interval also gets normal noise of the fit's residual scale,
        ``sigma_ sqrt(t1 - t0)`` (clipped at zero), for prediction intervals of
        observed volumes rather than of the expected curve. Shape
        ``(n, len(t0))``.
        """
        t0 = self.obs_.t0 if t0 is None else np.asarray(t0, dtype=float)
        t1 = self.obs_.t1 if t1 is None else np.asarray(t1, dtype=float)
        rng = np.random.default_rng(seed)
        d = self.draws_[rng.integers(0, len(self.draws_), size=n)]
        m, p, q = d[:, 0:1], d[:, 1:2], d[:, 2:3]
        out = m * (bass_cdf(t1[None, :], p, q) - bass_cdf(t0[None, :], p, q))
        if noise:
            scale = self.sigma_ * np.sqrt(t1 - t0)[None, :]
            out = np.maximum(out + rng.standard_normal(out.shape) * scale, 0.0)
        return np.asarray(out)


def _as_observations(
    y: np.ndarray | Observations, t0: np.ndarray | None, t1: np.ndarray | None
) -> Observations:
    if isinstance(y, Observations):
        return y
    yy = np.asarray(y, dtype=float)
    if yy.ndim != 1:
        raise InsourceError("the series must be one-dimensional", "pass one column of volumes")
    if np.any(~np.isfinite(yy)):
        raise InsourceError("the series has missing values", "fill or drop the missing periods")
    if np.any(yy < 0):
        raise InsourceError("the series has negative values", "volumes cannot be negative")
    if t1 is None:
        t1 = np.arange(1.0, len(yy) + 1)
    t1 = np.asarray(t1, dtype=float)
    t0 = t1 - 1.0 if t0 is None else np.asarray(t0, dtype=float)
    labels = tuple(str(v) for v in t1)
    return Observations(t0, t1, yy, labels, None, "step")


def _outward_root(f: Callable[[float], float], centre: float, end: float, step: float) -> float:
    """First point from ``centre`` towards ``end`` where ``f`` turns positive.

    Steps out by ``step``, 4 ``step``, 16 ``step``, ... (clipped at ``end``)
    until ``f > 0``, then refines by Brent's method inside the last step. The
    connected piece of the interval around the estimate is found even if the
    sum of squares dips again further out. Returns ``+-inf`` if ``f`` stays
    non-positive up to ``end``.
    """
    from scipy.optimize import brentq

    if f(centre) > 0:  # an exact fit leaves no margin: the interval is the point
        return centre
    direction = 1.0 if end > centre else -1.0
    a, d = centre, step
    while True:
        last = d >= abs(end - centre)
        b = end if last else centre + direction * d
        if f(b) > 0:
            return float(brentq(f, min(a, b), max(a, b), xtol=1e-7))
        if last:
            return direction * np.inf
        a, d = b, 4 * d
