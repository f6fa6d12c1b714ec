"""What the page's charts (plotly, ``ui/plots.py``) and the PDF's charts (matplotlib,
``printcharts``) draw, computed once so the two never show different data: pure data
(numpy arrays, floats, statuses), no plotting library and no colours (each renderer keeps
its own theme, dark on the page and light in print).

Levels in dB (dBFS per third octave, LUFS, dBTP), times in seconds, frequencies in Hz;
an undefined value is NaN (a gap in the line). Spectra are level-matched as the reference
comparison matches them (``measure.spectrum.level_match_offset``) and judged as the cards
judge (``judge.judging``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from zz_core.advise import figures
from zz_core.judge import genres
from zz_core.judge.issues import Issue
from zz_core.judge.judging import (
    correlation_status,
    judging_rules,
    peak_status,
    plr_floor,
    tonal_deviation_status,
    tonal_tolerance,
    true_peak_ceiling,
    verdicts,
)
from zz_core.judge.models import AnalysisResult, Comparison
from zz_core.judge.regions import REGIONS
from zz_core.measure.loudness import ABSOLUTE_GATE_LUFS
from zz_core.measure.series import TimeSeries
from zz_core.measure.spectrum import (
    BAND_LABELS,
    EMPTY_BAND_DB,
    audible_levels,
    level_match_offset,
)
from zz_core.vocab import Status

Results = Sequence[tuple[str, AnalysisResult]]
"""Several tracks with the names to show them under."""

FREQ_MIN_HZ = 20.0
FREQ_MAX_HZ = 20000.0
"""Log-frequency axes span 20 Hz-20 kHz."""
LOUDNESS_FLOOR_LUFS = -60.0
"""Loudness shown no lower than this: silence (-120 in the series) sits on the floor."""
LOUDNESS_HEADROOM_LU = 3.0
"""Space above the loudest value (or the target) on a loudness axis."""
SPECTRUM_FLOOR_DB = EMPTY_BAND_DB
"""Third-octave levels at or below this are empty bands (above Nyquist, silence): not drawn."""
SILENT_SHORT_TERM_LUFS = ABSOLUTE_GATE_LUFS
"""PSR is undefined where the short-term loudness is below the absolute gate."""
WAVEFORM_MIN_TOP = 1.1
"""The amplitude axis reaches at least this (full scale = 1), more for overs."""
EQ_MOVE_MIN_DB = 6.0
"""The EQ-move axis spans at least ±this."""


# --------------------------------------------------------------------------- labels


def track_name(result: AnalysisResult, fallback: str = "Track") -> str:
    """The name a chart's legend gives a track: its file name, else ``fallback``."""
    return result.file_name or fallback


def key_text(result: AnalysisResult) -> str | None:
    """The key as the page and the PDF write it: "A minor (8A)"; None without a key."""
    key = result.key
    if key.label is None:
        return None
    return f"{key.label} ({key.camelot})" if key.camelot else key.label


def finite_max(values: np.ndarray, default: float) -> float:
    """The largest finite value, ``default`` when there is none."""
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else default


# --------------------------------------------------------------------------- loudness


def floored(series: TimeSeries, floor: float) -> np.ndarray:
    """Series values raised to ``floor`` (undefined values sit on it too): the page draws
    silence along the floor."""
    return np.maximum(np.nan_to_num(series.as_array(), nan=floor), floor)


def above_floor(series: TimeSeries, floor: float) -> np.ndarray:
    """Series values with those at or below ``floor`` undefined (NaN): print leaves
    silence as a gap."""
    values = series.as_array()
    return np.where(values > floor, values, np.nan)


def loudness_top(result: AnalysisResult, target_lufs: float | None = None) -> float:
    """Top of the loudness axis (LUFS): above the loudest momentary value and the target."""
    candidates = [v for v in (result.loudness.momentary_max_lufs, target_lufs) if v is not None]
    return max([LOUDNESS_FLOOR_LUFS + 10.0, *candidates]) + LOUDNESS_HEADROOM_LU


