"""Peaks and dynamics: sample peak, true peak (ITU-R BS.1770-5 Annex 2), RMS, crest factor,
PLR, PSR and the TT DR value; per channel, the DC offset, the clipped runs and the samples
above full scale.

True peak itself is computed in ``zz_core.measure.truepeak``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from zz_core.measure.loudness import segment_length as loudness_segment
from zz_core.measure.series import TimeSeries, finite_or_none, series, to_db
from zz_core.measure.truepeak import ChannelTruePeak, channel_true_peak

DR_BLOCK_S = 3.0
DR_TOP_FRACTION = 0.2
CLIP_LEVEL = 0.999  # -0.009 dBFS: a sample this close to full scale counts as "at the rail"
CLIP_MIN_RUN = 3  # consecutive samples at the rail = flat-topped wave, i.e. clipped
FIRST_RUNS_KEPT = 5
CHANNEL_NAMES = ("left", "right")


class PeakResult(BaseModel):
    """Peak and dynamics figures; dB values are None where the audio is silent."""

    model_config = ConfigDict(frozen=True)

    sample_peak_dbfs: float | None
    true_peak_dbtp: float | None
    true_peak_per_channel_dbtp: list[float | None]
    oversampling: int  # the fine factor the headline figure is read at
    rms_dbfs: float | None
    crest_db: float | None
    dr: int | None
    dr_per_channel: list[float | None]
    true_peak_dbtp_series: TimeSeries  # max true peak of each 100 ms segment


def true_peak_dbtp(samples: np.ndarray, sample_rate_hz: int) -> float:
    """Maximum true peak over all channels of (channels, frames) audio, dBTP."""
    segment = loudness_segment(sample_rate_hz)
    peak = max(channel_true_peak(ch, sample_rate_hz, segment).peak for ch in samples)
    return float(to_db(peak, power=False))


@dataclass(frozen=True)
class BlockStats:
    """Sum of squares and peak of each DR_BLOCK_S block of one channel."""

    sum_squares: np.ndarray
    peaks: np.ndarray
    lengths: np.ndarray


def block_stats(channel: np.ndarray, sample_rate_hz: int) -> BlockStats:
    """One pass over a channel: what DR, RMS and sample peak are all built from."""
    meter = BlockStatsMeter(sample_rate_hz)
    meter.feed(channel)
    return meter.finish()


class BlockStatsMeter:
    """``block_stats`` of one channel fed in pieces of any length: a DR_BLOCK_S block
    cut by a piece edge is gathered first, then measured as one."""

    def __init__(self, sample_rate_hz: int) -> None:
        self._block = round(DR_BLOCK_S * sample_rate_hz)
        self._stage = np.empty(self._block, dtype=np.float32)
        self._filled = 0
        self._stats: list[tuple[float, float, int]] = []

    def feed(self, channel: np.ndarray) -> None:
        """The next samples of the channel (1-D float32)."""
        pos, size, block = 0, channel.shape[0], self._block
        while pos < size:
            if self._filled == 0 and size - pos >= block:
                self._measure(channel[pos:pos + block])
                pos += block
                continue
            take = min(block - self._filled, size - pos)
            self._stage[self._filled:self._filled + take] = channel[pos:pos + take]
            self._filled += take
            pos += take
            if self._filled == block:
                self._measure(self._stage)
                self._filled = 0

    def finish(self) -> BlockStats:
        """The statistics of every block, the last one partial (one empty block when
        nothing was fed)."""
        if self._filled:
            self._measure(self._stage[:self._filled])
            self._filled = 0
        rows = np.array(self._stats or [(0.0, 0.0, 0)], dtype=np.float64).reshape(-1, 3)
        return BlockStats(sum_squares=rows[:, 0].copy(), peaks=rows[:, 1].copy(),
                          lengths=rows[:, 2].copy())

    def _measure(self, piece: np.ndarray) -> None:
        self._stats.append((_sum_of_squares(piece), float(np.abs(piece).max()), piece.size))


def dr_value(channel: np.ndarray, sample_rate_hz: int) -> float:
    """TT DR of one channel (Algorithmix "Measuring DR" v1.3), dB; NaN when silent."""
    return dr_from_stats(block_stats(channel, sample_rate_hz))


def dr_from_stats(stats: BlockStats) -> float:
    """TT DR from 3 s block statistics: block RMS = sqrt(2 sum x^2 / n); DR = -20 log10(
    sqrt(mean of the loudest 20 % block RMS^2) / second-largest block peak)."""
    valid = stats.lengths > 0
    rms_sq = 2.0 * stats.sum_squares[valid] / stats.lengths[valid]
    block_peaks = stats.peaks[valid]
    if rms_sq.size == 0:
        return math.nan
    loudest = np.sort(rms_sq)[::-1][: max(1, round(rms_sq.size * DR_TOP_FRACTION))]
    peak = np.sort(block_peaks)[-2] if block_peaks.size > 1 else block_peaks[0]
    top_rms = math.sqrt(loudest.mean())
    if top_rms == 0.0 or peak == 0.0:
        return math.nan
    return -20.0 * math.log10(top_rms / peak)


def measure_peaks(
    samples: np.ndarray,
    sample_rate_hz: int,
    segment: int,
    true_peaks: Sequence[ChannelTruePeak] | None = None,
) -> PeakResult:
    """Peak and dynamics figures of (channels, frames) audio.

    ``segment`` is the length in samples of the true-peak series steps (the loudness
    module's 100 ms segment, so PSR can be formed step by step). ``true_peaks`` are the
    channels' true peaks when already computed (the analysis runs them on worker threads).
    """
    per_channel = list(true_peaks) if true_peaks is not None else [
        channel_true_peak(ch, sample_rate_hz, segment) for ch in samples]
    stats = [block_stats(ch, sample_rate_hz) for ch in samples]
    return peak_result(per_channel, stats, sample_rate_hz, segment)


def peak_result(true_peaks: Sequence[ChannelTruePeak], stats: Sequence[BlockStats],
                sample_rate_hz: int, segment: int) -> PeakResult:
    """The peak and dynamics figures from each channel's true peak and DR block
    statistics (see ``measure_peaks``)."""
    per_channel = list(true_peaks)
    tp_series = np.max([tp.segment_peaks for tp in per_channel], axis=0)
    tp_max = max(tp.peak for tp in per_channel)
    sample_peak = max(float(st.peaks.max()) for st in stats)
    samples = round(sum(float(st.lengths.sum()) for st in stats))
    mean_square = sum(float(st.sum_squares.sum()) for st in stats) / samples
    rms = float(to_db(mean_square, power=True))
    dr_channels = [dr_from_stats(st) for st in stats]
    dr = math.nan if all(math.isnan(v) for v in dr_channels) else float(np.nanmean(dr_channels))
    silent = sample_peak == 0.0
    sample_peak_db = float(to_db(sample_peak, power=False))
    return PeakResult(
        sample_peak_dbfs=None if silent else round(sample_peak_db, 2),
        true_peak_dbtp=None if silent else round(float(to_db(tp_max, power=False)), 2),
        true_peak_per_channel_dbtp=[
            None if silent else round(float(to_db(tp.peak, power=False)), 2)
            for tp in per_channel
        ],
        oversampling=per_channel[0].fine_factor,
        rms_dbfs=None if silent else round(rms, 2),
        crest_db=None if silent else round(sample_peak_db - rms, 2),
        dr=None if math.isnan(dr) else round(dr),
        dr_per_channel=[finite_or_none(v, 1) for v in dr_channels],
        true_peak_dbtp_series=series(to_db(tp_series, power=False), start_s=0.0,
                                     hop_s=segment / sample_rate_hz),
    )


def _sum_of_squares(x: np.ndarray) -> float:
    """Sum of x^2 accumulated in float64 without a float64 copy of x."""
    return float(np.einsum("i,i->", x, x, dtype=np.float64))


class DynamicsResult(BaseModel):
    """Peak-to-loudness ratios (dB): PLR = max true peak - integrated loudness;
    PSR = true peak - short-term loudness over the same 3 s window, as a series.

    ``psr_db`` is the PSR at the loudest short-term moment (the figure a mastering
    engineer reads for the drop or chorus); ``psr_min_db`` the most squashed moment.
    """

    model_config = ConfigDict(frozen=True)

    plr_db: float | None
    psr_db: float | None
    psr_min_db: float | None
    psr_db_series: TimeSeries


def measure_dynamics(
    true_peak_segments_dbtp: np.ndarray,
    short_term_lufs: np.ndarray,
    integrated_lufs: float | None,
    window_segments: int,
    segment_s: float,
) -> DynamicsResult:
    """PLR and PSR from per-segment true peaks and the short-term loudness series.

    ``short_term_lufs[k]`` covers segments k .. k + window_segments - 1.
    """
    tp = np.asarray(true_peak_segments_dbtp, dtype=float)
    st = np.asarray(short_term_lufs, dtype=float)
    count = min(st.size, max(0, tp.size - window_segments + 1))
    window_peaks = (
        np.lib.stride_tricks.sliding_window_view(tp, window_segments)[:count].max(axis=1)
        if count else np.empty(0)
    )
    audible = st[:count] > -70.0
    psr = np.where(audible, window_peaks - st[:count], np.nan)
    plr = tp.max() - integrated_lufs if integrated_lufs is not None and tp.size else math.nan
    loudest = int(np.argmax(np.where(audible, st[:count], -np.inf))) if audible.any() else -1
    return DynamicsResult(
        plr_db=finite_or_none(plr),
        psr_db=finite_or_none(psr[loudest]) if loudest >= 0 else None,
        psr_min_db=finite_or_none(float(np.nanmin(psr))) if audible.any() else None,
        psr_db_series=series(np.nan_to_num(psr, nan=0.0), start_s=window_segments * segment_s,
                             hop_s=segment_s),
    )


# --------------------------------------------------------------------------- per channel


def clipped_runs(channel: np.ndarray, sample_rate_hz: int,
                 chunk: int = 1 << 20) -> list[tuple[float, float]]:
    """Start and end times (s) of runs of at least CLIP_MIN_RUN samples at full scale
    (magnitude >= CLIP_LEVEL, overs included), read ``chunk`` samples at a time."""
    finder = ClippedRuns(sample_rate_hz)
    for first in range(0, channel.shape[0], chunk):
        finder.feed(channel[first:first + chunk])
    return finder.finish()


class ClippedRuns:
    """``clipped_runs`` of one channel fed in pieces: a run still at the rail at the end
    of a piece stays open until a later piece (or the end) closes it."""

    def __init__(self, sample_rate_hz: int) -> None:
        self._rate = sample_rate_hz
        self._position = 0  # samples fed so far
        self._open: int | None = None  # where the run at the rail at the end began
        self._runs: list[tuple[float, float]] = []

    def feed(self, channel: np.ndarray) -> None:
        """The next samples of the channel (1-D)."""
        first, size = self._position, channel.shape[0]
        self._position += size
        if size == 0:
            return
        at_rail = np.abs(channel) >= CLIP_LEVEL
        if not at_rail.any():
            if self._open is not None:
                self._close(self._open, first)
                self._open = None
            return
        edges = np.diff(np.concatenate(([int(self._open is not None)],
                                        at_rail.astype(np.int8), [0])))
        starts = (np.flatnonzero(edges == 1) + first).tolist()
        ends = (np.flatnonzero(edges == -1) + first).tolist()
        if self._open is not None:
            starts.insert(0, self._open)
        self._open = None
        if at_rail[-1]:  # the last run goes on into the next piece
            self._open = starts.pop()
            ends.pop()
        for start, end in zip(starts, ends, strict=True):
            self._close(start, end)

    def finish(self) -> list[tuple[float, float]]:
        """The runs, (start, end) in seconds, in order."""
        if self._open is not None:
            self._close(self._open, self._position)
            self._open = None
        return list(self._runs)

    def _close(self, start: int, end: int) -> None:
        if end - start >= CLIP_MIN_RUN:  # numpy floats: they round (``round(t, 3)``) as before
            self._runs.append((np.int64(start) / self._rate, np.int64(end) / self._rate))


@dataclass(frozen=True)
class OverStretch:
    """Samples above full scale (any channel) close together: from the first one's start
    to the last one's end (seconds), and how many sample instants hold one."""

    start_s: float
    end_s: float
    count: int


class OverStretches:
    """Where samples lie above full scale (magnitude > 1.0 on any channel), as stretches:
    instants closer than ``merge_gap_s`` (from one's end to the next's start) join one
    stretch. Fed (channels, frames) blocks in order; memory grows with the stretches,
    never with the overs."""

    def __init__(self, sample_rate_hz: int, merge_gap_s: float) -> None:
        self._rate, self._gap = sample_rate_hz, merge_gap_s
        self._position = 0
        self._current: list[float] | None = None  # start_s, end_s, count
        self._done: list[OverStretch] = []

    def feed(self, block: np.ndarray) -> None:
        """The next (channels, frames) block."""
        first = self._position
        self._position += block.shape[1]
        over = np.logical_or.reduce((block > 1.0) | (block < -1.0), axis=0)
        index = np.flatnonzero(over)
        if index.size == 0:
            return
        index = index + first
        starts, ends = index / self._rate, (index + 1) / self._rate
        breaks = np.flatnonzero(starts[1:] - ends[:-1] >= self._gap) + 1
        if self._current is not None and starts[0] - self._current[1] < self._gap:
            head = self._current
        else:
            if self._current is not None:
                self._done.append(_over_stretch(self._current))
            head = [float(starts[0]), 0.0, 0]
        firsts = np.concatenate(([0], breaks))
        lasts = np.concatenate((breaks, [index.size])) - 1
        for number, (a, b) in enumerate(zip(firsts, lasts, strict=True)):
            stretch = head if number == 0 else [float(starts[a]), 0.0, 0]
            stretch[1] = float(ends[b])
            stretch[2] += int(b - a + 1)
            if number + 1 < firsts.size:
                self._done.append(_over_stretch(stretch))
            else:
                self._current = stretch

    def finish(self) -> list[OverStretch]:
        """Every stretch, in order."""
        if self._current is not None:
            self._done.append(_over_stretch(self._current))
            self._current = None
        return list(self._done)


def _over_stretch(values: list[float]) -> OverStretch:
    return OverStretch(start_s=values[0], end_s=values[1], count=int(values[2]))


class ChannelPeaks(BaseModel):
    """One channel's DC offset, clipped runs and samples above full scale.

    ``dc_offset`` is the mean sample value (full scale = 1.0, signed) and
    ``dc_offset_dbfs`` its magnitude in dBFS (None for none at all); ``clipped_runs``
    counts the runs of CLIP_MIN_RUN or more samples at full scale (``first_clips_s``:
    where the first few start, seconds); ``overs`` the samples whose magnitude is above
    1.0 (kept by decoding: lossy codecs and float files can hold them)."""

    model_config = ConfigDict(frozen=True)

    channel: int
    name: str
    dc_offset: float
    dc_offset_dbfs: float | None
    clipped_runs: int
    clipped_samples: int
    first_clips_s: list[float]
    overs: int
    sample_peak_dbfs: float | None


def channel_name(index: int, channels: int) -> str:
    """"left"/"right" for stereo (and the front pair), "mono", else "channel N"."""
    if channels == 1:
        return "mono"
    return CHANNEL_NAMES[index] if index < len(CHANNEL_NAMES) else f"channel {index + 1}"


def channel_peaks(samples: np.ndarray, sample_rate_hz: int,
                  runs: Sequence[Sequence[tuple[float, float]]] | None = None
                  ) -> list[ChannelPeaks]:
    """Per-channel DC offset, clipped runs (``runs``: ``clipped_runs`` of each channel
    when already found) and samples above full scale of (channels, frames) audio."""
    runs = runs if runs is not None else [clipped_runs(ch, sample_rate_hz) for ch in samples]
    meters = [ChannelMeter() for _ in samples]
    for meter, channel in zip(meters, samples, strict=True):
        meter.feed(channel)
    return [meter.finish(index, samples.shape[0], sample_rate_hz, runs[index])
            for index, meter in enumerate(meters)]


class ChannelMeter:
    """One channel's DC offset (mean), peak and samples above full scale, fed in pieces.

    The mean is summed in float64 over consecutive 8192-sample stretches, the way numpy's
    ``mean(dtype=float64)`` sums a float32 array (its buffer), so it is the same value to
    the last bit however the channel is cut."""

    STRETCH = 8192

    def __init__(self) -> None:
        self._total = 0.0
        self._count = 0
        self._stage = np.empty(self.STRETCH, dtype=np.float32)
        self._staged = 0
        self._high = -math.inf
        self._low = math.inf
        self._overs = 0

    def feed(self, channel: np.ndarray) -> None:
        """The next samples of the channel (1-D float32)."""
        size = channel.shape[0]
        if size == 0:
            return
        self._count += size
        self._high = max(self._high, float(channel.max()))
        self._low = min(self._low, float(channel.min()))
        if self._high > 1.0 or self._low < -1.0:
            self._overs += (int(np.count_nonzero(channel > 1.0))
                            + int(np.count_nonzero(channel < -1.0)))
        pos = 0
        if self._staged:
            pos = min(size, self.STRETCH - self._staged)
            self._stage[self._staged:self._staged + pos] = channel[:pos]
            self._staged += pos
            if self._staged < self.STRETCH:
                return
            self._total += float(np.sum(self._stage, dtype=np.float64))
            self._staged = 0
        whole = pos + (size - pos) // self.STRETCH * self.STRETCH
        for start in range(pos, whole, self.STRETCH):
            self._total += float(np.sum(channel[start:start + self.STRETCH], dtype=np.float64))
        rest = size - whole
        self._stage[:rest] = channel[whole:]
        self._staged = rest

    def finish(self, index: int, channels: int, sample_rate_hz: int,
               runs: Sequence[tuple[float, float]]) -> ChannelPeaks:
        """The channel's figures, with its clipped ``runs`` (seconds)."""
        total = self._total
        if self._staged:
            total += float(np.sum(self._stage[:self._staged], dtype=np.float64))
        mean = total / self._count if self._count else 0.0
        peak = max(self._high, -self._low) if self._count else 0.0
        return ChannelPeaks(
            channel=index, name=channel_name(index, channels),
            dc_offset=round(mean, 7),
            dc_offset_dbfs=round(20 * math.log10(abs(mean)), 1) if mean != 0.0 else None,
            clipped_runs=len(runs),
            clipped_samples=int(sum(round((e - b) * sample_rate_hz) for b, e in runs)),
            first_clips_s=[round(b, 3) for b, _ in runs[:FIRST_RUNS_KEPT]],
            overs=self._overs,
            sample_peak_dbfs=round(20 * math.log10(peak), 2) if peak > 0 else None,
        )
