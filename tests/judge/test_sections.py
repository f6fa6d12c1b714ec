"""Sections judged one by one and matched against a reference (``judge.sections``)."""

from __future__ import annotations

import numpy as np
import pytest

from tests import songs
from tests.mixes import analysed
from zz_core.judge.models import AnalysisResult
from zz_core.judge.pipeline import with_reference

CHORUSES = ((24.0, 40.0), (56.0, 72.0))


@pytest.fixture(scope="module")
def song() -> songs.Song:
    return songs.pop_song()


@pytest.fixture(scope="module")
def track(song) -> AnalysisResult:
    return analysed(song.audio, genre="pop", name="song.wav")


def test_sections_in_the_result_and_its_json(track):
    assert [s.label for s in track.sections] == ["A", "B", "C", "B", "C", "D"]
    data = track.model_dump(mode="json")["sections"][2]
    assert {"start_s", "end_s", "label", "kind", "confidence", "loudness_lufs", "psr_db",
            "width", "bands", "issue_codes"} <= set(data)
    assert data["kind"] == "chorus"
    again = AnalysisResult.model_validate_json(track.model_dump_json())
    assert again.sections == track.sections
    old = track.model_dump(mode="json")
    del old["sections"]
    assert AnalysisResult.model_validate(old).sections == []


def test_section_figures(track):
    intro, verse, chorus = track.sections[:3]
    assert chorus.loudness_lufs > verse.loudness_lufs + 3.0 > intro.loudness_lufs + 3.0
    assert all(s.psr_db is not None and 3.0 < s.psr_db < 25.0 for s in track.sections)
    assert chorus.width == pytest.approx(0.0, abs=0.01)  # the song is mono in stereo
    assert chorus.correlation == pytest.approx(1.0, abs=0.01)
    assert set(chorus.bands) == set(chorus.band_levels_db) and chorus.bands["low"] is not None
    codes = {issue.code for issue in track.issues}
    assert all(set(s.issue_codes) <= codes for s in track.sections)
    assert all(s.tempo_bpm == track.tempo.bpm for s in track.sections)


def test_an_issue_is_located_in_its_section(song):
    loud = song.audio.copy()
    loud[:, 26 * songs.RATE:27 * songs.RATE] *= 8.0  # clips inside the first chorus
    result = analysed(np.clip(loud, -1.0, 1.0), genre="pop")
    chorus = next(s for s in result.sections if s.start_s <= 26.5 < s.end_s)
    verse = result.sections[1]
    assert "clipping" in chorus.issue_codes and "clipping" not in verse.issue_codes


def test_the_reference_chorus_that_differs_is_named(song, track):
    brighter = song.audio
    for start, end in CHORUSES:
        brighter = songs.shelved(brighter, start, end, 4.0)
    reference = analysed(brighter, genre="pop", name="ref.wav")
    comparison = with_reference(track, reference).comparison
    assert comparison is not None
    worst = max(comparison.sections, key=lambda d: d.score)
    assert worst.track.kind == worst.reference.kind == "chorus"
    assert worst.bands_db["high"] == pytest.approx(-4.0, abs=0.5)
    assert worst.bands_db["air"] == pytest.approx(-4.0, abs=0.5)
    assert all(d.score < 1.0 for d in comparison.sections if d.track.kind != "chorus")
    assert comparison.section_note is not None
    assert comparison.section_note.startswith("The chorus at 0:24.0 differs most")
    assert "Presence 4-8 kHz -4.0 dB" in comparison.section_note


def test_electronic_music_has_a_drop(song):
    result = analysed(song.audio, genre="electronic")
    assert "drop" in {s.kind for s in result.sections}
    assert "chorus" not in {s.kind for s in result.sections}


def test_silence_and_short_files_give_no_sections():
    assert analysed(np.zeros((2, 30 * songs.RATE), dtype=np.float32)).sections == []
    short = 0.1 * np.random.default_rng(2).standard_normal((2, 4 * songs.RATE))
    assert analysed(short.astype(np.float32)).sections == []
