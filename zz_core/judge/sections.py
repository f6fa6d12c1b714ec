"""The song's sections judged one by one, and matched against a reference's sections.

``sections_of`` finds the structure (``measure.sections``) and gives each section its
figures, read from the one pass's measurements: BS.1770 gated loudness of its 100 ms
segments, PSR at its loudest short-term (3 s) moment, width and correlation of the front
pair, the named bands' levels and their balance against the genre's tonal target, the
issues heard in it and its tempo (the track's, unless the section's own differs: the
tempo map). ``compare_sections`` pairs each section of a track with the reference's
section of the same kind (its n-th chorus with the reference's n-th, else the nearest in
relative loudness) and says which pair differs most.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from zz_core import fmt
from zz_core.judge.genres import GenreChoice, GenreTargets, tonal_target_at
from zz_core.judge.issues import Issue
from zz_core.judge.models import AnalysisResult, Section, SectionDelta
from zz_core.measure import loudness, stereo
from zz_core.measure.features import MusicFeatures
from zz_core.measure.passes import Measurements
from zz_core.measure.peaks import DynamicsResult
from zz_core.measure.rhythm import TempoResult, estimate_tempo
from zz_core.measure.sections import FoundSection, find_sections
from zz_core.measure.series import TimeSeries, finite_or_none
from zz_core.measure.spectrum import BAND_LABELS, BANDS_HZ, EMPTY_BAND_DB, SpectralFrames
from zz_core.vocab import SectionKind

MATCH_BANDS = ("low", "low_mid", "mid", "high_mid", "high")
"""Bands whose median difference level-matches two sections (or a section and the
target), so that a change at either end of the spectrum stands out."""
TEMPO_MIN_S = 12.0
"""A section shorter than this keeps the track's tempo."""
TEMPO_CHANGE = 0.03
"""A section's own tempo counts when it differs from the track's by more than this
(relative, after folding by octaves)."""
AUDIBLE_BAND_DB = 40.0
"""A band this far below the section's loudest band is not judged against the target."""
DROP_GENRES = ("electronic",)
NO_DROP_SUBGENRES = ("ambient",)
DIFFERS_DB = 1.0
"""Below this score (dB) no section is said to differ from the reference's."""


def sections_of(measured: Measurements, *, dynamics: DynamicsResult,
                short_term: TimeSeries, targets: GenreTargets, genre: GenreChoice,
                issues: list[Issue], tempo: TempoResult) -> list[Section]:
    """The judged sections of one pass's measurements (empty for silence or a short file)."""
    segment_s = measured.segment / measured.sample_rate_hz
    found = find_sections(measured.music, measured.segments, segment_s,
                          measured.spectral_frames, tempo.beat_times_s, measured.duration_s)
    drop = (genre.genre in DROP_GENRES and genre.subgenre not in NO_DROP_SUBGENRES)
    expected = _target_bands(targets)
    return [_section(part, measured, segment_s, dynamics, short_term, expected, issues,
                     tempo, drop) for part in found]


def _section(part: FoundSection, measured: Measurements, segment_s: float,
             dynamics: DynamicsResult, short_term: TimeSeries,
             expected: dict[str, float], issues: list[Issue], tempo: TempoResult,
             drop: bool) -> Section:
    first = round(part.start_s / segment_s)
    last = max(first + 1, round(part.end_s / segment_s))
    blocks = loudness.window_mean_squares(measured.segments[first:last],
                                          loudness.MOMENTARY_SEGMENTS)
    gated = loudness.gated_integrated_lufs(blocks) if blocks.size else -math.inf
    width, correlation = _stereo(measured, first, last)
    levels = band_levels(measured.spectral_frames, part.start_s, part.end_s)
    kind: SectionKind | None = "drop" if drop and part.kind == "chorus" else part.kind
    return Section(
        start_s=part.start_s, end_s=part.end_s, label=part.label, kind=kind,
        confidence=part.confidence,
        loudness_lufs=finite_or_none(gated),
        psr_db=_psr(dynamics.psr_db_series, short_term, part.start_s, part.end_s),
        width=width, correlation=correlation,
        bands=_against_target(levels, expected),
        band_levels_db=levels,
        issue_codes=_codes_in(issues, part.start_s, part.end_s),
        tempo_bpm=_tempo(measured.music, part.start_s, part.end_s, tempo),
    )


