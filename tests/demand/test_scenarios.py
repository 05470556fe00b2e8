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
    assert wide.loc["FY2026", "base"] == pytest.approx(
        summary.loc[("sakura", "FY2026"), "p50"], abs=0.05
    )


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
