"""Docs Assistant answers on the real knowledge base: covered and uncovered questions,
extractive answers that cite their passages, and a model answering from the passages
through the real ``openai`` client on 127.0.0.1."""

from __future__ import annotations

import re

import pytest

from tests.knowledge.test_retrieval_eval import load_questions
from tests.llm_server import API_KEY, LLMServer
from zz_core.advise import answers
from zz_core.advise.providers import ProviderConfig
from zz_core.fmt import value_range
from zz_core.judge import genres
from zz_core.knowledge.retrieval import KnowledgeIndex

OFF_TOPIC = [
    "how long should I proof sourdough bread", "who won the football world cup in 2010",
    "best way to change a car tyre", "how do I file my taxes", "recommend a pizza recipe",
    "what is the capital of australia", "how to train a puppy to sit",
    "write me a poem about the sea", "explain quantum entanglement", "how to knit a scarf",
    "how do I get more followers on instagram", "how to write a cover letter",
]
OFFLINE = ProviderConfig()


def test_every_evaluation_question_counts_as_covered(knowledge_index: KnowledgeIndex) -> None:
    uncovered = [q["question"] for q in load_questions()
                 if not answers.covered(answers.find_sources([knowledge_index],
                                                             q["question"]))]
    assert uncovered == []


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_other_subjects_are_not_covered(knowledge_index: KnowledgeIndex,
                                        question: str) -> None:
    reply = answers.answer([knowledge_index], question, OFFLINE)
    assert not reply.covered and reply.answer == answers.NOT_COVERED


def test_offline_answer_quotes_cited_passages(knowledge_index: KnowledgeIndex) -> None:
    reply = answers.answer([knowledge_index], "what does the PLR card mean", OFFLINE)
    assert reply.covered and reply.provider == "offline" and len(reply.sources) == 3
    assert "[1]" in reply.answer and "PLR" in reply.answer
    for sentence in reply.answer.split(" ["):
        quoted = sentence.split("] ", 1)[-1]
        if len(quoted.split()) >= 4:  # every quoted sentence comes from a source passage
            assert any(quoted[:40] in " ".join(s.text.split()) for s in reply.sources), quoted
    assert reply.usage.prompt_tokens == 0 and reply.usage.would_cost_usd


def test_exact_terms_find_their_entries(knowledge_index: KnowledgeIndex) -> None:
    for term, expected in [("Camelot", "camelot"), ("dBTP", "true peak"),
                           ("LRA", "loudness range")]:
        sources = answers.find_sources([knowledge_index], f"what is {term}")
        assert any(expected in (s.heading + s.text).lower() for s in sources), term


def test_model_answers_from_the_passages_only(llm_server: LLMServer) -> None:
    server = llm_server
    server.answer("True peak is the peak between samples [1].", prompt_tokens=700)
    config = ProviderConfig(provider="compatible", model="gpt-4o-mini", api_key=API_KEY,
                            base_url=server.base_url, timeout_s=5, max_retries=0)
    sources = [answers.Source(document="tutorials/tp.md", title="True peak",
                              heading="True peak › Overs", score=0.9,
                              text="Inter-sample peaks exceed 0 dBFS after conversion.")]
    reply = answers.reply_for("what is true peak", sources, config).complete()
    assert reply.text == "True peak is the peak between samples [1]."
    system = server.requests[-1]["messages"][0]["content"]
    assert "[1] True peak › Overs (tutorials/tp.md)" in system
    assert "Inter-sample peaks exceed 0 dBFS" in system
    before = len(server.requests)
    uncovered = answers.reply_for("sourdough", [], config).complete()
    assert uncovered.text.strip() == answers.NOT_COVERED and len(server.requests) == before


def test_extractive_answer_prefers_sentences_sharing_the_question_terms() -> None:
    source = answers.Source(
        document="d.md", title="T", heading="T", score=0.9,
        text="# T\n\nMixing is fun and rewarding for everyone. Dithering adds low-level "
             "noise before reducing bit depth. Coffee helps long sessions go well.\n\n"
             "- Dither once, at the final bit-depth reduction only")
    text = answers.extractive_answer("when should I dither bit depth", [source])
    assert text.startswith("Dithering adds low-level noise before reducing bit depth. [1]")
    assert "Dither once, at the final bit-depth reduction only [1]" in text


def _techno_loudness() -> str:
    targets = genres.resolve_targets("electronic", "techno").targets
    return value_range(targets.integrated_lufs.min, targets.integrated_lufs.max, "LUFS")


@pytest.mark.parametrize(("question", "figures"), [
    ("How loud should I master techno for Spotify?", ["-14 LUFS", _techno_loudness()]),
    ("what PSR is too squashed?", ["6 dB"]),
    ("what true peak ceiling should I use for streaming?", ["-1 dBTP"]),
    ("how much headroom should a mixdown have?", ["-3 dBTP"]),
    ("What tempo range is drum and bass?", ["160", "180"]),
    ("what LUFS does Apple Music normalise to?", ["-16 LUFS"]),
])
def test_a_figure_question_gets_the_sentence_with_the_figure(
        knowledge_index: KnowledgeIndex, question: str, figures: list[str]) -> None:
    reply = answers.answer([knowledge_index], question, OFFLINE)
    assert reply.covered
    for wanted in figures:
        sentence = next((s for s in re.split(r" \[\d\] ?", reply.answer) if wanted in s), None)
        assert sentence is not None, (wanted, reply.answer)
    cited = {int(n) for n in re.findall(r"\[(\d)\]", reply.answer)}
    assert cited and cited <= set(range(1, len(reply.sources) + 1))


def test_a_figure_is_preferred_in_the_unit_asked_about() -> None:
    source = answers.Source(
        document="d.md", title="Dynamics", heading="Dynamics › PSR", score=0.9,
        text="PSR shows which sections are squashed, and it moves with the music. The "
             "meter redraws every 100 ms. Around 6 dB of PSR and below, loud sections sound "
             "squashed.")
    text = answers.extractive_answer("what PSR is too squashed?", [source])
    assert text.startswith("PSR shows which sections are squashed")
    assert "Around 6 dB of PSR and below, loud sections sound squashed. [1]" in text
    assert answers.asks_for_figure("how loud should a techno master be")
    assert not answers.asks_for_figure("when should I dither")


def test_a_list_item_names_its_section() -> None:
    source = answers.Source(
        document="g.md", title="Genre targets", heading="Genre targets › Techno targets",
        score=0.9, text="- Integrated loudness of a master: -9 to -6 LUFS\n- Tempo: 125 to "
                        "140 BPM")
    text = answers.extractive_answer("how loud is a techno master", [source])
    assert "Integrated loudness of a master: -9 to -6 LUFS (Techno targets) [1]" in text
