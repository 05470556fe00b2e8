r"""One product's share of its segment, with competitor entries as dated events.

An attraction (multinomial-logit) share: the product has attraction 1, the
rivals on sale from the start together ``a_0``, and each rival that enters at
month ``tau_j`` adds ``a_e`` from then on:

.. math::

    s(t) = \frac{1}{1 + a_0 + a_e \sum_j \mathbf{1}[t \ge \tau_j]} .

Reported product volumes over spans are matched to
``M_i \bar s_i`` where ``M_i`` is the segment total over the same span and
``\bar s_i`` the share averaged over the span's months weighted by the
segment's monthly volume (from the fitted diffusion curve), so yearly totals
are fitted as yearly totals. ``a_0`` and ``a_e`` are fitted by nonlinear least
squares; when no entry falls in the history ``a_e`` cannot be learnt and is
held at ``entry_attraction``.

References
----------
Cooper, L. G. and Nakanishi, M. (1988). Market-Share Analysis: Evaluating
Competitive Marketing Effectiveness. Kluwer (attraction models, ch. 2).

"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from insource.demand import _nls
from insource.errors import InsourceError

__all__ = ["ShareModel"]

_LO, _HI = np.log(1e-5), np.log(1e3)


def _share(months: np.ndarray, entries: np.ndarray, a0: np.ndarray, ae: np.ndarray) -> np.ndarray:
    """Share at each month for stacked ``a0``, ``ae`` (shape ``(G, T)``)."""
    count = (months[:, None] >= entries[None, :]).sum(axis=1) if len(entries) else 0 * months
    return np.asarray(1.0 / (1.0 + a0[:, None] + ae[:, None] * count[None, :]))


class ShareModel:
    """Attraction share of one product in its segment with dated rival entries.

    Parameters
    ----------
    entry_attraction
        Attraction of one entrant relative to the product, used when the
        history has no entry to learn it from (1: as attractive as ours).
    n_boot, level, seed
        Bootstrap replicates, interval coverage and seed.

    Attributes
    ----------
    a0_, ae_
        Attraction of the incumbent rivals and of each entrant.
    ae_fitted_
        Whether ``ae_`` was fitted (an entry lies inside the history).
    draws_
        ``(B, 2)`` draws of ``(a0, ae)``.
    intervals_
        ``{"a0": (lo, hi), "ae": (lo, hi)}``.
    share_fitted_
        Fitted share per observation.

    """

    def __init__(
        self, entry_attraction: float = 1.0, n_boot: int = 200, level: float = 0.9, seed: int = 0
    ) -> None:
        self.entry_attraction = entry_attraction
        self.n_boot = n_boot
        self.level = level
        self.seed = seed

    def fit(
        self,
        volume: np.ndarray,
        segment: np.ndarray,
        t0: np.ndarray,
        t1: np.ndarray,
        segment_monthly: np.ndarray,
        entries: Sequence[float] | np.ndarray = (),
        _forced: bool = False,
    ) -> ShareModel:
        """Fit the attractions to product volumes over spans ``(t0, t1]``.

        Parameters
        ----------
        volume
            Product volume per span.
        segment
            Segment total over the same spans.
        t0, t1
            Span bounds in months from the origin (integers).
        segment_monthly
            Expected segment volume per month from the origin (weights within
            a span), length ``>= max(t1)``.
        entries
            Months (from the origin) at which rivals enter.

        Returns
        -------
        ShareModel
            ``self``, fitted.

        Raises
        ------
        InsourceError
            Too few spans, a product volume above the segment's.

        """
        volume = np.asarray(volume, float)
        segment = np.asarray(segment, float)
        i0, i1 = np.asarray(t0, int), np.asarray(t1, int)
        if np.any(volume > segment * (1 + 1e-9)):
            bad = int(np.argmax(volume > segment))
            raise InsourceError(
                f"the product sold {volume[bad]:,.0f} units in a span where the segment sold "
                f"{segment[bad]:,.0f}",
                "check that the product belongs to this segment and both cover the same span",
            )
        ent = np.asarray(entries, float)
        self.entries_ = ent
        note = getattr(self, "note_", "") if _forced else ""
        self.ae_fitted_ = not _forced and bool(np.any((ent >= i0.min()) & (ent < i1.max())))
        n_free = 2 if self.ae_fitted_ else 1
        if len(volume) < n_free + 1:
            raise InsourceError(
                f"too few spans to fit the share: {len(volume)} (need {n_free + 1})",
                "give product and segment volumes for more periods",
            )
        months = np.arange(int(i1.max()), dtype=float)
        wts = np.asarray(segment_monthly, float)[: len(months)]
        fixed_ae = np.log(self.entry_attraction)
        cs_w = np.concatenate([[0.0], np.cumsum(wts)])

        def basis(theta: np.ndarray) -> np.ndarray:
            th = np.atleast_2d(theta)
            a0 = np.exp(th[:, 0])
            ae = np.exp(th[:, 1]) if self.ae_fitted_ else np.exp(np.full(len(th), fixed_ae))
            s = _share(months, ent, a0, ae) * wts[None, :]
            cs = np.concatenate([np.zeros((len(th), 1)), np.cumsum(s, axis=1)], axis=1)
            mean = (cs[:, i1] - cs[:, i0]) / (cs_w[i1] - cs_w[i0])[None, :]
            g = segment[None, :] * mean
            return g if np.ndim(theta) == 2 else g[0]

        k = 2 if self.ae_fitted_ else 1
        axes = [np.linspace(-6, 4, 21)] * k
        grid = np.array(np.meshgrid(*axes)).reshape(k, -1).T
        bounds = (np.full(k, _LO), np.full(k, _HI))
        w = 1.0 / np.sqrt(i1 - i0)
        res = _nls.fit_nls(basis, volume, w, grid, bounds, scaled=False, what="share")
        self.note_ = note
        if self.ae_fitted_ and res.theta[1] >= _HI - 1e-6:
            # the entrant's pull runs to the bound: the spans cannot tell it apart
            # (e.g. an entry in the last months of a yearly total); hold it at the prior
            self.note_ = (
                "entrant attraction not identified by the history (fit ran to its bound); "
                f"held at entry_attraction={self.entry_attraction:g}"
            )
            self.ae_fitted_ = False
            return self.fit(volume, segment, t0, t1, segment_monthly, entries, _forced=True)
        draws, self.boot_failed_ = _nls.bootstrap(
            basis, volume, w, res, bounds, self.n_boot, self.seed, scaled=False
        )
        if len(draws) == 0:
            draws = res.theta[None, :]
        ex = np.exp(draws)
        if not self.ae_fitted_:
            ex = np.column_stack([ex[:, 0], np.full(len(ex), self.entry_attraction)])
        self.draws_ = ex
        self.a0_ = float(np.exp(res.theta[0]))
        self.ae_ = float(np.exp(res.theta[1])) if self.ae_fitted_ else self.entry_attraction
        self.share_fitted_ = res.fitted / segment
        a = (1 - self.level) / 2
        lo, hi = np.quantile(ex, a, axis=0), np.quantile(ex, 1 - a, axis=0)
        self.intervals_ = {"a0": (float(lo[0]), float(hi[0])), "ae": (float(lo[1]), float(hi[1]))}
        return self

    @property
    def params_(self) -> dict[str, float]:
        """Point estimates as a dictionary."""
        return {"a0": self.a0_, "ae": self.ae_}

    def predict(self, months: np.ndarray) -> np.ndarray:
        """Return the share at each month (months from the origin)."""
        m = np.asarray(months, float)
        return _share(m, self.entries_, np.array([self.a0_]), np.array([self.ae_]))[0]

    def simulate(self, n: int, seed: int, months: np.ndarray) -> np.ndarray:
        """Sample ``n`` share paths from the parameter draws, shape ``(n, T)``."""
        rng = np.random.default_rng(seed)
        d = self.draws_[rng.integers(0, len(self.draws_), size=n)]
        return _share(np.asarray(months, float), self.entries_, d[:, 0], d[:, 1])