def overlay_loudness_top(results: Results) -> float:
    """Top of the short-term loudness axis (LUFS) of several tracks."""
    tops = [r.loudness.short_term_max_lufs for _, r in results
            if r.loudness.short_term_max_lufs is not None]
    return max([LOUDNESS_FLOOR_LUFS + 10.0, *tops]) + LOUDNESS_HEADROOM_LU


# --------------------------------------------------------------------------- waveform


def whole_track(issue: Issue, duration_s: float) -> bool:
    """Whether ``issue`` (its worst span) covers the whole track, as the issue lists say
    (``advise.figures.whole_track``)."""
    return figures.whole_track(issue.start_s, issue.end_s, duration_s)


@dataclass(frozen=True)
class LocatedSpan:
    """One stretch of the track where an issue is heard (s); ``worst``: the issue's worst
    stretch, which carries its label on a chart."""

    issue: Issue
    start_s: float
    end_s: float
    worst: bool


def located_spans(result: AnalysisResult) -> list[LocatedSpan]:
    """Every located stretch of every issue, worst first within an issue (an issue stored
    without spans is its own stretch); stretches covering the whole track are left out."""
    found = []
    for issue in result.issues:
        spans = [(s.start_s, s.end_s) for s in issue.spans] or [(issue.start_s, issue.end_s)]
        for index, (start, end) in enumerate(spans):
            if end > start and not figures.whole_track(start, end, result.duration_s):
                found.append(LocatedSpan(issue, start, end, index == 0))
    return found


def located_issues(result: AnalysisResult) -> list[Issue]:
    """Issues located in time (at least one stretch shorter than the whole track)."""
    located = {id(s.issue) for s in located_spans(result)}
    return [issue for issue in result.issues if id(issue) in located]


def waveform_times(result: AnalysisResult) -> np.ndarray:
    """The time (s) of each point of the min/max envelope."""
    wave = result.series.waveform
    return wave.hop_s * np.arange(len(wave.maximum))


def waveform_range(result: AnalysisResult) -> tuple[float, float]:
    """The amplitude axis (full scale = 1): ±1.1, wider when the true peak is above it."""
    peak = result.loudness.true_peak_dbtp
    top = max(WAVEFORM_MIN_TOP, 1.05 * 10 ** (peak / 20) if peak is not None else 0.0)
    return -top, top


@dataclass(frozen=True)
class Ceiling:
    """The true-peak ceiling of the track's context: dBTP and linear (full scale = 1)."""

    dbtp: float

    @property
    def linear(self) -> float:
        return float(10 ** (self.dbtp / 20))


def peak_ceiling(result: AnalysisResult) -> Ceiling:
    """The highest acceptable true peak for the track (``judging.true_peak_ceiling``: the
    context's ceiling, -2 dBTP for a master louder than -14 LUFS)."""
    return Ceiling(true_peak_ceiling(result))


def clipping_starts(result: AnalysisResult) -> list[float]:
    """Where (s) each stretch of the engine's clipping issue starts, in time order: a chart
    never decides on its own what counts as clipped."""
    starts = [s.start_s for issue in result.issues if issue.code == "clipping"
              for s in issue.spans] or [issue.start_s for issue in result.issues
                                        if issue.code == "clipping"]
    return sorted(starts)


@dataclass(frozen=True)
class TruePeakOvers:
    """True-peak readings above the ceiling: when (s), how high (dBTP and linear, above
    the envelope when the overs fall between samples) and their status (warn up to
    0 dBTP, bad above)."""

    times_s: np.ndarray
    peaks_dbtp: np.ndarray
    statuses: list[Status]

    @property
    def heights(self) -> np.ndarray:
        return np.asarray(10 ** (self.peaks_dbtp / 20))


def true_peak_overs(result: AnalysisResult) -> TruePeakOvers:
    """The true-peak series' readings above the track's ceiling."""
    limit = peak_ceiling(result).dbtp
    series = result.series.true_peak_dbtp
    values = series.as_array()
    over = np.flatnonzero(values > limit)
    peaks = values[over]
    return TruePeakOvers(series.times_s()[over], peaks,
                         [peak_status(float(p), limit) for p in peaks])


