"""Forecast one user series (``period, value``) with a chosen or backtested model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insource.demand._backtest import MODELS, backtest, choose
from insource.demand._bass import BassModel
from insource.demand._data import Observations
from insource.demand._gbass import GeneralizedBassModel
from insource.demand._stats import STAT_MODELS, forecast_stats
from insource.errors import InsourceError

__all__ = ["SeriesForecast", "forecast_series", "future_labels"]

CHOICES = (*MODELS, "gbass", "auto")


@dataclass
class SeriesForecast:
    """Result of :func:`forecast_series`."""

    model: str
    parameters: pd.DataFrame
    forecast: pd.DataFrame
    backtest: pd.DataFrame | None
    obs: Observations
    paths: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def future_labels(obs: Observations, h: int) -> list[str]:
    """Return the labels of the ``h`` unit steps after the last observation."""
    end = int(obs.t1[-1])
    if obs.unit == "month" and obs.origin is not None:
        return [str(obs.origin + end + i) for i in range(h)]
    return [str(end + 1 + i) for i in range(h)]


def _season_length(obs: Observations) -> int:
    monthly = obs.unit == "month" and obs.is_regular() and obs.length[0] == 1
    return 12 if monthly and len(obs) >= 24 else 1


def _long(obs: Observations, uid: str) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": np.arange(1, len(obs) + 1), "y": obs.y})


def _param_table(
    names: list[str], est: list[float], iv: dict[str, tuple[float, float]]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parameter": names,
            "estimate": est,
            "lo": [iv[n][0] for n in names],
            "hi": [iv[n][1] for n in names],
        }
    )


def forecast_series(
    obs: Observations,
    model: str = "auto",
    h: int | None = None,
    n_paths: int = 1000,
    seed: int = 0,
    level: int = 80,
    windows: int = 3,
    drivers: np.ndarray | None = None,
    name: str = "series",
) -> SeriesForecast:
    """Fit ``model`` to one series and forecast ``h`` steps.

    Parameters
    ----------
    obs
        The checked series.
    model
        ``bass``, ``gbass``, ``ets``, ``arima``, ``theta``, ``snaive`` or
        ``auto`` (the lowest backtest MASE among ets, arima, theta, snaive
        and bass).
    h
        Horizon in unit steps (default 12 for months, else 5).
    n_paths, seed
        Sampled paths for the diffusion models.
    level
        Interval coverage in percent.
    windows
        Rolling-origin windows of the backtest.
    drivers
        For ``gbass``: log net price per unit step from the origin (held
        flat after the history).
    name
        Series id.

    Raises
    ------
    InsourceError
        An unknown model, a series too short or irregular for the model.

    """
    if model not in CHOICES:
        raise InsourceError(f"unknown model {model!r}", f"choose from {', '.join(CHOICES)}")
    h = h or (12 if obs.unit == "month" else 5)
    if h < 1:
        raise InsourceError(f"horizon {h} is not positive", "give --horizon 1 or more")
    notes: list[str] = []
    regular = obs.is_regular()
    sl = _season_length(obs)
    needs_regular = model in (*STAT_MODELS, "auto")
    if needs_regular and not regular:
        raise InsourceError(
            f"model {model} needs a regular series (consecutive periods of equal length)",
            "fill the gaps, or use --model bass, which fits totals over any spans",
        )
    bt = None
    if needs_regular:
        cands = (
            list(MODELS) if model == "auto" else [model, "snaive"] if model != "snaive" else [model]
        )
        # the longest backtest horizon (at most h) that leaves two seasons to train on
        spare = len(obs) - max(2 * sl, 4)
        bh = min(h, spare // max(windows, 1))
        if bh < h:
            notes.append(f"backtest horizon {max(bh, 0)} (not {h}): the series is short")
        bh = max(bh, 1)
        try:
            bt = backtest(
                _long(obs, name), cands, h=bh, n_windows=windows, season_length=sl, level=level
            ).metrics
        except InsourceError as exc:
            if model == "auto":
                raise
            notes.append(f"no backtest: {exc}")
        if model == "auto":
            assert bt is not None
            model = choose(bt)
            rule = (
                "MASE" if bt["mase"].notna().any() else "sMAPE; MASE is undefined for a flat series"
            )
            notes.append(f"auto chose {model} (lowest backtest {rule})")
    labels = future_labels(obs, h)
    a = (100 - level) / 200
    start = float(obs.t1[-1])
    t0 = start + np.arange(h)
    if model in STAT_MODELS:
        if not regular:
            raise InsourceError(f"model {model} needs a regular series", "use --model bass")
        fc = forecast_stats(_long(obs, name), [model], h, sl, level)
        out = pd.DataFrame(
            {
                "period": labels,
                "mean": fc["mean"].to_numpy(),
                "lo": fc["lo"].to_numpy(),
                "hi": fc["hi"].to_numpy(),
            }
        )
        params = pd.DataFrame(columns=["parameter", "estimate", "lo", "hi"])
        return SeriesForecast(model, params, out, bt, obs, None, notes)
    if model == "gbass":
        if drivers is None:
            raise InsourceError(
                "the generalised Bass model needs a price column",
                "add columns price (and subsidy) to the file, or use --model bass",
            )
        total = int(start) + h
        z = np.concatenate([drivers, np.full(max(total - len(drivers), 0), drivers[-1])])[:, None]
        gm = GeneralizedBassModel(n_boot=200, seed=seed, level=1 - 2 * a).fit(obs, z)
        paths = gm.simulate(n_paths, seed, z, t0, t0 + 1)
        mean = gm.predict(z, t0, t0 + 1)
        params = _param_table(list(gm.params_), list(gm.params_.values()), gm.intervals_)
    else:
        bm = BassModel(n_boot=200, seed=seed, level=1 - 2 * a).fit(obs)
        paths = bm.simulate(n_paths, seed, t0, t0 + 1, noise=True)
        mean = bm.predict(t0, t0 + 1)
        params = _param_table(["m", "p", "q"], [bm.m_, bm.p_, bm.q_], bm.intervals_)
        for k, v in bm.params_.items():
            plo, phi = bm.profile_interval(param=k)
            params.loc[len(params)] = {
                "parameter": f"{k} (profile)",
                "estimate": v,
                "lo": plo,
                "hi": phi,
            }
    out = pd.DataFrame(
        {
            "period": labels,
            "mean": mean,
            "lo": np.quantile(paths, a, axis=0),
            "hi": np.quantile(paths, 1 - a, axis=0),
        }
    )
    return SeriesForecast(model, params, out, bt, obs, paths, notes)
