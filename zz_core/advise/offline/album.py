"""``offline_album_narrative``: how several tracks sit together, which one stands out and
what to change on it, and how the keys run from one track to the next."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from zz_core.advise.feedback import FeedbackItem
from zz_core.advise.offline.book import ALBUM_FIELDS, AdviceBook, known_profile, load_advice, render
from zz_core.advise.offline.track import camelot_shift
from zz_core.fmt import NOT_AVAILABLE, amount, figure, join, number
from zz_core.judge import album as album_rules
from zz_core.judge.album import CohesionSummary, KeyTransition, TrackValue
from zz_core.text import one_line
from zz_core.vocab import Profile, Severity


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


def offline_album_narrative(cohesion: CohesionSummary,
                            profile: Profile = "detailed") -> list[FeedbackItem]:
    """How several tracks sit together: what is consistent, which track stands out in
    loudness, dynamics, tone or width and by how much, what to change on it, and how the
    keys run from one track to the next."""
    book = load_advice()
    chosen = known_profile(profile)
    if not cohesion.comparable:
        return [_album_item(book, "single", chosen, _album_values(), "info")]
    items: list[FeedbackItem] = []
    consistent: list[str] = []
    loud, plr, width, tonal = cohesion.loudness, cohesion.plr, cohesion.width, cohesion.tonal
    if loud.spread is not None and loud.spread <= album_rules.LOUDNESS_SPREAD_LU:
        consistent.append(f"loudness (within {figure(loud.spread, 'LU')})")
    if plr.spread is not None and plr.spread <= album_rules.PLR_SPREAD_DB:
        consistent.append(f"dynamics (within {figure(plr.spread, 'dB')})")
    if tonal is not None and tonal.outlier_region_delta_db is not None and \
            abs(tonal.outlier_region_delta_db) <= album_rules.TONAL_OUTLIER_DB:
        consistent.append(f"tone (within {figure(abs(tonal.outlier_region_delta_db), 'dB')})")
    if width.spread is not None and width.spread <= album_rules.WIDTH_SPREAD:
        consistent.append(f"stereo width (within {number(width.spread, 2)})")
    peaks = [v.value for v in cohesion.true_peak.values if v.value is not None]
    if peaks and max(peaks) <= album_rules.TRUE_PEAK_HEADROOM_DBTP:
        consistent.append(f"peaks (all at or below {album_rules.TRUE_PEAK_HEADROOM_DBTP:g} dB)")
    transitions = cohesion.key_transitions
    if transitions and all(t.compatible for t in transitions):
        consistent.append("keys (every transition blends)")
    if consistent:
        items.append(_album_item(book, "consistent", chosen,
                                 _album_values(consistent=join(consistent)), "info"))
    if loud.median is not None:
        for entry in loud.values:
            if entry.value is None:
                continue
            offset = entry.value - loud.median
            if abs(offset) <= album_rules.LOUDNESS_OUTLIER_LU:
                continue
            values = _album_values(track=_name(entry.track), amount_db=amount(offset, 0.1),
                                   amount_lu=amount(offset, 0.1, unit="LU"),
                                   median=figure(loud.median, "LUFS"))
            if offset > 0:
                items.append(_album_item(book, "louder", chosen, values, "warning"))
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
                                               amount_db=amount(delta, 0.1)), "warning"))
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
