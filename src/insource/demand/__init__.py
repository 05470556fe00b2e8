"""Demand: diffusion models, statistical forecasts, backtests and scenarios.

Estimators follow the fit/predict contract (``__init__`` stores settings,
``fit`` returns ``self``, fitted attributes end in ``_``, ``predict``,
``simulate(n, seed)``). Many series are long tables ``unique_id, ds, y``;
sampled scenarios are dense arrays ``(path, month, item)``.
"""

from insource.demand._backtest import Backtest, backtest
from insource.demand._bass import BassModel, bass_cdf, bass_ols, bass_pdf
from insource.demand._case import CaseForecast, forecast_case, net_price_path, read_case_folder
from insource.demand._chart import fan_chart, write_chart, write_html, write_png
from insource.demand._data import Observations, observations_from_frame
from insource.demand._gbass import GeneralizedBassModel, effective_time
from insource.demand._scenarios import ScenarioSet
from insource.demand._series import SeriesForecast, forecast_series
from insource.demand._share import ShareModel
from insource.demand._stats import STAT_MODELS, forecast_stats

__all__ = [
    "STAT_MODELS",
    "Backtest",
    "BassModel",
    "CaseForecast",
    "GeneralizedBassModel",
    "Observations",
    "ScenarioSet",
    "SeriesForecast",
    "ShareModel",
    "backtest",
    "bass_cdf",
    "bass_ols",
    "bass_pdf",
    "effective_time",
    "fan_chart",
    "forecast_case",
    "forecast_series",
    "forecast_stats",
    "net_price_path",
    "observations_from_frame",
    "read_case_folder",
    "write_chart",
    "write_html",
    "write_png",
]
