"""Each chart from a small hand-made table: the traces and values it must draw."""

import numpy as np
import pandas as pd
import pytest

from insource.report import (
    breakeven_chart,
    breakeven_volume_chart,
    demand_fan_chart,
    margin_waterfall,
    money_scale,
    npv_distribution_chart,
    option_colours,
    source_colours,
    tornado_chart,
    utilisation_chart,
    volume_chart,
)


def _bridge() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product": ["ev", "ev"],
            "source": ["partner-contract", "own-line"],
            "volume": [1000.0, 800.0],
            "price": [100.0, 100.0],
            "battery": [0.0, -20.0],
            "materials": [0.0, -30.0],
            "conversion": [-80.0, -10.0],
            "logistics": [-2.0, -3.0],
            "fixed": [0.0, -15.0],
            "depreciation": [0.0, -10.0],
            "margin": [18.0, 12.0],
        }
    )


def test_waterfall_has_one_trace_per_source_ending_at_the_margin() -> None:
    fig = margin_waterfall(_bridge(), "JPY")
    assert [t.name for t in fig.data] == ["partner-contract", "own-line"]
    own = fig.data[1]
    assert list(own.x) == [
        "price",
        "battery",
        "materials",
        "conversion",
        "logistics",
        "fixed",
        "depreciation",
        "margin",
    ]
    assert own.measure[0] == "absolute"
    assert own.measure[-1] == "total"
    # the relative steps from the price add up to the margin
    assert own.y[0] + sum(own.y[1:-1]) == pytest.approx(own.y[-1])
    assert "partner-contract earns 6 JPY more per unit than own-line" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == "JPY/unit"


def test_waterfall_drops_cost_items_that_are_zero_everywhere() -> None:
    b = _bridge().assign(battery=0.0)
    b["margin"] = b[["price", "materials", "conversion", "logistics", "fixed", "depreciation"]].sum(
        axis=1
    )
    fig = margin_waterfall(b, "JPY")
    assert "battery" not in list(fig.data[0].x)


def test_waterfall_names_missing_columns() -> None:
    with pytest.raises(ValueError, match="margin"):
        margin_waterfall(_bridge().drop(columns="margin"))


def test_volume_chart_stacks_sources_per_option_panel() -> None:
    v = pd.DataFrame(
        {
            "option": ["buy"] * 2 + ["make"] * 4,
            "fiscal_year": [2028, 2029, 2028, 2029, 2029, 2029],
            "site": ["partner", "partner", "partner", "own", "own", "lost"],
            "volume": [100.0, 120.0, 100.0, 0.0, 110.0, 10.0],
        }
    )
    fig = volume_chart(v, by="site", own=["own"])
    names = [t.name for t in fig.data]
    assert names == ["partner", "own", "partner", "lost"]  # own first in the stack, lost last
    assert sum(t.showlegend for t in fig.data) == 3  # each source once in the legend
    own = fig.data[1]
    assert list(own.x) == ["FY2028", "FY2029"]
    assert list(own.y) == [0.0, 110.0]
    assert own.stackgroup == "p2"
    assert fig.data[0].stackgroup == "p1"
    colours = source_colours(["partner", "own", "lost"], own=["own"])
    assert own.line.color == colours["own"] != colours["partner"]
    assert "Under make, in-house production starts FY2029" in fig.layout.title.text
    assert "10 units of demand go unmet" in fig.layout.title.text


def test_utilisation_chart_shares_of_planned_hours() -> None:
    load = pd.DataFrame(
        {
            "fiscal_year": [2028, 2028, 2029, 2029],
            "model": ["note", "ev", "note", "ev"],
            "hours": [600.0, 200.0, 600.0, 400.0],
        }
    )
    cap = pd.DataFrame(
        {"fiscal_year": [2028, 2029], "hours_planned": [1000.0, 1000.0], "hours_max": [1500.0] * 2}
    )
    fig = utilisation_chart(load, cap, ours=["ev"])
    bars = {t.name: list(t.y) for t in fig.data if t.type == "bar"}
    assert bars == {"note": [0.6, 0.6], "ev": [0.2, 0.4]}
    line = next(t for t in fig.data if t.type == "scatter")
    assert list(line.y) == [1.5, 1.5]
    assert fig.layout.barmode == "stack"
    assert fig.layout.title.text.startswith("The line is full from FY2029")


def _npv() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 2000
    return pd.concat(
        [
            pd.DataFrame({"sample": np.arange(n), "option": "buy", "npv": rng.normal(1e9, 2e8, n)}),
            pd.DataFrame(
                {"sample": np.arange(n), "option": "make", "npv": rng.normal(1.5e9, 4e8, n)}
            ),
        ],
        ignore_index=True,
    )


def test_npv_distribution_densities_integrate_to_one_and_keep_colours() -> None:
    npv = _npv()
    summary = pd.DataFrame({"option": ["buy", "make"], "prob_beats_baseline": [0.0, 0.87]})
    colours = option_colours(["buy", "make"], baseline="buy")
    fig = npv_distribution_chart(npv, "JPY", colours, summary=summary, baseline="buy", bins=40)
    assert [t.name for t in fig.data] == ["buy", "make"]
    for t in fig.data:
        width = t.x[1] - t.x[0]
        assert sum(t.y) * width == pytest.approx(1.0)
        assert t.line.color == colours[t.name]
    assert fig.layout.xaxis.title.text == "NPV (bn JPY)"
    assert fig.layout.title.text.startswith("make has the highest expected NPV (1.5bn JPY)")
    assert "87% of samples" in fig.layout.title.text
    # a mean marker per option at the sample mean
    xs = sorted(s.x0 for s in fig.layout.shapes)
    assert xs == pytest.approx(sorted(npv.groupby("option")["npv"].mean() / 1e9))


