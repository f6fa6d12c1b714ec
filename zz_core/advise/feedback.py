"""Feedback as structured items: the INSIGHT / SUGGESTION format every provider writes,
its parser, and the models the UI, the CLI and the report share.

A reply that does not parse keeps its text (``Feedback.text``) so it is shown, never lost.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from zz_core.vocab import ISSUE_CODES, ProviderName, Severity


class FeedbackItem(BaseModel):
    """One observation and what to do about it."""

    insight: str
    suggestion: str
    issue_code: str | None = None  # one of issues.ISSUE_CODES when the item is about one
    severity: Severity | None = None


class Usage(BaseModel):
    """Tokens and cost of one call. ``estimated`` when the provider reported no usage (the
    counts then come from a tokenizer); the offline engine reports zero tokens and, in
    ``would_cost_usd``, what its prompt would cost on the configured model."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False
    would_cost_usd: float | None = None


class Feedback(BaseModel):
    """A provider's answer: parsed items plus the full text it wrote."""

    provider: ProviderName
    model: str
    items: list[FeedbackItem] = Field(default_factory=list)
    text: str = ""
    usage: Usage = Field(default_factory=Usage)

    @property
    def parsed(self) -> bool:
        return bool(self.items)


class PassageLike(Protocol):
    """A knowledge-base passage (a retrieval hit or a chunk); read-only attributes, so
    frozen models and dataclasses fit too."""

    @property
    def doc_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def heading(self) -> str: ...

    @property
    def text(self) -> str: ...


class ChatTurn(BaseModel):
    """One message of a follow-up thread as the prompts and the report read it."""

    role: Literal["user", "assistant", "summary"]
    content: str


_LABEL = re.compile(
    r"^\s*(?:[-*•]\s*|\d+[.)]\s*|#+\s*)?\**\s*(INSIGHT|SUGGESTION)\s*\**\s*(?:\[([^\]]*)\])?"
    r"\s*\**\s*[:\-–—]\s*\**\s*", re.IGNORECASE | re.MULTILINE)
_SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")


def parse_items(text: str) -> list[FeedbackItem]:
    """Read ``INSIGHT: ...`` / ``SUGGESTION: ...`` pairs from a reply.

    A label may carry a tag in brackets naming the issue code and severity, e.g.
    ``INSIGHT [clipping, critical]: ...``. Markdown decoration (bullets, bold, numbering)
    around the labels is tolerated. An insight with no suggestion is dropped; text before
    the first label is ignored. Returns ``[]`` when nothing parses.
    """
    marks = list(_LABEL.finditer(text))
    items: list[FeedbackItem] = []
    pending: tuple[str, str | None] | None = None
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        body = _clean(text[mark.end():end])
        if mark.group(1).upper() == "INSIGHT":
            pending = (body, mark.group(2))
        elif pending is not None and pending[0] and body:
            code, severity = _tag(pending[1] or mark.group(2))
            items.append(FeedbackItem(insight=pending[0], suggestion=body, issue_code=code,
                                      severity=severity))
            pending = None
    return items


def format_items(items: list[FeedbackItem]) -> str:
    """The items in the wire format that ``parse_items`` reads back."""
    blocks = []
    for item in items:
        tag = ", ".join(part for part in (item.issue_code, item.severity) if part)
        label = f"INSIGHT [{tag}]" if tag else "INSIGHT"
        blocks.append(f"{label}: {item.insight}\nSUGGESTION: {item.suggestion}")
    return "\n\n".join(blocks)


def _clean(body: str) -> str:
    lines = [line.strip() for line in body.strip().splitlines()]
    return "\n".join(line for line in lines if line).strip().strip("*").strip()


def _tag(tag: str | None) -> tuple[str | None, Severity | None]:
    code: str | None = None
    severity: Severity | None = None
    for part in re.split(r"[,;/|\s]+", (tag or "").strip().lower()):
        if part in ISSUE_CODES:
            code = part
        elif part in _SEVERITIES:
            severity = part
    return code, severity
