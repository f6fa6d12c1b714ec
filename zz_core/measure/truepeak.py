"""True peak per ITU-R BS.1770-5 Annex 2, fast enough to run on every track.

Two passes over each channel, both with a Kaiser-windowed-sinc polyphase interpolator
whose phase 0 passes samples through unchanged:

1. Coarse: ``coarse_factor`` times oversampling (at least 4, and at least 192 kHz), per
   100 ms segment (the series plotted and used for PSR). A 64-sample block is only
   interpolated when its samples, times the filter's L1 gain, could beat the segment's
   maximum so far. Every block gets an upper bound on its true peak: by Bernstein's
   inequality a signal band-limited to ``f_max`` cannot rise between grid points spaced
   1/(n fs) by more than a factor 1 / (1 - (pi f_max / fs)^2 / (2 n^2)).
2. Fine: the blocks whose upper bound beats the coarse maximum, in descending order, are
   read again at 4x the coarse factor (16x at 48 kHz: at most 0.03 dB under-read at
   0.45 fs), stopping as soon as no remaining block can beat the maximum found.

The headline figure thus reads as a 16x meter would, while most of the audio is only
screened. Measured against EBU Tech 3341 cases 15-19 and libebur128 in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

MIN_COARSE_RATE_HZ = 192_000
FINE_MULTIPLIER = 4
TAPS_PER_PHASE = 24
KAISER_BETA = 7.0
BLOCK = 64
BANDWIDTH_FRACTION = 0.56  # the interpolator passes a little above Nyquist (transition band)


@dataclass(frozen=True)
class ChannelTruePeak:
    """Linear true peak of one channel: overall and per segment."""

    peak: float
    segment_peaks: np.ndarray
    coarse_factor: int
    fine_factor: int


def coarse_factor(sample_rate_hz: int) -> int:
    """Screening oversampling: at least 4x and at least 192 kHz."""
    return max(4, math.ceil(MIN_COARSE_RATE_HZ / sample_rate_hz))


def interpolation_filter(factor: int, taps: int = TAPS_PER_PHASE) -> np.ndarray:
    """Polyphase Kaiser-windowed sinc, shape (factor, taps), float32.

    Row p gives the value at fractional position p / factor after sample n as
    ``sum_j h[p, j] * x[n + j - taps // 2 + 1]``. Row 0 is the unit impulse.
    """
    offsets = np.arange(taps) - taps // 2 + 1
    t = np.arange(factor)[:, None] / factor - offsets[None, :]
    grid = np.linspace(-1.0, 1.0, 2001)
    window = np.interp(t / (taps / 2.0), grid, np.kaiser(grid.size, KAISER_BETA))
    return (np.sinc(t) * window).astype(np.float32)


def grid_bound(factor: int) -> float:
    """How much a band-limited signal can exceed its largest value on a grid oversampled
    ``factor`` times (a ratio >= 1; Bernstein's inequality on the second derivative)."""
    shortfall = (math.pi * BANDWIDTH_FRACTION) ** 2 / (2.0 * factor**2)
    return 1.0 / (1.0 - shortfall)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _block_max(x: np.ndarray, h: np.ndarray, start: int, width: int,
               acc: np.ndarray) -> float:
    """Largest |interpolated x| over phases 1.. for positions start .. start + width - 1
    (``acc`` is scratch space of BLOCK floats)."""
    phases, taps = h.shape
    # A view starting at the first tap keeps every index non-negative, so the compiler
    # drops numba's negative-index wrap-around and emits contiguous SIMD loads (not gathers).
    window = x[start - (taps // 2 - 1) :]
    best = 0.0
    for p in range(1, phases):
        acc[:width] = 0.0
        for j in range(taps):  # accumulate tap by tap so the inner loop vectorizes
            coefficient = h[p, j]
            for i in range(width):
                acc[i] += coefficient * window[j + i]
        for i in range(width):
            best = max(best, abs(acc[i]))
    return best


@numba.njit(cache=True, nogil=True, fastmath=True)
def _abs_max(values: np.ndarray) -> float:
    best = 0.0
    for i in range(values.shape[0]):
        best = max(best, abs(values[i]))
    return best


@numba.njit(cache=True, nogil=True, fastmath=True)
def _coarse_pass(
    x: np.ndarray, h: np.ndarray, segment: int, l1_gain: float, grid: float,
    segment_peaks: np.ndarray, block_bounds: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Per-segment coarse peaks and per-block upper bounds (see module docstring)."""
    n = x.shape[0]
    taps = h.shape[1]
    left = taps // 2 - 1
    blocks_per_segment = block_bounds.shape[1]
    acc = np.empty(BLOCK, dtype=np.float32)
    for s in range(segment_peaks.shape[0]):
        first = s * segment
        last = min(first + segment, n)
        best = _abs_max(x[first:last])
        for b in range(blocks_per_segment):
            start = first + b * BLOCK
            if start >= last:
                block_bounds[s, b] = 0.0
                continue
            width = min(BLOCK, last - start)
            lo = start - left
            hi = start + width + taps - left
            local = _abs_max(x[max(lo, 0) : min(hi, n)])
            if lo < 0 or hi > n:
                block_bounds[s, b] = local  # at the file's ends: samples only
                continue
            if local * l1_gain <= best:
                block_bounds[s, b] = local * l1_gain
                continue
            value = max(_block_max(x, h, start, width, acc), local)
            block_bounds[s, b] = value * grid
            best = max(best, value)
        segment_peaks[s] = best


@numba.njit(cache=True, nogil=True, fastmath=True)
def _fine_pass(
    x: np.ndarray, h: np.ndarray, starts: np.ndarray, widths: np.ndarray,
    bounds: np.ndarray, best: float, found: np.ndarray,
) -> float:  # pragma: no cover - compiled
    """Re-read blocks (sorted by descending bound) until none can beat ``best``.

    ``found[k]`` receives block k's fine peak (0 where it was not read).
    """
    acc = np.empty(BLOCK, dtype=np.float32)
    for k in range(starts.shape[0]):
        if bounds[k] <= best:
            break
        found[k] = _block_max(x, h, starts[k], widths[k], acc)
        best = max(best, found[k])
    return best


def channel_true_peak(channel: np.ndarray, sample_rate_hz: int,
                      segment: int) -> ChannelTruePeak:
    """True peak of one channel and of each ``segment``-sample stretch of it (linear)."""
    x = np.ascontiguousarray(channel, dtype=np.float32)
    factor = coarse_factor(sample_rate_hz)
    fine = factor * FINE_MULTIPLIER
    coarse_h = interpolation_filter(factor)
    n_segments = max(1, math.ceil(x.shape[0] / segment))
    blocks_per_segment = math.ceil(segment / BLOCK)
    segment_peaks = np.zeros(n_segments, dtype=np.float32)
    bounds = np.zeros((n_segments, blocks_per_segment), dtype=np.float32)
    l1_gain = float(np.abs(coarse_h).sum(axis=1).max())
    _coarse_pass(x, coarse_h, segment, l1_gain, grid_bound(factor), segment_peaks, bounds)
    peak = float(segment_peaks.max()) if x.size else 0.0
    flat = bounds.ravel()
    candidates = np.flatnonzero(flat > peak)
    if candidates.size:
        order = candidates[np.argsort(flat[candidates])[::-1]]
        seg_index, block_index = np.divmod(order, blocks_per_segment)
        starts = (seg_index * segment + block_index * BLOCK).astype(np.int64)
        widths = np.minimum(BLOCK, np.minimum((seg_index + 1) * segment, x.shape[0]) - starts)
        found = np.zeros(order.size, dtype=np.float32)
        peak = float(_fine_pass(x, interpolation_filter(fine), starts, widths.astype(np.int64),
                                flat[order], peak, found))
        np.maximum.at(segment_peaks, seg_index, found)
    return ChannelTruePeak(peak=peak, segment_peaks=segment_peaks.astype(np.float64),
                           coarse_factor=factor, fine_factor=fine)
