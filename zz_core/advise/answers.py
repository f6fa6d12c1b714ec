"""Docs Assistant answers: retrieve passages, then let the language model answer from
them with citations, or, offline, quote the sentences that answer best (extractive).

A question the knowledge base does not cover (best passage below ``COVERED_SCORE``) is
answered as such by both engines, without spending tokens.

Retrieval keeps the best passage and then prefers, among close runners-up, a passage whose
heading names a term of the question the chosen ones lack ("techno" in "How loud should I
master techno for Spotify?": the Techno targets join the Spotify passages). A question that
asks for a figure ("how loud", "what PSR is too squashed", a threshold, a target) gets the
sentences that state one, in the unit asked about; every quoted sentence keeps its citation.
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
POOL_EXTRA = 6
"""Runners-up retrieved beyond ``top_k`` among which a passage naming a missing term of
the question may take a place."""
COVERAGE_MARGIN = 0.25
"""How far below the best passage's score such a runner-up may score (hybrid score)."""
FIGURE_BONUS = 2.0
"""Added to a sentence stating a figure in a unit the question asks about (a figure in
another unit gets a quarter of it); a sentence sharing one term with the question scores 1."""
NEW_TERM_BONUS = 0.75
"""Added per question term a sentence brings that the sentences already chosen lack."""
HEADING_TERM_WEIGHT = 0.5
"""A question term found only in a passage's heading counts this much for its sentences."""
SAME_PASSAGE = 0.5
"""Taken off a sentence per sentence already chosen from its passage (several passages
answer better than one passage's neighbouring sentences)."""
NOT_COVERED = ("The knowledge base does not cover this question. Try asking about "
               "loudness, true peak, dynamics, EQ, low end, stereo, mastering chains, "
               "streaming platforms or the app's pages and metrics.")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_FIGURE = re.compile(r"(?<![\w.])[-+\u2212]?\d+(?:[.,]\d+)?(?:\s*(?:to|-|\u2013)\s*[-+\u2212]?"
                     r"\d+(?:[.,]\d+)?)?\s*(dBTP|dBFS|dB|LUFS|LU|kHz|Hz|BPM|ms|%)(?![A-Za-z])"
                     r"|\bDR\s?\d+")
_CONDITION = re.compile(r"\b(?:than|above|below|over|under|beyond|exceeds?)\s*(?:about\s*)?$",
                        re.IGNORECASE)
_HOW = re.compile(r"\bhow (?:loud|quiet|much|many|high|low|hot|wide|far|long|fast|slow|big|"
                  r"small)\b", re.IGNORECASE)
_ASKS_FIGURE = re.compile(
    r"\b(?:how (?:loud|quiet|much|many|high|low|hot|wide|far|long|fast|slow|big|small)"
    r"|what (?:value|level|number|figure|threshold|target|limit|ceiling|range|lufs|db|psr|"
    r"plr|lra|crest|bpm|tempo|true peak|peak|loudness|frequency|setting)"
    r"|which (?:value|level|ceiling|target|frequency|threshold)"
    r"|too (?:\w+)|thresholds?|targets?|ceiling|limits?|minimum|maximum|at least|at most"
    r"|aim for|loud should|should (?:\w+ )?be|at what|where (?:should|do|can) i "
    r"(?:cut|boost|high.pass|low.pass|set|put))\b", re.IGNORECASE)
_UNITS_ASKED: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\b(?:loud\w*|quiet\w*|lufs|volume|normali[sz]\w*|level)\b", re.I),
     ("LUFS", "LU")),
    (re.compile(r"\b(?:lra|loudness range)\b", re.I), ("LU",)),
    (re.compile(r"\b(?:peaks?|ceiling|true.peak|dbtp|clip\w*|overs)\b", re.I),
     ("dBTP", "dBFS")),
    (re.compile(r"\b(?:psr|plr|crest|compress\w*|squash\w*|dynamic\w*|punch\w*|headroom|"
                r"gain reduction|db|boost|cut|imbalance)\b", re.I), ("dB",)),
    (re.compile(r"\b(?:dr|dr value)\b", re.I), ("DR",)),
    (re.compile(r"\b(?:tempo|bpm|fast|slow)\b", re.I), ("BPM",)),
    (re.compile(r"\b(?:hz|khz|frequenc\w*|high.pass|low.cut|crossover|mono below|"
                r"sub|bass)\b", re.I), ("Hz", "kHz")),
    (re.compile(r"\b(?:attack|release|ms|milliseconds?|lookahead|delay)\b", re.I), ("ms",)),
)


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
    """The ``top_k`` best passages of the knowledge base (and a user's own documents),
    best first. After the best one, a close runner-up (within ``COVERAGE_MARGIN``) whose
    heading names a question term the chosen passages lack takes the next place."""
    hits = retrieval.search_indexes(indexes, question, top_k + POOL_EXTRA)
    return _covering(question, [_source(hit) for hit in hits], top_k)


_SUFFIXES = ("ness", "ing", "ers", "est", "er", "ed", "es", "s", "ly")


def _stem(term: str) -> str:
    """"loudness", "louder" -> "loud"; "mastering", "masters" -> "mast" (both sides of a
    comparison are stemmed alike, so only the matching matters)."""
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    return term


