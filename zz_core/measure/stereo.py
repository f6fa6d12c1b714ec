"""Stereo image: correlation (overall, over time, per band), width, balance, mono
compatibility.

Correlation is the zero-lag normalised cross-correlation of left and right (+1 mono,
0 unrelated, -1 polarity-inverted), the reading of a phase-correlation meter. Width is
side/mid energy with M = (L + R) / 2 and S = (L - R) / 2 (0 for mono, 1 for unrelated
channels of equal level). Files with more than two channels are read on their front
pair (L, R); a mono file is reported as mono.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict

from zz_core.measure.series import TimeSeries, finite_or_none, ratio_series
from zz_core.measure.spectrum import BANDS_HZ, SpectralFrames, front_pair

WINDOW_SEGMENTS = 4  # correlation over time on 400 ms windows, 100 ms apart
LOW_END_HZ = 120.0


class BandStereo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    correlation: float | None
    width: float | None


class StereoResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str  # "stereo", "mono" or "front pair (L/R) of N channels"
    correlation: float | None
    width: float | None
    balance_db: float | None  # left level minus right level, dB
    mono_loss_db: float | None  # level change when summed to mono, dB (0 = none)
    low_end_correlation: float | None  # below ``low_end_hz``
    low_end_width: float | None
    low_end_hz: float
    bands: list[BandStereo]
    correlation_series: TimeSeries


def _source(channels: int) -> str:
    if channels == 1:
        return "mono"
    if channels == 2:
        return "stereo"
    return f"front pair (L/R) of {channels} channels"


ArrayOrFloat = np.ndarray | float


def correlation_from_powers(ll: ArrayOrFloat, rr: ArrayOrFloat, lr: ArrayOrFloat) -> np.ndarray:
    """Normalised correlation lr / sqrt(ll rr); NaN where a channel is silent."""
    l2, r2, cross = (np.asarray(v, dtype=float) for v in (ll, rr, lr))
    denominator = np.sqrt(l2 * r2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 1e-20, cross / denominator, np.nan)


def width_from_powers(ll: ArrayOrFloat, rr: ArrayOrFloat, lr: ArrayOrFloat) -> np.ndarray:
    """Side/mid energy ratio from channel powers; NaN where the mid is silent."""
    l2, r2, cross = (np.asarray(v, dtype=float) for v in (ll, rr, lr))
    mid = l2 + r2 + 2 * cross
    side = np.maximum(l2 + r2 - 2 * cross, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mid > 1e-20, side / mid, np.where(side > 1e-20, np.inf, np.nan))


def segment_products(
    samples: np.ndarray, segment: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums of L*L, R*R and L*R over each ``segment``-sample stretch of the front pair."""
    products = SegmentProducts(segment)
    products.feed(samples)
    return products.finish()


