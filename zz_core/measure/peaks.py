"""Peaks and dynamics: sample peak, true peak (ITU-R BS.1770-5 Annex 2), RMS, crest factor,
PLR, PSR and the TT DR value.

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
    block = round(DR_BLOCK_S * sample_rate_hz)
    n_blocks = max(1, math.ceil(channel.shape[0] / block))
    sums, block_peaks, lengths = np.zeros(n_blocks), np.zeros(n_blocks), np.zeros(n_blocks)
    for b in range(n_blocks):
        piece = channel[b * block : (b + 1) * block]
        if piece.size:
            sums[b] = _sum_of_squares(piece)
            block_peaks[b] = float(np.abs(piece).max())
            lengths[b] = piece.size
    return BlockStats(sum_squares=sums, peaks=block_peaks, lengths=lengths)


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
    tp_series = np.max([tp.segment_peaks for tp in per_channel], axis=0)
    tp_max = max(tp.peak for tp in per_channel)
    stats = [block_stats(ch, sample_rate_hz) for ch in samples]
    sample_peak = max(float(st.peaks.max()) for st in stats)
    mean_square = sum(float(st.sum_squares.sum()) for st in stats) / samples.size
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
