"""One user's workspace: their projects ("sessions") and tracks, and where the tracks'
audio is kept. Every call is scoped to that user; another user's ids behave as missing
(``zz_core.errors.NotFoundError``).

The audio lives in an object store (``zz_core.store.objects``): the data folder by
default, an S3-compatible bucket with ``ZZ_STORAGE_URL=s3://bucket/prefix``. Pages get a
local file for the player either way (``audio_path``: the stored file, or a local copy of
the remote object), or a URL (``audio_source``).

The other services (uploads, analyses, conversations, usage, reports) take a
``Workspace`` as their first argument.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from zz_core.config import Settings, load_settings
from zz_core.errors import NotFoundError
from zz_core.store import projects, tracks
from zz_core.store.objects import (
    Objects,
    cache_path,
    cached_copy,
    objects_from_settings,
    open_objects,
    resolve,
)
from zz_core.store.records import ProjectRecord, TrackRecord

__all__ = ["Objects", "ProjectRecord", "TrackRecord", "Workspace", "configured_storage",
           "storage_at"]


def configured_storage(settings: Settings | None = None) -> Objects:
    """The audio store the settings name (``ZZ_STORAGE_URL`` / secrets ``storage.url``,
    else the data folder), with their endpoint and credentials (``AWS_*``)."""
    return objects_from_settings(settings or load_settings())


def storage_at(url: str | None, data_dir: str | os.PathLike[str],
               settings: Settings | None = None) -> Objects:
    """The store ``url`` names (``Objects.url``, as a job carries it; empty: the configured
    one), reached with this machine's configured endpoint and credentials."""
    if not url:
        return resolve(Path(data_dir))
    return open_objects(url, data_dir, settings or load_settings())


@dataclass(frozen=True)
class Workspace:
    """One user's projects, tracks and audio (``data_dir``: the data folder; ``objects``:
    the audio store, by default the one configured in the environment for ``data_dir``)."""

    engine: Engine
    user_id: int
    data_dir: Path
    objects: Objects = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.objects is None:
            object.__setattr__(self, "objects", resolve(Path(self.data_dir)))

    # --- projects -------------------------------------------------------------------

    def projects(self) -> list[ProjectRecord]:
        """The user's projects, newest first."""
        return projects.list_projects(self.engine, self.user_id)

    def project_names(self) -> dict[int, str]:
        """The user's project names by id, newest first."""
        return {p.id: p.name for p in self.projects()}

    def create_project(self, name: str) -> ProjectRecord:
        """A new project (name 1-100 characters, stripped)."""
        return projects.create_project(self.engine, self.user_id, name)

    def rename_project(self, project_id: int | None, name: str) -> None:
        projects.rename_project(self.engine, self.user_id, project_id, name)

    def delete_project(self, project_id: int | None) -> None:
        """Delete a project with its tracks, their audio, analyses and conversations."""
        doomed = self.tracks(project_id)
        projects.delete_project(self.engine, self.user_id, project_id, self.objects)
        self._forget_copies(doomed)

    # --- tracks ---------------------------------------------------------------------

    def tracks(self, project_id: int | None) -> list[TrackRecord]:
        """The tracks of one of the user's projects, newest first."""
        return tracks.list_tracks(self.engine, self.user_id, project_id)

    def track(self, track_id: int | None) -> TrackRecord:
        """One of the user's tracks."""
        return tracks.get_track(self.engine, self.user_id, track_id)

    def rename_track(self, track_id: int | None, name: str) -> None:
        tracks.rename_track(self.engine, self.user_id, track_id, name)

    def move_track(self, track_id: int | None, project_id: int | None) -> None:
        """Move a track (with its references and conversation) to another project."""
        tracks.move_track(self.engine, self.user_id, track_id, project_id)

    def delete_track(self, track_id: int | None) -> None:
        """Delete a track with its analyses, conversation and audio."""
        doomed = self.track(track_id)
        tracks.delete_track(self.engine, self.user_id, track_id, self.objects)
        self._forget_copies([doomed])

    def _forget_copies(self, doomed: list[TrackRecord]) -> None:
        """Remove the local player copies of deleted tracks' remote audio."""
        for track in doomed:
            try:
                key = tracks.audio_key(track)
            except NotFoundError:
                continue
            if self.objects.local_path(key) is None:
                cache_path(self.data_dir, key).unlink(missing_ok=True)

    # --- audio ----------------------------------------------------------------------

    def audio_key(self, track: TrackRecord) -> str | None:
        """The key of the track's audio in ``objects``; None once it expired or was
        deleted (or is not theirs)."""
        return tracks.stored_audio_key(self.user_id, track, self.objects)

    def audio_path(self, track: TrackRecord) -> Path | None:
        """A local file with the track's audio, for the player: the stored file itself, or
        (remote store) a private local copy kept a day; None once it expired or was
        deleted (or is not theirs)."""
        key = self.audio_key(track)
        return None if key is None else cached_copy(self.objects, key, self.data_dir)

    def audio_source(self, track: TrackRecord) -> str | None:
        """What an audio player can load without this server holding the file: the local
        file's path, or a presigned URL of the remote object (valid an hour); None once
        the audio expired or was deleted (or is not theirs)."""
        key = self.audio_key(track)
        return None if key is None else self.objects.player_source(key)

    def audio_path_of(self, track_id: int | None) -> Path | None:
        """The stored audio of one of the user's tracks; None if expired or not theirs."""
        if track_id is None:
            return None
        try:
            return self.audio_path(self.track(track_id))
        except NotFoundError:
            return None
