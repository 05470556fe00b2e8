"""Demand: diffusion models, statistical forecasts and scenarios."""

from insource.demand._bass import BassModel, bass_cdf, bass_ols, bass_pdf
from insource.demand._data import Observations, observations_from_frame

__all__ = [
    "BassModel",
    "Observations",
    "bass_cdf",
    "bass_ols",
    "bass_pdf",
    "observations_from_frame",
]
