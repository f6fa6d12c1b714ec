"""The analysis service on real SQLite and real audio: run or reuse, compare with a
reference, the level-matched pair, and analysing files for the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.signals import sine, write_wav
from tests.store.helpers import make_user, sine_wav
from zz_core.errors import UnknownOptionError
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_file
from zz_core.services import analyses, uploads
from zz_core.services.workspace import Workspace
from zz_core.store import analyses as analysis_store
from zz_core.store.objects import S3Objects

OPTIONS = AnalysisOptions(context="mixdown", genre="electronic", subgenre="techno")


@pytest.fixture
def workspace(sqlite_engine: Engine, tmp_data_dir: Path) -> Workspace:
    return Workspace(sqlite_engine, make_user(sqlite_engine, "ada"), tmp_data_dir)


class Counting:
    """A runner that counts its calls (the pages pass one running in a worker process)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: Path, options: AnalysisOptions) -> AnalysisResult:
        self.calls += 1
        return analyze_file(path, options)


def test_analysis_options_check_the_genre_first() -> None:
    assert analyses.analysis_options("master", "electronic", "techno") == AnalysisOptions(
        context="master", genre="electronic", subgenre="techno")
    with pytest.raises(UnknownOptionError, match="polka"):
        analyses.analysis_options("mixdown", "polka")


def test_an_analysis_runs_once_and_is_reused_for_the_same_audio(workspace: Workspace) -> None:
    project = workspace.create_project("Album").id
    first = uploads.store_upload(workspace, project, sine_wav(), "first.wav").track
    run = Counting()
    done = analyses.analyse_track(workspace, first, OPTIONS, run=run)
    assert not done.reused and run.calls == 1
    assert done.result.file_name == "first.wav" and done.result.comparison is None
    assert analyses.latest_analysis(workspace, first.id) == done.result
    again = uploads.store_upload(workspace, project, sine_wav(), "again.wav").track
    reused = analyses.analyse_track(workspace, again, OPTIONS, run=run)
    assert reused.reused and run.calls == 1
    assert reused.result.file_name == "again.wav"
    assert analyses.latest_analysis(workspace, again.id) == reused.result
    other = analyses.analyse_track(workspace, again, OPTIONS.model_copy(
        update={"context": "master"}), run=run)
    assert not other.reused and run.calls == 2


def test_a_reference_comparison_is_kept_and_found_again(workspace: Workspace) -> None:
    project = workspace.create_project("Album").id
    main = uploads.store_upload(workspace, project, sine_wav(), "mix.wav").track
    reference = uploads.store_upload(workspace, project, sine_wav(freq_hz=220.0), "ref.wav",
                                     "reference", reference_of=main.id).track
    result = analyses.analyse_track(workspace, main, OPTIONS).result
    assert analyses.reference_for(workspace, main.id) is None  # not analysed yet
    reference_result = analyses.analyse_track(workspace, reference, OPTIONS).result
    compared = analyses.compare_and_save(workspace, main.id, result, reference_result)
    assert compared.comparison is not None
    assert analyses.latest_analysis(workspace, main.id) == compared
    found = analyses.reference_for(workspace, main.id)
    assert found is not None and found[0].id == reference.id and found[1] == reference_result


def test_the_level_matched_pair_turns_the_louder_track_down(workspace: Workspace,
                                                            tmp_path: Path) -> None:
    project = workspace.create_project("Album").id
    quiet_wav = write_wav(tmp_path / "quiet.wav", sine(-20.0, 3.0), subtype="PCM_16")
    loud_wav = write_wav(tmp_path / "loud.wav", sine(-12.0, 3.0), subtype="PCM_16")
    quiet = uploads.store_upload(workspace, project, quiet_wav.read_bytes(), "mix.wav").track
    loud = uploads.store_upload(workspace, project, loud_wav.read_bytes(), "ref.wav",
                                "reference", reference_of=quiet.id).track
    mix = analyses.analyse_track(workspace, quiet, OPTIONS).result
    ref = analyses.analyse_track(workspace, loud, OPTIONS).result
    pair = analyses.level_matched_pair(workspace, quiet.id, loud.id, mix, ref)
    assert pair is not None
    assert pair[0] == workspace.audio_path(quiet)  # the quieter one is played as it is
    copies = list((workspace.data_dir / "listening" / str(workspace.user_id)).glob("*.wav"))
    assert copies == [pair[1]]
    assert analyses.level_matched_pair(workspace, quiet.id, loud.id, mix, ref) == pair
    path = workspace.audio_path(loud)
    assert path is not None
    path.unlink()
    assert analyses.level_matched_pair(workspace, quiet.id, loud.id, mix, ref) is None
    assert analyses.level_matched_pair(workspace, quiet.id, 999_999, mix, ref) is None


