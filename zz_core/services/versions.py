"""Versions of a song: which of the user's tracks a new upload may follow, a song's
versions over time with their analyses, and the previous version of a track to hear
level-matched against it.

A track becomes a new version of an earlier one on upload (``jobs.start_analysis``'s
``previous_version_of``: the user's own track, else ``NotFoundError`` and nothing is
stored); its analysis then carries what changed (``AnalysisResult.changes``,
``judge/versions.py``). Every call is scoped to the workspace's user.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zz_core.errors import NotFoundError
from zz_core.judge.models import AnalysisResult
from zz_core.services import analyses
from zz_core.services.workspace import Workspace
from zz_core.store import tracks
from zz_core.store.records import TrackRecord


@dataclass(frozen=True)
class Version:
    """One version of a song: its number (1 the first), its track, and its latest
    analysis (None while it has none)."""

    number: int
    track: TrackRecord
    result: AnalysisResult | None


@dataclass(frozen=True)
class PreviousVersion:
    """The version before a track: its track and analysis, and the two files at equal
    integrated loudness for the player (None once either's audio is gone)."""

    track: TrackRecord
    result: AnalysisResult
    pair: tuple[Path, Path] | None


def version_candidates(workspace: Workspace, project_id: int | None) -> dict[int, str]:
    """The tracks of one of the user's sessions a new upload can be a version of (their
    own tracks, references left out), newest first: id -> "name · date"."""
    if project_id is None:
        return {}
    try:
        found = workspace.tracks(project_id)
    except NotFoundError:
        return {}
    return {t.id: f"{t.original_name} · {t.created_at:%Y-%m-%d %H:%M}"
            for t in found if t.role == "main"}


def song_versions(workspace: Workspace, track_id: int | None) -> list[Version]:
    """Every version of the song a track belongs to, oldest first, each with its latest
    analysis (``NotFoundError`` for a track that is not the user's)."""
    chain = tracks.version_chain(workspace.engine, workspace.user_id, track_id)
    return [Version(number, track, analyses.latest_analysis(workspace, track.id))
            for number, track in enumerate(chain, start=1)]


def previous_version(workspace: Workspace, track_id: int | None,
                     result: AnalysisResult) -> PreviousVersion | None:
    """The version a track follows, with its analysis and the level-matched pair (this
    track first) for A/B on the player; None when it follows none with an analysis."""
    found = analyses.previous_version_analysis(workspace, workspace.track(track_id))
    if found is None:
        return None
    track, previous = found
    pair = analyses.level_matched_pair(workspace, track_id, track.id, result, previous)
    return PreviousVersion(track, previous, pair)