def _terms(text: str) -> set[str]:
    """The content words of a text (no numbers, none under three letters), stemmed."""
    return {_stem(t) for t in retrieval.tokenize(text)
            if len(t) > 2 and not t.lstrip("+-")[:1].isdigit()}


def _heading_leaf(source: Source) -> str:
    return source.heading.split(HEADING_SEPARATOR.strip())[-1].strip()


def _covering(question: str, pool: list[Source], top_k: int) -> list[Source]:
    if len(pool) <= top_k or top_k < 2:
        return pool[:top_k]
    wanted = _terms(question)
    floor = max(COVERED_SCORE, pool[0].score - COVERAGE_MARGIN)
    chosen, rest = [pool[0]], pool[1:]
    while len(chosen) < top_k and rest:
        have = set().union(*(_terms(f"{c.heading} {c.text}") for c in chosen))
        missing = wanted - have
        naming = [c for c in rest if c.score >= floor and missing & _terms(_heading_leaf(c))]
        pick = max(naming, key=lambda c: (len(missing & _terms(_heading_leaf(c))), c.score)) \
            if naming else rest[0]
        chosen.append(pick)
        rest.remove(pick)
    return sorted(chosen, key=lambda c: -c.score)


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


def asks_for_figure(question: str) -> bool:
    """True when the question asks for a value: how loud / how much, a threshold, a
    target, a ceiling, "what PSR is too squashed"."""
    return bool(_ASKS_FIGURE.search(question))


def _units_asked(question: str) -> set[str]:
    return {unit for words, units in _UNITS_ASKED if words.search(question) for unit in units}


def _figure_score(sentence: str, units: set[str]) -> float:
    """``FIGURE_BONUS`` for a sentence whose figures are in the units asked about (in
    proportion when it also states figures in others), a quarter of it for figures in
    other units only, 0 without a figure. A figure after "than", "above", "below" ... is
    a condition ("for masters louder than -14 LUFS: -2 dBTP"), not the value stated."""
    found = [(m.group(1) or "DR", bool(_CONDITION.search(sentence[:m.start()])))
             for m in _FIGURE.finditer(sentence)]
    if not found:
        return 0.0
    if not units:
        return FIGURE_BONUS
    asked = sum(1 for unit, condition in found if unit in units and not condition)
    return FIGURE_BONUS * asked / len(found) if asked else FIGURE_BONUS / 4


def extractive_answer(question: str, sources: Sequence[Source]) -> str:
    """The sentences of the covering passages that answer the question best, in passage
    order, each followed by its citation number.

    A sentence scores one per question term it shares (half for a term only its passage's
    heading names), less a little for later passages and positions; a question asking for
    a figure adds ``FIGURE_BONUS`` to sentences stating one in the unit asked about. Up to
    ``SENTENCES_PER_ANSWER`` are picked greedily, each bringing question terms the earlier
    picks lack first (``NEW_TERM_BONUS``). A list item that does not name its section's
    subject is followed by the section heading, so "-9 to -6 LUFS" says it is for techno.
    """
    units = _units_asked(question) if asks_for_figure(question) else None
    # "how loud": "loud" asks for the figure (the unit says what), it is not the subject
    wanted = _terms(_HOW.sub(" ", question) if units is not None else question)
    scored: list[Scored] = []
    for number, source in enumerate(sources, start=1):
        if source.score < COVERED_SCORE and number > 1:
            continue
        leaf = _heading_leaf(source)
        context = wanted & _terms(leaf)
        for position, (sentence, listed) in enumerate(_units_of(source.text)):
            own = wanted & _terms(sentence)
            score = (len(own) + HEADING_TERM_WEIGHT * len(context - own)
                     - 0.25 * (number - 1) - 0.01 * position)
            if units is not None:
                score += _figure_score(sentence, units)
            if listed and context - own and leaf != source.title:
                sentence = f"{sentence.rstrip('.')} ({leaf})"
            scored.append((score, own | context, number, position, sentence))
    relevant = [item for item in scored if item[0] >= 0.5] or scored
    best: list[Scored] = []
    covered: set[str] = set()
    while relevant and len(best) < SENTENCES_PER_ANSWER:
        pick = max(relevant, key=lambda item: _gain(item, best, covered))
        relevant.remove(pick)
        best.append(pick)
        covered |= pick[1]
    best.sort(key=lambda item: (item[2], item[3]))
    lines = [f"{sentence} [{number}]" for _, _, number, _, sentence in best]
    return " ".join(lines) if lines else NOT_COVERED


Scored = tuple[float, set[str], int, int, str]
"""(score, question terms covered, passage number, position, sentence)."""


def _gain(item: Scored, chosen: Sequence[Scored], covered: set[str]) -> float:
    """What picking ``item`` next adds: its score, the question terms it brings, less the
    sentences already taken from its passage."""
    same = sum(1 for taken in chosen if taken[2] == item[2])
    return item[0] + NEW_TERM_BONUS * len(item[1] - covered) - SAME_PASSAGE * same


def _units_of(text: str) -> list[tuple[str, bool]]:
    """(sentence, is a list item) of a passage, as ``_sentences`` splits it."""
    items = {line.strip().lstrip("-*•| ").replace(" | ", ", ").rstrip(" |")
             for line in text.splitlines()
             if line.strip()[:2] in ("- ", "* ", "• ") or line.strip()[:1] == "|"}
    return [(sentence, sentence in items) for sentence in _sentences(text)]


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