# --------------------------------------------------------------------------- spectrum


@dataclass(frozen=True)
class Curve:
    """A spectrum on a chart's third-octave grid (dB, NaN = not drawn), shifted by
    ``offset_db`` to sit on the track it is drawn against."""

    name: str
    levels_db: np.ndarray
    offset_db: float = 0.0


@dataclass(frozen=True)
class TargetBand:
    """The genre's tonal target, level-matched to the track, and its tolerance (dB)."""

    levels_db: np.ndarray
    tolerance_db: float

    @property
    def lower(self) -> np.ndarray:
        return self.levels_db - self.tolerance_db

    @property
    def upper(self) -> np.ndarray:
        return self.levels_db + self.tolerance_db


@dataclass(frozen=True)
class SpectrumData:
    """Everything a spectrum chart draws: the track's third-octave levels (dBFS, NaN for
    empty bands), the genre's target band (None when the track has no audible spectrum)
    and the level-matched reference, if any."""

    centres_hz: np.ndarray
    track_db: np.ndarray
    target: TargetBand | None
    reference: Curve | None


def on_grid(centres_hz: np.ndarray, other: AnalysisResult) -> np.ndarray:
    """``other``'s third-octave levels at ``centres_hz`` (NaN where it has none or the
    band is empty)."""
    theirs = dict(zip(other.spectrum.third_octave_centres_hz, other.spectrum.third_octave_db,
                      strict=True))
    return audible_levels([theirs.get(float(c)) for c in centres_hz])


def target_band(result: AnalysisResult) -> TargetBand:
    """The genre's tonal target at the track's third-octave centres, level-matched to the
    track's spectrum, with the tolerance of the track's context (dB)."""
    centres = np.asarray(result.spectrum.third_octave_centres_hz, dtype=float)
    curve = genres.tonal_target_at(judging_rules(result)[0], centres)
    offset = level_match_offset(centres, result.spectrum.third_octave_db, curve)
    return TargetBand(curve + offset, tonal_tolerance(result))


def matched_reference(result: AnalysisResult, reference: AnalysisResult) -> Curve:
    """The reference's spectrum on the track's grid, level-matched to the track."""
    centres = np.asarray(result.spectrum.third_octave_centres_hz, dtype=float)
    theirs = on_grid(centres, reference)
    offset = level_match_offset(centres, result.spectrum.third_octave_db, theirs)
    return Curve(track_name(reference, "reference"), theirs + offset, offset)


def comparison_reference(result: AnalysisResult) -> Curve | None:
    """Without the reference's analysis: its level-matched spectrum rebuilt from the
    stored comparison (the track's levels plus the EQ move); None without a comparison."""
    comparison = result.comparison
    if comparison is None:
        return None
    track = audible_levels(result.spectrum.third_octave_db)
    moves = dict(zip(comparison.tonal_difference.centres_hz,
                     comparison.tonal_difference.eq_move_db, strict=True))
    shifted = np.array([np.nan if moves.get(float(c)) is None else t + moves[float(c)]
                        for c, t in zip(result.spectrum.third_octave_centres_hz, track,
                                        strict=True)], dtype=float)
    return Curve(comparison.reference_name or "reference", shifted)


def spectrum_data(result: AnalysisResult, reference: AnalysisResult | None = None, *,
                  from_comparison: bool = False) -> SpectrumData:
    """The track's spectrum against its genre target and, when given, the reference (or,
    with ``from_comparison``, the reference rebuilt from the stored comparison)."""
    track = audible_levels(result.spectrum.third_octave_db)
    audible = not np.isnan(track).all()
    if reference is not None:
        curve: Curve | None = matched_reference(result, reference)
    else:
        curve = comparison_reference(result) if from_comparison else None
    return SpectrumData(np.asarray(result.spectrum.third_octave_centres_hz, dtype=float),
                        track, target_band(result) if audible else None, curve)


