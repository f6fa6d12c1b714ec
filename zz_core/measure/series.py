"""Regularly sampled time series shared by every measurement module."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict

SILENCE_FLOOR_DB = -120.0
"""Level written for silence in series and reported values, so JSON never holds -inf."""


class TimeSeries(BaseModel):
    """Values at times ``start_s + i * hop_s`` (seconds).

    For windowed measurements the time is the end of the window, as a meter shows it.
    """

    model_config = ConfigDict(frozen=True)

    start_s: float
    hop_s: float
    values: list[float | None]  # None where the quantity is undefined (e.g. silence)

    def times_s(self) -> np.ndarray:
        """The time of each value, seconds."""
        return self.start_s + self.hop_s * np.arange(len(self.values))

    def as_array(self) -> np.ndarray:
        """Values as floats, NaN where undefined."""
        return np.array([np.nan if v is None else v for v in self.values], dtype=float)


def to_db(power_or_amplitude: np.ndarray | float, *, power: bool) -> np.ndarray:
    """Decibels of a power (10 log10) or amplitude (20 log10) value, floored at silence."""
    value = np.asarray(power_or_amplitude, dtype=float)
    factor = 10.0 if power else 20.0
    with np.errstate(divide="ignore"):
        db = factor * np.log10(value)
    return np.maximum(db, SILENCE_FLOOR_DB)


def finite_or_none(value: float | None, digits: int = 2) -> float | None:
    """Round a measured value for reporting; None when it is not measurable (NaN, ±inf)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def series(values: np.ndarray, *, start_s: float, hop_s: float, digits: int = 2) -> TimeSeries:
    """Build a TimeSeries with values floored at silence and rounded for compact JSON."""
    clean = np.nan_to_num(np.asarray(values, dtype=float), nan=SILENCE_FLOOR_DB,
                          neginf=SILENCE_FLOOR_DB)
    rounded = np.round(np.maximum(clean, SILENCE_FLOOR_DB), digits)
    return TimeSeries(start_s=start_s, hop_s=hop_s, values=rounded.tolist())


def ratio_series(
    values: np.ndarray, *, start_s: float, hop_s: float, digits: int = 3
) -> TimeSeries:
    """A series of a ratio (correlation, width); NaN becomes None (undefined, e.g. silence)."""
    rounded = np.round(np.asarray(values, dtype=float), digits)
    return TimeSeries(
        start_s=start_s,
        hop_s=hop_s,
        values=[None if np.isnan(v) else float(v) for v in rounded],
    )
