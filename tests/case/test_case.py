"""The accessors of a loaded case, checked by hand on the tiny case."""

from pathlib import Path

import pandas as pd
import pytest

from insource.case import load_case
from insource.case._views import history_by_year, line_capacity, other_load

TINY = Path(__file__).parents[1] / "data" / "tiny"


@pytest.fixture(scope="module")
def tiny():
    return load_case(TINY)


def test_finance_and_horizon(tiny) -> None:
    fin = tiny.finance
    assert fin["currency"] == "EUR"
    assert fin["discount_rate"] == pytest.approx(0.1)
    assert fin["fiscal_year_start"] == 1
    assert len(tiny.horizon) == 24
    assert fin["terminal_value"] == "none"  # schema default


def test_defaults_fill_missing_cells(tiny) -> None:
    assert tiny.products.loc[2, "demand_scale"] == 1.0
    assert tiny.capabilities["rate_factor"].tolist() == [1.0, 1.0]


def test_timeseries_applies_series_spans(tiny) -> None:
    ts = tiny.timeseries("products", "battery_cost")
    assert ts.loc[pd.Period("2026-12", "M"), "car"] == 100
    assert ts.loc[pd.Period("2027-01", "M"), "car"] == 80
    assert ts.attrs["unit"] == "money/unit"


def test_demand_spreads_spans_evenly(tiny) -> None:
    d = tiny.demand()
    base = d[d["scenario"] == "base"]
    assert len(base) == 24
    assert base["volume"].tolist() == [100.0] * 24
    assert d[d["scenario"] == "low"]["volume"].sum() == pytest.approx(1200)


def test_demand_scale_multiplies(tiny) -> None:
    case = tiny.copy()
    case.products.loc[:, "demand_scale"] = 0.5
    assert case.demand()["volume"].sum() == pytest.approx(0.5 * tiny.demand()["volume"].sum())


def test_line_capacity_by_hand(tiny) -> None:
    cap = line_capacity(tiny).set_index("line")
    # 5 units/h x 8 h x 240 days x 1 shift = 9,600 units/yr; 2 shifts 19,200.
    assert cap.loc["lo", "capacity"] == 9600
    assert cap.loc["lo", "max_capacity"] == 19200
    assert cap.loc["lp", "owner"] == "partner"


def test_other_load_monthly(tiny) -> None:
    load = other_load(tiny)
    assert len(load) == 12  # CY2026 only
    assert load["volume"].tolist() == [400.0] * 12
    assert load["hours"].tolist() == [80.0] * 12  # 400 / 5 per hour


def test_history_by_year_uses_single_months_only(tiny) -> None:
    h = history_by_year(tiny)
    assert h.to_dict("records") == [{"item": "car", "year": 2025, "months": 2, "volume": 200.0}]


def test_provenance_per_attribute_wins(tiny) -> None:
    assert tiny.provenance("products", "car", "net_revenue") == {
        "source": "hand-made",
        "confidence": "reported",
    }
    assert tiny.provenance("partners", "maker", "contribution_margin") == {
        "source": "test data",
        "confidence": "estimate",
    }
    assert tiny.provenance("products", "nope", "net_revenue") == {
        "source": None,
        "confidence": None,
    }


def test_with_overrides_changes_a_copy(tiny) -> None:
    changed = tiny.with_overrides("products.car.battery_cost=90;finance.discount_rate.value=0.05")
    assert changed.products.loc[2, "battery_cost"] == 90
    assert changed.finance["discount_rate"] == pytest.approx(0.05)
    assert tiny.products.loc[2, "battery_cost"] == 100  # the original is untouched
    assert tiny.with_overrides(None) is tiny
