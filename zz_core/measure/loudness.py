"""Loudness per ITU-R BS.1770-5 and EBU R128 (Tech 3341 meters, Tech 3342 loudness range).

K-weighting is designed from the analog prototype that reproduces the 48 kHz coefficient
table of BS.1770 exactly (the same design as libebur128 and ffmpeg), so every sample rate
gets the standard's frequency response. One compiled pass filters each channel and reduces
it to one mean-square value per 100 ms segment; every gated block and window is built from
those segments, so memory stays small for long files.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from pydantic import BaseModel, ConfigDict

from zz_core.measure.series import TimeSeries, finite_or_none, series

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0
LRA_LOW_PERCENTILE = 10.0
LRA_HIGH_PERCENTILE = 95.0
MOMENTARY_SEGMENTS = 4  # 400 ms
SHORT_TERM_SEGMENTS = 30  # 3 s

# Analog prototype of the K-weighting filter (libebur128 / ffmpeg f_ebur128 design).
_SHELF_F0_HZ = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_SHELF_VB_EXPONENT = 0.4996667741545416
_HIGHPASS_F0_HZ = 38.13547087602444
_HIGHPASS_Q = 0.5003270373238773


class LoudnessFigures(BaseModel):
    """Loudness of a programme per BS.1770-5 / EBU R128. None means not measurable (silence)."""

    model_config = ConfigDict(frozen=True)

    integrated_lufs: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    lra_lu: float | None
    lra_low_lufs: float | None
    lra_high_lufs: float | None


class LoudnessResult(LoudnessFigures):
    """The figures and the momentary and short-term series behind them."""

    momentary_lufs: TimeSeries
    short_term_lufs: TimeSeries


def k_weighting_sos(sample_rate_hz: float) -> np.ndarray:
    """K-weighting (pre-filter shelf + RLB high-pass) as second-order sections, shape (2, 6)."""
    k = math.tan(math.pi * _SHELF_F0_HZ / sample_rate_hz)
    vh = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    vb = vh**_SHELF_VB_EXPONENT
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf = [
        (vh + vb * k / _SHELF_Q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / _SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / _SHELF_Q + k * k) / a0,
    ]
    k = math.tan(math.pi * _HIGHPASS_F0_HZ / sample_rate_hz)
    a0 = 1.0 + k / _HIGHPASS_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HIGHPASS_Q + k * k) / a0]
    return np.array([shelf, highpass])


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 channel weights G_i for the usual file layouts.

    1-3 channels: L, R, C (1.0). 4: L, R, Ls, Rs. 5: L, R, C, Ls, Rs.
    6 and more: L, R, C, LFE (excluded), Ls, Rs, then further channels at 1.0.
    Surrounds weigh 1.41 (+1.5 dB); the LFE channel is not measured.
    """
    if channels <= 3:
        return np.ones(channels)
    if channels == 4:
        return np.array([1.0, 1.0, 1.41, 1.41])
    if channels == 5:
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41])
    return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41] + [1.0] * (channels - 6))


def segment_length(sample_rate_hz: int) -> int:
    """Samples in one 100 ms segment, rounded as libebur128 does."""
    return (sample_rate_hz + 5) // 10


