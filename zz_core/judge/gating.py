"""Which stretches of a track are programme, so that fades, reverb tails, the ring-out
into a break and silence never decide a windowed verdict.

A momentary-loudness block (BS.1770, 400 ms every 100 ms) is programme when it is above
the absolute gate (-70 LUFS), no more than ``gate.relative_lu`` below the integrated
loudness (the EBU Tech 3342 relative gate), and no more than ``gate.drop_lu`` below the
loudest block of the preceding ``gate.drop_hold_s`` (a level falling that fast is a
decay, not music being played). The numbers live in ``data/judging.yaml``.

``ProgrammeGate`` answers for any window (a correlation window, a PSR window, a spectrum
frame, a 10 s localisation window), and ``decisive_spans`` turns a per-window test into
the stretches that may decide a verdict, worst first. Every windowed detector uses these
two; so do the verdicts computed from a stored result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zz_core.judge.thresholds import GateRules
from zz_core.measure.series import TimeSeries

BLOCK_S = 0.4
"""Length of a momentary-loudness block (s)."""


@dataclass(frozen=True)
class ProgrammeGate:
    """Programme flags of the momentary blocks; block i is the 400 ms ending at
    ``start_s + i * hop_s``."""

    start_s: float
    hop_s: float
    keep: np.ndarray  # bool per momentary block
    min_share: float = 0.5

    @property
    def centres_s(self) -> np.ndarray:
        return self.start_s - BLOCK_S / 2 + self.hop_s * np.arange(self.keep.size)

    def windows(self, end_times_s: np.ndarray, length_s: float) -> np.ndarray:
        """For each window [t - length_s, t]: True when it is programme. A window no
        longer than a block takes the block whose centre is nearest its own; a longer one
        is programme when at least ``min_share`` of the blocks centred inside it are."""
        ends = np.asarray(end_times_s, dtype=float)
        if self.keep.size == 0 or ends.size == 0:
            return np.zeros(ends.shape, dtype=bool)
        first_centre = self.start_s - BLOCK_S / 2
        if length_s <= BLOCK_S + 1e-9:
            index = np.rint((ends - length_s / 2 - first_centre) / self.hop_s).astype(int)
            return self.keep[np.clip(index, 0, self.keep.size - 1)]
        low = np.ceil((ends - length_s - first_centre) / self.hop_s - 1e-9).astype(int)
        high = np.floor((ends - first_centre) / self.hop_s + 1e-9).astype(int)
        low = np.clip(low, 0, self.keep.size)
        high = np.clip(high + 1, 0, self.keep.size)
        counts = np.concatenate(([0], np.cumsum(self.keep, dtype=np.int64)))
        inside = np.maximum(high - low, 0)
        kept = counts[high] - counts[np.minimum(low, high)]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(inside > 0, kept / np.maximum(inside, 1), 0.0)
        return share >= self.min_share

    def frames(self, starts_s: np.ndarray, length_s: float) -> np.ndarray:
        """For windows given by their start times (spectrum frames): True when programme."""
        return self.windows(np.asarray(starts_s, dtype=float) + length_s, length_s)


def programme_gate(momentary: TimeSeries, integrated_lufs: float | None,
                   rules: GateRules) -> ProgrammeGate:
    """The programme flags of a track's momentary loudness series (LUFS). Without an
    integrated loudness (silence) nothing is programme."""
    levels = np.nan_to_num(momentary.as_array(), nan=-np.inf)
    if integrated_lufs is None or levels.size == 0:
        return ProgrammeGate(momentary.start_s, momentary.hop_s,
                             np.zeros(levels.size, dtype=bool), rules.min_programme_share)
    floor = max(rules.absolute_lufs, integrated_lufs - rules.relative_lu)
    hold = max(1, round(rules.drop_hold_s / momentary.hop_s))
    padded = np.concatenate((np.full(hold, -np.inf), levels))
    recent = np.lib.stride_tricks.sliding_window_view(padded, hold + 1).max(axis=1)
    keep = (levels > floor) & (levels >= recent - rules.drop_lu)
    return ProgrammeGate(momentary.start_s, momentary.hop_s, keep, rules.min_programme_share)


@dataclass(frozen=True)
class Stretch:
    """A stretch of windows that fail a test: its bounds (s), the worst value among its
    programme windows and how much programme (s) it holds."""

    start_s: float
    end_s: float
    worst: float
    programme_s: float


def decisive_spans(values: np.ndarray, failing: np.ndarray, programme: np.ndarray, *,
                   end_times_s: np.ndarray, window_s: float, hop_s: float,
                   lower_is_worse: bool, min_programme_s: float,
                   merge_gap_s: float = 0.5) -> list[Stretch]:
    """The stretches that may decide a windowed verdict, worst first.

    Consecutive failing windows (gaps shorter than ``merge_gap_s`` bridged) form a
    stretch; only its programme windows count: its bounds are trimmed to them, its worst
    value is taken among them, and it decides only with at least ``min_programme_s`` of
    them (``hop_s`` each)."""
    values = np.asarray(values, dtype=float)
    failing = np.asarray(failing, dtype=bool) & ~np.isnan(values)
    programme = np.asarray(programme, dtype=bool)
    ends = np.asarray(end_times_s, dtype=float)
    indices = np.flatnonzero(failing)
    if indices.size == 0:
        return []
    groups: list[list[int]] = [[int(indices[0])]]
    for index in indices[1:]:
        if (index - groups[-1][-1]) * hop_s - hop_s < merge_gap_s:
            groups[-1].append(int(index))
        else:
            groups.append([int(index)])
    stretches = []
    for group in groups:
        decisive = [i for i in group if programme[i]]
        if len(decisive) * hop_s + 1e-9 < min_programme_s:
            continue
        chosen = values[decisive]
        worst = float(chosen.min() if lower_is_worse else chosen.max())
        stretches.append(Stretch(
            start_s=round(max(0.0, float(ends[decisive[0]]) - window_s), 3),
            end_s=round(float(ends[decisive[-1]]), 3), worst=worst,
            programme_s=round(len(decisive) * hop_s, 3)))
    return sorted(stretches, key=lambda s: (s.worst if lower_is_worse else -s.worst,
                                            s.start_s))
