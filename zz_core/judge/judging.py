"""How each headline figure is judged against the track's context and genre: good, warn,
bad, or unknown (not measured or not judged), and the verdicts every surface reads.

A status function per figure, each applying the same rule (``judge/rules.py``) to the
same evidence as the issue detectors, so a card, a PDF mark or a chart colour is warn or
bad exactly when, and as severely as, the matching issue says: critical -> bad, warning
or info -> warn. ``verdicts(result)`` gathers them once per analysis (stored in
``AnalysisResult.verdicts`` by the pipeline; computed for an old stored result).

The targets come from ``data/genres.yaml`` (per genre and context, see
``judging_rules``), the lines and margins from ``data/judging.yaml`` (``JudgingTable``).
Units: LUFS and LU (ITU-R BS.1770 / EBU R128 / EBU Tech 3342), dBTP, dB, BPM;
correlations from -1 to +1; width as the side/mid energy ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from zz_core import fmt
from zz_core.errors import UnknownOptionError
from zz_core.judge import genres, rules
from zz_core.judge.gating import ProgrammeGate, programme_gate
from zz_core.judge.genres import ContextRules, GenreTargets, Range
from zz_core.judge.issues import MARGIN_DIGITS, MARGIN_UNITS
from zz_core.judge.models import AnalysisResult, Verdict
from zz_core.judge.regions import REGIONS, Region
from zz_core.judge.rules import Decision, plr_range
from zz_core.judge.thresholds import (
    DEFAULT_JUDGING_PATH,
    BalanceRules,
    CorrelationRules,
    JudgingTable,
    KeyRules,
    LowEndRules,
    Margin,
    MonoSumRules,
    TempoRules,
    TonalRules,
    TruePeakRules,
    judging_table,
    load_judging_table,
)
from zz_core.vocab import Status

__all__ = [
    "DEFAULT_JUDGING_PATH", "BalanceRules", "Bounds", "CorrelationRules", "JudgingTable",
    "KeyRules", "LowEndRules", "Margin", "MonoSumRules", "TempoRules", "TonalRules",
    "TruePeakRules", "balance_status", "compute_verdicts", "correlation_status", "dr_status",
    "judging_rules", "judging_table", "key_status", "load_judging_table", "loudness_status",
    "low_end_correlation_status", "lra_status", "metric_status", "mono_sum_status",
    "peak_status", "phase_status", "plr_floor", "plr_range", "plr_status", "programme",
    "tempo_in_range", "tempo_status", "tonal_deviation_status", "tonal_region_status",
    "tonal_tolerance", "true_peak_ceiling", "true_peak_status", "verdicts", "width_status",
]


# --------------------------------------------------------------------------- targets


def judging_rules(result: AnalysisResult) -> tuple[GenreTargets, ContextRules]:
    """The genre targets and context rules a result is judged against. A genre no longer
    in the table (an old stored result) falls back to the defaults."""
    choice = result.genre
    subgenre = choice.subgenre if choice.subgenre_known else choice.subgenre_label
    try:
        resolved = genres.resolve_targets(choice.genre, subgenre)
    except UnknownOptionError:
        resolved = genres.resolve_targets(None)
    return resolved.targets, genres.context_rules(result.context)


def plr_floor(result: AnalysisResult) -> float:
    """The PLR (and PSR) below which the track counts as squashed (dB)."""
    return plr_range(*judging_rules(result)).min


def tonal_tolerance(result: AnalysisResult) -> float:
    """How far (dB) a tonal region may stray from the genre's tonal curve: as measured
    with the tonal balance, else the context's tolerance for the genre."""
    balance = result.spectrum.tonal_balance
    if balance is not None:
        return balance.tolerance_db
    targets, context = judging_rules(result)
    return context.tonal_tolerance(targets)


def true_peak_ceiling(result: AnalysisResult) -> float:
    """THE true-peak ceiling of a track (dBTP), used by the issue, the platform advice,
    the mastering chain and the limiter preset alike: the context's ceiling and, for a
    master louder than -14 LUFS, the -2 dBTP platforms advise."""
    targets, context = judging_rules(result)
    return rules.true_peak_ceiling(result.loudness.integrated_lufs, targets, context)


def programme(result: AnalysisResult) -> ProgrammeGate:
    """Which windows of a result are programme (``judge/gating.py``)."""
    return programme_gate(result.series.momentary_lufs, result.loudness.integrated_lufs,
                          judging_table().gate)


