"""Rolling-origin backtests, accuracy metrics and choice of model.

For window ``w = 1..W`` the training part of each series ends ``h + (W - w)
* step`` points before its end; each model is fitted on that part only (the
later rows are cut off before any model sees them) and forecasts the next
``h`` points, which are scored:

* MASE = mean |y - yhat| / mean |y_t - y_{t-s}| over the training part
  (Hyndman and Koehler 2006; ``s`` the season length, 1 if the training part
  is shorter than two seasons);
* sMAPE = mean 200 |y - yhat| / (|y| + |yhat|) in percent (Makridakis 1993);
* coverage = share of actuals inside the prediction interval.

The model with the lowest mean MASE wins (ties: sMAPE).

References
----------
Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of forecast
accuracy. International Journal of Forecasting 22(4), 679-688.
Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an
analysis and review. International Journal of Forecasting 16(4), 437-450.

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insource.demand._bass import BassModel
from insource.demand._stats import STAT_MODELS, forecast_one, forecast_stats, with_positions
from insource.errors import InsourceError

__all__ = ["Backtest", "backtest", "bass_forecast", "choose"]

MODELS = (*STAT_MODELS, "bass")


@dataclass(frozen=True)
class Backtest:
    """Backtest forecasts (one row per series, window, model, step) and scores."""

    forecasts: pd.DataFrame
    metrics: pd.DataFrame

    @property
    def best(self) -> str:
        """Model with the lowest mean MASE (then sMAPE)."""
        return choose(self.metrics)


def choose(metrics: pd.DataFrame) -> str:
    """Pick the lowest mean MASE (then sMAPE); by sMAPE alone when no MASE exists.

    MASE is undefined when the training part never changes (a constant
    series: the naive errors that scale it are all zero).
    """
    ok = metrics.dropna(subset=["mase"])
    if not ok.empty:
        return str(ok.sort_values(["mase", "smape"]).iloc[0]["model"])
    ok = metrics.dropna(subset=["smape"])
    if ok.empty:
        raise InsourceError(
            "no model produced a backtest forecast", "give a longer series or a shorter horizon"
        )
    return str(ok.sort_values("smape").iloc[0]["model"])


def bass_forecast(
    y: np.ndarray, h: int, level: int = 80, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bass forecast of the next ``h`` unit steps; interval from parameters and residual noise."""
    model = BassModel(intervals="asymptotic", n_boot=200, seed=seed).fit(np.asarray(y, float))
    t0 = float(len(y)) + np.arange(h)
    paths = model.simulate(400, seed=seed, t0=t0, t1=t0 + 1, noise=True)
    a = (100 - level) / 200
    return model.predict(t0, t0 + 1), np.quantile(paths, a, axis=0), np.quantile(paths, 1 - a, 0)


def backtest(
    df: pd.DataFrame,
    models: Sequence[str] = MODELS,
    h: int = 6,
    n_windows: int = 3,
    step: int | None = None,
    season_length: int = 1,
    level: int = 80,
    engine: str = "vectorised",
    n_jobs: int = 1,
) -> Backtest:
    """Run a rolling-origin backtest of ``models`` on every series of ``df``.

    Parameters
    ----------
    df
        Long table ``unique_id, ds, y`` sorted by series and time (regular,
        no gaps).
    models
        Names from ``ets, arima, theta, snaive, bass``.
    h
        Forecast horizon of each window.
    n_windows
        Number of forecast origins.
    step
        Points between origins (default ``h``).
    season_length
        Steps per season.
    level
        Prediction-interval coverage in percent.
    engine
        ``"vectorised"`` (one statsforecast call per window over all series)
        or ``"loop"`` (one model object per series and window; the plain
        baseline of the benchmark).
    n_jobs
        Worker processes for the vectorised engine.

    Raises
    ------
    InsourceError
        A series too short for the windows, an unknown model.

    """
    step = h if step is None else step
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise InsourceError(f"unknown model(s) {unknown}", f"choose from {', '.join(MODELS)}")
    pos = with_positions(df)
    n_by_id = pos.groupby("unique_id", sort=False)["ds"].max()
    need = h + (n_windows - 1) * step + max(2 * season_length, 4)
    short = n_by_id[n_by_id < need]
    if len(short):
        raise InsourceError(
            f"series {short.index[0]!r} has {int(short.iloc[0])} points; a backtest with "
            f"{n_windows} window(s) of {h} needs at least {need}",
            "use fewer windows (--windows) or a shorter horizon",
        )
    stat = [m for m in models if m in STAT_MODELS]
    rows = []
    for w in range(n_windows):
        back = h + (n_windows - 1 - w) * step
        cutoff = pos["unique_id"].map(n_by_id) - back
        train = pos[pos["ds"] <= cutoff]
        rows.append(
            _window(
                train, pos, cutoff, stat, models, h, season_length, level, engine, n_jobs
            ).assign(window=w + 1)
        )
    fc = pd.concat(rows, ignore_index=True)
    return Backtest(fc, _metrics(fc))


