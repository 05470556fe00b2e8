"""Statistical forecasts through statsforecast (AutoETS, AutoARIMA, Theta, seasonal naive).

Series are long tables ``unique_id, ds, y`` (statsforecast's layout). Inside,
``ds`` is replaced by the position 1..n of each row in its series, so months,
years or plain steps are all handled by statsforecast's integer frequency.

References
----------
Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and
Practice, 3rd ed., OTexts (ch. 8 ETS, ch. 9 ARIMA, ch. 5.2 seasonal naive).
Assimakopoulos, V. and Nikolopoulos, K. (2000). The theta model: a
decomposition approach to forecasting. International Journal of Forecasting
16(4), 521-530.
Garza, F. et al. (2022). StatsForecast. https://github.com/Nixtla/statsforecast

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from insource.errors import InsourceError

__all__ = ["STAT_MODELS", "forecast_stats", "make_stat_models", "with_positions"]

STAT_MODELS = ("ets", "arima", "theta", "snaive")


def make_stat_models(names: Sequence[str], season_length: int) -> list[Any]:
    """Build statsforecast model objects, aliased by our short names."""
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive, Theta

    makers = {
        "ets": lambda: AutoETS(season_length=season_length, alias="ets"),
        "arima": lambda: AutoARIMA(season_length=season_length, alias="arima"),
        "theta": lambda: Theta(season_length=season_length, alias="theta"),
        "snaive": lambda: SeasonalNaive(season_length=season_length, alias="snaive"),
    }
    unknown = [n for n in names if n not in makers]
    if unknown:
        raise InsourceError(
            f"unknown statistical model(s): {', '.join(unknown)}",
            f"choose from {', '.join(STAT_MODELS)}",
        )
    return [makers[n]() for n in names]


def with_positions(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``unique_id, ds, y`` with ``ds`` the 1-based position in each series."""
    out = df[["unique_id", "y"]].copy()
    out["ds"] = df.groupby("unique_id", sort=False).cumcount() + 1
    return out[["unique_id", "ds", "y"]]


def forecast_stats(
    df: pd.DataFrame,
    models: Sequence[str],
    h: int,
    season_length: int = 1,
    level: int = 80,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Forecast every series ``h`` steps with each model, with intervals.

    Parameters
    ----------
    df
        Long table ``unique_id, ds, y`` sorted by series and time.
    models
        Short names from :data:`STAT_MODELS`.
    h
        Horizon in steps.
    season_length
        Steps per season (12 for monthly data, 1 for none).
    level
        Prediction-interval coverage in percent.
    n_jobs
        Worker processes for statsforecast.

    Returns
    -------
    pandas.DataFrame
        ``unique_id, step, model, mean, lo, hi`` (``step`` = 1..h after the
        last observation).

    """
    from statsforecast import StatsForecast

    pos = with_positions(df)
    sf = StatsForecast(models=make_stat_models(models, season_length), freq=1, n_jobs=n_jobs)
    try:
        fc = sf.forecast(df=pos, h=h, level=[level])
    except (NotImplementedError, ValueError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
        n_min = int(pos.groupby("unique_id", sort=False).size().min())
        raise _too_short(models, n_min, exc) from None
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    last = pos.groupby("unique_id", sort=False)["ds"].max()
    fc["step"] = fc["ds"].to_numpy() - last.reindex(fc["unique_id"]).to_numpy()
    frames = []
    for name in models:
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": fc["unique_id"].to_numpy(),
                    "step": fc["step"].to_numpy(),
                    "model": name,
                    "mean": fc[name].to_numpy(dtype=float),
                    "lo": fc[f"{name}-lo-{level}"].to_numpy(dtype=float),
                    "hi": fc[f"{name}-hi-{level}"].to_numpy(dtype=float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def forecast_one(
    y: np.ndarray, name: str, h: int, season_length: int = 1, level: int = 80
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forecast one series with one model object (the plain per-series path)."""
    model = make_stat_models([name], season_length)[0]
    try:
        out = model.forecast(y=np.asarray(y, dtype=float), h=h, level=[level])
    except (NotImplementedError, ValueError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
        raise _too_short([name], len(y), exc) from None
    return out["mean"], out[f"lo-{level}"], out[f"hi-{level}"]


def _too_short(models: Sequence[str], n: int, exc: BaseException) -> InsourceError:
    """A statsforecast failure on a (too) short series, as a clear error."""
    return InsourceError(
        f"{', '.join(models)} could not be fitted on a series of {n} points (statsforecast: {exc})",
        "give a longer series, or use --model bass or snaive",
    )
