"""The programme gate: silence, fades, reverb tails and the ring-out into a break are not
programme; quiet music played steadily is."""

from __future__ import annotations

import numpy as np

from zz_core.judge.gating import ProgrammeGate, decisive_spans, programme_gate
from zz_core.judge.thresholds import judging_table
from zz_core.measure.series import TimeSeries

HOP = 0.1


def _momentary(levels: np.ndarray) -> TimeSeries:
    return TimeSeries(start_s=0.4, hop_s=HOP, values=[float(v) for v in levels])


def _gate(levels: np.ndarray, integrated: float | None = -10.0) -> ProgrammeGate:
    return programme_gate(_momentary(levels), integrated, judging_table().gate)


def test_music_then_a_reverb_tail_then_silence() -> None:
    music = -10.0 + np.random.default_rng(1).uniform(-1.5, 1.5, 200)  # 20 s of music
    tail = -10.0 - 15.0 * np.arange(1, 41) * HOP  # a tail decaying 15 dB/s for 4 s
    silence = np.full(20, -120.0)
    gate = _gate(np.concatenate([music, tail, silence]))
    assert gate.keep[:200].all()
    assert not gate.keep[204:].any()  # 0.4 s into the tail it is no longer programme
    assert gate.keep[200:204].sum() <= 4


def test_quiet_music_played_steadily_is_programme() -> None:
    levels = np.concatenate([np.full(100, -28.0), np.full(100, -8.0)])  # pp, then ff
    gate = _gate(levels, integrated=-11.0)
    assert gate.keep.all()  # -28 is 17 LU below the integrated loudness: still programme


def test_far_below_the_programme_is_not() -> None:
    gate = _gate(np.concatenate([np.full(50, -35.0), np.full(100, -8.0)]), integrated=-9.0)
    assert not gate.keep[:50].any() and gate.keep[50:].all()


def test_a_step_down_is_held_out_only_briefly() -> None:
    gate = _gate(np.concatenate([np.full(50, -8.0), np.full(50, -17.0)]))
    assert not gate.keep[50:58].any() and gate.keep[62:].all()


def test_a_silent_track_has_no_programme() -> None:
    assert not _gate(np.full(30, -120.0), integrated=None).keep.any()


def test_longer_windows_need_half_their_blocks_programme() -> None:
    keep = np.zeros(100, dtype=bool)
    keep[:60] = True
    gate = ProgrammeGate(start_s=0.4, hop_s=HOP, keep=keep)
    ends = np.array([3.0, 7.5, 8.0, 9.0])
    assert gate.windows(ends, 3.0).tolist() == [True, True, False, False]
    assert gate.windows(np.array([1.0, 7.0]), 0.4).tolist() == [True, False]


def test_decisive_spans_need_enough_programme_and_take_their_worst_from_it() -> None:
    values = np.full(100, 0.5)
    values[10:40] = -0.6  # 3 s below the limit, all programme
    values[60:95] = -0.9  # 3.5 s below, but only 0.5 s of it programme
    programme = np.ones(100, dtype=bool)
    programme[65:95] = False
    ends = 0.4 + HOP * np.arange(100)
    found = decisive_spans(values, values < -0.2, programme, end_times_s=ends, window_s=0.4,
                           hop_s=HOP, lower_is_worse=True, min_programme_s=1.0)
    assert len(found) == 1
    assert found[0].worst == -0.6 and found[0].programme_s == 3.0
    assert (found[0].start_s, found[0].end_s) == (1.0, 4.3)
