"""A short quote from the knowledge-base passage that best matches a question, cited."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

from zz_core.advise.feedback import PassageLike
from zz_core.advise.offline.questions import normalise, topic_weights
from zz_core.advise.offline.track import Track
from zz_core.knowledge.documents import heading_context
from zz_core.text import one_line

QUOTE_MAX_CHARS = 240
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")
"""Where one sentence ends and the next begins (also used by the summary)."""
_MARKUP = re.compile(r"(?m)^\s*(?:#+|>+|[-*+]\s|\d+[.)]\s)\s*|[*_`]{1,3}|!?\[([^\]]*)\]\([^)]*\)")


_STOP_WORDS = frozenset({
    "the", "and", "for", "you", "your", "are", "how", "what", "why", "can", "does", "should",
    "with", "this", "that", "track", "mix", "song", "there", "too", "much", "have", "about",
    "which", "where", "when", "will", "would", "could", "into", "from", "than", "then", "its",
    "not", "any", "get", "make", "need",
})


def _plain(text: str) -> str:
    """Markdown reduced to its words (headings, emphasis and link targets dropped)."""
    return one_line(_MARKUP.sub(lambda m: m.group(1) or " ", text), 20000)


def _words(text: str) -> set[str]:
    return {w for w in normalise(text).split() if len(w) > 2}


ABOUT_SHARE = 0.5
"""A passage is about every topic whose keywords occur at least this share as often in it
as those of its most frequent topic (its heading counted three times)."""


def passage_topics(passage: PassageLike) -> set[str]:
    """The topics a passage is about: its heading and text weighed by topic keyword."""
    heading = " ".join((getattr(passage, "heading", "") or "").split("›")[-1:])
    text = f"{getattr(passage, 'title', '')} {heading} {heading} {heading} " \
           f"{_plain(getattr(passage, 'text', '') or '')}"
    weights = topic_weights(text)
    if not weights:
        return set()
    most = max(weights.values())
    return {topic for topic, hits in weights.items() if hits >= ABOUT_SHARE * most}


P = TypeVar("P", bound=PassageLike)


def relevant_passages(topics: Iterable[str], passages: Sequence[P]) -> list[P]:
    """The passages about one of the question's ``topics`` (none when the question has
    none): a passage on tempo is never cited for a question on the low end."""
    wanted = set(topics)
    if not wanted:
        return []
    return [p for p in passages if passage_topics(p) & wanted]


def passage_quote(question: str, topics: Sequence[str], passages: Sequence[PassageLike],
                  track: Track) -> str | None:
    """The sentence of the best-matching passage that shares most words with the question
    and its topics, quoted and cited ("(see: title › heading)"); None without a passage."""
    usable = [p for p in passages if _plain(getattr(p, "text", "") or "")]
    if not usable:
        return None
    wanted = _words(question) - _STOP_WORDS
    for name in topics:
        for keyword in track.book.topics[name].keywords:
            wanted |= _words(keyword)

    def score(p: PassageLike) -> int:
        return len(wanted & _words(f"{p.title} {p.heading} {_plain(p.text)}"))

    best = max(usable, key=lambda p: (score(p), -usable.index(p)))
    sentences = [s.strip() for s in SENTENCE_BREAK.split(_plain(best.text)) if len(s.strip()) > 20]
    if not sentences:
        sentences = [_plain(best.text)]
    sentence = max(sentences, key=lambda s: (len(wanted & _words(s)), -sentences.index(s)))
    quote = one_line(sentence.replace("“", "\"").replace("”", "\""), QUOTE_MAX_CHARS)
    title = one_line(best.title or best.doc_id or "knowledge base", 100)
    heading = one_line(best.heading or "", 200)
    citation = f"(see: {one_line(heading_context(title, heading), 200)})"
    return track.note("follow_up", "passage", {"quote": quote, "citation": citation})
