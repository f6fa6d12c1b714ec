"""Versions through the services: a new version's job says what changed since the
previous one and keeps it, the song's versions in order, the level-matched pair, the
upload choices, and another user's track refused without storing anything."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy.engine import Engine

from tests.mixes import RATE, clean_mixdown
from tests.store.helpers import make_user
from zz_core.errors import NotFoundError
from zz_core.judge.models import AnalysisOptions
from zz_core.services import analyses, jobs, uploads, versions
from zz_core.services.workspace import Workspace

OPTIONS = AnalysisOptions(context="mixdown", genre="pop")


def wav(audio: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, audio.T, RATE, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def mixes() -> tuple[bytes, bytes]:
    """v1 clips in twelve places; v2 is the same mix without them."""
    mix = clean_mixdown(6.0, seed=5)
    clipped = mix.copy()
    for k in range(12):
        start = int((0.5 + 0.4 * k) * RATE)
        clipped[:, start:start + 200] = np.sign(clipped[:, start:start + 200])
    return wav(clipped), wav(mix)


@pytest.fixture
def workspace(sqlite_engine: Engine, tmp_data_dir: Path) -> Workspace:
    return Workspace(sqlite_engine, make_user(sqlite_engine, "ada"), tmp_data_dir)


class Recording:
    """A runner that only records what it is handed."""

    runner_id = "test:0:recording"

    def __init__(self) -> None:
        self.submitted: list[jobs.JobRecord] = []

    def submit(self, job: jobs.JobRecord) -> None:
        self.submitted.append(job)

    def recover(self) -> list[jobs.JobRecord]:
        return []

    def shutdown(self) -> None:
        pass


def analysed(workspace: Workspace, project_id: int, data: bytes, name: str,
             previous: int | None = None) -> tuple[int, analyses.JobAnalysis]:
    track = uploads.store_upload(workspace, project_id, data, name,
                                 previous_version_of=previous).track
    done = analyses.run_job_analysis(workspace, track.id, None, OPTIONS, lambda *_: None)
    return track.id, done


def test_a_new_versions_analysis_says_what_changed_and_keeps_it(
        workspace: Workspace, mixes: tuple[bytes, bytes]) -> None:
    project = workspace.create_project("Album")
    v1, first = analysed(workspace, project.id, mixes[0], "v1.wav")
    assert first.result.changes is None and "clipping" in {i.code for i in first.result.issues}
    v2, second = analysed(workspace, project.id, mixes[1], "v2.wav", previous=v1)
    changes = second.result.changes
    assert changes is not None and "clipping" in changes.fixed
    assert changes.previous_name == "v1.wav"
    stored = analyses.latest_analysis(workspace, v2)
    assert stored is not None and stored.changes == changes
    song = versions.song_versions(workspace, v2)
    assert [(v.number, v.track.id) for v in song] == [(1, v1), (2, v2)]
    assert all(v.result is not None for v in song)
    previous = versions.previous_version(workspace, v2, second.result)
    assert previous is not None and previous.track.id == v1
    assert previous.pair is not None and all(p.is_file() for p in previous.pair)
    assert versions.previous_version(workspace, v1, first.result) is None
    assert set(versions.version_candidates(workspace, project.id)) == {v1, v2}


def test_the_same_audio_reused_for_another_track_drops_the_changes(
        workspace: Workspace, mixes: tuple[bytes, bytes]) -> None:
    project = workspace.create_project("Album")
    v1, _ = analysed(workspace, project.id, mixes[0], "v1.wav")
    _, second = analysed(workspace, project.id, mixes[1], "v2.wav", previous=v1)
    _, again = analysed(workspace, project.id, mixes[1], "copy.wav")  # same audio, no link
    assert second.result.changes is not None
    assert again.reused and again.result.changes is None


def test_another_users_track_as_previous_is_refused_and_stores_nothing(
        workspace: Workspace, mixes: tuple[bytes, bytes]) -> None:
    project = workspace.create_project("Album")
    v1, _ = analysed(workspace, project.id, mixes[0], "v1.wav")
    bob = Workspace(workspace.engine, make_user(workspace.engine, "bob"), workspace.data_dir)
    runner = Recording()
    with pytest.raises(NotFoundError):
        jobs.start_analysis(bob, runner, None, jobs.Upload(mixes[1], "v2.wav"), OPTIONS,
                            new_project_name="Mine now", previous_version_of=v1)
    assert runner.submitted == [] and bob.projects() == []
    assert [t.id for t in workspace.tracks(project.id)] == [v1]
    assert versions.version_candidates(bob, project.id) == {}
    with pytest.raises(NotFoundError):
        versions.song_versions(bob, v1)