# --------------------------------------------------------------------------- generic rules


@dataclass(frozen=True)
class Bounds:
    """An interval with optional open ends (a lower or upper limit)."""

    low: float | None = None
    high: float | None = None

    def distance(self, x: float) -> float:
        """0 inside; negative below ``low``; positive above ``high``."""
        if self.low is not None and x < self.low:
            return x - self.low
        if self.high is not None and x > self.high:
            return x - self.high
        return 0.0


def metric_status(value: float | None, target: Range | Bounds | float | None, *,
                  warn_within: float = 0.0) -> Status:
    """good inside ``target`` (a range, bounds, or a float upper limit), warn up to
    ``warn_within`` outside it, bad farther out; unknown without a value or target."""
    if value is None or target is None or not math.isfinite(value):
        return "unknown"
    if isinstance(target, Range):
        target = Bounds(target.min, target.max)
    elif not isinstance(target, Bounds):
        target = Bounds(high=target)
    distance = abs(target.distance(value))
    if distance == 0.0:
        return "good"
    return "warn" if distance <= warn_within else "bad"


def peak_status(peak_dbtp: float | None, ceiling_dbtp: float) -> Status:
    """One true-peak reading (a 100 ms step, dBTP): good at or below ``ceiling_dbtp``,
    warn up to full scale, bad above it (the true-peak rule's lines)."""
    return metric_status(peak_dbtp, ceiling_dbtp,
                         warn_within=judging_table().true_peak.bad_above_dbtp - ceiling_dbtp)


def correlation_status(correlation: float | None) -> Status:
    """One correlation reading (a band, the meter): good from ``good_from``, warn down
    to ``bad_below``, bad below it (+0.2 and 0 as shipped). The track's phase verdict is
    ``phase_status``."""
    lines = judging_table().correlation
    return metric_status(correlation, Bounds(low=lines.good_from),
                         warn_within=lines.good_from - lines.bad_below)


def tonal_deviation_status(deviation_db: float | None, tolerance_db: float) -> Status:
    """One octave's deviation from the genre's tonal curve (dB), for the charts: good
    within the tolerance (or past it by less than the visible margin), else warn (tonal
    deviations are warnings on the ladder); unknown when unmeasured."""
    if deviation_db is None or math.isnan(deviation_db):
        return "unknown"
    visible = judging_table().visible_margin.tonal_db
    beyond = rules.past(abs(deviation_db), tolerance_db, above=True, visible=visible)
    return "good" if beyond is None else "warn"


def tempo_in_range(bpm: float | None, wanted: Range) -> bool | None:
    """Whether the tempo, or its half or double, is inside ``wanted``; None without one."""
    if bpm is None:
        return None
    return any(wanted.contains(bpm * m) for m in judging_table().tempo.multiples)


# --------------------------------------------------------------------------- decisions


def _loudness(result: AnalysisResult) -> Decision:
    targets, context = judging_rules(result)
    return rules.loudness(result.loudness.integrated_lufs, targets, context)


def _true_peak(result: AnalysisResult) -> Decision:
    targets, context = judging_rules(result)
    return rules.true_peak(result.loudness.true_peak_dbtp, result.loudness.integrated_lufs,
                           targets, context)


def _plr(result: AnalysisResult) -> Decision:
    return rules.plr(result.loudness.plr_db, *judging_rules(result))


def _lra(result: AnalysisResult) -> Decision:
    targets, context = judging_rules(result)
    if not context.apply_genre_dynamics:
        return Decision(None)
    return rules.in_range(result.loudness.lra_lu, targets.lra_lu,
                          judging_table().visible_margin.lra_lu)


def _dr(result: AnalysisResult) -> Decision:
    targets, context = judging_rules(result)
    dr = result.loudness.dr
    if not context.apply_genre_dynamics or dr is None:
        return Decision(None)
    return rules.in_range(float(dr), targets.dr, judging_table().visible_margin.dr)


def _stereo(result: AnalysisResult) -> bool:
    return result.channels > 1


def _width(result: AnalysisResult) -> Decision:
    stereo = result.stereo
    if not _stereo(result) or stereo.width is None or stereo.width <= rules.MONO_WIDTH:
        return Decision(None)
    typical = rules.typical_width(result.series.correlation, stereo.balance_db,
                                  programme(result), stereo.width)
    return rules.width(typical, judging_rules(result)[0])


