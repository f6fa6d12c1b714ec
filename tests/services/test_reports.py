"""PDF reports from the service: one track with its stored conversation, one written now
(the command line's), and several tracks with their narrative."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.store.helpers import World
from zz_core.advise.presets import recommend_presets
from zz_core.advise.providers import ProviderConfig, fixed_reply
from zz_core.judge.models import AnalysisResult
from zz_core.services import conversations, reports
from zz_core.services.workspace import Workspace

OFFLINE = ProviderConfig()


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_stored_tracks_report_has_its_feedback_and_follow_ups(
        world: World, analysis_result: AnalysisResult) -> None:
    workspace = Workspace(world.engine, world.ada, world.data_dir)
    answer = fixed_reply("Cut 2 dB at 3 kHz.", config=OFFLINE).complete()
    conversations.save_reply(workspace, answer, kind="follow_up", stage="follow_up",
                             project_id=world.project.id, track_id=world.track.id,
                             question="What about harshness?")
    pdf = reports.stored_track_report(workspace, analysis_result, track_id=world.track.id,
                                      track_name="mix.wav", session_name="Album",
                                      profile="detailed",
                                      presets=recommend_presets(analysis_result))
    text = _text(pdf)
    assert "mix.wav" in text and "Album" in text
    assert "Too loud." in text and "What about harshness?" in text


def test_reports_written_now(analysis_result: AnalysisResult) -> None:
    track = _text(reports.written_track_report(analysis_result, OFFLINE, profile="simple",
                                               naming="ableton"))
    assert "a.wav" in track and reports.COMMAND_LINE_SESSION in track
    other = analysis_result.model_copy(update={"file_name": None})
    assert [name for name, _ in reports.named_results([analysis_result, other])] == [
        "a.wav", "track 2"]
    album = _text(reports.written_album_report([analysis_result, other], OFFLINE,
                                               profile="detailed"))
    assert "a.wav" in album and "track 2" in album
