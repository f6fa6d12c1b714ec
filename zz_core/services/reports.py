"""PDF reports: one track (analysis, feedback, follow-ups, presets) or several side by
side (cohesion and the album narrative), for the pages' downloads and the command line's
``report``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from zz_core.advise.feedback import Feedback
from zz_core.advise.presets import PresetChain, recommend_presets
from zz_core.advise.providers import ProviderConfig
from zz_core.judge.album import CohesionSummary
from zz_core.judge.models import AnalysisResult
from zz_core.output.report import build_album_report, build_track_report
from zz_core.services import conversations
from zz_core.services.workspace import Workspace
from zz_core.vocab import Naming, Profile

COMMAND_LINE_SESSION = "Command line"
"""The session name a report written by the command line shows."""


def named_results(results: Sequence[AnalysisResult]) -> list[tuple[str, AnalysisResult]]:
    """Each result with its file name ("track N" when it has none), in order."""
    return [(result.file_name or f"track {i + 1}", result) for i, result in enumerate(results)]


def stored_track_report(workspace: Workspace, result: AnalysisResult, *, track_id: int,
                        track_name: str, session_name: str, profile: Profile,
                        presets: PresetChain) -> bytes:
    """The report of one of the user's tracks with its stored feedback and follow-ups."""
    return build_track_report(result, track_name=track_name, session_name=session_name,
                              profile=profile,
                              feedback=conversations.latest_feedback(workspace, track_id),
                              thread=conversations.report_thread(workspace, track_id),
                              presets=presets, created_at=datetime.now(UTC))


def album_report(named: list[tuple[str, AnalysisResult]], cohesion: CohesionSummary,
                 narrative: Feedback | None, *, session_name: str,
                 created_at: datetime | None = None) -> bytes:
    """The report of several named tracks side by side, with the narrative if written."""
    return build_album_report(named, session_name=session_name, cohesion=cohesion,
                              narrative=narrative, created_at=created_at)


def written_track_report(result: AnalysisResult, config: ProviderConfig, *, profile: Profile,
                         naming: Naming, session_name: str = COMMAND_LINE_SESSION) -> bytes:
    """The report of one track with feedback written now and presets in ``naming``."""
    feedback = conversations.write_feedback(config, result, profile)
    return build_track_report(result, track_name=result.file_name or "track",
                              session_name=session_name, profile=profile, feedback=feedback,
                              thread=[], presets=recommend_presets(result, naming))


def written_album_report(results: Sequence[AnalysisResult], config: ProviderConfig, *,
                         profile: Profile, session_name: str = COMMAND_LINE_SESSION) -> bytes:
    """The report of several tracks with their album narrative written now."""
    named = named_results(results)
    cohesion, narrative = conversations.write_album_narrative(config, named, profile)
    return album_report(named, cohesion, narrative, session_name=session_name)
