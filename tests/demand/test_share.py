"""Share layer: attraction recovery from yearly totals, entries as dated events."""

from __future__ import annotations

import numpy as np
import pytest

from insource.demand import ShareModel


def _yearly(a0: float, ae: float, entries: list[float], years: int = 5):
    months = np.arange(12 * years)
    seg = 1000 + 20 * months  # a growing segment
    count = sum((months >= e).astype(float) for e in entries)
    share = 1 / (1 + a0 + ae * count)
    t0 = np.arange(0, 12 * years, 12)
    t1 = t0 + 12
    prod = np.array([(share * seg)[a:b].sum() for a, b in zip(t0, t1, strict=True)])
    tot = np.array([seg[a:b].sum() for a, b in zip(t0, t1, strict=True)])
    return prod, tot, t0, t1, seg.astype(float)


def test_recovers_attractions_from_yearly_totals() -> None:
    prod, tot, t0, t1, seg = _yearly(0.25, 0.6, [30.0])
    model = ShareModel(n_boot=20).fit(prod, tot, t0, t1, seg, [30.0])
    assert model.ae_fitted_
    assert model.params_ == pytest.approx({"a0": 0.25, "ae": 0.6}, rel=1e-6)


def test_entry_outside_history_uses_the_prior_and_lowers_future_share() -> None:
    prod, tot, t0, t1, seg = _yearly(0.25, 0.6, [])
    model = ShareModel(entry_attraction=0.5, n_boot=20).fit(prod, tot, t0, t1, seg, [70.0])
    assert not model.ae_fitted_
    assert model.a0_ == pytest.approx(0.25, rel=1e-6)
    share = model.predict(np.array([60.0, 75.0]))
    assert share[0] == pytest.approx(1 / 1.25)
    assert share[1] == pytest.approx(1 / 1.75)
    paths = model.simulate(10, 0, np.array([60.0, 75.0]))
    assert np.all(paths[:, 1] < paths[:, 0])
