"""Docs Assistant answers: retrieve passages, then let the language model answer from
them with citations, or, offline, quote the sentences that answer best (extractive).

A question the knowledge base does not cover (best passage below ``COVERED_SCORE``) is
answered as such by both engines, without spending tokens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from zz_core.advise import appdocs, prompts
from zz_core.advise.feedback import Usage
from zz_core.advise.providers import ProviderConfig, Reply, chat, fixed_reply
from zz_core.knowledge import documents as knowledge
from zz_core.knowledge import retrieval
from zz_core.knowledge.documents import HEADING_SEPARATOR
from zz_core.knowledge.retrieval import Hit, KnowledgeIndex
from zz_core.vocab import ProviderName

# Hybrid score (cosine + weighted BM25 share) of the best passage below which the
# knowledge base is taken not to cover a question; set from the retrieval evaluation:
# every evaluation question scores above it (lowest 0.37), questions on other subjects
# below (highest 0.31); tests/advise/test_answers.py holds both sides.
COVERED_SCORE = 0.34
SENTENCES_PER_ANSWER = 4
NOT_COVERED = ("The knowledge base does not cover this question. Try asking about "
               "loudness, true peak, dynamics, EQ, low end, stereo, mastering chains, "
               "streaming platforms or the app's pages and metrics.")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


class Source(BaseModel):
    """A passage an answer draws on, as cited."""

    document: str
    title: str
    heading: str
    score: float
    text: str

    @property
    def doc_id(self) -> str:
        return self.document

    @property
    def citation(self) -> str:
        heading = self.heading.removeprefix(self.title + HEADING_SEPARATOR)
        return self.title if heading in ("", self.title) else (
            f"{self.title}{HEADING_SEPARATOR}{heading}")


class DocsAnswer(BaseModel):
    """The answer to a Docs Assistant question."""

    answer: str
    provider: ProviderName
    model: str
    covered: bool
    sources: list[Source] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)


def open_knowledge_base(index_dir: Path | None) -> KnowledgeIndex:
    """The bundled knowledge base plus the reference pages generated from the app's data,
    indexed in ``index_dir`` (only new or changed documents are embedded)."""
    documents = knowledge.load_documents(knowledge.DEFAULT_KNOWLEDGE_DIR)
    return KnowledgeIndex.open_or_build(documents + appdocs.generated_documents(), index_dir,
                                        retrieval.load_embedder())


def find_sources(indexes: Sequence[KnowledgeIndex], question: str,
                 top_k: int = 3) -> list[Source]:
    """The ``top_k`` best passages of the knowledge base (and a user's own documents)."""
    hits = retrieval.search_indexes(indexes, question, top_k)
    return [_source(hit) for hit in hits]


def _source(hit: Hit) -> Source:
    return Source(document=hit.doc_id, title=hit.title, heading=hit.heading,
                  score=round(hit.score, 4), text=hit.text)


def covered(sources: Sequence[Source]) -> bool:
    return bool(sources) and sources[0].score >= COVERED_SCORE


def reply_for(question: str, sources: Sequence[Source], config: ProviderConfig) -> Reply:
    """The streaming answer: from the model when one is configured and the knowledge base
    covers the question, otherwise written offline."""
    if not covered(sources):
        return fixed_reply(NOT_COVERED, config=config)
    if config.offline:
        return fixed_reply(extractive_answer(question, sources),
                           prompt=prompts.docs_messages(question, sources), config=config)
    return chat(config, prompts.docs_messages(question, sources))


def answer(indexes: Sequence[KnowledgeIndex], question: str, config: ProviderConfig,
           top_k: int = 3) -> DocsAnswer:
    """Retrieve and answer in one go (the CLI's ``ask``)."""
    sources = find_sources(indexes, question, top_k)
    reply = reply_for(question, sources, config).complete()
    return DocsAnswer(answer=reply.text.strip(), provider=reply.provider, model=reply.model,
                      covered=covered(sources), sources=sources, usage=reply.usage)


def extractive_answer(question: str, sources: Sequence[Source]) -> str:
    """The sentences of the covering passages that share most terms with the question,
    in passage order, each followed by its citation number."""
    wanted = set(retrieval.tokenize(question))
    scored: list[tuple[float, int, int, str]] = []
    for number, source in enumerate(sources, start=1):
        if source.score < COVERED_SCORE and number > 1:
            continue
        for position, sentence in enumerate(_sentences(source.text)):
            overlap = len(wanted & set(retrieval.tokenize(sentence)))
            # earlier passages and earlier sentences break ties: they are the better match
            scored.append((overlap - 0.25 * (number - 1) - 0.01 * position, number, position,
                           sentence))
    relevant = [item for item in scored if item[0] >= 0.5] or scored
    best = sorted(relevant, key=lambda item: -item[0])[:SENTENCES_PER_ANSWER]
    best.sort(key=lambda item: (item[1], item[2]))
    lines = [f"{sentence} [{number}]" for _, number, _, sentence in best]
    return " ".join(lines) if lines else NOT_COVERED


def _sentences(text: str) -> list[str]:
    """Sentences of a passage: each list item is one, paragraphs are split at sentence
    ends; headings and fragments under four words are left out."""
    units: list[str] = []
    paragraph: list[str] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        item = stripped[:2] in ("- ", "* ", "• ") or stripped[:1] == "|"
        if not stripped or item or stripped.startswith("#"):
            units += _SENTENCE.split(" ".join(paragraph))
            paragraph = []
            if item:
                units.append(stripped.lstrip("-*•| ").replace(" | ", ", ").rstrip(" |"))
        else:
            paragraph.append(stripped)
    return [unit.strip() for unit in units if len(unit.split()) >= 4]
