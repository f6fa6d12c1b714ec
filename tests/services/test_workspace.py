"""The workspace service on each backend: one user's projects and tracks, another user's
ids behaving as missing, and where the audio is."""

from __future__ import annotations

import pytest

from tests.store.helpers import World
from zz_core.errors import NotFoundError
from zz_core.services.workspace import ProjectRecord, TrackRecord, Workspace


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