def _stereo(measured: Measurements, first: int, last: int) -> tuple[float | None, float | None]:
    if measured.channels < 2:
        return None, None
    ll, rr, lr = (float(np.sum(p[first:last])) for p in measured.products)
    width = float(stereo.width_from_powers(ll, rr, lr))
    correlation = float(stereo.correlation_from_powers(ll, rr, lr))
    return finite_or_none(width, 3), finite_or_none(correlation, 3)


def _psr(psr: TimeSeries, short_term: TimeSeries, start_s: float, end_s: float) -> float | None:
    """PSR at the loudest short-term window ending inside the section (those lying wholly
    inside it when there are any)."""
    times = short_term.times_s()
    levels = short_term.as_array()
    inside = (times > start_s) & (times <= end_s + 1e-9)
    whole = inside & (times - loudness.SHORT_TERM_SEGMENTS * short_term.hop_s >= start_s - 1e-9)
    chosen = whole if whole.any() else inside
    values = psr.as_array()
    count = min(values.size, levels.size)
    chosen, levels = chosen[:count], np.where(np.isfinite(levels[:count]), levels[:count],
                                              -np.inf)
    if not chosen.any() or not np.isfinite(levels[chosen]).any():
        return None
    loudest = int(np.flatnonzero(chosen)[np.argmax(levels[chosen])])
    return finite_or_none(float(values[loudest]), 1) if levels[loudest] > -70.0 else None


def band_levels(frames: SpectralFrames, start_s: float, end_s: float) -> dict[str, float | None]:
    """The named bands' levels (dBFS mean square, averaged over the front pair) over the
    STFT frames centred inside [start_s, end_s); None for an empty band."""
    window_s = (frames.freqs_hz.size - 1) * 2 / max(1, frames.sample_rate_hz)
    centres = window_s / 2.0 + frames.hop_s * np.arange(frames.frames)
    mask = (centres >= start_s) & (centres < end_s)
    if not mask.any() and frames.frames:
        mask[int(np.argmin(np.abs(centres - (start_s + end_s) / 2.0)))] = True
    levels: dict[str, float | None] = {}
    for column, name in enumerate(frames.band_names):
        power = float(np.mean(frames.frame_left[mask, column] + frames.frame_right[mask, column])
                      / 2.0) if mask.any() else 0.0
        db = 10.0 * math.log10(power) if power > 0.0 else -math.inf
        levels[name] = round(db, 1) if db > EMPTY_BAND_DB else None
    return levels


def _target_bands(targets: GenreTargets) -> dict[str, float]:
    """Each named band's level under the genre's tonal curve (dB, relative: the curve is
    the power per octave, integrated over the band in log frequency)."""
    expected = {}
    for name, (low, high) in BANDS_HZ.items():
        octaves = np.linspace(math.log2(low), math.log2(high), 32)
        per_octave = 10.0 ** (tonal_target_at(targets, 2.0 ** octaves) / 10.0)
        expected[name] = 10.0 * math.log10(float(np.mean(per_octave)) *
                                           math.log2(high / low))
    return expected


def _against_target(levels: dict[str, float | None],
                    expected: dict[str, float]) -> dict[str, float | None]:
    """Each band's level minus its target level, level-matched on the median of the
    MATCH_BANDS differences (dB); None for a band AUDIBLE_BAND_DB below the loudest."""
    present = [v for v in levels.values() if v is not None]
    floor = max(present, default=0.0) - AUDIBLE_BAND_DB
    raw = {name: (None if value is None or value < floor or name not in expected
                  else value - expected[name]) for name, value in levels.items()}
    offset = _median_offset(raw)
    return {name: None if v is None or offset is None else round(v - offset, 1)
            for name, v in raw.items()}


