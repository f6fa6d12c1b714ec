"""The vectorscope for the meter views: where the front pair's samples fall in the
(side, mid) plane, over the programme. Display only: nothing is judged from it.

Each sample pair gives side = (L - R) / sqrt 2 and mid = (L + R) / sqrt 2 (a mono signal
is a vertical line, polarity-inverted channels a horizontal one). A sample counts as
programme when the 400 ms momentary-loudness block centred nearest its 100 ms segment is
above the BS.1770 relative gate (the integrated loudness - 10 LU, and -70 LUFS); the gate
is known only at the end, so the samples are counted in 2-D histograms per 1 LU class of
that block's loudness, and the classes above the gate are summed at the end.

The histograms are FINE x FINE cells over +-scale, a power of two that doubles (merging
cells two by two) before a 100 ms segment holding a larger value is counted (segment by
segment, so the counts do not depend on where the blocks were cut); at the end they are
resampled (by overlap) to SIZE x SIZE cells over +-the programme's peak, and the counts
shown as log1p(count) scaled to 0..255 (255 = the densest cell). Memory: one FINE x FINE
int32 histogram per loudness class met (256 kB each; a cell holds up to 2**31 - 1, more
than the 2.07e9 pairs of MAX_DURATION_S at 192 kHz), whatever the length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from zz_core.measure.buffer import SampleBuffer
from zz_core.measure.loudness import (
    ABSOLUTE_GATE_LUFS,
    MOMENTARY_SEGMENTS,
    RELATIVE_GATE_LU,
    loudness_lufs,
)
from zz_core.measure.spectrum import front_pair

SIZE = 64
FINE = 256
_HIGHEST_CLASS = 80  # loudness classes above +80 LUFS are counted with it
_CLASSES = _HIGHEST_CLASS - int(ABSOLUTE_GATE_LUFS) + 1
_FIRST_SCALE = 2.0**-10


@dataclass(frozen=True)
class VectorscopeData:
    """``codes``: uint8 (SIZE x SIZE) bytes, row-major, row 0 at mid = +scale (top),
    column 0 at side = -scale; ``scale``: the linear peak the axes are normalised to."""

    size: int
    scale: float
    codes: bytes


class VectorscopeMeter:
    """Fed each (channels, frames) block with the K-weighted 100 ms mean squares the
    block completed (``loudness.SegmentMeter.feed``), then ``finish(integrated_lufs)``."""

    def __init__(self, segment: int) -> None:
        self._segment = segment
        self._pending = SampleBuffer(2, 4 * segment)  # front pair not yet classified
        self._squares = np.zeros(0)  # segment mean squares from segment ``_first_square``
        self._first_square = 0
        self._segments = 0  # whole segments measured
        self._next = 0  # first segment whose samples are not counted yet
        self._slot = np.full(_CLASSES, -1, dtype=np.int64)  # class -> histogram
        self._counts = np.zeros((0, FINE, FINE), dtype=np.int32)
        self._peaks = np.zeros(0)
        self._scale = _FIRST_SCALE  # a power of two, doubled as louder samples come

    def feed(self, block: np.ndarray, new_squares: np.ndarray) -> None:
        """The next (channels, frames) block and the segment mean squares it completed."""
        self._pending.append(block[:2] if block.shape[0] >= 2 else np.stack(front_pair(block)))
        self._squares = np.concatenate((self._squares, new_squares))
        self._segments += new_squares.size
        # segment s is judged by the block of segments s-1 .. s+2 (centred nearest it)
        self._count_upto(self._segments - (MOMENTARY_SEGMENTS - 2), self._segments)

    def finish(self, integrated_lufs: float) -> VectorscopeData | None:
        """The programme's density; None when nothing is programme (silence)."""
        self._count_upto(self._segments + 1, self._segments, tail=True)
        if not math.isfinite(integrated_lufs):
            return None
        gate = max(ABSOLUTE_GATE_LUFS, integrated_lufs + RELATIVE_GATE_LU)
        classes = np.flatnonzero(self._slot >= 0)
        levels = classes + ABSOLUTE_GATE_LUFS + 0.5  # the class centre, LUFS
        chosen = self._slot[classes[levels > gate]]
        if chosen.size == 0:
            return None
        peak = float(self._peaks[chosen].max())
        if peak <= 0.0:
            return None
        density = _resample(self._counts[chosen].sum(axis=0).astype(float), self._scale,
                            peak)
        shown = np.log1p(density)
        top = float(shown.max())
        codes = np.rint(255.0 * shown / top) if top > 0 else np.zeros_like(shown)
        return VectorscopeData(size=SIZE, scale=round(peak, 6),
                               codes=codes[::-1].astype(np.uint8).tobytes())

    def _count_upto(self, stop: int, blocks_known: int, tail: bool = False) -> None:
        """Count the samples of segments ``_next .. stop - 1`` (with ``tail``, also the
        partial segment after them), each under the class of its momentary block."""
        blocks = blocks_known - MOMENTARY_SEGMENTS + 1
        stop = min(stop, blocks_known + (1 if tail else 0))
        if stop <= self._next or blocks <= 0:
            return
        segment = self._segment
        first_block = np.clip(np.arange(self._next, stop) - 1, 0, blocks - 1)
        offset = first_block - self._first_square
        windows = np.stack([self._squares[offset + k] for k in range(MOMENTARY_SEGMENTS)])
        lufs = loudness_lufs(windows.mean(axis=0))
        classes = np.where(lufs > ABSOLUTE_GATE_LUFS,
                           np.minimum(np.floor(lufs - ABSOLUTE_GATE_LUFS), _CLASSES - 1), -1)
        slots = self._slots(classes.astype(np.int64))
        start = self._next * segment
        end = self._pending.end if tail else stop * segment
        pair = self._pending.view(start, end)
        peaks = np.zeros(-(-pair.shape[1] // segment))
        low = 0  # segment by segment, so the scale each is counted at, and so the counts,
        while low < peaks.size:  # do not depend on where the blocks were cut
            low = _count(pair[0], pair[1], slots, segment, low, self._scale, self._counts,
                         peaks)
            while low < peaks.size and self._scale < peaks[low]:
                self._grow()
        counted = slots[:peaks.size] >= 0
        np.maximum.at(self._peaks, slots[:peaks.size][counted], peaks[counted])
        self._next = stop
        self._pending.drop_before(end)
        keep_from = max(0, min(stop, blocks) - 1)  # the first block still needed
        self._squares = self._squares[keep_from - self._first_square:]
        self._first_square = keep_from

    def _slots(self, classes: np.ndarray) -> np.ndarray:
        """The histogram of each class (-1: below the gate), adding the ones first met."""
        for value in np.unique(classes[classes >= 0]):
            if self._slot[value] < 0:
                self._slot[value] = self._counts.shape[0]
                self._counts = np.concatenate(
                    (self._counts, np.zeros((1, FINE, FINE), dtype=np.int32)))
                self._peaks = np.concatenate((self._peaks, [0.0]))
        return np.where(classes >= 0, self._slot[np.maximum(classes, 0)], -1)

    def _grow(self) -> None:
        """Double the scale: cells 2k and 2k + 1 become cell FINE / 4 + k."""
        count = self._counts.shape[0]
        merged = self._counts.reshape(count, FINE // 2, 2, FINE // 2, 2).sum(axis=(2, 4))
        self._counts = np.zeros_like(self._counts)
        quarter = FINE // 4
        self._counts[:, quarter:quarter + FINE // 2, quarter:quarter + FINE // 2] = merged
        self._scale *= 2.0


@numba.njit(cache=True, nogil=True)
def _count(left: np.ndarray, right: np.ndarray, slots: np.ndarray, segment: int, first: int,
           scale: float, counts: np.ndarray, peaks: np.ndarray) -> int:  # pragma: no cover
    """From segment ``first`` on, note each segment's peak |side| or |mid| (= (|L| + |R|)
    / sqrt 2) in ``peaks`` and add its pairs to the histogram of its class (``slots``,
    -1: skip), whose cells span +-``scale`` (mid rows from the bottom, side columns from
    the left). Stops before the first segment louder than ``scale`` (its peak noted) and
    returns its index; the number of segments when all were counted."""
    fine = counts.shape[1]
    gain = fine / (2.0 * scale) / math.sqrt(2.0)
    offset = fine / 2.0
    for s in range(first, peaks.shape[0]):
        low, high = s * segment, min((s + 1) * segment, left.shape[0])
        peak = np.float32(0.0)
        for i in range(low, high):
            peak = max(peak, abs(left[i]) + abs(right[i]))
        peaks[s] = np.float64(peak) / math.sqrt(2.0)
        if peaks[s] > scale:
            return s
        slot = slots[s]
        if slot < 0:
            continue
        for i in range(low, high):
            a, b = np.float64(left[i]), np.float64(right[i])
            column = int((a - b) * gain + offset)  # the values are >= 0 up to rounding
            row = int((a + b) * gain + offset)
            column = 0 if column < 0 else (fine - 1 if column >= fine else column)
            row = 0 if row < 0 else (fine - 1 if row >= fine else row)
            counts[slot, row, column] += 1
    return peaks.shape[0]


def _resample(counts: np.ndarray, scale: float, peak: float) -> np.ndarray:
    """FINE x FINE counts over +-``scale`` as SIZE x SIZE over +-``peak``, each fine cell
    shared among the coarse cells it overlaps (what falls outside goes to the edge)."""
    weights = _overlap(scale, peak)
    return weights @ counts @ weights.T


def _overlap(scale: float, peak: float) -> np.ndarray:
    """(SIZE, FINE): the share of each fine cell in each coarse cell along one axis."""
    edges = (np.linspace(-scale, scale, FINE + 1) + peak) * (SIZE / (2.0 * peak))
    low, high = np.clip(edges[:-1], 0.0, SIZE), np.clip(edges[1:], 0.0, SIZE)
    coarse = np.arange(SIZE)[:, None]
    share = np.clip(np.minimum(high, coarse + 1.0) - np.maximum(low, coarse), 0.0, None)
    width = high - low
    outside = width <= 0.0  # a fine cell wholly beyond the peak: to the nearest edge
    edge = np.where(low >= SIZE, SIZE - 1, 0)
    share[:, outside] = 0.0
    share[edge[outside], np.flatnonzero(outside)] = 1.0
    return share / np.maximum(share.sum(axis=0, keepdims=True), 1e-300)
