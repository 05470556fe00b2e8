"""Generalised Bass model: recovery, reduction to Bass, drivers shift the curve."""

from __future__ import annotations

import numpy as np
import pytest

from insource.demand import BassModel, GeneralizedBassModel, bass_cdf, effective_time


def _series(z: np.ndarray, beta: float, m: float = 60_000, p: float = 0.004, q: float = 0.09):
    x = effective_time(z[:, None], np.array([beta]))
    return m * np.diff(bass_cdf(x, p, q))


def test_effective_time_is_calendar_time_without_driver_change() -> None:
    z = np.full((10, 1), np.log(2.0))
    np.testing.assert_allclose(effective_time(z, np.array([-3.0])), np.arange(11.0))


def test_recovers_price_coefficient() -> None:
    price = np.where(np.arange(72) < 30, 2.0e6, 1.6e6)  # a 20% price cut in month 30
    z = np.log(price)
    y = _series(z, -2.5)
    model = GeneralizedBassModel(n_boot=20).fit(y, z)
    assert model.params_ == pytest.approx(
        {"m": 60_000, "p": 0.004, "q": 0.09, "beta_net_price": -2.5}, rel=1e-5
    )


def test_subsidy_cut_pushes_adoption_back() -> None:
    hist = np.log(np.full(36, 2.0e6 - 5.5e5))
    y = _series(hist, -2.0)
    model = GeneralizedBassModel(fixed_beta=(-2.0,), n_boot=0).fit(y, hist)
    t0 = np.arange(36.0, 60.0)
    flat = np.concatenate([hist, np.full(24, hist[-1])])
    cut = np.concatenate([hist, np.full(24, np.log(2.0e6 - 3.0e5))])  # subsidy 550k -> 300k
    base, after = model.predict(flat, t0, t0 + 1), model.predict(cut, t0, t0 + 1)
    assert after.sum() < base.sum()
    # BKJ: a lasting change shifts effective time once, by beta * dln(net price)
    shift = -2.0 * (np.log(2.0e6 - 3.0e5) - hist[-1])
    cum_cut = y.sum() + after.sum()
    expected = model.m_ * bass_cdf(60.0 + shift, model.p_, model.q_)
    assert cum_cut == pytest.approx(expected, rel=1e-9)
    # with beta = 0 the generalised model is the Bass model
    bass = BassModel(n_boot=0).fit(y)
    np.testing.assert_allclose(model.predict(flat, t0, t0 + 1), bass.predict(t0, t0 + 1), rtol=1e-6)


def test_simulate_is_seeded() -> None:
    price = np.where(np.arange(48) < 20, 2.0e6, 1.7e6)
    z = np.log(price)
    rng = np.random.default_rng(0)
    y = _series(z, -1.5) * rng.normal(1, 0.03, 48)
    model = GeneralizedBassModel(n_boot=30, seed=2).fit(y, z)
    zf = np.concatenate([z, np.full(12, z[-1])])
    t0 = np.arange(48.0, 60.0)
    a = model.simulate(50, 5, zf, t0, t0 + 1)
    np.testing.assert_array_equal(a, model.simulate(50, 5, zf, t0, t0 + 1))
    assert a.shape == (50, 12)
    lo, hi = model.intervals_["beta_net_price"]
    assert lo <= -1.5 <= hi