def test_option_colours_are_stable_and_baseline_grey() -> None:
    a = option_colours(["buy", "make", "dual"], baseline="buy")
    b = option_colours(["buy", "make", "dual", "extra"], baseline="buy")
    assert a["make"] == b["make"]
    assert a["dual"] == b["dual"]
    assert len(set(b.values())) == 4
    assert money_scale([2.5e10], "JPY") == (1e9, "bn JPY")
    assert money_scale([5e4], "EUR") == (1e3, "k EUR")


def _tornado() -> pd.DataFrame:
    t = pd.DataFrame(
        {
            "input": ["volume", "capex", "price"],
            "label": ["kei EV volume", "Kyushu capex", None],
            "low": [0.5, 1.5e10, 1.7e6],
            "high": [1.7, 3.0e10, 1.85e6],
            "npv_low": [-5e9, 4e9, 1.5e9],
            "npv_high": [9e9, -1e9, 2.5e9],
        }
    )
    t["swing"] = (t["npv_high"] - t["npv_low"]).abs()
    return t


def test_tornado_bars_start_at_the_base_and_sort_by_swing() -> None:
    fig = tornado_chart(_tornado(), "JPY", base=2e9)
    low, high = fig.data
    assert list(low.y) == ["price", "Kyushu capex", "kei EV volume"]  # largest at the top
    assert low.base == pytest.approx(2.0)
    assert high.base == pytest.approx(2.0)
    assert list(low.x) == pytest.approx([-0.5, 2.0, -7.0])
    assert list(high.x) == pytest.approx([0.5, -3.0, 7.0])
    assert fig.layout.title.text == "kei EV volume moves NPV most: from -5.0bn JPY to 9.0bn JPY"


def test_tornado_base_and_measure_from_attrs() -> None:
    t = _tornado()
    t.attrs.update(base=1e9, option="make", baseline="buy")
    fig = tornado_chart(t, "JPY", top=2)
    assert fig.layout.title.text.startswith("kei EV volume moves NPV of make - buy most")
    assert fig.layout.xaxis.title.text == "NPV of make - buy (bn JPY); base 1.00"
    assert fig.data[0].base == pytest.approx(1.0)
    assert len(fig.data[0].y) == 2


def test_breakeven_chart_shows_relative_moves() -> None:
    be = pd.DataFrame(
        {
            "option": ["make", "make", "dual"],
            "input": ["battery", "price", "price"],
            "label": ["battery cost", "contract price", "contract price"],
            "base": [400.0, 1000.0, 1000.0],
            "breakeven": [300.0, 1050.0, np.nan],
            "unit": ["JPY/unit"] * 3,
        }
    )
    fig = breakeven_chart(be)
    assert [t.name for t in fig.data] == ["make"]  # dual has no finite break-even
    assert dict(zip(fig.data[0].y, fig.data[0].x, strict=True)) == pytest.approx(
        {"battery cost": -0.25, "contract price": 0.05}
    )
    assert fig.layout.title.text.startswith("make breaks even if contract price moves +5%")


def test_breakeven_volume_chart_from_the_compare_summary() -> None:
    s = pd.DataFrame(
        {
            "option": ["buy", "make"],
            "inhouse_units": [0.0, 100_000.0],
            "breakeven_units_per_year": [np.nan, 15_000.0],
        }
    )
    fig = breakeven_volume_chart(s, years=10.0)
    bar, marker = fig.data
    assert list(bar.x) == ["make"]
    assert list(bar.y) == [10_000.0]
    assert list(marker.y) == [15_000.0]
    assert "make needs 15,000 units a year to break even; the plan builds 10,000" in (
        fig.layout.title.text
    )


def test_demand_fan_draws_history_bands_median_and_scenarios() -> None:
    history = pd.DataFrame(
        {"start": ["2024-01", "2025-01"], "end": ["2024-12", "2025-12"], "rate": [100.0, 80.0]}
    )
    months = ["2026-01", "2026-02", "2026-03"]
    paths = pd.DataFrame(
        {
            "path": np.repeat(np.arange(101), 3),
            "period": months * 101,
            "volume": np.repeat(np.arange(101, dtype=float), 3),
        }
    )
    scen = pd.DataFrame({"scenario": ["base"] * 3, "period": months, "volume": [90.0] * 3})
    fig = demand_fan_chart(history, paths, scen)
    names = [t.name for t in fig.data]
    assert names[0] == "history"
    assert "P5-P95" in names
    assert "P25-P75" in names
    median = fig.data[names.index("median of the paths")]
    assert list(median.y) == pytest.approx([50.0, 50.0, 50.0])
    assert names[-1] == "case scenario: base"
    assert fig.layout.yaxis.title.text == "units/month"
    assert fig.layout.title.text == (
        "The sales history alone projects 50/month; the plan's base scenario assumes 90/month"
    )


def test_tornado_leaves_out_inputs_that_do_not_move_npv() -> None:
    t = _tornado()
    flat = pd.DataFrame(
        {"input": ["x"], "label": ["flat"], "low": [1.0], "high": [2.0], "npv_low": [2e9]}
    ).assign(npv_high=2e9, swing=0.0)
    fig = tornado_chart(pd.concat([t, flat], ignore_index=True), "JPY", base=2e9)
    assert "flat" not in list(fig.data[0].y)
    assert len(fig.data[0].y) == 3