def _window(
    train: pd.DataFrame,
    pos: pd.DataFrame,
    cutoff: pd.Series,
    stat: list[str],
    models: Sequence[str],
    h: int,
    season_length: int,
    level: int,
    engine: str,
    n_jobs: int,
) -> pd.DataFrame:
    parts = []
    if stat and engine == "vectorised":
        parts.append(forecast_stats(train, stat, h, season_length, level, n_jobs))
    groups = {uid: g["y"].to_numpy(float) for uid, g in train.groupby("unique_id", sort=False)}
    loop_models = [m for m in models if m == "bass" or engine == "loop"]
    for uid, y in groups.items():
        for name in loop_models:
            try:
                if name == "bass":
                    mean, lo, hi = bass_forecast(y, h, level)
                else:
                    mean, lo, hi = forecast_one(y, name, h, season_length, level)
            except InsourceError:
                mean = lo = hi = np.full(h, np.nan)
            parts.append(
                pd.DataFrame(
                    {
                        "unique_id": uid,
                        "step": np.arange(1, h + 1),
                        "model": name,
                        "mean": mean,
                        "lo": lo,
                        "hi": hi,
                    }
                )
            )
    fc = pd.concat(parts, ignore_index=True)
    # attach actuals and the MASE scale of each series' training part
    cut = cutoff.groupby(pos["unique_id"], sort=False).first()
    fc["ds"] = fc["unique_id"].map(cut) + fc["step"]
    fc = fc.merge(pos, on=["unique_id", "ds"], how="left")
    scale = {uid: _mase_scale(y, season_length) for uid, y in groups.items()}
    fc["scale"] = fc["unique_id"].map(scale)
    return fc


def _mase_scale(y: np.ndarray, season_length: int) -> float:
    s = season_length if len(y) >= 2 * season_length else 1
    d = np.abs(y[s:] - y[:-s])
    return float(np.mean(d)) if len(d) and np.mean(d) > 0 else np.nan


def _metrics(fc: pd.DataFrame) -> pd.DataFrame:
    err = (fc["y"] - fc["mean"]).abs()
    den = fc["y"].abs() + fc["mean"].abs()
    fc = fc.assign(
        ae=err,
        sape=np.where(den > 0, 200 * err / den.where(den > 0, 1), 0.0),
        inside=((fc["y"] >= fc["lo"]) & (fc["y"] <= fc["hi"])).astype(float),
    )
    per = fc.groupby(["model", "unique_id", "window"], sort=False).agg(
        mae=("ae", "mean"),
        scale=("scale", "first"),
        smape=("sape", "mean"),
        coverage=("inside", "mean"),
        failed=("mean", lambda s: s.isna().any()),
    )
    per["mase"] = per["mae"] / per["scale"]
    per.loc[per["failed"].astype(bool), ["mase", "smape", "coverage"]] = np.nan
    out = per.groupby("model", sort=False).agg(
        mase=("mase", "mean"),
        smape=("smape", "mean"),
        coverage=("coverage", "mean"),
        failed=("failed", "mean"),
    )
    return (
        out.reset_index().sort_values(["mase", "smape"], na_position="last").reset_index(drop=True)
    )
