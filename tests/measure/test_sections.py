"""Song sections found from the one pass's measurements (``measure.sections``), on songs
assembled by construction with known boundaries and repeats."""

from __future__ import annotations

import numpy as np
import pytest

from tests import songs
from tests.mixes import RATE, clean_mixdown
from tests.music import render_song
from zz_core.measure import rhythm
from zz_core.measure.passes import Measurements, array_blocks, measure_blocks
from zz_core.measure.sections import FoundSection, find_sections, novelty

BRIDGE_PLAN = (("intro", 8.0), ("verse", 16.0), ("chorus", 16.0), ("bridge", 12.0),
               ("chorus", 16.0), ("outro", 8.0))


def _measured(audio: np.ndarray) -> Measurements:
    return measure_blocks(array_blocks(audio), RATE, audio.shape[0], merge_gap_s=0.5,
                          points=200, expected_frames=audio.shape[1], exact=True)


def _sections(audio: np.ndarray) -> list[FoundSection]:
    measured = _measured(audio)
    tempo = rhythm.estimate_tempo(measured.music)
    return find_sections(measured.music, measured.segments,
                         measured.segment / measured.sample_rate_hz,
                         measured.spectral_frames, tempo.beat_times_s, measured.duration_s)


@pytest.fixture(scope="module")
def found() -> list[tuple[songs.Song, list[FoundSection]]]:
    built = [songs.pop_song(), songs.assemble(BRIDGE_PLAN)]
    return [(song, _sections(song.audio)) for song in built]


def _hits(truth: tuple[float, ...], sections: list[FoundSection]) -> int:
    starts = np.array([s.start_s for s in sections[1:]])
    return sum(1 for t in truth if starts.size and np.min(np.abs(starts - t)) <= 1.0)


def test_boundaries_within_one_second(found):
    truth = sum(len(song.boundaries_s) for song, _ in found)
    hits = sum(_hits(song.boundaries_s, sections) for song, sections in found)
    extra = sum(len(sections) - 1 for _, sections in found) - hits
    assert hits >= 0.9 * truth, [(s.start_s, s.label) for _, ss in found for s in ss]
    assert extra <= 0.1 * truth  # no invented boundaries either


def _label_at(sections: list[FoundSection], time_s: float) -> str:
    return next(s.label for s in sections if s.start_s <= time_s < s.end_s)


def test_repeated_parts_share_a_label(found):
    for song, sections in found:
        labels: dict[str, set[str]] = {}
        for name, start, end in zip(song.parts, song.starts_s,
                                    (*song.starts_s[1:], song.duration_s), strict=True):
            labels.setdefault(name, set()).add(_label_at(sections, (start + end) / 2))
        assert all(len(found_labels) == 1 for found_labels in labels.values()), labels
        distinct = [next(iter(v)) for v in labels.values()]
        assert len(set(distinct)) == len(distinct), labels  # different parts differ


def test_letters_in_order_of_appearance_and_kinds(found):
    song, sections = found[0]
    assert [s.label for s in sections] == ["A", "B", "C", "B", "C", "D"]
    kinds = [s.kind for s in sections]
    assert kinds[0] == "intro" and kinds[-1] == "outro"
    assert kinds[2] == kinds[4] == "chorus" and kinds[1] == kinds[3] == "verse"
    assert all(0.0 <= s.confidence <= 1.0 for s in sections)
    assert sections[0].start_s == 0.0 and sections[-1].end_s == pytest.approx(song.duration_s)
    bridge = found[1][1]
    assert [s.kind for s in bridge][3] in ("bridge", "breakdown")


@pytest.mark.parametrize("make", [
    lambda: clean_mixdown(40.0),
    lambda: render_song("A", "minor", ["i", "VI", "III", "VII"], seconds=48.0, bpm=120.0,
                        rate=RATE, drums=True),
])
def test_one_texture_is_one_section(make):
    sections = _sections(make())
    assert len(sections) == 1
    assert sections[0].label == "A" and sections[0].kind is None


@pytest.mark.parametrize("audio", [
    np.zeros((2, 40 * RATE), dtype=np.float32),
    (0.1 * np.random.default_rng(1).standard_normal((2, 5 * RATE))).astype(np.float32),
    (0.1 * np.random.default_rng(1).standard_normal((1, 3 * RATE))).astype(np.float32),
])
def test_silence_and_short_files_have_no_sections(audio):
    assert _sections(audio) == []


def test_no_length_no_sections():
    measured = _measured(np.zeros((2, RATE), dtype=np.float32))
    assert find_sections(measured.music, measured.segments, 0.1, measured.spectral_frames,
                         [], 0.0) == []


def test_novelty_is_the_distance_of_the_window_means():
    steps = np.zeros((64, 3))
    steps[32:, 0] = 2.0
    curve = novelty(steps, window=16)
    assert int(np.argmax(curve)) == 32
    assert curve[32] == pytest.approx(4.0)
    assert curve[:8].max() == 0.0  # too close to the start to judge
