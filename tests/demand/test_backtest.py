"""Rolling-origin backtests through statsforecast: no look-ahead, metrics, choice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insource.demand import backtest, forecast_stats
from insource.demand._backtest import Backtest

MODELS = ("ets", "theta", "snaive")


def _series(n: int = 36, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    frames = [
        pd.DataFrame(
            {
                "unique_id": uid,
                "ds": t,
                "y": 200 + 40 * np.sin(2 * np.pi * t / 12) + k * t + rng.normal(0, 5, n),
            }
        )
        for k, uid in enumerate(("a", "b"))
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _series()


@pytest.fixture(scope="module")
def result(data: pd.DataFrame) -> Backtest:
    return backtest(data, MODELS, h=3, n_windows=2, season_length=12)


def test_table_shape(result: Backtest) -> None:
    fc = result.forecasts
    assert len(fc) == 2 * 2 * 3 * len(MODELS)  # series x windows x steps x models
    assert fc["y"].notna().all()
    assert set(result.metrics["model"]) == set(MODELS)


def test_fit_never_sees_the_holdout(data: pd.DataFrame, result: Backtest) -> None:
    # overwrite every point after the first window's cutoff with garbage: the
    # first window's forecasts must not move; then only the last 3 points:
    # neither window may move
    n = 36
    cut1 = n - 3 - 3
    poisoned = data.copy()
    poisoned.loc[poisoned["ds"] >= cut1, "y"] = 1e6
    again = backtest(poisoned, MODELS, h=3, n_windows=2, season_length=12).forecasts
    key = ["model", "unique_id", "window", "step"]
    a = result.forecasts.sort_values(key).reset_index(drop=True)
    b = again.sort_values(key).reset_index(drop=True)
    w1 = a["window"] == 1
    np.testing.assert_allclose(a.loc[w1, "mean"], b.loc[w1, "mean"])
    assert not np.allclose(a.loc[~w1, "mean"], b.loc[~w1, "mean"])
    poisoned = data.copy()
    poisoned.loc[poisoned["ds"] >= n - 3, "y"] = 1e6
    again = backtest(poisoned, MODELS, h=3, n_windows=2, season_length=12).forecasts
    b = again.sort_values(key).reset_index(drop=True)
    np.testing.assert_allclose(a["mean"], b["mean"])


def test_loop_engine_matches_vectorised(data: pd.DataFrame, result: Backtest) -> None:
    loop = backtest(data, MODELS, h=3, n_windows=2, season_length=12, engine="loop")
    key = ["model", "unique_id", "window", "step"]
    a = result.forecasts.sort_values(key).reset_index(drop=True)
    b = loop.forecasts.sort_values(key).reset_index(drop=True)
    np.testing.assert_allclose(a["mean"], b["mean"], rtol=1e-6)
    np.testing.assert_allclose(a["lo"], b["lo"], rtol=1e-6)


def test_snaive_metrics_by_hand(data: pd.DataFrame, result: Backtest) -> None:
    y = data.loc[data["unique_id"] == "a", "y"].to_numpy()
    rows = []
    for cut in (30, 33):
        train, test = y[:cut], y[cut : cut + 3]
        fc = train[cut - 12 : cut - 12 + 3]
        scale = np.mean(np.abs(train[12:] - train[:-12]))
        rows.append(np.mean(np.abs(test - fc)) / scale)
    got = result.forecasts.query("model == 'snaive' and unique_id == 'a'")
    np.testing.assert_allclose(got["mean"].to_numpy(), np.concatenate([y[18:21], y[21:24]]))
    per_series = (
        got.assign(ae=(got["y"] - got["mean"]).abs()).groupby("window")["ae"].mean()
        / got.groupby("window")["scale"].first()
    )
    np.testing.assert_allclose(per_series.to_numpy(), rows)


def test_best_is_lowest_mase(result: Backtest) -> None:
    m = result.metrics
    assert result.best == m.loc[m["mase"].idxmin(), "model"]
    assert m["coverage"].between(0, 1).all()
    assert (m["smape"] >= 0).all()


def test_forecast_stats_intervals_contain_mean(data: pd.DataFrame) -> None:
    fc = forecast_stats(data, ["ets"], h=4, season_length=12, level=80)
    assert len(fc) == 8
    assert (fc["lo"] <= fc["mean"]).all()
    assert (fc["mean"] <= fc["hi"]).all()


def test_auto_picks_the_backtest_winner_for_a_user_series(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from insource.cli import main

    y = _series(36).query("unique_id == 'a'")["y"].round(1)
    months = [str(p) for p in pd.period_range("2022-01", periods=36, freq="M")]
    path = tmp_path / "seasonal.csv"
    pd.DataFrame({"period": months, "value": y.to_numpy()}).to_csv(path, index=False)
    assert main(["forecast", "fit", str(path), "--model", "auto", "--horizon", "6", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    table = pd.DataFrame(payload["backtest"])
    assert set(table["model"]) == {"ets", "arima", "theta", "snaive", "bass"}
    assert payload["model"] == table.sort_values(["mase", "smape"]).iloc[0]["model"]
    assert len(payload["forecast"]) == 6
    assert payload["forecast"][0]["period"] == "2025-01"
