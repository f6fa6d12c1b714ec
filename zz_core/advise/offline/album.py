"""``offline_album_narrative``: how several tracks sit together, which one stands out and
what to change on it, and how the keys run from one track to the next."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from zz_core.advise.feedback import FeedbackItem
from zz_core.advise.figures import issue_value
from zz_core.advise.offline.book import (
    ALBUM_FIELDS,
    TONAL_SIGNS,
    AdviceBook,
    known_profile,
    load_advice,
    render,
)
from zz_core.advise.offline.findings import lower_first
from zz_core.advise.offline.track import camelot_shift
from zz_core.fmt import NOT_AVAILABLE, amount, figure, join, number
from zz_core.judge import album as album_rules
from zz_core.judge.album import CohesionSummary, KeyTransition, TrackValue
from zz_core.judge.issues import Issue
from zz_core.judge.models import AnalysisResult
from zz_core.text import one_line
from zz_core.vocab import ISSUE_CODES, SEVERITY_RANK, Profile, Severity

Named = Sequence[tuple[str, AnalysisResult]]

DIMENSION_CODES: dict[str, tuple[str, ...]] = {
    "loudness": ("too_quiet", "too_loud"),
    "dynamics": ("over_compressed", "too_dynamic"),
    "tone": tuple(TONAL_SIGNS),
    "stereo width": ("narrow_image", "wide_image", "wide_low_end"),
    "peaks": ("true_peak_over", "clipping"),
}
"""The issues that make a dimension a problem rather than a match: tracks that match each
other in loudness but are all flagged too quiet are not "consistent"."""
FLAGGED: tuple[Severity, ...] = ("warning", "critical")
"""Severities that flag a track (info is worth knowing, not a problem to fix)."""


def _album_values(**values: str) -> dict[str, str]:
    filled = dict.fromkeys(ALBUM_FIELDS, NOT_AVAILABLE)
    filled.update(values)
    return filled


def _album_item(book: AdviceBook, part: str, profile: Profile, values: Mapping[str, str],
                severity: Severity, fix_part: str | None = None) -> FeedbackItem:
    pair = book.album[part]
    fix = book.album[fix_part].fix if fix_part else pair.fix
    insight = render(pair.insight.pick("mixdown", profile), values) if pair.insight else ""
    suggestion = render(fix.pick("mixdown", profile), values) if fix else ""
    return FeedbackItem(insight=insight, suggestion=suggestion, issue_code=None,
                        severity=severity)


def _name(track: str) -> str:
    return one_line(track, 80) or "Untitled"


def _value_of(values: Sequence[TrackValue], track: str | None) -> float | None:
    return next((v.value for v in values if v.track == track), None)


def _transposition(transition: KeyTransition) -> str:
    """The smallest pitch shift (up to two semitones) that makes the second track mix into
    the first, or a bridging track when none does."""
    to_track = _name(transition.to_track)
    if transition.from_camelot and transition.to_camelot:
        for semitones in (1, -1, 2, -2):
            shifted = camelot_shift(transition.to_camelot, semitones)
            if shifted and album_rules.camelot_compatible(transition.from_camelot, shifted):
                direction = "up" if semitones > 0 else "down"
                plural = "s" if abs(semitones) > 1 else ""
                return (f"pitch {to_track} {direction} {abs(semitones)} semitone{plural} "
                        f"(to {shifted})")
    return (f"put a bridging track between {_name(transition.from_track)} and {to_track}, or "
            "reorder them")


def _flagged(named: Named) -> dict[str, list[tuple[str, Issue]]]:
    """Per issue code, the tracks flagged for it (warning or critical) with the issue."""
    found: dict[str, list[tuple[str, Issue]]] = {}
    for name, result in named:
        for issue in result.issues:
            if issue.severity in FLAGGED:
                found.setdefault(issue.code, []).append((name, issue))
    return found


def _shared_items(book: AdviceBook, profile: Profile, named: Named,
                  flagged: dict[str, list[tuple[str, Issue]]]) -> list[FeedbackItem]:
    """An item per issue code every track is flagged for: they match each other, not the
    target, so the fix is the same move on each, never "keep those settings"."""
    items = []
    for code in ISSUE_CODES:
        tracks = flagged.get(code, [])
        if len(named) < 2 or len({name for name, _ in tracks}) < len(named):
            continue
        title = book.issues[code].title.pick(profile) if code in book.issues else code
        values = _album_values(problem=lower_first(title), count=str(len(named)),
                               value=", ".join(f"{_name(n)} {issue_value(i)}" for n, i in tracks))
        severity = min((i.severity for _, i in tracks), key=SEVERITY_RANK.__getitem__)
        items.append(_album_item(book, "shared", profile, values, severity))
    return items


def _shared_codes(book: AdviceBook, profile: Profile,
                  cohesion: CohesionSummary) -> list[FeedbackItem]:
    """The shared items from the cohesion alone (no per-track figures)."""
    items = []
    for code in cohesion.shared_codes:
        title = book.issues[code].title.pick(profile) if code in book.issues else code
        items.append(_album_item(book, "shared", profile, _album_values(
            problem=lower_first(title), count=str(len(cohesion.tracks)),
            value=join([_name(t) for t in cohesion.tracks])), "warning"))
    return items


def offline_album_narrative(cohesion: CohesionSummary, profile: Profile = "detailed",
                            named: Named = ()) -> list[FeedbackItem]:
    """How several tracks sit together: a problem every track shares (from ``named``,
    the tracks' analyses, when given), what is consistent (only where no track is
    flagged: tracks that all miss the target are not told to keep their settings), which
    track stands out in loudness, dynamics, tone or width and by how much, what to change
    on it, and how the keys run from one track to the next."""
    book = load_advice()
    chosen = known_profile(profile)
    if not cohesion.comparable:
        return [_album_item(book, "single", chosen, _album_values(), "info")]
    flagged = _flagged(named)
    items = _shared_items(book, chosen, named, flagged)
    shared = set(cohesion.shared_codes) | {
        code for code, tracks in flagged.items()
        if named and len({name for name, _ in tracks}) == len(named)}
    if not named:  # only the cohesion: the judge's findings per track (every severity)
        flagged = {code: [] for finding in cohesion.findings for code in finding.codes}
        items += _shared_codes(book, chosen, cohesion)

    def fine(dimension: str) -> bool:
        return not any(code in flagged for code in DIMENSION_CODES[dimension])

    consistent: list[str] = []
    loud, plr, width, tonal = cohesion.loudness, cohesion.plr, cohesion.width, cohesion.tonal
    if loud.spread is not None and loud.spread <= album_rules.LOUDNESS_SPREAD_LU and \
            fine("loudness"):
        consistent.append(f"loudness (within {figure(loud.spread, 'LU')})")
    if plr.spread is not None and plr.spread <= album_rules.PLR_SPREAD_DB and fine("dynamics"):
        consistent.append(f"dynamics (within {figure(plr.spread, 'dB')})")
    if tonal is not None and tonal.outlier_region_delta_db is not None and \
            abs(tonal.outlier_region_delta_db) <= album_rules.TONAL_OUTLIER_DB and fine("tone"):
        consistent.append(f"tone (within {figure(abs(tonal.outlier_region_delta_db), 'dB')})")
    if width.spread is not None and width.spread <= album_rules.WIDTH_SPREAD and \
            fine("stereo width"):
        consistent.append(f"stereo width (within {number(width.spread, 2)})")
    peaks = [v.value for v in cohesion.true_peak.values if v.value is not None]
    if peaks and max(peaks) <= album_rules.TRUE_PEAK_HEADROOM_DBTP and fine("peaks"):
        consistent.append(f"peaks (all at or below {album_rules.TRUE_PEAK_HEADROOM_DBTP:g} dB)")
    transitions = cohesion.key_transitions
    if transitions and all(t.compatible for t in transitions):
        consistent.append("keys (every transition blends)")
    if consistent:
        items.append(_album_item(book, "consistent", chosen,
                                 _album_values(consistent=join(consistent)), "info",
                                 "consistent_flagged" if shared else None))
    if loud.median is not None:
        for entry in loud.values:
            if entry.value is None:
                continue
            offset = entry.value - loud.median
            if abs(offset) <= album_rules.LOUDNESS_OUTLIER_LU:
                continue
            values = _album_values(track=_name(entry.track), amount_db=figure(abs(offset), "dB"),
                                   amount_lu=figure(abs(offset), "LU"),
                                   median=figure(loud.median, "LUFS"))
            if offset > 0:
                if "too_quiet" not in shared:  # never turn down a track that is too quiet
                    items.append(_album_item(book, "louder", chosen, values, "warning"))
                continue
            if "too_loud" in shared:  # never raise a track that is too loud
                continue
            peak = _value_of(cohesion.true_peak.values, entry.track)
            limited = peak is not None and peak - offset > album_rules.TRUE_PEAK_HEADROOM_DBTP
            if limited and peak is not None:
                values["value"] = figure(peak - offset, "dBTP", sign=True)
            items.append(_album_item(book, "quieter", chosen, values, "warning",
                                     "quieter_limited" if limited else None))
    if plr.spread is not None and plr.spread > album_rules.PLR_SPREAD_DB and \
            plr.median is not None:
        low = _value_of(plr.values, plr.lowest)
        high = _value_of(plr.values, plr.highest)
        if low is not None and high is not None:
            items.append(_album_item(book, "plr", chosen, _album_values(
                low_track=_name(plr.lowest or ""), high_track=_name(plr.highest or ""),
                low_value=figure(low, "dB"), high_value=figure(high, "dB"),
                spread=figure(plr.spread, "dB"), median=figure(plr.median, "dB"),
                amount_db=amount(plr.median - low, 0.5, minimum=0.5)), "warning"))
    if tonal is not None and tonal.outlier and tonal.outlier_region and \
            tonal.outlier_region_delta_db is not None and \
            abs(tonal.outlier_region_delta_db) > album_rules.TONAL_OUTLIER_DB:
        delta = tonal.outlier_region_delta_db
        items.append(_album_item(book, "tonal_more" if delta > 0 else "tonal_less", chosen,
                                 _album_values(track=_name(tonal.outlier),
                                               region=tonal.outlier_region,
                                               amount_db=figure(abs(delta), "dB")),
                                 "warning"))
    if width.spread is not None and width.spread > album_rules.WIDTH_SPREAD and \
            width.median and width.median > 0:
        median = width.median
        low = _value_of(width.values, width.lowest)
        high = _value_of(width.values, width.highest)
        if low is not None and high is not None and low > 0:
            outlier, value = ((width.highest, high) if math.log(high / median) >=
                              math.log(median / low) else (width.lowest, low))
            items.append(_album_item(book, "width", chosen, _album_values(
                track=_name(outlier or ""), low_track=_name(width.lowest or ""),
                high_track=_name(width.highest or ""), low_value=number(low, 2),
                high_value=number(high, 2), spread=number(width.spread, 2),
                median=number(median, 2),
                side_db=figure(10 * math.log10(median / value), "dB", sign=True)),
                "warning"))
    clashes = [t for t in transitions if t.compatible is False]
    if clashes:
        listed = [f"{_name(t.from_track)} ({t.from_camelot}) into {_name(t.to_track)} "
                  f"({t.to_camelot})" for t in clashes]
        items.append(_album_item(book, "keys_clash", chosen, _album_values(
            transitions="; ".join(listed),
            moves="; ".join(_transposition(t) for t in clashes)), "info"))
    elif transitions and all(t.compatible for t in transitions):
        chain = " → ".join([f"{_name(transitions[0].from_track)} ({transitions[0].from_camelot})"]
                           + [f"{_name(t.to_track)} ({t.to_camelot})" for t in transitions])
        items.append(_album_item(book, "keys_ok", chosen, _album_values(transitions=chain),
                                 "info"))
    return items