def segment_mean_squares(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Weighted K-filtered mean square per 100 ms segment: sum_i G_i z_i, shape (segments,).

    A trailing partial segment is dropped, as BS.1770 discards incomplete blocks.
    """
    meter = SegmentMeter(sample_rate_hz, samples.shape[0])
    meter.feed(samples)
    return meter.finish()


class SegmentMeter:
    """``segment_mean_squares`` block by block: feed (channels, frames) float32 blocks in
    order, then ``finish``. The biquad state and the partly filled segment of each channel
    carry over from one block to the next, so any cut gives the same values as one pass."""

    def __init__(self, sample_rate_hz: int, channels: int) -> None:
        self._seg = segment_length(sample_rate_hz)
        self._sos = k_weighting_sos(sample_rate_hz)
        self._weights = channel_weights(channels)
        self._state = np.zeros((channels, self._sos.shape[0], 2))
        self._carry = np.zeros((channels, 2))  # running sum of squares, samples in it
        self._parts: list[list[np.ndarray]] = [[] for _ in range(channels)]
        self._frames = 0

    def feed(self, block: np.ndarray) -> np.ndarray:
        """Filter the next (channels, frames) block; returns the weighted mean squares
        of the segments it completed."""
        self._frames += block.shape[1]
        completed = np.zeros((int(self._carry[0, 1]) + block.shape[1]) // self._seg)
        for channel, weight in enumerate(self._weights):
            if weight == 0.0:
                continue
            carry = self._carry[channel]
            out = np.empty((int(carry[1]) + block.shape[1]) // self._seg)
            done = _k_weighted_stream(np.ascontiguousarray(block[channel], dtype=np.float32),
                                      self._sos, self._seg, self._state[channel], carry, out)
            self._parts[channel].append(out[:done])
            completed += weight * out[:done]
        return completed

    def finish(self) -> np.ndarray:
        """The weighted mean squares of every whole segment fed, shape (segments,)."""
        total = np.zeros(self._frames // self._seg)
        for channel, weight in enumerate(self._weights):
            if weight == 0.0:
                continue
            parts = self._parts[channel]
            total += weight * (np.concatenate(parts) if parts else np.zeros(0))
        return total


@numba.njit(cache=True, nogil=True)
def _k_weighted_stream(
    x: np.ndarray, sos: np.ndarray, seg: int, state: np.ndarray, carry: np.ndarray,
    out: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Cascade of biquads (transposed direct form II, float64 state, as scipy's sosfilt),
    squared and averaged per ``seg`` samples into ``out``, in one pass without temporaries.

    ``state`` (sections, 2) and ``carry`` (sum of squares and count of the segment under
    way) continue from the previous block and are updated; returns the segments written.
    """
    sections = sos.shape[0]
    total = carry[0]
    filled = int(carry[1])
    written = 0
    for i in range(x.shape[0]):
        value = np.float64(x[i])
        for k in range(sections):
            y = sos[k, 0] * value + state[k, 0]
            state[k, 0] = sos[k, 1] * value - sos[k, 4] * y + state[k, 1]
            state[k, 1] = sos[k, 2] * value - sos[k, 5] * y
            value = y
        total += value * value
        filled += 1
        if filled == seg:
            out[written] = total / seg
            written += 1
            total = 0.0
            filled = 0
    carry[0] = total
    carry[1] = filled
    return written


def window_mean_squares(segments: np.ndarray, window_segments: int) -> np.ndarray:
    """Mean square of every window of ``window_segments`` consecutive segments (100 ms hop)."""
    if segments.size < window_segments:
        return np.empty(0)
    cumulative = np.concatenate(([0.0], np.cumsum(segments)))
    sums = cumulative[window_segments:] - cumulative[:-window_segments]
    return np.maximum(sums, 0.0) / window_segments


def loudness_lufs(mean_square: np.ndarray | float) -> np.ndarray:
    """BS.1770 loudness of a weighted mean square: -0.691 + 10 log10(sum G_i z_i), LUFS."""
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(np.asarray(mean_square, dtype=float))


def gated_integrated_lufs(block_mean_squares: np.ndarray) -> float:
    """Integrated loudness of 400 ms blocks with the absolute and relative gates (BS.1770-5)."""
    levels = loudness_lufs(block_mean_squares)
    above_absolute = block_mean_squares[levels > ABSOLUTE_GATE_LUFS]
    if above_absolute.size == 0:
        return -math.inf
    relative_gate = float(loudness_lufs(above_absolute.mean())) + RELATIVE_GATE_LU
    gated = block_mean_squares[(levels > ABSOLUTE_GATE_LUFS) & (levels > relative_gate)]
    if gated.size == 0:
        return -math.inf
    return float(loudness_lufs(gated.mean()))


def loudness_range(short_term_mean_squares: np.ndarray) -> tuple[float, float, float]:
    """EBU Tech 3342 loudness range of short-term (3 s) values: (LRA LU, low LUFS, high LUFS)."""
    levels = loudness_lufs(short_term_mean_squares)
    above_absolute = levels > ABSOLUTE_GATE_LUFS
    if not above_absolute.any():
        return math.nan, math.nan, math.nan
    relative_gate = (
        float(loudness_lufs(short_term_mean_squares[above_absolute].mean())) + LRA_RELATIVE_GATE_LU
    )
    gated = np.sort(levels[above_absolute & (levels > relative_gate)])
    if gated.size == 0:
        return math.nan, math.nan, math.nan
    low = _nearest_rank(gated, LRA_LOW_PERCENTILE)
    high = _nearest_rank(gated, LRA_HIGH_PERCENTILE)
    return high - low, low, high


def _nearest_rank(sorted_values: np.ndarray, percentile: float) -> float:
    """Tech 3342 percentile: 1-based index round((n - 1) p / 100 + 1)."""
    index = round((sorted_values.size - 1) * percentile / 100.0 + 1.0)
    return float(sorted_values[index - 1])


def measure_loudness(samples: np.ndarray, sample_rate_hz: int) -> LoudnessResult:
    """Integrated, momentary, short-term loudness and LRA of (channels, frames) float audio."""
    segment_s = segment_length(sample_rate_hz) / sample_rate_hz
    return loudness_from_segments(segment_mean_squares(samples, sample_rate_hz), segment_s)


def loudness_from_segments(segments: np.ndarray, segment_s: float = 0.1) -> LoudnessResult:
    """All loudness figures from the 100 ms segment mean squares (see segment_mean_squares)."""
    momentary = window_mean_squares(segments, MOMENTARY_SEGMENTS)
    short_term = window_mean_squares(segments, SHORT_TERM_SEGMENTS)
    lra, low, high = loudness_range(short_term)
    momentary_lufs = loudness_lufs(momentary)
    short_term_lufs = loudness_lufs(short_term)
    return LoudnessResult(
        integrated_lufs=finite_or_none(gated_integrated_lufs(momentary)),
        momentary_max_lufs=_max_or_none(momentary_lufs),
        short_term_max_lufs=_max_or_none(short_term_lufs),
        lra_lu=finite_or_none(lra),
        lra_low_lufs=finite_or_none(low),
        lra_high_lufs=finite_or_none(high),
        momentary_lufs=series(
            momentary_lufs, start_s=MOMENTARY_SEGMENTS * segment_s, hop_s=segment_s
        ),
        short_term_lufs=series(
            short_term_lufs, start_s=SHORT_TERM_SEGMENTS * segment_s, hop_s=segment_s
        ),
    )


def _max_or_none(levels: np.ndarray) -> float | None:
    if levels.size == 0:
        return None
    value = float(levels.max())
    return finite_or_none(value) if value > ABSOLUTE_GATE_LUFS else None
