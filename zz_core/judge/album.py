"""Cohesion of several tracks meant to sit together (an album, an EP, a DJ set).

How far apart the tracks are in loudness, peaks, dynamics, tone and width, which track
stands out and by how much, the tempo and key sequence with Camelot compatibility of
neighbouring tracks, and plain sentences saying what to change.

Streaming platforms that follow AES TD1008 normalise an album as a whole ("album mode",
one gain for every track), so the level differences left between tracks are what the
listener hears; in shuffle each track is normalised on its own. The thresholds below are
heuristics for when a difference is worth mentioning, not figures from a standard.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict

from zz_core import fmt
from zz_core.judge.judging import verdicts
from zz_core.judge.models import AnalysisResult
from zz_core.judge.regions import REGIONS
from zz_core.judge.regions import region_label as region_label
from zz_core.measure.spectrum import LEVEL_MATCH_OCTAVES_HZ, OCTAVE_CENTRES_HZ
from zz_core.vocab import SEVERITY_RANK, Severity, Status

LOUDNESS_SPREAD_LU = 1.5
"""Integrated loudness spread across the tracks worth mentioning."""
LOUDNESS_OUTLIER_LU = 1.5
"""A track this far from the album median is named, with the gain that brings it back."""
TRUE_PEAK_HEADROOM_DBTP = -1.0
"""Raising a quiet track should keep its true peak at or below this."""
PLR_SPREAD_DB = 3.0
"""PLR difference between the most and least compressed tracks worth mentioning."""
TONAL_OUTLIER_DB = 2.0
"""A tonal region this much louder or quieter than the other tracks (level-matched)."""
WIDTH_SPREAD = 0.15
"""Stereo width (side/mid energy) difference worth mentioning."""
LEVEL_MATCH_PASSES = 2
"""Octave curves are level-matched to the group mean this many times (the mean moves)."""

class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class TrackValue(_Frozen):
    track: str
    value: float | None


class Spread(_Frozen):
    """One metric across the tracks: values, spread (max - min) and the extremes.
    Tracks without a value (silence) are listed with None and left out of the spread."""

    label: str
    unit: str
    values: list[TrackValue]
    spread: float | None
    median: float | None
    lowest: str | None
    highest: str | None


class TonalSpread(_Frozen):
    """Octave-band balance across the tracks, each level-matched to the group mean by the
    median difference over 63 Hz-8 kHz."""

    octave_centres_hz: list[float]
    mean_db: list[float | None]  # the group's mean curve, dB re its 1 kHz octave
    band_spread_db: list[float | None]  # max - min of the matched levels per octave
    rms_deviation_db: list[TrackValue]  # each track's RMS difference from the mean curve
    outlier: str | None  # the track farthest from the mean curve (3 tracks or more)
    outlier_region: str | None  # e.g. "low end (63-125 Hz)"
    outlier_region_delta_db: float | None  # outlier minus the others there (+ = more)


class TrackKey(_Frozen):
    track: str
    label: str | None
    camelot: str | None
    confidence: float


class KeyTransition(_Frozen):
    """Neighbouring tracks in running order; ``compatible`` None when a key is missing."""

    from_track: str
    to_track: str
    from_camelot: str | None
    to_camelot: str | None
    compatible: bool | None


class TrackFinding(_Frozen):
    """What the judge found on one track, carried into the cohesion so a narrative never
    calls flagged tracks matched: its loudness verdict and every issue code it has."""

    track: str
    loudness_status: Status
    loudness_code: str | None  # too_quiet / too_loud, None when the loudness is good
    loudness_severity: Severity | None
    loudness_reason: str
    codes: list[str]  # every issue code of the track, most severe first


class CohesionSummary(_Frozen):
    tracks: list[str]
    comparable: bool  # False with fewer than two tracks
    loudness: Spread
    true_peak: Spread
    plr: Spread
    lra: Spread
    width: Spread
    tonal: TonalSpread | None
    tempos: list[TrackValue]
    keys: list[TrackKey]
    key_transitions: list[KeyTransition]
    observations: list[str]
    findings: list[TrackFinding] = []
    shared_codes: list[str] = []  # issue codes every track has (two tracks or more)

    @property
    def loudness_flagged(self) -> list[str]:
        """The tracks whose loudness verdict is not good."""
        return [f.track for f in self.findings if f.loudness_status in ("warn", "bad")]


Results = list[tuple[str, AnalysisResult]]


# --------------------------------------------------------------------------- spreads


def _spread(results: Results, label: str, unit: str,
            read: Callable[[AnalysisResult], float | None]) -> Spread:
    values = [TrackValue(track=name, value=read(result)) for name, result in results]
    known = [v for v in values if v.value is not None]
    if not known:
        return Spread(label=label, unit=unit, values=values, spread=None, median=None,
                      lowest=None, highest=None)
    numbers = [float(v.value) for v in known if v.value is not None]
    low = known[int(np.argmin(numbers))]
    high = known[int(np.argmax(numbers))]
    return Spread(
        label=label, unit=unit, values=values,
        spread=round(max(numbers) - min(numbers), 2) if len(known) > 1 else None,
        median=round(statistics.median(numbers), 2), lowest=low.track, highest=high.track,
    )


def _value_of(spread: Spread, track: str) -> float | None:
    return next((v.value for v in spread.values if v.track == track), None)


# --------------------------------------------------------------------------- tone


def _octave_matrix(results: Results) -> tuple[list[str], np.ndarray]:
    """Track names and their octave levels re 1 kHz (rows), for tracks that have them."""
    names, rows = [], []
    for name, result in results:
        balance = result.spectrum.tonal_balance
        if balance is None:
            continue
        levels = dict(zip(balance.octave_centres_hz, balance.measured_db, strict=True))
        names.append(name)
        rows.append([np.nan if levels.get(c) is None else levels[c] for c in OCTAVE_CENTRES_HZ])
    return names, np.array(rows, dtype=float).reshape(len(rows), len(OCTAVE_CENTRES_HZ))


def _level_matched(levels: np.ndarray) -> np.ndarray:
    """Each row shifted onto the group mean by its median difference over 63 Hz-8 kHz."""
    matched = levels.copy()
    columns = np.array([c in LEVEL_MATCH_OCTAVES_HZ for c in OCTAVE_CENTRES_HZ])
    for _ in range(LEVEL_MATCH_PASSES):
        mean = _nanmean(matched, axis=0)
        for row in matched:
            difference = (row - mean)[columns]
            difference = difference[~np.isnan(difference)]
            if difference.size:
                row -= float(np.median(difference))
    return matched


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    counts = np.sum(~np.isnan(values), axis=axis)
    totals = np.nansum(values, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)


def _nanrange(values: np.ndarray) -> np.ndarray:
    """max - min of each column, ignoring NaN; NaN for a column with no values."""
    valid = ~np.isnan(values)
    high = np.where(valid, values, -np.inf).max(axis=0)
    low = np.where(valid, values, np.inf).min(axis=0)
    return np.where(valid.any(axis=0), high - low, np.nan)


def _rounded(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else round(float(v), 2) for v in values]


def _region_deltas(versus_others: np.ndarray) -> list[tuple[str, float]]:
    """Mean difference per tonal region (label, dB) where the region has data."""
    deltas = []
    for region in REGIONS:
        columns = [OCTAVE_CENTRES_HZ.index(o) for o in region.octaves_hz]
        values = versus_others[columns]
        values = values[~np.isnan(values)]
        if values.size:
            deltas.append((region.label, float(values.mean())))
    return deltas


def tonal_spread(results: Results) -> TonalSpread | None:
    """Tonal balance across the tracks and the track that stands out; None with fewer
    than two tracks that have a measurable balance."""
    names, levels = _octave_matrix(results)
    if len(names) < 2:
        return None
    matched = _level_matched(levels)
    mean = _nanmean(matched, axis=0)
    deviation = matched - mean
    rms = np.sqrt(_nanmean(deviation**2, axis=1))
    spread = _nanrange(matched)
    outlier = int(np.nanargmax(rms)) if len(names) >= 3 else _two_track_outlier(deviation)
    regions = _region_deltas(deviation[outlier] * len(names) / (len(names) - 1))
    region, delta = max(regions, key=lambda r: abs(r[1])) if regions else (None, None)
    return TonalSpread(
        octave_centres_hz=list(OCTAVE_CENTRES_HZ),
        mean_db=_rounded(mean),
        band_spread_db=_rounded(spread),
        rms_deviation_db=[TrackValue(track=n, value=round(float(r), 2))
                          for n, r in zip(names, rms, strict=True)],
        outlier=names[outlier],
        outlier_region=region,
        outlier_region_delta_db=None if delta is None else round(delta, 2),
    )


def _two_track_outlier(deviation: np.ndarray) -> int:
    """With two tracks both are equally far from their mean: name the one with more
    energy in the region where they differ most, so the sentence says 'more'."""
    regions = _region_deltas(deviation[0] * 2.0)
    if not regions:
        return 0
    _, delta = max(regions, key=lambda r: abs(r[1]))
    return 0 if delta >= 0 else 1


# --------------------------------------------------------------------------- keys


def parse_camelot(code: str) -> tuple[int, str] | None:
    """("8", "A") from "8A"; None for anything that is not a Camelot code."""
    text = code.strip().upper()
    if len(text) < 2 or text[-1] not in "AB" or not text[:-1].isdigit():
        return None
    number = int(text[:-1])
    return (number, text[-1]) if 1 <= number <= 12 else None


def camelot_compatible(a: str | None, b: str | None) -> bool | None:
    """Whether two Camelot codes mix harmonically: the same code, the same number in the
    other letter (relative major/minor), or one step round the wheel in the same letter.
    None when either key is unknown."""
    first = parse_camelot(a) if a else None
    second = parse_camelot(b) if b else None
    if first is None or second is None:
        return None
    (n1, letter1), (n2, letter2) = first, second
    if n1 == n2:
        return True
    step = (n1 - n2) % 12
    return letter1 == letter2 and step in (1, 11)


def _keys(results: Results) -> tuple[list[TrackKey], list[KeyTransition]]:
    keys = [TrackKey(track=name, label=r.key.label, camelot=r.key.camelot,
                     confidence=r.key.confidence) for name, r in results]
    transitions = [KeyTransition(from_track=a.track, to_track=b.track, from_camelot=a.camelot,
                                 to_camelot=b.camelot,
                                 compatible=camelot_compatible(a.camelot, b.camelot))
                   for a, b in itertools.pairwise(keys)]
    return keys, transitions


# --------------------------------------------------------------------------- observations


def _loudness_observations(loudness: Spread, true_peak: Spread) -> list[str]:
    notes = [f"{v.track} is silent or too quiet to measure; it is left out of the loudness "
             "comparison." for v in loudness.values if v.value is None]
    if loudness.spread is None or loudness.median is None:
        return notes
    if loudness.spread > LOUDNESS_SPREAD_LU:
        low = _value_of(loudness, loudness.lowest or "")
        high = _value_of(loudness, loudness.highest or "")
        notes.append(f"Integrated loudness spans {loudness.spread:.1f} LU, from "
                     f"{loudness.lowest} ({low:.1f} LUFS) to {loudness.highest} "
                     f"({high:.1f} LUFS).")
    for item in loudness.values:
        if item.value is None:
            continue
        offset = item.value - loudness.median
        if abs(offset) <= LOUDNESS_OUTLIER_LU:
            continue
        notes.append(_loudness_sentence(item.track, offset, loudness.median,
                                        _value_of(true_peak, item.track)))
    return notes


def _loudness_sentence(track: str, offset: float, median: float,
                       true_peak: float | None) -> str:
    where = f"the album median ({median:.1f} LUFS)"
    if offset > 0:
        return (f"{track} is {offset:.1f} LU louder than {where}: turn it down about "
                f"{offset:.1f} dB to sit with the others.")
    sentence = (f"{track} is {-offset:.1f} LU quieter than {where}: raise it about "
                f"{-offset:.1f} dB to sit with the others")
    if true_peak is not None and true_peak - offset > TRUE_PEAK_HEADROOM_DBTP:
        sentence += (f", with a limiter: its peaks would reach {true_peak - offset:+.1f} dBTP "
                     f"(keep them at or below {TRUE_PEAK_HEADROOM_DBTP:g} dBTP)")
    return sentence + "."


def _plr_observations(plr: Spread) -> list[str]:
    if plr.spread is None or plr.spread <= PLR_SPREAD_DB:
        return []
    low = _value_of(plr, plr.lowest or "")
    high = _value_of(plr, plr.highest or "")
    return [f"{plr.lowest} is the most compressed (PLR {low:.1f} dB) and {plr.highest} the "
            f"most open (PLR {high:.1f} dB): a {plr.spread:.1f} dB difference in punch "
            "that is heard from one track to the next."]


def _tonal_observations(tonal: TonalSpread | None) -> list[str]:
    if tonal is None or tonal.outlier_region_delta_db is None:
        return []
    delta = tonal.outlier_region_delta_db
    if abs(delta) <= TONAL_OUTLIER_DB:
        return []
    others = "the others" if len(tonal.rms_deviation_db) > 2 else "the other track"
    word = "more" if delta > 0 else "less"
    return [f"{tonal.outlier} has {abs(delta):.1f} dB {word} {tonal.outlier_region} than "
            f"{others} (level-matched)."]


def _width_observations(width: Spread) -> list[str]:
    if width.spread is None or width.spread <= WIDTH_SPREAD:
        return []
    low = _value_of(width, width.lowest or "")
    high = _value_of(width, width.highest or "")
    return [f"{width.highest} is much wider (side/mid {high:.2f}) than {width.lowest} "
            f"({low:.2f}): the stereo image jumps between them."]


def _key_observations(transitions: list[KeyTransition]) -> list[str]:
    clashes = [t for t in transitions if t.compatible is False]
    if not clashes:
        return []
    listed = ", ".join(f"{t.from_track} ({t.from_camelot}) into {t.to_track} "
                       f"({t.to_camelot})" for t in clashes)
    return [f"Not Camelot-neighbours: {listed}. Fine on an album; in a DJ mix these "
            "changes clash unless you bridge them."]


# --------------------------------------------------------------------------- findings


def _finding(name: str, result: AnalysisResult) -> TrackFinding:
    loudness = next((v for v in verdicts(result) if v.metric == "loudness.integrated_lufs"),
                    None)
    ordered = sorted(result.issues, key=lambda i: (SEVERITY_RANK[i.severity], i.code))
    codes = list(dict.fromkeys(i.code for i in ordered))
    if loudness is None:
        return TrackFinding(track=name, loudness_status="unknown", loudness_code=None,
                            loudness_severity=None, loudness_reason="not judged", codes=codes)
    return TrackFinding(track=name, loudness_status=loudness.status,
                        loudness_code=loudness.code, loudness_severity=loudness.severity,
                        loudness_reason=loudness.reason, codes=codes)


def _shared(findings: list[TrackFinding]) -> list[str]:
    if len(findings) < 2:
        return []
    common = set(findings[0].codes).intersection(*(f.codes for f in findings[1:]))
    return [c for c in findings[0].codes if c in common]


SHARED_WORDS: dict[str, str] = {
    "too_quiet": "too quiet for its genre", "too_loud": "too loud for its genre",
    "over_compressed": "over-compressed", "true_peak_over": "over its true-peak ceiling",
    "clipping": "clipping",
}


def _shared_observations(findings: list[TrackFinding], shared: list[str]) -> list[str]:
    """A sentence for each finding every track shares, so matching each other is never
    read as being right."""
    notes = []
    for code in shared:
        if code not in SHARED_WORDS:
            continue
        flagged = [f for f in findings if f.loudness_code == code]
        detail = (f" ({fmt.join([f'{f.track}: {f.loudness_reason}' for f in flagged[:3]])})"
                  if flagged else "")
        notes.append(f"Every track is {SHARED_WORDS[code]}{detail}: they match each other, "
                     "not the target, so fix them together rather than keeping those settings.")
    return notes


# --------------------------------------------------------------------------- summary


def cohesion_summary(results: Results) -> CohesionSummary:
    """How well the tracks sit together, with sentences on what stands out."""
    names = [name for name, _ in results]
    loudness = _spread(results, "Integrated loudness", "LUFS",
                       lambda r: r.loudness.integrated_lufs)
    true_peak = _spread(results, "True peak", "dBTP", lambda r: r.loudness.true_peak_dbtp)
    plr = _spread(results, "PLR", "dB", lambda r: r.loudness.plr_db)
    lra = _spread(results, "Loudness range", "LU", lambda r: r.loudness.lra_lu)
    width = _spread(results, "Width (S/M)", "", lambda r: r.stereo.width)
    tonal = tonal_spread(results)
    keys, transitions = _keys(results)
    comparable = len(results) >= 2
    findings = [_finding(name, result) for name, result in results]
    shared = _shared(findings)
    if comparable:
        observations = [
            *_shared_observations(findings, shared),
            *_loudness_observations(loudness, true_peak),
            *_plr_observations(plr),
            *_tonal_observations(tonal),
            *_width_observations(width),
            *_key_observations(transitions),
        ]
        observations = observations or [
            "The tracks sit together with each other: no loudness, dynamics, tone, width or "
            "key difference stands out between them."]
    elif names:
        observations = [f"Only one track ({names[0]}): nothing to compare. Add more tracks "
                        "to see how they sit together."]
    else:
        observations = ["No tracks: nothing to compare."]
    return CohesionSummary(
        tracks=names, comparable=comparable, loudness=loudness, true_peak=true_peak, plr=plr,
        lra=lra, width=width, tonal=tonal,
        tempos=[TrackValue(track=n, value=r.tempo.bpm) for n, r in results],
        keys=keys, key_transitions=transitions, observations=observations,
        findings=findings, shared_codes=shared,
    )
