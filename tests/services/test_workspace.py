"""The workspace service on each backend: one user's projects and tracks, another user's
ids behaving as missing, and where the audio is."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.store.helpers import WAV, World, make_user
from zz_core.errors import NotFoundError
from zz_core.services import uploads
from zz_core.services.workspace import (
    ProjectRecord,
    TrackRecord,
    Workspace,
    configured_storage,
    storage_at,
)
from zz_core.store.objects import LocalObjects, S3Objects


def _workspaces(world: World) -> tuple[Workspace, Workspace]:
    return (Workspace(world.engine, world.ada, world.data_dir),
            Workspace(world.engine, world.bob, world.data_dir))


def test_projects_and_tracks_of_one_user(world: World) -> None:
    ada, bob = _workspaces(world)
    single = ada.create_project("Single")
    assert isinstance(single, ProjectRecord)
    assert [p.id for p in ada.projects()] == [single.id, world.project.id]
    assert ada.project_names() == {single.id: "Single", world.project.id: "Album"}
    ada.rename_project(single.id, "Singles")
    assert ada.project_names()[single.id] == "Singles"
    [track] = ada.tracks(world.project.id)
    assert isinstance(track, TrackRecord) and track.id == world.track.id
    assert ada.track(track.id) == track
    ada.rename_track(track.id, "Final mix")
    ada.move_track(track.id, single.id)
    assert [t.original_name for t in ada.tracks(single.id)] == ["Final mix"]
    assert ada.tracks(world.project.id) == []
    assert bob.projects() == [] and bob.project_names() == {}


def test_another_users_ids_behave_as_missing(world: World) -> None:
    ada, bob = _workspaces(world)
    for attempt in (lambda: bob.track(world.track.id),
                    lambda: bob.tracks(world.project.id),
                    lambda: bob.rename_project(world.project.id, "pwned"),
                    lambda: bob.rename_track(world.track.id, "pwned"),
                    lambda: bob.delete_track(world.track.id),
                    lambda: bob.delete_project(world.project.id)):
        with pytest.raises(NotFoundError):
            attempt()
    assert bob.audio_path_of(world.track.id) is None
    assert bob.audio_path(world.track) is None
    assert ada.audio_path_of(world.track.id) is not None
    assert ada.project_names() == {world.project.id: "Album"}


def test_audio_paths_and_deleting(world: World) -> None:
    ada, _ = _workspaces(world)
    path = ada.audio_path_of(world.track.id)
    assert path is not None and path == ada.audio_path(world.track) and path.is_file()
    assert ada.audio_path_of(None) is None
    ada.delete_track(world.track.id)
    assert not path.exists() and ada.audio_path_of(world.track.id) is None
    ada.delete_project(world.project.id)
    assert ada.projects() == []


def test_audio_on_an_s3_store(sqlite_engine: Engine, tmp_data_dir: Path,
                              s3_storage: S3Objects) -> None:
    """On a bucket the player still gets a local file (a private copy kept under
    ``<data_dir>/cache``) or a presigned URL; deleting removes the object and the copy."""
    ada = Workspace(sqlite_engine, make_user(sqlite_engine, "ada"), tmp_data_dir)
    bob = Workspace(sqlite_engine, make_user(sqlite_engine, "bob"), tmp_data_dir)
    assert ada.objects == s3_storage
    project = ada.create_project("Album").id
    track = uploads.store_upload(ada, project, WAV, "mix.wav").track
    key = ada.audio_key(track)
    assert key is not None and s3_storage.exists(key) and bob.audio_key(track) is None
    path = ada.audio_path(track)
    assert path == tmp_data_dir / "cache" / key and path.read_bytes() == WAV
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    source = ada.audio_source(track)
    assert source is not None and source.startswith("http://127.0.0.1:")
    assert bob.audio_source(track) is None and bob.audio_path(track) is None
    ada.delete_track(track.id)
    assert not s3_storage.exists(key) and not path.exists()
    assert ada.audio_path_of(track.id) is None


def test_the_store_a_job_names(tmp_path: Path, s3_storage: S3Objects) -> None:
    assert storage_at(s3_storage.url, tmp_path) == s3_storage
    assert storage_at("", tmp_path) == s3_storage  # the configured one
    assert storage_at(f"file://{tmp_path}", tmp_path) == LocalObjects(tmp_path)
    assert configured_storage() == s3_storage
