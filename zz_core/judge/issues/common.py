"""What every detector shares: time spans, the words for where an issue is heard and by
how much it is past its limit, and building one issue from its decision."""

from __future__ import annotations

import numpy as np

from zz_core import fmt
from zz_core.judge.gating import Stretch
from zz_core.judge.issues.models import Issue, IssueInputs, IssueSpan
from zz_core.judge.rules import Decision

MERGE_GAP_S = 0.5
SPANS_NAMED = 3
MARGIN_DIGITS: dict[str, int] = {
    "LUFS": 1, "LU": 1, "dB": 1, "dBTP": 1, "dBFS": 0, "": 2, "s": 1, "runs": 0, "samples": 0,
}
"""Decimals an issue's value and margin are written with, by the issue's unit."""
MARGIN_UNITS: dict[str, str] = {"LUFS": "LU", "dBTP": "dB", "dBFS": "dB"}
"""The unit of a difference of values in a unit (a difference of LUFS is in LU)."""


def time_spans(
    mask: np.ndarray, hop_s: float, start_s: float = 0.0, *, min_length_s: float = 0.0,
    merge_gap_s: float = MERGE_GAP_S,
) -> list[tuple[float, float]]:
    """Spans (start, end) in seconds where ``mask`` is true, with item i covering
    [start_s + i hop_s, start_s + (i + 1) hop_s); gaps shorter than ``merge_gap_s``
    are bridged and spans shorter than ``min_length_s`` dropped."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    spans: list[list[float]] = []
    for first, last in zip(starts, ends, strict=True):
        begin, end = start_s + first * hop_s, start_s + last * hop_s
        if spans and begin - spans[-1][1] < merge_gap_s:
            spans[-1][1] = end
        else:
            spans.append([begin, end])
    return [(round(b, 3), round(e, 3)) for b, e in spans if e - b >= min_length_s]


def valued_spans(mask: np.ndarray, values: np.ndarray, hop_s: float, start_s: float = 0.0,
                 *, higher_is_worse: bool = True) -> list[IssueSpan]:
    """``time_spans`` of ``mask`` with the worst of ``values`` inside each, worst first."""
    spans = []
    for begin, end in time_spans(mask, hop_s, start_s):
        first = max(0, round((begin - start_s) / hop_s))
        last = max(first + 1, round((end - start_s) / hop_s))
        inside = values[first:last]
        inside = inside[~np.isnan(inside)]
        worst = (float(inside.max() if higher_is_worse else inside.min())
                 if inside.size else None)
        spans.append(IssueSpan(start_s=begin, end_s=end, value=worst))
    return worst_first(spans, higher_is_worse=higher_is_worse)


def from_stretches(stretches: tuple[Stretch, ...] | list[Stretch],
                   digits: int = 3) -> list[IssueSpan]:
    """Decisive stretches (already worst first) as issue spans."""
    return [IssueSpan(start_s=s.start_s, end_s=s.end_s, value=round(s.worst, digits))
            for s in stretches]


def worst_first(spans: list[IssueSpan], *, higher_is_worse: bool = True) -> list[IssueSpan]:
    """Spans ordered worst value first (then earliest); spans without a value last."""
    def key(span: IssueSpan) -> tuple[int, float, float]:
        if span.value is None:
            return (1, 0.0, span.start_s)
        return (0, -span.value if higher_is_worse else span.value, span.start_s)
    return sorted(spans, key=key)


def whole(inputs: IssueInputs, value: float | None = None) -> list[IssueSpan]:
    """The whole track as one span."""
    return [IssueSpan(start_s=0.0, end_s=round(inputs.duration_s, 3), value=value)]


def where(spans: list[IssueSpan], limit: int = SPANS_NAMED) -> str:
    """"at 0:12.0-0:20.0" or "in 5 stretches, worst first 0:12.0-0:20.0, 0:31.0-0:32.5,
    0:40.1-0:41.0 and 2 more" (m:ss.s, as a DAW timeline shows it)."""
    if not spans:
        return ""
    if len(spans) == 1:
        return f"at {fmt.clock_span(spans[0].start_s, spans[0].end_s)}"
    shown = [fmt.clock_span(s.start_s, s.end_s) for s in spans[:limit]]
    if len(spans) > limit:
        shown.append(f"{len(spans) - limit} more")
    return f"in {len(spans)} stretches, worst first {fmt.join(shown)}"


def figure(value: float | None, unit: str, *, sign: bool = False) -> str:
    """An issue's value (or limit) in its unit, at its unit's resolution."""
    return fmt.figure(value, unit, MARGIN_DIGITS.get(unit, 1), sign=sign)


def margin_text(margin: float | None, unit: str) -> str:
    """How far past the limit, in the unit of a difference: "0.6 LU", "2.5 dB", "0.35"."""
    digits = MARGIN_DIGITS.get(unit, 1)
    return fmt.figure(margin, MARGIN_UNITS.get(unit, unit), digits)


def build(code: str, decision: Decision, message: str, spans: list[IssueSpan],
          unit: str) -> Issue:
    """The issue of a decision that fired, its worst span first."""
    assert decision.severity is not None
    first = spans[0]
    return Issue(code=code, severity=decision.severity, message=message,
                 start_s=first.start_s, end_s=first.end_s, value=decision.value,
                 limit=decision.limit, unit=unit, margin=decision.margin, spans=spans)
