"""The conversation service on each backend: replies written by the offline engine, kept
with their usage only once complete, and read back as threads, turns and feedback."""

from __future__ import annotations

from tests.store.helpers import World
from zz_core.advise.feedback import ChatTurn
from zz_core.advise.providers import ProviderConfig, fixed_reply
from zz_core.fmt import figure
from zz_core.judge.models import AnalysisResult
from zz_core.knowledge.retrieval import KnowledgeIndex
from zz_core.services import conversations
from zz_core.services.workspace import Workspace
from zz_core.store import usage as token_usage

OFFLINE = ProviderConfig()
FEEDBACK = "INSIGHT [clipping, critical]: It clips.\nSUGGESTION: Lower the limiter ceiling."


def _workspace(world: World) -> Workspace:
    return Workspace(world.engine, world.ada, world.data_dir)


def test_replies_are_kept_with_their_question_and_usage(world: World) -> None:
    workspace, pid, tid = _workspace(world), world.project.id, world.track.id
    conversations.save_reply(workspace, fixed_reply(FEEDBACK, config=OFFLINE).complete(),
                             kind="feedback", stage="feedback", project_id=pid, track_id=tid)
    answer = fixed_reply("  Because it is loud.  ", config=OFFLINE).complete()
    conversations.save_reply(workspace, answer, kind="follow_up", stage="follow_up",
                             project_id=pid, track_id=tid, question="Why?")
    conversations.save_reply(workspace, fixed_reply("Cohesive.", config=OFFLINE).complete(),
                             kind="comparison", stage="comparison", project_id=pid)
    thread = conversations.thread(workspace, tid)
    assert [(m.kind, m.role, m.content) for m in thread] == [
        ("feedback", "assistant", "Too loud."), ("feedback", "assistant", FEEDBACK),
        ("follow_up", "user", "Why?"), ("follow_up", "assistant", "Because it is loud.")]
    assert thread[-1].provider == "offline"
    assert [m.content for m in conversations.project_narratives(workspace, pid)] == [
        "Cohesive."]
    stages = [u.stage for u in token_usage.list_token_usage(world.engine, world.ada)]
    assert sorted(stages) == ["comparison", "feedback", "feedback", "follow_up"]
    assert conversations.as_turns(thread[2:]) == [
        ChatTurn(role="user", content="Why?"),
        ChatTurn(role="assistant", content="Because it is loud.")]
    assert conversations.report_thread(workspace, tid) == conversations.as_turns(thread[2:])
    latest = conversations.latest_feedback(workspace, tid)
    assert latest is not None and latest.text == FEEDBACK
    assert [(i.issue_code, i.severity) for i in latest.items] == [("clipping", "critical")]


def test_usage_without_a_session_is_recorded(world: World) -> None:
    workspace = _workspace(world)
    conversations.record_usage(workspace, fixed_reply("An answer.", config=OFFLINE).complete(),
                               "docs", None, None)
    [docs] = [u for u in token_usage.list_token_usage(world.engine, world.ada)
              if u.stage == "docs"]
    assert (docs.project_id, docs.track_id, docs.provider) == (None, None, "offline")


def test_a_track_without_feedback_has_none(world: World) -> None:
    workspace = _workspace(world)
    track = world.upload(world.ada, world.project.id, name="fresh.wav")
    assert conversations.latest_feedback(workspace, track.id) is None
    assert conversations.thread(workspace, track.id) == []


def test_the_offline_engine_writes_feedback_and_narratives(
        analysis_result: AnalysisResult) -> None:
    feedback = conversations.write_feedback(OFFLINE, analysis_result, "detailed")
    assert (feedback.provider, feedback.model) == ("offline", "zz-offline-1")
    assert feedback.items and feedback.usage.prompt_tokens == 0
    streamed = conversations.feedback_reply(OFFLINE, analysis_result, "detailed", "a.wav")
    assert "".join(streamed) == streamed.text and streamed.done
    named = [("a.wav", analysis_result), ("b.wav", analysis_result)]
    cohesion, narrative = conversations.write_album_narrative(OFFLINE, named, "simple")
    assert cohesion.observations and narrative.provider == "offline" and narrative.text
    turns = [ChatTurn(role="user", content="Why so loud?"),
             ChatTurn(role="assistant", content="The limiter.")]
    assert conversations.summary_reply(OFFLINE, turns).complete().text
    answer = conversations.follow_up_reply(OFFLINE, analysis_result, "pro", turns,
                                           "What about the low end?")
    assert answer.complete().text


def test_a_track_question_is_answered_as_the_page_answers_it(
        analysis_result: AnalysisResult, knowledge_index: KnowledgeIndex) -> None:
    """``track_answer`` (the command line's ``chat``): facts first, and only passages about
    the question, the same ones ``question_passages`` gives the page."""
    question = "what is the true peak, does it clip?"
    passages = conversations.question_passages([knowledge_index], analysis_result, question)
    answer = conversations.track_answer(OFFLINE, analysis_result, question,
                                        indexes=[knowledge_index])
    assert answer.sources == passages and answer.covered == bool(passages)
    peak = analysis_result.loudness.true_peak_dbtp
    assert f"True peak {figure(peak, 'dBTP', sign=True)}" in answer.answer.split("\n\n")[0]
    for source in answer.sources:  # about peaks or clipping, never tempo or key
        about = (source.heading + source.text).lower()
        assert "peak" in about or "clip" in about
    tempo = conversations.question_passages([knowledge_index], analysis_result,
                                            "what tempo is it?")
    assert all("tempo" in (s.heading + s.text).lower() for s in tempo)
    assert conversations.question_passages([knowledge_index], analysis_result,
                                           "tell me a joke") == []
