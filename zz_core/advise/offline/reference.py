"""What a reference comparison shows: the biggest differences in loudness, PLR, tone by
region and stereo width, each as a finding with the amount to move and the issue code
it relates to."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zz_core.advise.feedback import FeedbackItem
from zz_core.advise.figures import comparison_loudness_lu, metric_text
from zz_core.advise.offline.book import REFERENCE_FIELDS
from zz_core.advise.offline.moves import beyond_note, bounded_move
from zz_core.advise.offline.track import Track, measured
from zz_core.fmt import NOT_AVAILABLE, amount, figure, number
from zz_core.judge.judging import judging_table
from zz_core.judge.regions import REGIONS
from zz_core.text import one_line

MAX_REFERENCE_ITEMS = 4


@dataclass(frozen=True)
class ReferenceFinding:
    """One difference from the reference: its text (``part`` of advice.yaml's
    ``reference``), how much it matters, the issue code it relates to, its placeholders."""

    part: str
    score: float
    code: str | None
    values: dict[str, str]
    note: str = ""
    """For a tonal difference too large for an EQ move: where it lies (the fix)."""


def reference_findings(track: Track) -> list[ReferenceFinding]:
    """The biggest differences from the reference, at most MAX_REFERENCE_ITEMS, biggest
    first; "close" when none is big enough; none without a comparison."""
    comparison = track.result.comparison
    if comparison is None:
        return []
    metrics = {m.metric: m for m in comparison.metrics}
    worth = judging_table().comparison  # the differences worth a verdict (judging.yaml)
    reference = one_line(comparison.reference_name or "the reference", 80)
    found: list[ReferenceFinding] = []

    def add(part: str, score: float, code: str | None, note: str = "", **values: str) -> None:
        found.append(ReferenceFinding(part, score, code, {"reference": reference, **values},
                                      note))

    loud = metrics.get("loudness.integrated_lufs")
    difference = comparison_loudness_lu(comparison)
    if loud and difference is not None and abs(difference) > worth.loudness_delta_lu:
        louder = difference > 0
        code = None if track.context == "mixdown" else ("too_loud" if louder else "too_quiet")
        add("louder" if louder else "quieter", abs(difference) / 1.5, code,
            track_value=figure(loud.track, "LUFS"), ref_value=figure(loud.reference, "LUFS"),
            amount_lu=metric_text(abs(difference), "LU"),
            amount_db=metric_text(abs(difference), "dB"))
    plr = metrics.get("loudness.plr_db")
    if plr and plr.delta is not None and abs(plr.delta) > worth.plr_delta_db:
        lower = plr.delta < 0
        add("plr_lower" if lower else "plr_higher", abs(plr.delta) / 2.0,
            "over_compressed" if lower else None,
            track_value=figure(plr.track, "dB"), ref_value=figure(plr.reference, "dB"),
            amount_db=amount(plr.delta, 0.5, minimum=0.5, up=False))
    tonal = comparison.tonal_difference
    for area in REGIONS:
        moves = [m for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
                 if m is not None and area.contains_hz(c)]
        if not moves:
            continue
        move = float(np.mean(moves))  # reference minus track: + means the track has less
        if not abs(move) > worth.tonal_delta_db:
            continue
        more = move < 0
        bounded = bounded_move(move, track.context, track.book)
        note = "" if not bounded.beyond else beyond_note(
            track.context, track.profile, sign=1 if more else -1, octaves=area.octaves_hz,
            deviation_db=move, move=bounded, book=track.book, figures=track.figures)
        add("tonal_more" if more else "tonal_less", abs(move) / 2.0,
            area.excess_code if more else area.lacking_code, note, region=area.label,
            amount_db=amount(move, 0.5, minimum=0.5, up=False))  # the fix is the note if beyond
    width = metrics.get("stereo.width")
    track_width = measured(width.track) if width else None
    ref_width = measured(width.reference) if width else None
    if track_width is not None and ref_width is not None and track_width > 0.005 and \
            ref_width > 0.005:
        ratio = track_width / ref_width
        side = 10 * math.log10(ratio)
        if ratio < worth.width_ratio or ratio > 1.0 / worth.width_ratio:
            add("narrower" if ratio < 1 else "wider", abs(side) / 2.0,
                "narrow_image" if ratio < 1 else "wide_image",
                track_value=number(track_width, 2), ref_value=number(ref_width, 2),
                side_db=amount(side, 0.5, minimum=0.5,
                               maximum=track.book.moves.side_db(track.context)))
    low_corr = metrics.get("stereo.low_end_correlation")
    if low_corr and low_corr.delta is not None and \
            low_corr.delta < -worth.low_end_correlation_delta:
        add("low_end_wider", abs(low_corr.delta) / 0.2, "wide_low_end",
            track_value=number(low_corr.track, 2, sign=True),
            ref_value=number(low_corr.reference, 2, sign=True))
    found.sort(key=lambda f: (-f.score, f.part))
    if not found:
        add("close", 0.0, None, amount_lu=metric_text(abs(difference or 0.0), "LU"))
    return found[:MAX_REFERENCE_ITEMS]


def reference_item(track: Track, finding: ReferenceFinding) -> FeedbackItem:
    """A finding as a feedback item, under the reference title."""
    values = dict.fromkeys(REFERENCE_FIELDS, NOT_AVAILABLE)
    values.update(track.figures)
    values.update(finding.values)
    pair = track.book.reference[finding.part]
    title = track.note("reference", "title")
    insight = track.text(pair.insight, values) if pair.insight else ""
    suggestion = finding.note or (track.text(pair.fix, values) if pair.fix else "")
    return FeedbackItem(insight=f"{title}: {insight}", suggestion=suggestion,
                        issue_code=finding.code, severity="info")
