"""The track's issues as findings: the issues of one code merged into an ``IssueGroup``
with its times, amounts and variant, and their titles; ``read_track`` builds the ``Track``
every offline text is written from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from zz_core.advise.figures import issue_limit, issue_margin, issue_value
from zz_core.advise.offline.book import ISSUE_FIELDS, TONAL_SIGNS, TextBlock
from zz_core.advise.offline.moves import beyond_note, bounded_move
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
from zz_core.judge.issues import MARGIN_DIGITS, Issue
from zz_core.judge.judging import true_peak_ceiling
from zz_core.judge.models import AnalysisResult
from zz_core.judge.regions import LOW_END, Region, region_of_code
from zz_core.vocab import SEVERITY_RANK


def read_track(result: AnalysisResult, profile: str) -> Track:
    """The track with its figures and its findings, most severe first."""
    track = Track.create(result, profile)
    track.groups = _groups(track)
    return track


def _spans_text(spans: Sequence[tuple[float, float]], duration: float, limit: int = 4) -> str:
    """Times as a DAW timeline shows them, worst first: "0:01.2-0:03.0, 0:05.5 and 2 more
    (4 places, worst first)"; "0:00.0-3:20.0, the whole track"."""
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
    listed = f"{', '.join(shown)} and {more} more" if more > 0 else join(shown)
    return listed if len(clamped) == 1 else f"{listed} ({len(clamped)} places, worst first)"


def _issue_spans(issues: Sequence[Issue]) -> list[tuple[float, float]]:
    """The stretches of an issue, worst first (an old stored result's issues of one code,
    each its own stretch, in time order)."""
    if len(issues) == 1 and issues[0].spans:
        return [(s.start_s, s.end_s) for s in issues[0].spans]
    return [(i.start_s, i.end_s) for i in issues]


def _tonal_region(track: Track, code: str, issue: Issue) -> tuple[Region, float, float]:
    """The region behind a tonal issue, its deviation (dB: the issue's value) and the
    octave in it that strays most (Hz: where to put the EQ)."""
    found = region_of_code(code)
    area = found if found is not None else LOW_END
    sign = TONAL_SIGNS[code]
    deviations = octave_deviations(track.result)
    candidates = [(c, deviations[c]) for c in area.octaves_hz if c in deviations]
    worst = max(candidates, key=lambda cd: (sign * cd[1], -cd[0]))[0] if candidates \
        else area.octaves_hz[0]
    value = measured(issue.value)
    if value is None:
        value = area.deviation(deviations) or 0.0
    return area, value, worst


def _silence_values(issue_list: list[Issue], duration: float, values: dict[str, str]
                    ) -> str | None:
    """The silence variant ("gap", "whole" or None for the edges) and its placeholders."""
    spans = _issue_spans(issue_list)
    gaps = [(b, e) for b, e in spans if b > 0.0 and e < duration - 0.5]
    edges = [(b, e) for b, e in spans if (b, e) not in gaps]
    variant = None
    if gaps:
        variant = "gap"
        values.update(where=_spans_text(gaps, duration), start=clock(gaps[0][0]),
                      end=clock(gaps[0][1]))
    chosen = gaps or edges
    longest = max((e - b for b, e in chosen), default=0.0)
    if len(issue_list) == 1 and issue_list[0].value is not None and gaps:
        longest = issue_list[0].value
    at_start = any(b <= 0.0 for b, _ in edges)
    at_end = any(e >= duration - 0.5 for _, e in edges)
    edge = "start and end" if at_start and at_end else ("start" if at_start else "end")
    values.update(length=figure(longest, "s"), edge=edge)
    return variant


def _move_by(issue: Issue) -> str:
    """A gain change that undoes an issue's margin, in dB, with the margin's figure (the
    issue list's "2.0 LU above" becomes "2.0 dB less"); "" without a margin."""
    if issue.margin is None:
        return ""
    return figure(issue.margin, "dB", MARGIN_DIGITS.get(issue.unit, 1))


