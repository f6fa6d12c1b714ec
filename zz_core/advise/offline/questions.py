"""What a question is about (its topics, by keyword) and which questions to suggest."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from zz_core.advise.offline.book import (
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    known_profile,
    load_advice,
    render,
)
from zz_core.judge import genres
from zz_core.text import one_line
from zz_core.vocab import Profile

QUESTION_MAX_CHARS = 2000
"""A question is cut to this many characters (after control characters are removed)."""


def suggested_questions(context: str, genre_label: str, profile: Profile,
                        issue_codes: Iterable[str]) -> list[str]:
    """4-6 follow-up questions for the context, genre and profile, the track's issues
    first (in the order given, at most three), then the context's usual questions."""
    book = load_advice()
    chosen_profile = known_profile(profile)
    genre = one_line(genre_label or genres.GENERIC_LABEL, 60)
    questions: list[str] = []
    seen_codes: list[str] = []
    for code in issue_codes:
        if code in book.questions.issues and code not in seen_codes:
            seen_codes.append(code)
    for code in seen_codes[:3]:
        questions.append(book.questions.issues[code].pick(chosen_profile))
    qset = book.questions.context.get(context) or book.questions.context["mixdown"]
    for question in qset.pick(chosen_profile):
        if len(questions) >= 5:
            break
        questions.append(question)
    rendered: list[str] = []
    for question in questions:
        text = render(question, {"genre": genre})
        if text not in rendered:
            rendered.append(text)
    for question in qset.pick(chosen_profile):  # top up after duplicates were dropped
        if len(rendered) >= MIN_QUESTIONS:
            break
        text = render(question, {"genre": genre})
        if text not in rendered:
            rendered.append(text)
    return rendered[:MAX_QUESTIONS]


def normalise(text: str) -> str:
    """Lower-case ASCII words separated by single spaces ("Low-End’s" -> "low ends")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = re.sub(r"['`’]", "", ascii_text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text).split())


def _forms(token: str) -> set[str]:
    forms = {token}
    for suffix in ("s", "es", "ing", "ed", "y"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            forms.add(token[: -len(suffix)])
    return forms


@lru_cache(maxsize=1)
def _keyword_index() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """(topic, single-word keywords, phrases) in file order, normalised."""
    book = load_advice()
    index = []
    for name, topic in book.topics.items():
        words: list[str] = []
        phrases: list[str] = []
        for keyword in topic.keywords:
            normal = normalise(keyword)
            if normal:
                (phrases if " " in normal else words).append(normal)
        index.append((name, tuple(words), tuple(phrases)))
    return tuple(index)


def _token_matches(token: str, keyword: str, not_typos: frozenset[str]) -> bool:
    if keyword in _forms(token):
        return True
    if len(keyword) >= 5 and token.startswith(keyword):
        return True
    if (len(token) >= 5 and len(keyword) >= 5 and token[0] == keyword[0]
            and abs(len(token) - len(keyword)) <= 2 and token not in not_typos):
        matcher = difflib.SequenceMatcher(None, token, keyword)
        return matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85 and \
            matcher.ratio() >= 0.85
    return False


def question_topics(question: str) -> list[str]:
    """The topics a question is about, in the order the question brings them up.

    Keywords match whole words case-insensitively, with plural and -ing/-ed forms, longer
    keywords as prefixes ("compressing"), and small typos ("lowdness", "streo")."""
    book = load_advice()
    not_typos = frozenset(normalise(w) for w in book.not_typos)
    normal = normalise(one_line(question, QUESTION_MAX_CHARS))
    tokens = normal.split()
    padded = f" {normal} "
    first_at: dict[str, int] = {}
    unique_positions: dict[str, int] = {}
    for position, token in enumerate(tokens):
        unique_positions.setdefault(token, position)
    for order, (topic, words, phrases) in enumerate(_keyword_index()):
        best: int | None = None
        for phrase in phrases:
            at = padded.find(f" {phrase} ")
            if at >= 0:
                position = padded[:at].count(" ")
                best = position if best is None else min(best, position)
        for token, position in unique_positions.items():
            if best is not None and position >= best:
                continue
            if any(_token_matches(token, word, not_typos) for word in words):
                best = position
        if best is not None:
            first_at[topic] = best * 100 + order
    return sorted(first_at, key=lambda t: first_at[t])


def topic_weights(text: str) -> dict[str, int]:
    """How often each topic's keywords occur in a text (whole words and their plural
    forms, phrases as phrases): what a knowledge-base passage is about."""
    normal = normalise(text)
    tokens = normal.split()
    padded = f" {normal} "
    counts: dict[str, int] = {}
    stems = [_forms(token) for token in tokens]
    for topic, words, phrases in _keyword_index():
        hits = sum(padded.count(f" {phrase} ") for phrase in phrases)
        hits += sum(1 for forms in stems if any(word in forms for word in words))
        if hits:
            counts[topic] = hits
    return counts
