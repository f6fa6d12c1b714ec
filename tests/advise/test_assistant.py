"""One entry point per stage: the offline engine and a model (real ``openai`` client on
127.0.0.1) both end as ``Feedback`` with items, text and usage."""

from __future__ import annotations

import pytest

from tests.llm_server import API_KEY, LLMServer
from zz_core.advise.assistant import Assistant, as_feedback
from zz_core.advise.feedback import ChatTurn
from zz_core.advise.providers import ProviderConfig
from zz_core.judge.album import cohesion_summary
from zz_core.judge.models import AnalysisResult


@pytest.fixture
def server(llm_server: LLMServer) -> LLMServer:
    return llm_server


@pytest.fixture
def model(server: LLMServer) -> Assistant:
    return Assistant(ProviderConfig(provider="compatible", model="gpt-4o-mini",
                                    api_key=API_KEY, base_url=server.base_url, timeout_s=5,
                                    max_retries=0))


def test_offline_feedback_names_the_tracks_issues(analysis_result: AnalysisResult) -> None:
    feedback = as_feedback(Assistant().feedback(analysis_result, "detailed"))
    assert feedback.provider == "offline" and feedback.parsed
    codes = {item.issue_code for item in feedback.items}
    assert {issue.code for issue in analysis_result.issues} <= codes
    assert feedback.usage.cost_usd == 0 and feedback.usage.would_cost_usd


def test_model_feedback_is_parsed_with_usage(analysis_result: AnalysisResult,
                                             server: LLMServer, model: Assistant) -> None:
    server.answer("INSIGHT [clipping, critical]: Clips.\nSUGGESTION: Lower 2 dB.",
                  prompt_tokens=2000)
    feedback = as_feedback(model.feedback(analysis_result, "pro", "song.wav"))
    assert [(i.issue_code, i.severity) for i in feedback.items] == [("clipping", "critical")]
    assert feedback.usage.prompt_tokens == 2000 and feedback.model == "gpt-4o-mini"
    assert 'name: "song.wav"' in server.requests[-1]["messages"][1]["content"]


def test_unparsed_model_text_is_kept(analysis_result: AnalysisResult, server: LLMServer,
                                     model: Assistant) -> None:
    server.answer("Sounds great, ship it!")
    feedback = as_feedback(model.feedback(analysis_result, "simple"))
    assert not feedback.parsed and feedback.text == "Sounds great, ship it!"


def test_every_stage_answers_offline(analysis_result: AnalysisResult) -> None:
    assistant = Assistant()
    turns = [ChatTurn(role="user", content="How loud is it?"),
             ChatTurn(role="assistant", content="About -14 LUFS.")]
    answer = assistant.follow_up(analysis_result, "simple", turns, "and the low end?")
    assert answer.complete().text.strip()
    summary = assistant.summary(turns).complete()
    assert "How loud is it?" in summary.text
    named = [("one", analysis_result), ("two", analysis_result)]
    narrative = as_feedback(assistant.album(named, cohesion_summary(named), "detailed"))
    assert narrative.text


def test_follow_up_sends_thread_and_passages(analysis_result: AnalysisResult,
                                            server: LLMServer, model: Assistant) -> None:
    class Passage:
        doc_id, title, heading, text = "t.md", "Low end", "Mono bass", "Mono below 120 Hz."

    server.answer("Mono it below 120 Hz [1].")
    turns = [ChatTurn(role="summary", content="Asked about loudness."),
             ChatTurn(role="user", content="And the sub?")]
    reply = model.follow_up(analysis_result, "detailed", turns, "How wide?",
                            passages=[Passage()]).complete()
    assert reply.text == "Mono it below 120 Hz [1]."
    messages = server.requests[-1]["messages"]
    assert "Asked about loudness." in messages[0]["content"]
    assert "[1] Low end › Mono bass (t.md)" in messages[0]["content"]
    assert messages[-1]["content"] == "<user_text>How wide?</user_text>"