def test_analyse_files_reports_each_file_in_order(tmp_path: Path) -> None:
    good = write_wav(tmp_path / "tone.wav", sine(-23.0, 3.0), subtype="PCM_16")
    bad = tmp_path / "notes.wav"
    bad.write_bytes(b"this is not audio at all")
    outcomes = list(analyses.analyse_files([str(bad), str(good), str(tmp_path / "nope.wav")],
                                           None, OPTIONS))
    assert [o.path for o in outcomes] == [str(bad), str(good), str(tmp_path / "nope.wav")]
    assert outcomes[0].result is None and "not an audio file" in (outcomes[0].error or "")
    assert outcomes[1].error is None and outcomes[1].result is not None
    assert outcomes[1].result.file_name == "tone.wav"
    assert outcomes[2].result is None and "not found" in (outcomes[2].error or "")


def test_analyse_files_compares_with_the_reference_or_stops_at_it(tmp_path: Path) -> None:
    track = write_wav(tmp_path / "mix.wav", sine(-20.0, 3.0), subtype="PCM_16")
    reference = write_wav(tmp_path / "ref.wav", sine(-12.0, 3.0), subtype="PCM_16")
    [outcome] = analyses.analyse_files([str(track)], str(reference), OPTIONS)
    assert outcome.result is not None and outcome.result.comparison is not None
    assert outcome.result.comparison.reference_name == "ref.wav"
    missing = str(tmp_path / "gone.wav")
    assert [(o.path, o.result) for o in analyses.analyse_files([str(track)], missing,
                                                               OPTIONS)] == [(missing, None)]


def test_a_job_analysis_run_again_keeps_one_result_per_step(workspace: Workspace) -> None:
    """An interrupted job resumed (or a redelivered one) finds what it kept: no second row."""
    project = workspace.create_project("Album").id
    main = uploads.store_upload(workspace, project, sine_wav(), "mix.wav").track
    reference = uploads.store_upload(workspace, project, sine_wav(freq_hz=220.0), "ref.wav",
                                     "reference", reference_of=main.id).track
    steps: list[tuple[float, str]] = []
    run = Counting()
    first = analyses.run_job_analysis(workspace, main.id, reference.id, OPTIONS,
                                      lambda f, s: steps.append((f, s)), run)
    assert run.calls == 2 and not first.reused and first.reference is not None
    assert first.result.comparison is not None
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1][0] < 1.0
    assert "Comparing with the reference" in [s for _, s in steps]
    rows = {t: len(analysis_store.list_analyses(workspace.engine, workspace.user_id, t))
            for t in (main.id, reference.id)}
    again = analyses.run_job_analysis(workspace, main.id, reference.id, OPTIONS,
                                      lambda f, s: None, run)
    assert run.calls == 2 and again.analysis_id == first.analysis_id
    assert again.result == first.result
    assert rows == {t: len(analysis_store.list_analyses(workspace.engine, workspace.user_id, t))
                    for t in (main.id, reference.id)}
    other = analyses.run_job_analysis(workspace, main.id, None, OPTIONS.model_copy(
        update={"context": "master"}), lambda f, s: None, run)
    assert run.calls == 3 and other.result.context == "master" and other.reference is None


def test_the_level_matched_pair_on_an_s3_store(sqlite_engine: Engine, tmp_path: Path,
                                               s3_storage: S3Objects) -> None:
    """The copy is made once and kept in the bucket (``listening/<user>/``); the player gets
    local files; a copy made by another replica is fetched, not made again."""
    workspace = Workspace(sqlite_engine, make_user(sqlite_engine, "ada"), tmp_path / "one")
    project = workspace.create_project("Album").id
    quiet_wav = write_wav(tmp_path / "quiet.wav", sine(-20.0, 3.0), subtype="PCM_16")
    loud_wav = write_wav(tmp_path / "loud.wav", sine(-12.0, 3.0), subtype="PCM_16")
    quiet = uploads.store_upload(workspace, project, quiet_wav.read_bytes(), "mix.wav").track
    loud = uploads.store_upload(workspace, project, loud_wav.read_bytes(), "ref.wav",
                                "reference", reference_of=quiet.id).track
    mix = analyses.analyse_track(workspace, quiet, OPTIONS).result
    ref = analyses.analyse_track(workspace, loud, OPTIONS).result
    pair = analyses.level_matched_pair(workspace, quiet.id, loud.id, mix, ref)
    assert pair is not None and pair[0] == workspace.audio_path(quiet)
    [copy] = s3_storage.list(f"listening/{workspace.user_id}/")
    assert pair[1] == tmp_path / "one" / "cache" / copy.key
    assert s3_storage.read_bytes(copy.key) == pair[1].read_bytes()
    replica = Workspace(sqlite_engine, workspace.user_id, tmp_path / "two")
    again = analyses.level_matched_pair(replica, quiet.id, loud.id, mix, ref)
    assert again is not None and again[1].read_bytes() == pair[1].read_bytes()
    assert len(list(s3_storage.list("listening/"))) == 1
    s3_storage.delete(replica.audio_key(loud) or "")
    s3_storage.delete(copy.key)
    assert analyses.level_matched_pair(Workspace(sqlite_engine, workspace.user_id,
                                                 tmp_path / "three"),
                                       quiet.id, loud.id, mix, ref) is None
