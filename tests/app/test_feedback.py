"""Feedback on the pages: the offline engine by default, a model behind an
OpenAI-compatible server on 127.0.0.1 (the real ``openai`` client), failures that store
nothing, the offline fallback, follow-ups with automatic summaries, and text that is
shown as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import analyse, engine_for, login, make_user, wav
from tests.llm_server import API_KEY, LLMServer
from zz_core.store import analyses, messages, projects, tracks
from zz_core.store import usage as token_usage
from zz_core.store.records import MessageRecord

MODEL_REPLY = ("INSIGHT [too_quiet, warning]: The mix sits at -20 LUFS.\n"
               "SUGGESTION: Leave it for mastering; keep peaks near -6 dBFS.\n\n"
               "INSIGHT: The sine is very pure.\nSUGGESTION: Add some harmonics.")


@pytest.fixture
def model(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch,
          data_dir: Path) -> LLMServer:
    """The app configured (through the environment) for the local model server."""
    monkeypatch.setenv("ZZ_LLM_PROVIDER", "compatible")
    server = llm_server
    monkeypatch.setenv("ZZ_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("ZZ_LLM_API_KEY", API_KEY)
    monkeypatch.setenv("ZZ_LLM_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("ZZ_LLM_TIMEOUT_S", "5")
    server.respond_with(lambda body: MODEL_REPLY)
    return server


def _texts(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown) + "\n".join(
        str(c.value) for c in at.caption)


def _thread(data_dir: Path, user_id: int) -> list[MessageRecord]:
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    [track] = tracks.list_tracks(engine, user_id, project.id)
    return messages.list_thread(engine, user_id, track.id)


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question)
    return at.run()


def test_offline_feedback_arrives_with_the_analysis(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    assert not at.exception, at.exception
    assert any("Offline engine" in str(i.value) for i in at.info)
    [feedback] = _thread(data_dir, user_id)
    assert (feedback.kind, feedback.provider) == ("feedback", "offline")
    assert "INSIGHT" in feedback.content
    [usage] = token_usage.list_token_usage(engine_for(data_dir), user_id)
    assert (usage.stage, usage.provider, usage.prompt_tokens, usage.cost_usd) == (
        "feedback", "offline", 0, 0.0)
    assert usage.would_cost_usd is not None and usage.would_cost_usd > 0


def test_model_feedback_is_grounded_in_the_stored_analysis(data_dir: Path,
                                                           model: LLMServer) -> None:
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    assert not at.exception, at.exception
    assert "The mix sits at \\-20 LUFS\\." in _texts(at)  # a card, shown as plain text
    prompt = model.requests[-1]["messages"][1]["content"]
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    [track] = tracks.list_tracks(engine, user_id, project.id)
    stored = analyses.latest_analysis(engine, user_id, track.id)
    assert stored is not None and stored.loudness.integrated_lufs is not None
    assert f"integrated: {stored.loudness.integrated_lufs:.1f} LUFS" in prompt
    [usage] = token_usage.list_token_usage(engine, user_id)
    assert (usage.provider, usage.model, usage.stage) == ("compatible", "gpt-4o-mini",
                                                          "feedback")
    assert usage.prompt_tokens > 100 and not usage.estimated and usage.cost_usd > 0


def test_failure_stores_nothing_and_offers_retry_and_offline(data_dir: Path,
                                                             model: LLMServer) -> None:
    user_id = make_user(data_dir, "ada")
    for _ in range(3):  # the first try and the client's two retries
        model.fail(500, "server_error")
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    assert any("failed" in str(e.value) and "Nothing was saved" in str(e.value)
               for e in at.error)
    assert _thread(data_dir, user_id) == []
    assert token_usage.list_token_usage(engine_for(data_dir), user_id) == []
    labels = [b.label for b in at.button]
    assert "Retry" in labels and "Use the offline engine" in labels
    next(b for b in at.button if b.label == "Use the offline engine").click()
    at.run()
    [feedback] = _thread(data_dir, user_id)
    assert feedback.provider == "offline"
    next(b for b in at.button if b.label == "Write new feedback").click()
    at.run()  # the model answers again: a second feedback from it
    assert [m.provider for m in _thread(data_dir, user_id)] == ["offline", "compatible"]


def test_a_malformed_model_reply_stores_nothing(data_dir: Path, model: LLMServer) -> None:
    """A 200 whose stream is not JSON (feedback), then one whose body is not UTF-8 (a
    follow-up): each is a plain error with the offline fallback, and nothing is kept."""
    user_id = make_user(data_dir, "ada")
    model.answer(raw_events=(b"not-json",))
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    assert not at.exception, at.exception
    assert any("is not JSON" in str(e.value) and "Nothing was saved" in str(e.value)
               for e in at.error)
    assert _thread(data_dir, user_id) == []
    assert token_usage.list_token_usage(engine_for(data_dir), user_id) == []
    next(b for b in at.button if b.label == "Use the offline engine").click()
    at.run()
    assert [m.kind for m in _thread(data_dir, user_id)] == ["feedback"]
    model.answer(raw_body=b"\xff\xfe\xfa not UTF-8 \x80\x81")
    at = _ask(at, "How loud is it?")
    assert not at.exception, at.exception
    assert any("is not UTF-8 text" in str(e.value) for e in at.error)
    assert [m.kind for m in _thread(data_dir, user_id)] == ["feedback"]
    stages = [u.stage for u in token_usage.list_token_usage(engine_for(data_dir), user_id)]
    assert stages == ["feedback"]  # the offline feedback only


def test_follow_ups_are_grounded_and_summarised_after_four(data_dir: Path,
                                                           model: LLMServer) -> None:
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    model.respond_with(lambda body: f"Answer to: {body['messages'][-1]['content'][-40:]}")
    for number in range(4):
        at = _ask(at, f"Question {number}: what about the low end?")
        assert not at.exception, at.exception
    sent = model.requests[-2]  # the fourth question (the summary came after it)
    assert sent["messages"][-1]["content"].startswith("<user_text>Question 3")
    assert any("INSIGHT" in m["content"] for m in sent["messages"][1:])  # the feedback
    kinds = [(m.kind, m.role) for m in _thread(data_dir, user_id)]
    assert kinds == [("feedback", "assistant"),
                     *[("follow_up", "user"), ("follow_up", "assistant")] * 4,
                     ("summary", "assistant")]
    stages = sorted(u.stage for u in token_usage.list_token_usage(engine_for(data_dir), user_id))
    assert stages == ["feedback", "follow_up", "follow_up", "follow_up", "follow_up",
                      "summary"]
    assert any(e.label == "Summary of the conversation so far" for e in at.expander)


def test_offline_follow_up_and_suggested_question(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    suggestion = next(b for b in at.button if b.key and b.key.startswith("suggest_"))
    suggestion.click()
    at.run()
    assert not at.exception, at.exception
    thread = _thread(data_dir, user_id)
    assert thread[-2].content == suggestion.label and thread[-1].provider == "offline"


def test_hostile_text_is_shown_as_text(data_dir: Path, model: LLMServer) -> None:
    make_user(data_dir, "ada")
    hostile = "<img src=x onerror=alert(1)> **bold** [click](http://evil.example)"
    model.respond_with(lambda body: f"INSIGHT: {hostile}\nSUGGESTION: {hostile}")
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    at = _ask(at, hostile)
    shown = [str(m.value) for m in at.markdown]
    assert not any(re.search(r"(?<!\\)<img|\]\(http|\*\*bold", text) for text in shown)
    assert any("\\<img src\\=x onerror\\=alert\\(1\\)\\>" in text for text in shown)
    assert not any(getattr(m, "allow_html", False) for m in at.markdown)


def test_another_users_thread_is_never_shown(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    make_user(data_dir, "bob")
    analyse(login("ada"), wav(-20.0), "ada-secret.wav")
    at = login("bob")
    at.switch_page("pages/history.py").run()
    assert not at.exception
    assert "ada\\-secret" not in _texts(at) and "INSIGHT" not in _texts(at)
