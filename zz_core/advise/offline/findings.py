"""The track's issues as findings: the issues of one code merged into an ``IssueGroup``
with its times, amounts and variant, and their titles; ``read_track`` builds the ``Track``
every offline text is written from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from zz_core.advise.offline.book import ISSUE_FIELDS, TONAL_SIGNS, TextBlock
from zz_core.advise.offline.track import (
    IssueGroup,
    Track,
    measured,
    octave_deviations,
    tonal_tolerance,
)
from zz_core.fmt import (
    NOT_AVAILABLE,
    amount,
    clock,
    clock_span,
    figure,
    hz,
    join,
    number,
    octave_range,
)
from zz_core.judge.issues import Issue, time_spans
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import SEVERITY_RANK

MASTERING_EQ_MAX_DB = 6.0
"""Broad EQ moves suggested at mastering are capped here; bigger problems belong in the mix."""
MASTERING_SIDE_MAX_DB = 4.0
"""Side-channel gain suggested at mastering is capped here; more sounds phasey."""


def read_track(result: AnalysisResult, profile: str) -> Track:
    """The track with its figures and its findings, most severe first."""
    track = Track.create(result, profile)
    track.groups = _groups(track)
    return track


def _spans_text(spans: Sequence[tuple[float, float]], duration: float, limit: int = 4) -> str:
    """Times as a DAW timeline shows them: "0:01.2-0:03.0, 0:05.5 and 2 more"."""
    clamped = [(max(0.0, b), min(duration, max(b, e))) for b, e in spans]
    if not clamped:
        return f"{clock_span(0.0, duration)}, the whole track"
    if len(clamped) == 1 and duration > 0:
        begin, end = clamped[0]
        if begin <= 0.05 * duration and end >= 0.95 * duration:
            return f"{clock_span(0.0, duration)}, the whole track"
    shown = [clock(b) if e - b < 0.3 else clock_span(b, e)
             for b, e in clamped[:limit]]
    more = len(clamped) - limit
    if more > 0:
        return f"{', '.join(shown)} and {more} more"
    return join(shown)


def _issue_spans(code: str, issues: Sequence[Issue], result: AnalysisResult
                 ) -> list[tuple[float, float]]:
    if code == "true_peak_over" and issues and issues[0].limit is not None:
        series = result.series.true_peak_dbtp
        spans = time_spans(series.as_array() > issues[0].limit, series.hop_s, series.start_s)
        if spans:
            return spans
    return [(i.start_s, i.end_s) for i in issues]


def _tonal_worst(track: Track, code: str, issue: Issue) -> tuple[float, float]:
    """(octave centre, deviation dB) of the octave behind a tonal issue."""
    sign = TONAL_SIGNS[code]
    octaves = track.book.issues[code].octaves_hz
    deviations = octave_deviations(track.result)
    candidates = [(c, deviations[c]) for c in octaves if c in deviations]
    if candidates:
        return max(candidates, key=lambda cd: (sign * cd[1], -cd[0]))
    return (octaves[0] if octaves else 1000.0), float(issue.value or 0.0)


def _issue_values(track: Track, code: str, issues: list[Issue]
                  ) -> tuple[str | None, dict[str, str]]:
    """The variant to use and the placeholders of one merged issue."""
    result = track.result
    duration = result.duration_s
    values = dict.fromkeys(ISSUE_FIELDS, NOT_AVAILABLE)
    spans = _issue_spans(code, issues, result)
    values.update(
        where=_spans_text(spans, duration),
        start=clock(min(b for b, _ in spans)),
        end=clock(min(duration, max(e for _, e in spans))),
        count=str(len(issues)),
    )
    first = issues[0]
    numbers = [v for v in (measured(i.value) for i in issues) if v is not None]
    value, limit = measured(first.value), measured(first.limit)
    tp = measured(result.loudness.true_peak_dbtp)
    ceiling = track.rules.true_peak_limit(track.targets)
    variant: str | None = None
    if code == "clipping":
        runs = max(numbers) if numbers else len(issues)
        over = tp - ceiling if tp is not None else 1.0
        values.update(value=number(runs, 0), amount_db=amount(over, 0.5, minimum=1.0))
    elif code == "true_peak_over" and value is not None and limit is not None:
        values.update(value=figure(value, "dBTP", sign=True), limit=figure(limit, "dBTP"),
                      amount_db=amount(value - limit, 0.1, minimum=0.1))
    elif code == "dc_offset":
        values.update(value=figure(value, "dBFS", 0), limit=figure(limit, "dBFS", 0))
    elif code in ("phase_cancellation", "wide_low_end"):
        values.update(value=number(value, 2, sign=True), limit=number(limit, 2, sign=True))
    elif code == "channel_imbalance" and value is not None:
        left = value > 0
        values.update(value=figure(abs(value), "dB"), limit=figure(limit, "dB"),
                      amount_db=figure(abs(value), "dB"),
                      louder_side="left" if left else "right",
                      quieter_side="right" if left else "left")
    elif code == "mono":
        variant = "file" if result.channels == 1 else None
        values.update(value=number(value, 2))
    elif code in ("too_quiet", "too_loud") and value is not None and limit is not None:
        distance = abs(value - limit)
        if code == "too_quiet" and not track.rules.apply_genre_loudness and tp is not None:
            room = ceiling - tp  # a mixdown is raised only as far as its headroom allows
            distance = min(distance, room) if room >= 0.5 else distance
        values.update(value=figure(value, "LUFS"), limit=figure(limit, "LUFS", 0),
                      amount_db=amount(distance, 0.1, minimum=0.1))
    elif code == "over_compressed" and value is not None and limit is not None:
        values.update(value=figure(value, "dB"), limit=figure(limit, "dB", 0),
                      amount_db=amount(limit - value, 0.5, minimum=1.0))
    elif code == "too_dynamic" and value is not None and limit is not None:
        values.update(value=figure(value, "dB"), limit=figure(limit, "dB", 0),
                      amount_db=amount(value - limit, 0.5, minimum=1.0, maximum=4.0))
    elif code in TONAL_SIGNS:
        centre, deviation = _tonal_worst(track, code, first)
        tolerance = tonal_tolerance(result, track.targets, track.rules)
        cap = None if track.context == "mixdown" else MASTERING_EQ_MAX_DB
        values.update(
            value=figure(deviation, "dB", sign=True), deviation=figure(abs(deviation), "dB"),
            limit=track.figures["tolerance"],
            amount_db=amount(abs(deviation) - tolerance / 2, 0.5, minimum=1.0, maximum=cap,
                             up=False),
            freq_hz=hz(centre), freq_range=octave_range(centre),
            band_name=track.book.octave_name(centre))
    elif code == "silence":
        if result.loudness.integrated_lufs is None:
            variant = "whole"
            values.update(length=figure(duration, "s"), edge="whole track")
        else:
            gaps = [i for i in issues if i.severity != "info"]
            edges = [i for i in issues if i.severity == "info"]
            chosen = gaps or edges
            if gaps:
                variant = "gap"
                values.update(where=_spans_text([(i.start_s, i.end_s) for i in gaps], duration),
                              start=clock(gaps[0].start_s),
                              end=clock(gaps[0].end_s))
            longest = max((i.value or i.end_s - i.start_s) for i in chosen)
            at_start = any(i.start_s <= 0.0 for i in edges)
            at_end = any(i.end_s >= duration - 0.5 for i in edges)
            edge = "start and end" if at_start and at_end else ("start" if at_start else "end")
            values.update(length=figure(longest, "s"), edge=edge)
    elif code in ("narrow_image", "wide_image") and value is not None and limit is not None:
        ratio = (limit / value) if code == "narrow_image" and value > 0 else (
            value / limit if limit > 0 else 1.0)
        side = 10 * math.log10(ratio) if ratio > 0 else 0.0
        most = 12.0 if track.context == "mixdown" else MASTERING_SIDE_MAX_DB
        values.update(value=number(value, 2), limit=number(limit, 2),
                      side_db=amount(side, 0.5, minimum=0.5, maximum=most))
    return variant, values


def _groups(track: Track) -> list[IssueGroup]:
    """The track's issues merged by code, most severe first, then earliest."""
    by_code: dict[str, list[Issue]] = {}
    for issue in track.result.issues:
        if issue.code in track.book.issues:
            by_code.setdefault(issue.code, []).append(issue)
    groups = []
    for code, issues in by_code.items():
        issues = sorted(issues, key=lambda i: (i.start_s, i.end_s))
        severity = min((i.severity for i in issues), key=lambda s: SEVERITY_RANK[s])
        variant, values = _issue_values(track, code, issues)
        groups.append(IssueGroup(code=code, issues=issues, severity=severity,
                                 start_s=issues[0].start_s, variant=variant,
                                 values={**track.figures, **values}))
    groups.sort(key=lambda g: (SEVERITY_RANK[g.severity], g.start_s, g.code))
    return groups


def issue_part(track: Track, group: IssueGroup, part: str) -> str:
    advice = track.book.issues[group.code]
    block: TextBlock = getattr(advice, part)
    variant = advice.variants.get(group.variant or "")
    if variant is not None and getattr(variant, part) is not None:
        block = getattr(variant, part)
    return track.text(block, group.values)


def issue_title(track: Track, code: str, variant: str | None = None) -> str:
    advice = track.book.issues[code]
    chosen = advice.variants.get(variant or "")
    title = chosen.title if chosen is not None and chosen.title is not None else advice.title
    return title.pick(track.profile)


def group_title(track: Track, group: IssueGroup) -> str:
    return issue_title(track, group.code, group.variant)


def titles(track: Track, groups: Iterable[IssueGroup]) -> str:
    return join([lower_first(group_title(track, g)) for g in groups])


def lower_first(text: str) -> str:
    """"Clipping" -> "clipping", but "DC offset" and "L/R ..." keep their capitals."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