def _phase(result: AnalysisResult) -> Decision:
    stereo = result.stereo
    if not _stereo(result):
        return Decision(None)
    return rules.phase(result.series.correlation, programme(result), stereo.correlation,
                       stereo.mono_loss_db)


def _low_end(result: AnalysisResult) -> Decision:
    if not _stereo(result):
        return Decision(None)
    return rules.low_end_correlation(result.stereo.low_end_correlation,
                                     judging_rules(result)[0])


def _balance(result: AnalysisResult) -> Decision:
    return rules.balance(result.stereo.balance_db) if _stereo(result) else Decision(None)


def _mono_sum(result: AnalysisResult) -> Decision:
    return rules.mono_sum(result.stereo.mono_loss_db) if _stereo(result) else Decision(None)


def _clipping(result: AnalysisResult) -> Decision:
    peaks = result.channel_peaks
    if not peaks:
        return Decision(None)
    return rules.clipping(sum(p.clipped_runs for p in peaks), sum(p.overs for p in peaks),
                          judging_rules(result)[1])


def _dc(result: AnalysisResult) -> Decision:
    return rules.dc_offset([p.dc_offset for p in result.channel_peaks])


def _tonal(result: AnalysisResult, region: Region) -> Decision:
    balance = result.spectrum.tonal_balance
    if balance is None:
        return Decision(None)
    deviations = dict(zip(balance.octave_centres_hz, balance.deviation_db, strict=True))
    return rules.tonal(region, deviations, balance.tolerance_db)


# --------------------------------------------------------------------------- statuses


def loudness_status(result: AnalysisResult) -> Status:
    """Integrated loudness against the context's (or the genre's) range."""
    return _loudness(result).status


def true_peak_status(result: AnalysisResult) -> Status:
    """The track's true peak against ``true_peak_ceiling``: bad above full scale."""
    return _true_peak(result).status


def plr_status(result: AnalysisResult) -> Status:
    """PLR against the floor (over-compressed) and, for a master, the top of the genre's
    range (too dynamic): warn either way, never bad."""
    return _plr(result).status


def lra_status(result: AnalysisResult) -> Status:
    """Loudness range (LU) against the genre's; not judged (unknown) for a mixdown."""
    return _lra(result).status


def dr_status(result: AnalysisResult) -> Status:
    """DR value against the genre's; not judged (unknown) for a mixdown."""
    return _dr(result).status


def tempo_status(result: AnalysisResult) -> Status:
    """good inside the genre's tempo range (half or double time counts), else warn."""
    inside = tempo_in_range(result.tempo.bpm, judging_rules(result)[0].bpm)
    return "unknown" if inside is None else ("good" if inside else "warn")


def key_status(result: AnalysisResult) -> Status:
    """good when the key estimate is confident, warn when not, unknown without a key."""
    key = result.key
    if key.label is None:
        return "unknown"
    return "good" if key.confidence >= judging_table().key.confident_from else "warn"


def width_status(result: AnalysisResult) -> Status:
    """Typical programme width against the genre's range; unknown for a mono file."""
    return _width(result).status


def phase_status(result: AnalysisResult) -> Status:
    """The phase-cancellation verdict on programme windows; unknown for a mono file."""
    return _phase(result).status


def low_end_correlation_status(result: AnalysisResult) -> Status:
    """Correlation of the low end: good from the genre's minimum, warn under it, bad
    when the bass cancels in mono; unknown for a mono file."""
    return _low_end(result).status


def balance_status(result: AnalysisResult) -> Status:
    """Left/right level balance (dB): warn past the warning line, bad for a dead or
    broken channel; unknown for a mono file."""
    return _balance(result).status


def mono_sum_status(result: AnalysisResult) -> Status:
    """Level change (dB) when the mix is summed to mono: bad below the line; unknown for
    a mono file."""
    return _mono_sum(result).status


def tonal_region_status(result: AnalysisResult, key: str) -> Status:
    """A tonal region's signed deviation (``judge/regions.py``) against the tolerance."""
    return _tonal(result, next(r for r in REGIONS if r.key == key)).status


# --------------------------------------------------------------------------- verdicts


def verdicts(result: AnalysisResult) -> list[Verdict]:
    """The verdicts of a result: the stored ones, or computed for an old stored result
    that has none."""
    return list(result.verdicts) or compute_verdicts(result)


