"""One user's workspace: their projects ("sessions") and tracks, and where the tracks'
audio is kept. Every call is scoped to that user; another user's ids behave as missing
(``zz_core.errors.NotFoundError``).

The other services (uploads, analyses, conversations, usage, reports) take a
``Workspace`` as their first argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from zz_core.errors import NotFoundError
from zz_core.store import projects, tracks
from zz_core.store.records import ProjectRecord, TrackRecord

__all__ = ["ProjectRecord", "TrackRecord", "Workspace"]


@dataclass(frozen=True)
class Workspace:
    """One user's projects, tracks and audio files (``data_dir``: the data folder)."""

    engine: Engine
    user_id: int
    data_dir: Path

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
        projects.delete_project(self.engine, self.user_id, project_id, self.data_dir)

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
        """Delete a track with its analyses, conversation and audio file."""
        tracks.delete_track(self.engine, self.user_id, track_id, self.data_dir)

    def audio_path(self, track: TrackRecord) -> Path | None:
        """The track's audio file; None once it expired or was deleted (or is not theirs)."""
        return tracks.audio_path(self.user_id, track, self.data_dir)

    def audio_path_of(self, track_id: int | None) -> Path | None:
        """The stored audio of one of the user's tracks; None if expired or not theirs."""
        if track_id is None:
            return None
        try:
            return self.audio_path(self.track(track_id))
        except NotFoundError:
            return None
