"""How each headline figure is judged against the track's context and genre: good, warn,
bad, or unknown (not measured or not judged). The one place for the page's cards, the
PDF's metric table, the print charts' colours and the presets, so they never disagree.

A status function per metric; the targets come from ``data/genres.yaml`` (per genre and
context, see ``judging_rules``), the margins around them from ``data/judging.yaml``
(``JudgingTable``). Units: LUFS and LU (ITU-R BS.1770 / EBU R128 / EBU Tech 3342), dBTP,
dB, BPM; correlations from -1 to +1; width as the side/mid energy ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zz_core.datafiles import DATA_DIR, load_model
from zz_core.errors import UnknownOptionError
from zz_core.judge import genres
from zz_core.judge.genres import ContextRules, GenreTargets, Range
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import Status

DEFAULT_JUDGING_PATH = DATA_DIR / "judging.yaml"


# --------------------------------------------------------------------------- data file


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Margin(_Frozen):
    """How far outside its target a figure is still a warning (in the figure's unit);
    None: outside the target is always a warning, never bad."""

    warn_within: float | None = Field(default=None, ge=0.0)

    @property
    def limit(self) -> float:
        return math.inf if self.warn_within is None else self.warn_within


class TruePeakRules(_Frozen):
    bad_above_dbtp: float
    """Above the ceiling up to this: warn; above it: bad (clips on playback)."""


class CorrelationRules(_Frozen):
    good_from: float = Field(ge=-1.0, le=1.0)
    bad_below: float = Field(ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> CorrelationRules:
        if self.bad_below > self.good_from:
            raise ValueError("bad_below must not be above good_from")
        return self


class LowEndRules(_Frozen):
    bad_below: float = Field(ge=-1.0, le=1.0)
    """Low-end correlation under the genre's minimum is a warning; under this, bad."""


class BalanceRules(_Frozen):
    warn_from_db: float = Field(ge=0.0)
    bad_from_db: float = Field(ge=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> BalanceRules:
        if self.warn_from_db > self.bad_from_db:
            raise ValueError("warn_from_db must not be above bad_from_db")
        return self


class MonoSumRules(_Frozen):
    bad_below_db: float = Field(le=0.0)


class TempoRules(_Frozen):
    multiples: tuple[float, ...] = Field(min_length=1)
    """Tempo readings accepted against the genre's range (1, 0.5 and 2: half and double
    time count)."""

    @model_validator(mode="after")
    def _positive(self) -> TempoRules:
        if any(not m > 0 for m in self.multiples):
            raise ValueError("multiples must be positive")
        return self


class KeyRules(_Frozen):
    confident_from: float = Field(ge=0.0, le=1.0)


class TonalRules(_Frozen):
    bad_beyond_tolerances: float = Field(ge=1.0)


class JudgingTable(_Frozen):
    """Everything judging.yaml defines, validated."""

    version: int = 1
    integrated_loudness: Margin
    true_peak: TruePeakRules
    plr: Margin
    loudness_range: Margin
    dr: Margin
    stereo_width: Margin
    correlation: CorrelationRules
    low_end_correlation: LowEndRules
    balance: BalanceRules
    mono_sum: MonoSumRules
    tempo: TempoRules
    key: KeyRules
    tonal_balance: TonalRules


def load_judging_table(path: Path | None = None) -> JudgingTable:
    """Load and validate judging.yaml (``DataFileError`` naming the field when invalid);
    the packaged file is read once and cached."""
    return load_model(path or DEFAULT_JUDGING_PATH, JudgingTable)


def judging_table() -> JudgingTable:
    """The margins every status function judges with (the packaged judging.yaml)."""
    return load_judging_table()


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


def plr_range(targets: GenreTargets, rules: ContextRules, extra_mixdown_db: float = 0.0) -> Range:
    """PLR (dB) a track should have in its context: the genre's range for a master; for a
    mixdown, from the context's squashed floor to the genre's top plus ``extra_mixdown_db``."""
    if rules.apply_genre_dynamics:
        return targets.plr_db
    top = targets.plr_db.max + extra_mixdown_db
    return Range(min=rules.over_compressed_plr_db, max=max(top, rules.over_compressed_plr_db))


def plr_floor(result: AnalysisResult) -> float:
    """The PLR (and PSR) below which the track counts as squashed (dB)."""
    return plr_range(*judging_rules(result)).min


def tonal_tolerance(result: AnalysisResult) -> float:
    """How far (dB) an octave may stray from the genre's tonal curve: as measured with the
    tonal balance, else the context's tolerance for the genre."""
    balance = result.spectrum.tonal_balance
    if balance is not None:
        return balance.tolerance_db
    targets, rules = judging_rules(result)
    return rules.tonal_tolerance(targets)


# --------------------------------------------------------------------------- the rule


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


# --------------------------------------------------------------------------- loudness


def loudness_status(result: AnalysisResult) -> Status:
    """Integrated loudness against the context's (or the genre's) range."""
    targets, rules = judging_rules(result)
    return metric_status(result.loudness.integrated_lufs, rules.loudness_range(targets),
                         warn_within=judging_table().integrated_loudness.limit)


def peak_status(peak_dbtp: float | None, ceiling_dbtp: float) -> Status:
    """A true-peak reading (dBTP): good at or below ``ceiling_dbtp``, warn up to the
    clipping line (0 dBTP), bad above it."""
    return metric_status(peak_dbtp, ceiling_dbtp,
                         warn_within=judging_table().true_peak.bad_above_dbtp - ceiling_dbtp)


def true_peak_status(result: AnalysisResult) -> Status:
    """The track's true peak against its context's ceiling (see ``peak_status``)."""
    targets, rules = judging_rules(result)
    return peak_status(result.loudness.true_peak_dbtp, rules.true_peak_limit(targets))


# --------------------------------------------------------------------------- dynamics


def plr_status(result: AnalysisResult) -> Status:
    """Against the floor; a master above its genre's range is a warning (too dynamic)."""
    targets, rules = judging_rules(result)
    value = result.loudness.plr_db
    status = metric_status(value, Bounds(low=plr_floor(result)),
                           warn_within=judging_table().plr.limit)
    if (rules.apply_genre_dynamics and status == "good" and value is not None
            and value > targets.plr_db.max):
        return "warn"
    return status


def lra_status(result: AnalysisResult) -> Status:
    """Loudness range (LU) against the genre's; not judged (unknown) for a mixdown."""
    targets, rules = judging_rules(result)
    if not rules.apply_genre_dynamics:
        return "unknown"
    return metric_status(result.loudness.lra_lu, targets.lra_lu,
                         warn_within=judging_table().loudness_range.limit)


def dr_status(result: AnalysisResult) -> Status:
    """DR value against the genre's; not judged (unknown) for a mixdown."""
    targets, rules = judging_rules(result)
    dr = result.loudness.dr
    if not rules.apply_genre_dynamics:
        return "unknown"
    return metric_status(None if dr is None else float(dr), targets.dr,
                         warn_within=judging_table().dr.limit)


# --------------------------------------------------------------------------- music


def tempo_in_range(bpm: float | None, wanted: Range) -> bool | None:
    """Whether the tempo, or its half or double, is inside ``wanted``; None without one."""
    if bpm is None:
        return None
    return any(wanted.contains(bpm * m) for m in judging_table().tempo.multiples)


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


# --------------------------------------------------------------------------- stereo


def width_status(result: AnalysisResult) -> Status:
    """Side/mid ratio against the genre's range; unknown for a mono file."""
    if result.channels == 1:
        return "unknown"
    return metric_status(result.stereo.width, judging_rules(result)[0].stereo_width,
                         warn_within=judging_table().stereo_width.limit)


def correlation_status(correlation: float | None) -> Status:
    """Phase correlation (overall or of one band): good from ``good_from``, warn down to
    ``bad_below``, bad below it (+0.2 and 0 as shipped)."""
    rules = judging_table().correlation
    return metric_status(correlation, Bounds(low=rules.good_from),
                         warn_within=rules.good_from - rules.bad_below)


def low_end_correlation_status(result: AnalysisResult) -> Status:
    """Correlation of the low end: good from the genre's minimum, warn under it, bad under
    the wide_low_end detector's critical line; unknown for a mono file."""
    value = result.stereo.low_end_correlation
    if result.channels == 1 or value is None:
        return "unknown"
    if value >= judging_rules(result)[0].low_end.min_correlation:
        return "good"
    return "warn" if value >= judging_table().low_end_correlation.bad_below else "bad"


def balance_status(result: AnalysisResult) -> Status:
    """Left/right level balance (dB): good under the warning line, warn under the bad
    line, bad from it; unknown for a mono file."""
    balance = result.stereo.balance_db
    if result.channels == 1 or balance is None:
        return "unknown"
    rules = judging_table().balance
    if abs(balance) < rules.warn_from_db:
        return "good"
    return "warn" if abs(balance) < rules.bad_from_db else "bad"


def mono_sum_status(result: AnalysisResult) -> Status:
    """Level change (dB) when the mix is summed to mono: good down to the limit, bad
    below it; unknown for a mono file."""
    loss = result.stereo.mono_loss_db
    if result.channels == 1 or loss is None:
        return "unknown"
    return "good" if loss >= judging_table().mono_sum.bad_below_db else "bad"


# --------------------------------------------------------------------------- tone


def tonal_deviation_status(deviation_db: float | None, tolerance_db: float) -> Status:
    """One octave's deviation from the genre's tonal curve (dB): good within the tolerance,
    warn within ``bad_beyond_tolerances`` times it, bad farther; unknown when unmeasured."""
    if deviation_db is None or math.isnan(deviation_db):
        return "unknown"
    if not abs(deviation_db) > tolerance_db:
        return "good"
    bad_from = judging_table().tonal_balance.bad_beyond_tolerances * tolerance_db
    return "warn" if abs(deviation_db) <= bad_from else "bad"