class SegmentProducts:
    """``segment_products`` fed (channels, frames) blocks in order; a segment cut by a
    block edge is completed by the next block."""

    def __init__(self, segment: int) -> None:
        self._segment = segment
        self._rest = np.zeros((2, 0), dtype=np.float32)  # front pair of the open segment
        self._parts: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        """The next (channels, frames) block."""
        left, right = front_pair(block)
        if self._rest.shape[1]:
            left = np.concatenate((self._rest[0], left))
            right = np.concatenate((self._rest[1], right))
        segment = self._segment
        whole = left.shape[0] // segment * segment
        step = max(1, (1 << 20) // segment) * segment
        for lo in range(0, whole, step):
            hi = min(lo + step, whole)
            l_part = np.asarray(left[lo:hi], dtype=np.float64).reshape(-1, segment)
            r_part = np.asarray(right[lo:hi], dtype=np.float64).reshape(-1, segment)
            self._parts.append(np.stack((np.einsum("ij,ij->i", l_part, l_part),
                                         np.einsum("ij,ij->i", r_part, r_part),
                                         np.einsum("ij,ij->i", l_part, r_part))))
        self._rest = np.stack((left[whole:], right[whole:])).astype(np.float32, copy=False)

    def finish(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(L*L, R*R, L*R) per whole segment fed."""
        out = np.concatenate(self._parts, axis=1) if self._parts else np.zeros((3, 0))
        return out[0], out[1], out[2]


def measure_stereo(
    samples: np.ndarray,
    frames: SpectralFrames,
    segment: int,
    sample_rate_hz: int,
    low_end_hz: float = LOW_END_HZ,
) -> StereoResult:
    """Stereo figures of (channels, frames) audio; ``frames`` is the spectrum module's
    STFT pass over the same audio and ``segment`` the 100 ms step in samples."""
    return stereo_from_products(segment_products(samples, segment), samples.shape[0], frames,
                                segment, sample_rate_hz, low_end_hz)


def stereo_from_products(
    products: tuple[np.ndarray, np.ndarray, np.ndarray],
    channels: int,
    frames: SpectralFrames,
    segment: int,
    sample_rate_hz: int,
    low_end_hz: float = LOW_END_HZ,
) -> StereoResult:
    """Stereo figures from the front pair's ``segment_products`` and the STFT pass
    (``channels``: how many the file has)."""
    ll, rr, lr = products
    total_ll, total_rr, total_lr = float(ll.sum()), float(rr.sum()), float(lr.sum())
    low_ll, low_rr, low_lr = _band_powers(frames, 20.0, low_end_hz)
    window_sums = _window_sums(products)
    segment_s = segment / sample_rate_hz
    return StereoResult(
        source=_source(channels),
        correlation=_ratio(correlation_from_powers(total_ll, total_rr, total_lr)),
        width=_ratio(width_from_powers(total_ll, total_rr, total_lr)),
        balance_db=_balance_db(total_ll, total_rr),
        mono_loss_db=_mono_loss_db(total_ll, total_rr, total_lr),
        low_end_correlation=_ratio(correlation_from_powers(low_ll, low_rr, low_lr)),
        low_end_width=_ratio(width_from_powers(low_ll, low_rr, low_lr)),
        low_end_hz=low_end_hz,
        bands=_bands(frames),
        correlation_series=ratio_series(
            correlation_from_powers(*window_sums),
            start_s=WINDOW_SEGMENTS * segment_s,
            hop_s=segment_s,
        ),
    )


def _window_sums(products: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """L*L, R*R and L*R summed over each window of WINDOW_SEGMENTS segments."""
    windows = np.ones(WINDOW_SEGMENTS)
    return [np.convolve(v, windows, mode="valid") if v.size >= WINDOW_SEGMENTS
            else np.empty(0) for v in products]


def width_series(products: tuple[np.ndarray, np.ndarray, np.ndarray], segment: int,
                 sample_rate_hz: int) -> TimeSeries:
    """Width (side/mid energy) over time: the same 400 ms windows, 100 ms apart, as the
    correlation series; None where it is undefined (silence) or unbounded (no mid)."""
    width = width_from_powers(*_window_sums(products))
    segment_s = segment / sample_rate_hz
    return ratio_series(np.where(np.isfinite(width), width, np.nan),
                        start_s=WINDOW_SEGMENTS * segment_s, hop_s=segment_s)


def _band_powers(frames: SpectralFrames, low_hz: float, high_hz: float) -> tuple[float, ...]:
    mask = (frames.freqs_hz >= low_hz) & (frames.freqs_hz < high_hz)
    return tuple(float(psd[mask].sum()) for psd in
                 (frames.left_psd, frames.right_psd, frames.cross_psd))


def _bands(frames: SpectralFrames) -> list[BandStereo]:
    result = []
    for name in frames.band_names:
        low, high = BANDS_HZ[name]
        ll, rr, lr = _band_powers(frames, low, high)
        result.append(BandStereo(
            name=name,
            correlation=_ratio(correlation_from_powers(ll, rr, lr)),
            width=_ratio(width_from_powers(ll, rr, lr)),
        ))
    return result


def _ratio(value: np.ndarray | float) -> float | None:
    return finite_or_none(float(value), 3)


def _balance_db(ll: float, rr: float) -> float | None:
    if ll <= 0.0 and rr <= 0.0:
        return None
    if ll <= 0.0 or rr <= 0.0:
        return -120.0 if ll <= 0.0 else 120.0
    return round(10.0 * math.log10(ll / rr), 2)


def _mono_loss_db(ll: float, rr: float, lr: float) -> float | None:
    """Level of the mono sum (L + R) / 2 against the average channel level, dB."""
    average = (ll + rr) / 2.0
    mono = (ll + rr + 2.0 * lr) / 4.0
    if average <= 0.0:
        return None
    if mono <= 0.0:
        return -120.0
    return round(10.0 * math.log10(mono / average), 2)
