"""What a reference comparison shows: the biggest differences in loudness, PLR, tone by
region and stereo width, each as a finding with the amount to move and the issue code
it relates to."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zz_core.advise.feedback import FeedbackItem
from zz_core.advise.offline.book import REFERENCE_FIELDS
from zz_core.advise.offline.track import Track, measured
from zz_core.fmt import NOT_AVAILABLE, amount, figure, number
from zz_core.text import one_line

MAX_REFERENCE_ITEMS = 4


_REFERENCE_REGIONS: tuple[tuple[str, float, float, str | None, str | None], ...] = (
    # name, low Hz, high Hz, code when the track has more, code when it has less
    ("low end", 25.0, 160.0, "low_end_excess", "low_end_lacking"),
    ("low-mids", 200.0, 500.0, "low_mid_excess", None),
    ("mids", 630.0, 1600.0, None, None),
    ("upper mids", 2000.0, 5000.0, "harshness", None),
    ("top end", 8000.0, 16000.0, None, "dull_highs"),
)


@dataclass(frozen=True)
class ReferenceFinding:
    """One difference from the reference: its text (``part`` of advice.yaml's
    ``reference``), how much it matters, the issue code it relates to, its placeholders."""

    part: str
    score: float
    code: str | None
    values: dict[str, str]


def _region_name(name: str, low: float, high: float) -> str:
    """"low end (25-160 Hz)", "top end (8-16 kHz)"."""
    if low >= 1000:
        return f"{name} ({low / 1000:g}-{high / 1000:g} kHz)"
    if high >= 1000:
        return f"{name} ({low:g} Hz-{high / 1000:g} kHz)"
    return f"{name} ({low:g}-{high:g} Hz)"


def reference_findings(track: Track) -> list[ReferenceFinding]:
    """The biggest differences from the reference, at most MAX_REFERENCE_ITEMS, biggest
    first; "close" when none is big enough; none without a comparison."""
    comparison = track.result.comparison
    if comparison is None:
        return []
    metrics = {m.metric: m for m in comparison.metrics}
    reference = one_line(comparison.reference_name or "the reference", 80)
    found: list[ReferenceFinding] = []

    def add(part: str, score: float, code: str | None, **values: str) -> None:
        found.append(ReferenceFinding(part, score, code, {"reference": reference, **values}))

    loud = metrics.get("loudness.integrated_lufs")
    if loud and loud.delta is not None and abs(loud.delta) >= 1.0:
        louder = loud.delta > 0
        code = None if track.context == "mixdown" else ("too_loud" if louder else "too_quiet")
        add("louder" if louder else "quieter", abs(loud.delta) / 1.5, code,
            track_value=figure(loud.track, "LUFS"), ref_value=figure(loud.reference, "LUFS"),
            amount_db=amount(loud.delta, 0.1))
    plr = metrics.get("loudness.plr_db")
    if plr and plr.delta is not None and abs(plr.delta) >= 1.5:
        lower = plr.delta < 0
        add("plr_lower" if lower else "plr_higher", abs(plr.delta) / 2.0,
            "over_compressed" if lower else None,
            track_value=figure(plr.track, "dB"), ref_value=figure(plr.reference, "dB"),
            amount_db=amount(plr.delta, 0.5, minimum=0.5, up=False))
    tonal = comparison.tonal_difference
    for name, low, high, more_code, less_code in _REFERENCE_REGIONS:
        moves = [m for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
                 if m is not None and low <= c <= high]
        if not moves:
            continue
        move = float(np.mean(moves))  # reference minus track: + means the track has less
        if abs(move) < 1.5:
            continue
        more = move < 0
        add("tonal_more" if more else "tonal_less", abs(move) / 2.0,
            more_code if more else less_code, region=_region_name(name, low, high),
            amount_db=amount(move, 0.5, minimum=0.5, up=False))
    width = metrics.get("stereo.width")
    track_width = measured(width.track) if width else None
    ref_width = measured(width.reference) if width else None
    if track_width is not None and ref_width is not None and track_width > 0.005 and \
            ref_width > 0.005:
        ratio = track_width / ref_width
        side = 10 * math.log10(ratio)
        if ratio < 0.7 or ratio > 1.4:
            add("narrower" if ratio < 1 else "wider", abs(side) / 2.0,
                "narrow_image" if ratio < 1 else "wide_image",
                track_value=number(track_width, 2), ref_value=number(ref_width, 2),
                side_db=amount(side, 0.5, minimum=0.5, maximum=12.0))
    low_corr = metrics.get("stereo.low_end_correlation")
    if low_corr and low_corr.delta is not None and low_corr.delta < -0.15:
        add("low_end_wider", abs(low_corr.delta) / 0.2, "wide_low_end",
            track_value=number(low_corr.track, 2, sign=True),
            ref_value=number(low_corr.reference, 2, sign=True))
    found.sort(key=lambda f: (-f.score, f.part))
    if not found:
        delta = abs(loud.delta) if loud and loud.delta is not None else 0.0
        add("close", 0.0, None, amount_db=amount(max(delta, 0.1), 0.1))
    return found[:MAX_REFERENCE_ITEMS]


def reference_item(track: Track, finding: ReferenceFinding) -> FeedbackItem:
    """A finding as a feedback item, under the reference title."""
    values = dict.fromkeys(REFERENCE_FIELDS, NOT_AVAILABLE)
    values.update(track.figures)
    values.update(finding.values)
    pair = track.book.reference[finding.part]
    title = track.note("reference", "title")
    insight = track.text(pair.insight, values) if pair.insight else ""
    suggestion = track.text(pair.fix, values) if pair.fix else ""
    return FeedbackItem(insight=f"{title}: {insight}", suggestion=suggestion,
                        issue_code=finding.code, severity="info")
