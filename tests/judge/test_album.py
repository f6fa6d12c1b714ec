"""Cohesion of several tracks, on real analyses of synthesized mixes and songs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mixes import RATE, analysed, at_loudness, clean_mixdown, equalised
from tests.music import render_song
from zz_core.judge.album import (
    LOUDNESS_OUTLIER_LU,
    CohesionSummary,
    camelot_compatible,
    cohesion_summary,
    region_label,
)
from zz_core.judge.models import AnalysisResult

SONG_RATE = 22050


def analyse(samples: np.ndarray, rate: int = RATE) -> AnalysisResult:
    return analysed(samples, rate=rate)


@pytest.fixture(scope="module")
def even() -> list[AnalysisResult]:
    """Three clean mixdowns at -18 LUFS."""
    return [analyse(clean_mixdown(10.0, seed=seed)) for seed in (0, 1, 2)]


@pytest.fixture(scope="module")
def one_louder(even: list[AnalysisResult]) -> CohesionSummary:
    loud = analyse(at_loudness(clean_mixdown(10.0, seed=2), -14.0))
    return cohesion_summary([("Track 1", even[0]), ("Track 2", even[1]), ("Track 3", loud)])


@pytest.fixture(scope="module")
def one_bassier(even: list[AnalysisResult]) -> CohesionSummary:
    boosted = at_loudness(equalised(clean_mixdown(10.0, seed=2), 50.0, 140.0, 5.0), -18.0)
    return cohesion_summary([("Track 1", even[0]), ("Track 2", analyse(boosted)),
                             ("Track 3", even[1])])


@pytest.fixture(scope="module")
def songs() -> CohesionSummary:
    keys = [("Opener", "A", "minor"), ("Second", "E", "minor"), ("Closer", "C#", "major")]
    results = [
        (name, analyse(render_song(tonic, mode, ("i", "VI", "III", "VII") if mode == "minor"
                                   else ("I", "vi", "IV", "V"), seconds=8.0, bpm=bpm,
                                   rate=SONG_RATE, drums=True), SONG_RATE))
        for (name, tonic, mode), bpm in zip(keys, (100.0, 120.0, 96.0), strict=True)
    ]
    return cohesion_summary(results)


def test_a_track_4_lu_louder_is_named_with_the_gain_to_fix_it(
        one_louder: CohesionSummary) -> None:
    loudness = one_louder.loudness
    assert loudness.spread == pytest.approx(4.0, abs=0.1)
    assert (loudness.highest, loudness.unit) == ("Track 3", "LUFS")
    assert loudness.lowest in ("Track 1", "Track 2")
    named = [o for o in one_louder.observations if o.startswith("Track 3 is")]
    assert len(named) == 1
    assert "4.0 LU louder" in named[0] and "turn it down about 4.0 dB" in named[0]
    assert not any(o.startswith(("Track 1 is", "Track 2 is")) for o in one_louder.observations)


def test_the_same_mixes_sit_together(even: list[AnalysisResult]) -> None:
    summary = cohesion_summary([(f"Track {i}", r) for i, r in enumerate(even, 1)])
    assert summary.comparable
    assert summary.loudness.spread is not None and summary.loudness.spread < 0.1
    assert summary.tonal is not None
    assert max(v for v in summary.tonal.band_spread_db[1:] if v is not None) < 1.5
    assert summary.observations == [summary.observations[0]]
    assert "sit together" in summary.observations[0]


def test_the_bass_heavy_track_is_the_tonal_outlier(one_bassier: CohesionSummary) -> None:
    tonal = one_bassier.tonal
    assert tonal is not None
    assert tonal.outlier == "Track 2"
    assert tonal.outlier_region == "low end (31.5-125 Hz)"  # the one low end (judge.regions)
    # the 50-140 Hz boost of 5 dB over the one low end (22-177 Hz): its 31.5 Hz octave unmoved
    assert tonal.outlier_region_delta_db == pytest.approx(3.0, abs=1.0)
    spread = {c: v for c, v in zip(tonal.octave_centres_hz, tonal.band_spread_db, strict=True)
              if v is not None}
    assert spread[63.0] > 4.0 and spread[1000.0] < 0.5 and spread[4000.0] < 1.0
    assert any(o.startswith("Track 2 has") and "more low end (31.5-125 Hz)" in o
               for o in one_bassier.observations)
    assert one_bassier.loudness.spread is not None
    assert one_bassier.loudness.spread < LOUDNESS_OUTLIER_LU  # matched loudness: tone only


def test_a_two_track_comparison_names_the_one_with_more(even: list[AnalysisResult]) -> None:
    thin = analyse(at_loudness(equalised(clean_mixdown(10.0, seed=3), 50.0, 140.0, -5.0), -18.0))
    summary = cohesion_summary([("Full", even[0]), ("Thin", thin)])
    assert summary.tonal is not None and summary.tonal.outlier == "Full"
    assert any("Full has" in o and "more low end" in o and "the other track" in o
               for o in summary.observations)


def test_keys_tempos_and_camelot_compatibility(songs: CohesionSummary) -> None:
    assert [(k.track, k.label, k.camelot) for k in songs.keys] == [
        ("Opener", "A minor", "8A"), ("Second", "E minor", "9A"), ("Closer", "Db major", "3B")]
    assert [t.compatible for t in songs.key_transitions] == [True, False]
    assert [t.value for t in songs.tempos] == pytest.approx([100.0, 120.0, 96.0], abs=1.5)
    clash = [o for o in songs.observations if "Camelot" in o]
    assert len(clash) == 1 and "Second (9A) into Closer (3B)" in clash[0]


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("8A", "8A", True), ("8A", "8B", True), ("8A", "9A", True), ("8A", "7A", True),
    ("12B", "1B", True), ("1A", "12A", True), ("8A", "9B", False), ("8A", "10A", False),
    ("8B", "3B", False), ("8A", None, None), ("x", "8A", None), ("13A", "1A", None),
])
def test_camelot_compatibility(a: str | None, b: str | None, expected: bool | None) -> None:
    assert camelot_compatible(a, b) is expected


def test_a_single_track_has_nothing_to_compare(even: list[AnalysisResult]) -> None:
    summary = cohesion_summary([("Solo", even[0])])
    assert not summary.comparable
    assert summary.loudness.spread is None and summary.tonal is None
    assert summary.key_transitions == []
    assert len(summary.observations) == 1 and "nothing to compare" in summary.observations[0]
    assert "nothing to compare" in cohesion_summary([]).observations[0]


def test_a_silent_track_is_left_out_not_fatal(even: list[AnalysisResult]) -> None:
    silent = analyse(np.zeros((2, 4 * RATE), dtype=np.float32))
    summary = cohesion_summary([("Gap", silent), ("Track 1", even[0]), ("Track 2", even[1])])
    assert summary.loudness.values[0].value is None
    assert summary.loudness.spread is not None and summary.loudness.spread < 0.1
    assert summary.plr.spread is not None and summary.width.spread is not None
    assert summary.tonal is not None and [t.track for t in summary.tonal.rms_deviation_db] == [
        "Track 1", "Track 2"]
    assert any(o.startswith("Gap is silent") for o in summary.observations)


def test_region_labels() -> None:
    assert region_label("low end", (63.0, 125.0)) == "low end (63-125 Hz)"
    assert region_label("top end", (8000.0, 16000.0)) == "top end (8-16 kHz)"
    assert region_label("mids", (1000.0, 2000.0)) == "mids (1-2 kHz)"
    assert region_label("sub", (31.5,)) == "sub (31.5 Hz)"


def test_tracks_all_flagged_are_never_called_matched() -> None:
    quiet = [analysed(clean_mixdown(10.0, seed=seed), "master") for seed in (0, 1)]  # -18 LUFS
    summary = cohesion_summary([("A", quiet[0]), ("B", quiet[1])])
    assert summary.loudness_flagged == ["A", "B"]
    assert all(f.loudness_code == "too_quiet" for f in summary.findings)
    assert "too_quiet" in summary.shared_codes
    assert summary.observations[0].startswith("Every track is too quiet for its genre")
    assert "match each other, not the target" in summary.observations[0]
    assert not any("keep those settings" in o.lower() for o in summary.observations)