def _issue_values(track: Track, code: str, issues: list[Issue]
                  ) -> tuple[str | None, dict[str, str], str]:
    """The variant to use, the placeholders of one issue (an old stored result's issues of
    one code merged) and, for a tonal issue too large for an EQ move, where the problem
    lies (else ""). Value, limit and margin are written as the issue list writes them
    (``advise.figures``)."""
    result = track.result
    duration = result.duration_s
    values = dict.fromkeys(ISSUE_FIELDS, NOT_AVAILABLE)
    spans = _issue_spans(issues)
    values.update(
        where=_spans_text(spans, duration),
        start=clock(spans[0][0]),
        end=clock(min(duration, spans[0][1])),
        count=str(len(spans)),
    )
    first = issues[0]
    values.update(value=issue_value(first), limit=issue_limit(first),
                  margin=issue_margin(first))
    numbers = [v for v in (measured(i.value) for i in issues) if v is not None]
    value, limit = measured(first.value), measured(first.limit)
    tp = measured(result.loudness.true_peak_dbtp)
    ceiling = true_peak_ceiling(result)
    variant: str | None = None
    note = ""
    if code == "clipping":
        runs = sum(numbers) if len(issues) > 1 else (value if value is not None else 1.0)
        over = tp - ceiling if tp is not None else 1.0
        values.update(value=number(round(runs), 0), amount_db=amount(over, 0.5, minimum=1.0))
    elif code == "true_peak_over" and value is not None and limit is not None:
        values.update(amount_db=_move_by(first) or amount(value - limit, 0.1, minimum=0.1))
    elif code == "channel_imbalance" and value is not None:
        left = value > 0
        values.update(value=figure(abs(value), "dB"), amount_db=figure(abs(value), "dB"),
                      louder_side="left" if left else "right",
                      quieter_side="right" if left else "left")
    elif code == "mono":
        variant = "file" if result.channels == 1 else None
        values.update(value=number(value, 2))
    elif code in ("too_quiet", "too_loud") and value is not None and limit is not None:
        distance = _move_by(first) or amount(abs(value - limit), 0.1)
        if code == "too_quiet" and not track.rules.apply_genre_loudness and tp is not None:
            room = ceiling - tp  # a mixdown is raised only as far as its headroom allows
            if 0.5 <= room < abs(value - limit):
                distance = amount(room, 0.1, up=False)
        values.update(amount_db=distance)
        if code == "too_quiet" and first.severity == "info" and track.rules.apply_genre_loudness:
            variant = "streaming"  # quieter than the genre, valid for streaming (the ladder)
    elif code == "over_compressed" and value is not None and limit is not None:
        values.update(amount_db=_move_by(first) or amount(limit - value, 0.5, minimum=1.0))
    elif code == "too_dynamic" and value is not None and limit is not None:
        values.update(amount_db=amount(value - limit, 0.5, minimum=1.0, maximum=4.0))
    elif code in TONAL_SIGNS:
        area, deviation, centre = _tonal_region(track, code, first)
        tolerance = tonal_tolerance(result, track.targets, track.rules)
        move = bounded_move(abs(deviation) - tolerance / 2, track.context, track.book)
        values.update(
            value=issue_value(first) if first.value is not None
            else figure(deviation, "dB", sign=True),
            deviation=figure(abs(deviation), "dB"), limit=track.figures["tolerance"],
            amount_db=move.text, region=area.label, freq_hz=hz(centre),
            freq_range=octave_range(centre), band_name=track.book.octave_name(centre))
        if move.beyond:
            note = beyond_note(track.context, track.profile, sign=TONAL_SIGNS[code],
                               octaves=area.octaves_hz, deviation_db=deviation, move=move,
                               book=track.book, figures=track.figures)
    elif code == "silence":
        if result.loudness.integrated_lufs is None:
            variant = "whole"
            values.update(length=figure(duration, "s"), edge="whole track")
        else:
            variant = _silence_values(issues, duration, values)
    elif code in ("narrow_image", "wide_image") and value is not None and limit is not None:
        ratio = (limit / value) if code == "narrow_image" and value > 0 else (
            value / limit if limit > 0 else 1.0)
        side = 10 * math.log10(ratio) if ratio > 0 else 0.0
        most = track.book.moves.side_db(track.context)
        values.update(side_db=amount(side, 0.5, minimum=0.5, maximum=most))
    return variant, values, note


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
        variant, values, note = _issue_values(track, code, issues)
        groups.append(IssueGroup(code=code, issues=issues, severity=severity,
                                 start_s=issues[0].start_s, variant=variant,
                                 values={**track.figures, **values}, move_note=note))
    groups.sort(key=lambda g: (SEVERITY_RANK[g.severity], g.start_s, g.code))
    return groups


def issue_part(track: Track, group: IssueGroup, part: str) -> str:
    """One part (insight, why, fix) of a finding's text; the fix of a tonal problem too
    large for an EQ move says where the problem lies instead."""
    if part == "fix" and group.move_note:
        return group.move_note
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