def compute_verdicts(result: AnalysisResult) -> list[Verdict]:
    """One verdict per judged headline figure, by the rules behind the issues."""
    targets = judging_rules(result)[0]
    key = result.key
    tempo = tempo_status(result)
    out = [
        _verdict("loudness.integrated_lufs", "Integrated loudness", "LUFS", _loudness(result)),
        _verdict("loudness.true_peak_dbtp", "True peak", "dBTP", _true_peak(result),
                 signed=True),
        _verdict("loudness.plr_db", "PLR", "dB", _plr(result)),
        _verdict("loudness.lra_lu", "Loudness range", "LU", _lra(result)),
        _verdict("loudness.dr", "DR", "", _dr(result), digits=0),
        Verdict(metric="tempo.bpm", label="Tempo", value=result.tempo.bpm, unit="BPM",
                status=tempo, low=targets.bpm.min, high=targets.bpm.max,
                reason=_tempo_reason(result.tempo.bpm, targets.bpm, tempo)),
        Verdict(metric="key.confidence", label="Key", value=round(key.confidence, 2), unit="",
                status=key_status(result), low=judging_table().key.confident_from,
                reason=(f"{key.label} at confidence {fmt.number(key.confidence, 2)}"
                        if key.label else "no key found")),
        _verdict("stereo.width", "Width (S/M)", "", _width(result)),
        _verdict("stereo.correlation", "Correlation", "", _phase(result), signed=True),
        _verdict("stereo.low_end_correlation", "Low-end correlation", "", _low_end(result),
                 signed=True),
        _verdict("stereo.balance_db", "L/R balance", "dB", _balance(result), signed=True),
        _verdict("stereo.mono_loss_db", "Mono sum", "dB", _mono_sum(result), signed=True),
        _verdict("peaks.clipping", "Clipping", "runs", _clipping(result)),
        _verdict("peaks.dc_offset_dbfs", "DC offset", "dBFS", _dc(result)),
    ]
    tolerance = tonal_tolerance(result)
    for region in REGIONS:
        out.append(_verdict(f"tonal.{region.key}", f"Tonal balance: {region.label}", "dB",
                            _tonal(result, region), tolerance=tolerance, signed=True))
    return out


def _verdict(metric: str, label: str, unit: str, decision: Decision, *,
             tolerance: float | None = None, signed: bool = False,
             digits: int | None = None) -> Verdict:
    status = decision.status
    fired = status in ("warn", "bad")
    return Verdict(
        metric=metric, label=label, value=decision.value, unit=unit, status=status,
        low=None if tolerance is not None else decision.low,
        high=None if tolerance is not None else decision.high,
        limit=decision.limit, tolerance=tolerance,
        margin=decision.margin if fired else None,
        code=decision.code if fired else None, severity=decision.severity,
        reason=_reason(decision, unit, tolerance, signed,
                       MARGIN_DIGITS.get(unit, 1) if digits is None else digits))


def _reason(decision: Decision, unit: str, tolerance: float | None, signed: bool,
            digits: int) -> str:
    """One line: the figure, and how far past which line (or that it is within)."""
    if decision.value is None:
        return "not judged"
    value = fmt.figure(decision.value, unit, digits, sign=signed)
    if tolerance is not None:
        target = f"±{fmt.figure(tolerance, 'dB')}"
    elif decision.low is not None and decision.high is not None:
        target = fmt.value_range(decision.low, decision.high, unit, digits=None)
    elif decision.high is not None:
        target = f"≤ {fmt.figure(decision.high, unit, digits, sign=signed)}"
    elif decision.low is not None:
        target = f"≥ {fmt.figure(decision.low, unit, digits, sign=signed)}"
    else:
        target = ""
    if not decision.fired or decision.limit is None:
        return f"{value}, within {target}" if target else value
    margin = fmt.figure(decision.margin, MARGIN_UNITS.get(unit, unit), digits)
    side = "below" if decision.value < decision.limit else "above"
    what = f" ({decision.code.replace('_', ' ')}, {decision.severity})" if decision.code else ""
    limit = fmt.figure(decision.limit, unit, digits, sign=signed)
    return f"{value}: {margin} {side} {limit}{what}"


def _tempo_reason(bpm: float | None, wanted: Range, status: Status) -> str:
    if bpm is None:
        return "no tempo found"
    span = fmt.value_range(wanted.min, wanted.max, "BPM")
    inside = "within" if status == "good" else "outside"
    return f"{fmt.figure(bpm, 'BPM')}, {inside} {span} (half and double time count)"
