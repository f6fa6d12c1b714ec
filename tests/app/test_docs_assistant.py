"""The Docs Assistant page: cited answers offline and from a model on 127.0.0.1, a
question the knowledge base does not cover, and a producer's own documents, private to
them. Real embedding model, real FAISS index."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import engine_for, login, make_user
from tests.llm_server import API_KEY, LLMServer
from zz_core.store import usage as token_usage

PAGE = "pages/docs_assistant.py"
OWN_DOCUMENT = (b"# Zorblax bus compressor\n\n## Zorblax settings\n\nThe Zorblax is our "
                b"studio's bus compressor: ratio 3:1, attack 10 ms, release 200 ms, and it "
                b"always sits after the tape saturator on the Zorblax channel.\n")


def _open(username: str) -> AppTest:
    at = login(username)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question)
    at.run()
    assert not at.exception, at.exception
    return at


def _source_labels(at: AppTest) -> list[str]:
    return [e.label for e in at.expander if e.label.startswith("[")]


def test_offline_answer_cites_its_passages(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = _ask(_open("ada"), "why does spotify turn my loud master down")
    labels = _source_labels(at)
    assert len(labels) == 3 and any("platform" in label.lower() or "streaming" in
                                    label.lower() for label in labels)
    answer = next(m.value for m in at.chat_message[1].markdown)
    assert "\\[1\\]" in answer  # the citation, shown as text
    [usage] = token_usage.list_token_usage(engine_for(data_dir), user_id)
    assert (usage.stage, usage.provider, usage.prompt_tokens) == ("docs", "offline", 0)


def test_uncovered_question_says_so_without_sources(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = _ask(_open("ada"), "what temperature should I bake sourdough at")
    assert any("does not cover" in str(m.value) for m in at.markdown)
    assert _source_labels(at) == []


def test_model_answers_from_the_retrieved_passages(data_dir: Path, llm_server: LLMServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    server = llm_server
    monkeypatch.setenv("ZZ_LLM_PROVIDER", "compatible")
    monkeypatch.setenv("ZZ_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("ZZ_LLM_API_KEY", API_KEY)
    server.answer("PLR is true peak minus integrated loudness [1].", prompt_tokens=900)
    user_id = make_user(data_dir, "ada")
    at = _ask(_open("ada"), "what does the PLR card mean")
    system = server.requests[-1]["messages"][0]["content"]
    assert "[1]" in system and "PLR" in system and "does not cover" in system
    assert any("true peak minus integrated loudness" in str(m.value)
               for m in at.markdown)
    [usage] = token_usage.list_token_usage(engine_for(data_dir), user_id)
    assert (usage.provider, usage.prompt_tokens, usage.stage) == ("compatible", 900,
                                                                  "docs")


def test_own_documents_are_searched_for_their_owner_only(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    make_user(data_dir, "bob")
    at = _open("ada")
    at.file_uploader(key="docs_upload").set_value(("zorblax.md", OWN_DOCUMENT,
                                                   "text/markdown"))
    at.run()
    next(b for b in at.button if b.label == "Add to my documents").click()
    at.run()
    assert any("Added: Zorblax bus compressor" in str(s.value) for s in at.success)
    at = _ask(at, "what attack does the zorblax use")
    assert any("Zorblax" in label for label in _source_labels(at))
    bob = _ask(_open("bob"), "what attack does the zorblax use")
    assert not any("Zorblax" in label for label in _source_labels(bob))


def test_bad_document_upload_adds_nothing(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = _open("ada")
    at.file_uploader(key="docs_upload").set_value(("junk.pdf", b"\x00\x01binary" * 50,
                                                   "application/pdf"))
    at.run()
    next(b for b in at.button if b.label == "Add to my documents").click()
    at.run()
    assert any("Nothing was added" in str(e.value) for e in at.error)
    assert any(e.label == "Your documents (0)" for e in at.expander)


def test_a_figure_question_gets_the_figure(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = _ask(_open("ada"), "How loud should I master techno for Spotify?")
    answer = str(next(m.value for m in at.chat_message[1].markdown))
    assert "\\-14 LUFS" in answer and "\\-9 to \\-6 LUFS" in answer  # shown as text
    assert any("Techno" in label for label in _source_labels(at))


@pytest.mark.parametrize("script", [{"raw_body": b"\xff\xfe\xfa not UTF-8 \x80"},
                                    {"raw_events": (b"not-json",)}])
def test_a_malformed_model_reply_is_an_error_and_keeps_nothing(
        data_dir: Path, llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch,
        script: dict[str, object]) -> None:
    monkeypatch.setenv("ZZ_LLM_PROVIDER", "compatible")
    monkeypatch.setenv("ZZ_LLM_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("ZZ_LLM_API_KEY", API_KEY)
    llm_server.answer(**script)
    user_id = make_user(data_dir, "ada")
    at = _ask(_open("ada"), "what does the PLR card mean")
    assert any("sent a reply that is not" in str(e.value) and "Nothing was saved"
               in str(e.value) for e in at.error)
    assert token_usage.list_token_usage(engine_for(data_dir), user_id) == []
    assert _source_labels(at) == []
