"""The built-in kei-EV demand history: segment diffusion, share, scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insource.demand import CaseForecast, forecast_case, net_price_path, read_case_folder
from insource.demand._case import read_entries
from insource.errors import InsourceError

DATA = Path(__file__).parent / "data" / "kei"
ENTRIES = Path(__file__).parents[2] / "src/insource/demand/data/kei_ev_entries.csv"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return read_case_folder(DATA)[0]


@pytest.fixture(scope="module")
def fc(tables: dict[str, pd.DataFrame]) -> CaseForecast:
    return forecast_case(tables, n_paths=2000, seed=3, n_boot=100, entries=read_entries(ENTRIES))


def test_fits_yearly_totals_without_double_counting(fc: CaseForecast) -> None:
    assert list(fc.market_obs.labels) == ["CY2021", "CY2022", "CY2023", "CY2024", "CY2025"]
    assert any("overlapping row(s) not fitted" in n for n in fc.notes)
    # the fitted yearly totals are the model's cumulative adoption over each year
    m = fc.market_model
    np.testing.assert_allclose(m.fitted_, m.predict(fc.market_obs.t0, fc.market_obs.t1))
    lo, hi = m.intervals_["m"]
    assert lo < m.m_ < hi
    assert m.m_ >= 0.9 * fc.market_obs.y.sum()


def test_paths_run_to_fy2035_and_are_seeded(fc: CaseForecast, tables: dict) -> None:
    s = fc.scenarios
    assert str(s.months[0]) == "2026-01"  # no horizon in these tables: after the history
    assert str(s.months[-1]) == "2036-03"
    assert s.paths.shape == (2000, len(s.months), 2)
    assert np.all(s.paths[:, :, 0] <= s.paths[:, :, 1] + 1e-9)  # product within its segment
    again = forecast_case(tables, n_paths=2000, seed=3, n_boot=100, entries=read_entries(ENTRIES))
    np.testing.assert_array_equal(again.scenarios.paths, s.paths)


def test_net_price_follows_series_rows(tables: dict) -> None:
    months = pd.period_range("2023-11", "2025-05", freq="M")
    z = np.exp(net_price_path(tables, "sakura", months))
    assert z[0] == pytest.approx(2399100 - 550000)
    assert z[1] == pytest.approx(2548700 - 550000)
    assert z[-1] == pytest.approx(2599300 - 580000)


def test_unknown_product_and_bad_model(tables: dict) -> None:
    with pytest.raises(InsourceError, match="no demand history"):
        forecast_case(tables, product="leaf", n_paths=10, n_boot=0)
    with pytest.raises(InsourceError, match="unknown case model"):
        forecast_case(tables, model="ets", n_paths=10, n_boot=0)


def test_builtin_case_through_the_loader() -> None:
    from insource.case import load_case

    case = load_case("nissan-kei-ev")
    fc = forecast_case(
        case.tables,
        fy_start=case.calendar.start_month,
        n_paths=300,
        n_boot=50,
        entries=read_entries(ENTRIES),
    )
    assert fc.market == "jp-kei-bev"
    assert fc.region == "japan"
    assert list(fc.share_obs["period"]) == ["CY2022", "CY2023", "CY2024", "CY2025"]
    assert fc.share_obs["product"].iloc[1] == pytest.approx(37_140)  # 2023 months summed
    assert fc.scenarios.items == ("sakura", "kei-ev-2028", "jp-kei-bev")
    assert str(fc.scenarios.months[0]) == "2026-04"  # the case horizon
    months = fc.scenarios.months
    sak = fc.scenarios.paths[:, :, 0]
    succ = fc.scenarios.paths[:, :, 1]
    assert np.all(sak[:, months > pd.Period("2028-03", "M")] == 0)
    assert np.all(succ[:, months < pd.Period("2028-04", "M")] == 0)


def test_subsidy_cut_in_series_moves_the_case_curve() -> None:
    from insource.case import load_case

    case = load_case("nissan-kei-ev")
    with pytest.raises(InsourceError, match="do not change over the history"):
        forecast_case(case.tables, model="gbass", n_paths=10, n_boot=0)
    cut = dict(case.tables)
    row = {
        "table": "products",
        "id": "kei-ev-2028",
        "attribute": "subsidy",
        "period": "FY2028/",
        "value": 300_000.0,
    }
    cut["series"] = pd.concat([case.tables["series"], pd.DataFrame([row])], ignore_index=True)
    kw = {"model": "gbass", "n_paths": 200, "n_boot": 30, "seed": 1, "beta": -2.0}
    flat = forecast_case(case.tables, **kw).scenarios
    after = forecast_case(cut, **kw).scenarios
    m = flat.months
    before_cut = m < pd.Period("2028-04", "M")
    np.testing.assert_allclose(after.paths[:, before_cut], flat.paths[:, before_cut])
    first_month = m == pd.Period("2028-04", "M")
    seg = -1
    # the cut postpones adoption: the launch month sells less and cumulative adoption
    # by the end of the horizon is lower, path by path
    assert np.all(after.paths[:, first_month, seg] < flat.paths[:, first_month, seg])
    assert np.all(
        after.paths[:, ~before_cut, seg].sum(axis=1) < flat.paths[:, ~before_cut, seg].sum(axis=1)
    )


def test_case_backtest_holds_out_the_last_span(fc: CaseForecast) -> None:
    from dataclasses import replace

    from insource.demand._case import case_backtest

    bt = fc.backtest
    assert bt is not None
    assert list(bt["span"].unique()) == ["CY2025"]
    naive = bt.set_index("model").loc["naive", "forecast"]
    assert naive == pytest.approx(25_700)  # CY2024 carried over twelve months
    obs = fc.market_obs
    poisoned = replace(obs, y=np.concatenate([obs.y[:-1], [1e9]]))
    again = case_backtest(poisoned)
    assert again is not None
    np.testing.assert_allclose(again["forecast"], bt["forecast"])  # fit never saw CY2025
