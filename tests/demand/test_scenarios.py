"""Scenario sets: dense paths, tidy table, fiscal years, named low/base/high."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insource.demand import ScenarioSet


@pytest.fixture
def scen() -> ScenarioSet:
    months = pd.period_range("2026-01", "2028-03", freq="M")
    rng = np.random.default_rng(0)
    paths = rng.gamma(5.0, 100.0, size=(500, len(months), 2))
    return ScenarioSet(months, ("sakura", "kei_bev"), paths, seed=0)


def test_tidy_round_trips(scen: ScenarioSet) -> None:
    tidy = scen.tidy()
    assert len(tidy) == scen.paths.size
    back = tidy.pivot_table(index=["path", "period"], columns="item", values="volume")
    np.testing.assert_allclose(back.loc[(7, "2026-05"), "kei_bev"], scen.paths[7, 4, 1])


def test_fiscal_years_and_partial_year_label(scen: ScenarioSet) -> None:
    labels, sums = scen.fiscal_years(4)
    assert labels == ["2026-01/2026-03", "FY2026", "FY2027"]
    np.testing.assert_allclose(sums[:, 1, 0], scen.paths[:, 3:15, 0].sum(axis=1))


def test_named_scenarios(scen: ScenarioSet) -> None:
    table, demand = scen.named(4, items=["sakura"])
    assert list(table["id"]) == ["low", "base", "high"]
    assert table["probability"].sum() == pytest.approx(1.0)
    assert set(demand["product"]) == {"sakura"}
    wide = demand.pivot(index="period", columns="scenario", values="volume")
    assert (wide["low"] <= wide["base"]).all()
    assert (wide["base"] <= wide["high"]).all()
    summary = scen.summary(4).set_index(["item", "period"])
    row = summary.loc[("sakura", "FY2026")]
    # the named cases sit inside the P5-P95 spread the summary reports
    for sid, col in (("low", "low"), ("base", "p50"), ("high", "high")):
        assert wide.loc["FY2026", sid] == pytest.approx(row[col], abs=0.05)
    assert row["p5"] < row["low"] < row["p50"] < row["high"] < row["p95"]


def test_summary_percentiles_by_hand(scen: ScenarioSet) -> None:
    summary = scen.summary(4)
    assert list(summary.columns) == ["item", "period", "mean", "p5", "p50", "p95", "low", "high"]
    totals = scen.paths[:, 15:27, 1].sum(axis=1)  # kei_bev, FY2027 = 2027-04..2028-03
    row = summary.set_index(["item", "period"]).loc[("kei_bev", "FY2027")]
    np.testing.assert_allclose(
        row[["mean", "p5", "p50", "p95", "low", "high"]].to_numpy(float),
        [totals.mean(), *np.quantile(totals, [0.05, 0.5, 0.95, 0.1, 0.9])],
    )
    # asking for the named percentiles themselves leaves no duplicate columns
    own = scen.summary(4, quantiles=(0.1, 0.5, 0.9))
    assert list(own.columns) == ["item", "period", "mean", "p10", "p50", "p90"]


def test_choice_of_model_by_backtest_scores() -> None:
    from insource.demand._backtest import choose
    from insource.errors import InsourceError

    nan = float("nan")
    m = pd.DataFrame({"model": ["a", "b", "c"], "mase": [1.2, 0.8, nan], "smape": [5.0, 9.0, 1.0]})
    assert choose(m) == "b"
    flat = m.assign(mase=nan)  # a constant series: MASE undefined, rank by sMAPE
    assert choose(flat) == "c"
    with pytest.raises(InsourceError, match="no model"):
        choose(flat.assign(smape=nan))