def _median_offset(differences: dict[str, float | None]) -> float | None:
    matched = [v for name, v in differences.items() if name in MATCH_BANDS and v is not None]
    return float(np.median(matched)) if matched else None


def _codes_in(issues: list[Issue], start_s: float, end_s: float) -> list[str]:
    """The codes of the issues with a span overlapping the section (by 0.1 s at least)."""
    codes = []
    for issue in issues:
        spans = [(s.start_s, s.end_s) for s in issue.spans] or [(issue.start_s, issue.end_s)]
        if any(min(b, end_s) - max(a, start_s) >= min(0.1, (b - a) / 2) for a, b in spans):
            codes.append(issue.code)
    return codes


def _tempo(music: MusicFeatures, start_s: float, end_s: float,
           track: TempoResult) -> float | None:
    """The section's tempo: the track's, unless the section (at least TEMPO_MIN_S long)
    has a tempo of its own more than TEMPO_CHANGE away from it (folded by octaves)."""
    if track.bpm is None or end_s - start_s < TEMPO_MIN_S:
        return track.bpm
    first, last = int(start_s / music.hop_s), int(end_s / music.hop_s)
    piece = replace(music, onset_envelope=music.onset_envelope[first:last],
                    chroma=music.chroma[:, first:last], rms_db=music.rms_db[first:last],
                    accent_envelope=music.accent_envelope[first:last]
                    if music.accent_envelope.size else music.accent_envelope,
                    duration_s=end_s - start_s)
    own = estimate_tempo(piece).bpm
    if own is None:
        return track.bpm
    folded = own * 2.0 ** round(math.log2(track.bpm / own))
    return round(folded, 1) if abs(folded / track.bpm - 1.0) > TEMPO_CHANGE else track.bpm


def compare_sections(track: AnalysisResult, reference: AnalysisResult,
                     loudness_difference_lu: float | None
                     ) -> tuple[list[SectionDelta], str | None]:
    """Each track section against the matching reference section, and one sentence
    naming the section that differs most (None without sections on either side)."""
    if not track.sections or not reference.sections:
        return [], None
    pairs = [_delta(ours, _match(index, track.sections, reference.sections),
                    loudness_difference_lu or 0.0)
             for index, ours in enumerate(track.sections)]
    worst = max(pairs, key=lambda pair: pair.score)
    return pairs, _note(worst)


def _match(index: int, ours: list[Section], theirs: list[Section]) -> Section:
    """The reference section for ``ours[index]``: the same kind and occurrence (else the
    last of that kind), otherwise the nearest in loudness relative to the loudest."""
    section = ours[index]
    if section.kind is not None:
        same = [s for s in theirs if s.kind == section.kind]
        if same:
            nth = sum(1 for s in ours[:index] if s.kind == section.kind)
            return same[min(nth, len(same) - 1)]
    top_ours, top_theirs = _loudest(ours), _loudest(theirs)

    def distance(other: Section) -> float:
        if section.loudness_lufs is None or other.loudness_lufs is None:
            return math.inf
        return abs((section.loudness_lufs - top_ours) - (other.loudness_lufs - top_theirs))
    return min(theirs, key=distance)


def _loudest(sections: list[Section]) -> float:
    return max((s.loudness_lufs for s in sections if s.loudness_lufs is not None),
               default=0.0)


