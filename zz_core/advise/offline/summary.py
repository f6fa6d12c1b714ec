"""``offline_summary``: an extractive summary of a follow-up thread."""

from __future__ import annotations

import re
from collections.abc import Sequence

from zz_core.advise.feedback import ChatTurn
from zz_core.advise.offline.passages import SENTENCE_BREAK
from zz_core.text import one_line

SUMMARY_MAX_CHARS = 1200
_UNIT = re.compile(r"\d\s*(?:dB|dBTP|dBFS|LUFS|LU|Hz|kHz|BPM|ms|%|s\b)|\b\d+[AB]\b")
_TITLE = re.compile(r"^[A-Z][\w /'?-]{0,40}: ")


def _key_sentence(answer: str, max_chars: int) -> str:
    """The sentences of an answer that carry its figures: per paragraph, the first with a
    measured figure (a number with a unit), else the first with a digit, else the first."""
    picked = []
    for paragraph in re.split(r"\n\s*\n", str(answer)):
        text = _TITLE.sub("", one_line(paragraph, 4000))
        if not text or text.startswith(("From the ", "Reference: ")):
            continue  # a quoted passage is not the answer
        sentences = [_TITLE.sub("", s.strip()) for s in SENTENCE_BREAK.split(text) if s.strip()]
        chosen = (next((s for s in sentences if _UNIT.search(s)), None)
                  or next((s for s in sentences if re.search(r"\d", s)), None)
                  or sentences[0])
        picked.append(chosen)
    return one_line(" ".join(picked), max_chars)


def _prior_summary(text: str, max_chars: int) -> str:
    lines = [re.sub(r"^[-*•]\s*", "", line.strip()).rstrip(".;") for line in
             str(text).splitlines()]
    lines = [line for line in lines if line and not line.lower().startswith("summary of")]
    return one_line("; ".join(lines), max_chars)


def offline_summary(turns: Sequence[ChatTurn]) -> str:
    """An extractive summary of a follow-up thread, at most SUMMARY_MAX_CHARS characters:
    the latest earlier summary (folded in), then each question asked since, with the
    sentence of its answer that carries the figures. The oldest questions give way first
    when the thread is long."""
    summary_at = max((i for i, t in enumerate(turns) if t.role == "summary"), default=-1)
    prior = turns[summary_at].content if summary_at >= 0 else ""
    pairs: list[list[str]] = []
    for turn in turns[summary_at + 1:]:
        if turn.role == "user":
            pairs.append([turn.content, ""])
        elif turn.role == "assistant":
            if pairs and not pairs[-1][1]:
                pairs[-1][1] = turn.content
            else:
                pairs.append(["", turn.content])
    if not prior and not pairs:
        return "No follow-up questions yet."
    header = "Summary of the follow-up thread:"
    for q_cap, a_cap, p_cap in ((140, 220, 400), (100, 150, 250), (70, 100, 150)):
        for dropped in range(len(pairs) + 1):
            lines = [header]
            if prior:
                lines.append(f"- Earlier: {_prior_summary(prior, p_cap)}")
            if dropped:
                lines.append(f"- ({dropped} earlier question{'s' if dropped > 1 else ''} "
                             "left out)")
            for question, answer in pairs[dropped:]:
                q = one_line(question, q_cap) if question else ""
                a = _key_sentence(answer, a_cap) if answer else "not answered yet"
                lines.append(f"- Q: {q} A: {a}" if q else f"- A: {a}")
            text = "\n".join(lines)
            if len(text) <= SUMMARY_MAX_CHARS:
                return text
            if q_cap > 70:
                break  # tighten the caps before dropping questions
    return one_line(text, SUMMARY_MAX_CHARS)
