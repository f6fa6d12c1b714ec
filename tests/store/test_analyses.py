"""Stored analyses on each backend: round trip, headline columns, latest, reuse."""

from __future__ import annotations

import pytest

from tests.store.helpers import World, sine_wav
from zz_core.judge.models import AnalysisResult
from zz_core.store import analyses, projects


def test_analysis_round_trip_and_headline_columns(world: World,
                                                  analysis_result: AnalysisResult) -> None:
    loaded = analyses.load_analysis(world.engine, world.ada, world.analysis.id)
    assert loaded.model_dump_json() == analysis_result.model_dump_json()
    row = analyses.get_analysis(world.engine, world.ada, world.analysis.id)
    assert row.integrated_lufs == pytest.approx(analysis_result.loudness.integrated_lufs)
    assert row.true_peak_dbtp == pytest.approx(analysis_result.loudness.true_peak_dbtp)
    assert row.key_label == analysis_result.key.label
    assert row.correlation == pytest.approx(analysis_result.stereo.correlation)
    assert (row.context, row.genre, row.subgenre) == ("mixdown", "electronic", "techno")
    assert row.schema_version == analysis_result.schema_version


def test_latest_analysis(world: World, analysis_result: AnalysisResult) -> None:
    newer = analysis_result.model_copy(update={"context": "master"})
    analyses.save_analysis(world.engine, world.ada, world.track.id, newer)
    latest = analyses.latest_analysis(world.engine, world.ada, world.track.id)
    assert latest is not None and latest.context == "master"
    assert len(analyses.list_analyses(world.engine, world.ada, world.track.id)) == 2
    fresh = world.upload(world.ada, world.project.id, sine_wav(freq_hz=330.0))
    assert analyses.latest_analysis(world.engine, world.ada, fresh.id) is None


def test_find_analysis_reuses_identical_content_and_options(world: World) -> None:
    engine, ada, sha = world.engine, world.ada, world.track.content_sha256
    found = analyses.find_analysis(engine, ada, sha, "mixdown", "electronic", "techno")
    assert found is not None
    assert analyses.find_analysis(engine, ada, sha, "mixdown", "Electronic", "Techno") == found
    assert analyses.find_analysis(engine, ada, sha, "master", "electronic", "techno") is None
    assert analyses.find_analysis(engine, ada, sha, "mixdown", "rock", None) is None
    assert analyses.find_analysis(engine, ada, sha, "mixdown", "electronic", None) is None
    assert analyses.find_analysis(engine, ada, sha, "mixdown", "no such genre") is None
    assert analyses.find_analysis(engine, ada, "0" * 64, "mixdown", "electronic",
                                  "techno") is None
    # a re-upload of the same bytes (another project even) finds it by content
    other = projects.create_project(engine, ada, "Other")
    again = world.upload(ada, other.id, name="renamed.wav")
    assert analyses.find_analysis(engine, ada, again.content_sha256, "mixdown", "electronic",
                                  "techno") == found
    # Bob uploading the very same bytes must not see Ada's analysis
    bob_project = projects.create_project(engine, world.bob, "Bob's")
    bobs = world.upload(world.bob, bob_project.id)
    assert bobs.content_sha256 == sha
    assert analyses.find_analysis(engine, world.bob, sha, "mixdown", "electronic",
                                  "techno") is None


def test_find_analysis_with_a_free_text_subgenre(world: World,
                                                 analysis_result: AnalysisResult) -> None:
    free = analysis_result.model_copy(update={"genre": analysis_result.genre.model_copy(update={
        "subgenre": None, "subgenre_label": "Minimal Dub", "subgenre_known": False})})
    analyses.save_analysis(world.engine, world.ada, world.track.id, free)
    found = analyses.find_analysis(world.engine, world.ada, world.track.content_sha256,
                                   "mixdown", "electronic", "minimal  dub")
    assert found is not None and found.genre.subgenre_label == "Minimal Dub"