def _delta(ours: Section, theirs: Section, whole_lu: float) -> SectionDelta:
    raw = {name: (None if level is None or theirs.band_levels_db.get(name) is None
                  else level - float(theirs.band_levels_db[name] or 0.0))
           for name, level in ours.band_levels_db.items()}
    offset = _median_offset(raw)
    bands = {name: None if v is None or offset is None else round(v - offset, 1)
             for name, v in raw.items()}
    loud = (None if ours.loudness_lufs is None or theirs.loudness_lufs is None
            else round(ours.loudness_lufs - theirs.loudness_lufs - whole_lu, 1))
    psr = (None if ours.psr_db is None or theirs.psr_db is None
           else round(ours.psr_db - theirs.psr_db, 1))
    width = (None if ours.width is None or theirs.width is None
             else round(ours.width - theirs.width, 3))
    score = max([abs(v) for v in bands.values() if v is not None]
                + ([abs(loud)] if loud is not None else []), default=0.0)
    return SectionDelta(track=ours, reference=theirs, loudness_lu=loud, psr_db=psr,
                        width=width, bands_db=bands, score=round(score, 1))


def _note(worst: SectionDelta) -> str:
    ours, theirs = worst.track, worst.reference
    if worst.score < DIFFERS_DB:
        return (f"Section by section, the track matches the reference within "
                f"{fmt.figure(DIFFERS_DB, 'dB')} (level-matched).")
    return (f"The {ours.name} at {fmt.clock(ours.start_s)} differs most from the "
            f"reference's {theirs.name} at {fmt.clock(theirs.start_s)}: "
            f"{section_difference(worst)}.")


def section_difference(delta: SectionDelta, most: int = 2) -> str:
    """The largest differences of a section pair in words ("Presence 4-8 kHz -4.0 dB,
    Air 8-20 kHz -4.0 dB (level-matched)"), track minus reference."""
    items: list[tuple[float, str]] = [
        (abs(v), f"{BAND_LABELS.get(name, name)} {fmt.figure(v, 'dB', sign=True)}")
        for name, v in delta.bands_db.items() if v is not None and abs(v) >= DIFFERS_DB]
    if delta.loudness_lu is not None and abs(delta.loudness_lu) >= DIFFERS_DB:
        items.append((abs(delta.loudness_lu),
                      f"loudness {fmt.figure(delta.loudness_lu, 'LU', sign=True)} "
                      "(net of the whole-song difference)"))
    items.sort(key=lambda item: -item[0])
    words = fmt.join([text for _, text in items[:most]]) if items else "small differences"
    return f"{words} (level-matched)"


def section_line(section: Section) -> str:
    """One section's figures in words: "C chorus (confidence 0.90) 0:24.0-0:40.0:
    -16.5 LUFS, PSR 13.3 dB, width 0.00, correlation +1.00, 120.0 BPM"."""
    kind = (f" {section.kind} (confidence {fmt.number(section.confidence, 2)})"
            if section.kind else "")
    stereo_text = ("" if section.width is None else
                   f", width {fmt.number(section.width, 2)}, correlation "
                   f"{fmt.number(section.correlation, 2, sign=True)}")
    return (f"{section.label}{kind} {fmt.clock_span(section.start_s, section.end_s)}: "
            f"{fmt.figure(section.loudness_lufs, 'LUFS')}, PSR "
            f"{fmt.figure(section.psr_db, 'dB')}{stereo_text}, "
            f"{fmt.figure(section.tempo_bpm, 'BPM')}")


def band_text(bands: dict[str, float | None], least: float = 0.0) -> str:
    """Bands as "sub +2.6 dB, low +0.0 dB, ..." (those at least ``least`` dB off)."""
    return ", ".join(f"{name} {fmt.figure(v, 'dB', sign=True)}" for name, v in bands.items()
                     if v is not None and abs(v) >= least) or "none"


def most_off_target(sections: list[Section]) -> tuple[Section, str, float] | None:
    """The section and band furthest from the genre target relative to the same band in
    the other sections (dB): where the balance changes, not where the whole song is off."""
    best: tuple[Section, str, float] | None = None
    for name in BANDS_HZ:
        values = [s.bands.get(name) for s in sections]
        known = [v for v in values if v is not None]
        if len(known) < 2:
            continue
        typical = float(np.median(known))
        for section, value in zip(sections, values, strict=True):
            if value is not None and (best is None or abs(value - typical) > abs(best[2])):
                best = (section, name, round(value - typical, 1))
    return best
