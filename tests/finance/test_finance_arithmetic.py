from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insource.finance import (
    capex_npv_factor,
    cash_flow,
    depreciation_schedule,
    discount_factor,
    discount_factors,
    irr,
    item_npv,
    npv,
    payback_months,
    unit_margin_bridge,
)

START = pd.Period("2026-01", "M")


def _lines(rows):
    f = pd.DataFrame(rows, columns=["period", "product", "site", "source", "item", "amount"])
    f["period"] = pd.PeriodIndex(f["period"], freq="M")
    return f


def test_discount_factors_mid_month():
    df = discount_factors(13, 0.08)
    assert df[0] == pytest.approx(1.08 ** (-0.5 / 12))
    assert df[12] / df[0] == pytest.approx(1 / 1.08)


def test_discount_factor_broadcasts_rates_and_months():
    # one rate per sample (n, 1) against months (T,): each row is that rate's factors
    rates = np.array([[0.0], [0.08], [0.21]])
    months = np.array([0.0, 11.0, 23.5, -3.0])
    got = discount_factor(rates, months)
    assert got.shape == (3, 4)
    for row, r in zip(got, rates[:, 0], strict=True):
        assert row == pytest.approx([(1 + r) ** -((t + 0.5) / 12) for t in months], rel=1e-15)
    # month 11 of a 21% rate: half a month short of a year, 1.21 ** (-11.5 / 12)
    assert got[2, 1] == pytest.approx(1.21 ** (-11.5 / 12), rel=1e-15)
    # the series helper gives the same closed form, month by month
    assert discount_factors(24, 0.08) == pytest.approx(
        [1.08 ** -((t + 0.5) / 12) for t in range(24)], rel=1e-15
    )


def test_depreciation_is_straight_line_and_truncated():
    d = depreciation_schedule(24, np.array([0, 18]), np.array([1.0, 1.0]))
    assert d[0].sum() == pytest.approx(1.0)
    assert d[0, :12] == pytest.approx(np.full(12, 1 / 12))
    assert d[1].sum() == pytest.approx(6 / 12)  # half the life is after the horizon


def test_capex_factor_matches_cash_flow_route():
    # the optimiser's capex weight and the evaluator's cash flow agree
    rate, tax, years = 0.1, 0.3, 1.0
    f = capex_npv_factor(36, np.array([2]), np.array([5]), years, rate, tax)[0]
    dep = depreciation_schedule(36, np.array([5]), years)[0]
    periods = pd.period_range(START, periods=36, freq="M")
    rows = [(periods[2], "p", "s", "l", "capex", -1.0)]
    rows += [(periods[t], "p", "s", "l", "depreciation", -dep[t]) for t in range(36) if dep[t]]
    cash = cash_flow(_lines(rows), tax)
    assert npv(cash.groupby("period")["cash"].sum(), START, rate) == pytest.approx(f, rel=1e-12)


def test_tax_is_linear_on_ebit():
    lines = _lines(
        [
            ("2026-01", "p", "s", "l", "revenue", 1000.0),
            ("2026-01", "p", "s", "l", "material", -400.0),
            ("2026-02", "p", "s", "l", "depreciation", -900.0),
        ]
    )
    cash = cash_flow(lines, 0.25)
    assert cash["tax"].tolist() == pytest.approx([-150.0, 225.0])  # a loss is a shield
    assert cash["cash"].tolist() == pytest.approx([450.0, 225.0])


def test_item_npv_sums_to_npv():
    lines = _lines(
        [
            ("2026-01", "p", "s", "l", "revenue", 1000.0),
            ("2026-03", "p", "s", "l", "capex", -500.0),
            ("2026-04", "p", "s", "l", "depreciation", -100.0),
            ("2026-05", "p", "s", "l", "shift", -50.0),
        ]
    )
    cash = cash_flow(lines, 0.3)
    total = npv(cash.groupby("period")["cash"].sum(), START, 0.07)
    assert item_npv(lines, START, 0.07, 0.3).sum() == pytest.approx(total, rel=1e-12)


def test_irr_and_payback():
    flows = np.array([-100.0] + [0.0] * 11 + [110.0])
    assert irr(flows) == pytest.approx(0.10, abs=1e-9)
    assert np.isnan(irr(np.array([1.0, 2.0])))
    assert payback_months(np.array([-10.0, 4.0, 4.0, 4.0])) == 4.0
    assert np.isnan(payback_months(np.array([-10.0, 4.0])))


def test_unit_margin_bridge():
    lines = _lines(
        [
            ("2026-01", "car", "", "market", "revenue", 10000.0),
            ("2026-01", "car", "a", "line", "material", -3000.0),
            ("2026-01", "car", "a", "line", "conversion", -500.0),
            ("2026-01", "car", "b", "c1", "contract", -4000.0),
        ]
    )
    vol = pd.DataFrame({"product": ["car", "car"], "source": ["line", "c1"], "volume": [5.0, 5.0]})
    b = unit_margin_bridge(lines, vol).set_index("source")
    assert b.loc["line", "price"] == pytest.approx(1000.0)
    assert b.loc["line", "margin"] == pytest.approx(1000 - 600 - 100)
    assert b.loc["c1", "margin"] == pytest.approx(1000 - 800)