def overlay_spectra(results: Results) -> tuple[np.ndarray, list[Curve]]:
    """Third-octave spectra of several tracks on the first one's grid, each level-matched
    to the first, so the tonal shapes compare."""
    if not results:
        return np.array([], dtype=float), []
    anchor = results[0][1]
    centres = np.asarray(anchor.spectrum.third_octave_centres_hz, dtype=float)
    curves = []
    for name, result in results:
        levels = on_grid(centres, result)
        offset = level_match_offset(centres, anchor.spectrum.third_octave_db, levels)
        curves.append(Curve(name, levels + offset, offset))
    return centres, curves


def eq_moves(comparison: Comparison) -> tuple[np.ndarray, np.ndarray]:
    """The EQ move per third octave (centres in Hz, dB with + a boost, NaN where none)."""
    tonal = comparison.tonal_difference
    return (np.asarray(tonal.centres_hz, dtype=float),
            np.array([np.nan if m is None else m for m in tonal.eq_move_db], dtype=float))


def eq_move_limit(moves: np.ndarray) -> float:
    """The EQ-move axis spans ±this (dB): ±6 dB, or 1 dB beyond the largest move."""
    return max(EQ_MOVE_MIN_DB, finite_max(np.abs(moves), 0.0) + 1.0)


@dataclass(frozen=True)
class TonalBars:
    """Octave-band deviations from the genre's tonal curve (dB, NaN when unmeasured), the
    tolerance (dB) and each band's status: its region's verdict (``judge.regions``), so a
    bar is coloured as the card, the PDF mark and the issue judge that region."""

    centres_hz: list[float]
    deviations_db: np.ndarray
    tolerance_db: float
    statuses: list[Status]


def tonal_bars(result: AnalysisResult) -> TonalBars | None:
    """The tonal balance as bars; None when it could not be measured (silence)."""
    balance = result.spectrum.tonal_balance
    if balance is None:
        return None
    deviations = np.array([np.nan if d is None else d for d in balance.deviation_db])
    judged = {v.metric: v.status for v in verdicts(result)}
    statuses: list[Status] = []
    for centre, deviation in zip(balance.octave_centres_hz, balance.deviation_db, strict=True):
        area = next((r for r in REGIONS if centre in r.octaves_hz), None)
        status = judged.get(f"tonal.{area.key}") if area is not None else None
        statuses.append(status if status is not None and deviation is not None
                        else tonal_deviation_status(deviation, balance.tolerance_db))
    return TonalBars(list(balance.octave_centres_hz), deviations, tonal_tolerance(result),
                     statuses)


# --------------------------------------------------------------------------- stereo


@dataclass(frozen=True)
class BandCorrelation:
    """One band's phase correlation (-1..+1, None when undefined), its width (side/mid
    energy) and the correlation's status."""

    name: str
    label: str
    correlation: float | None
    width: float | None
    status: Status


def band_correlations(result: AnalysisResult) -> list[BandCorrelation]:
    """Correlation and width per band, judged as the correlation card is."""
    return [BandCorrelation(b.name, BAND_LABELS.get(b.name, b.name), b.correlation, b.width,
                            correlation_status(b.correlation))
            for b in result.stereo.bands]


# --------------------------------------------------------------------------- dynamics


def psr_floor_db(result: AnalysisResult) -> float:
    """PSR/PLR (dB) below which the track counts as squashed in its context and genre."""
    return plr_floor(result)


def psr_values(result: AnalysisResult) -> np.ndarray:
    """The PSR series (dB), undefined where the short-term loudness is below the gate."""
    values = result.series.psr_db.as_array()
    short_term = result.series.short_term_lufs.as_array()
    if short_term.size == values.size:
        values = np.where(short_term > SILENT_SHORT_TERM_LUFS, values, np.nan)
    return values


def psr_top(values: np.ndarray, floor_db: float) -> float:
    """Top of the PSR axis (dB): 6 dB above the floor, or 2 dB above the highest value."""
    return max(floor_db + 6.0, finite_max(values, floor_db) + 2.0)
