"""The judging thresholds of ``zz_core/data/judging.yaml``, validated: the severity ladder's
lines, the visible margin of every rule, the programme gate, and the margins of the
headline figures' statuses. The issue detectors (``judge/issues``), the status functions
and verdicts (``judge/judging.py``), the reference comparison and the album read them
here, so a number lives in the data file only.

Units: LU and LUFS (ITU-R BS.1770 / EBU R128 / EBU Tech 3342), dB, dBTP, dBFS, seconds;
correlations from -1 to +1; width as the side/mid energy ratio.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zz_core.datafiles import DATA_DIR, load_model

DEFAULT_JUDGING_PATH = DATA_DIR / "judging.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Margin(_Frozen):
    """How far outside its target a figure is still a warning (in the figure's unit);
    None: outside the target is always a warning, never bad."""

    warn_within: float | None = Field(default=None, ge=0.0)

    @property
    def limit(self) -> float:
        return math.inf if self.warn_within is None else self.warn_within


class VisibleMargins(_Frozen):
    """How far past its limit a figure must be before a verdict fires (at least the
    resolution it is displayed with), per unit family."""

    loudness_lu: float = Field(ge=0.1)
    true_peak_db: float = Field(ge=0.1)
    plr_db: float = Field(ge=0.1)
    lra_lu: float = Field(ge=0.1)
    dr: float = Field(ge=1.0)
    width: float = Field(ge=0.01)
    correlation: float = Field(ge=0.01)
    balance_db: float = Field(ge=0.1)
    mono_sum_db: float = Field(ge=0.1)
    tonal_db: float = Field(ge=0.1)
    dc_offset_db: float = Field(ge=1.0)
    silence_s: float = Field(ge=0.1)


class GateRules(_Frozen):
    """Which windows are programme (and may decide a windowed verdict)."""

    absolute_lufs: float = Field(le=0.0)
    relative_lu: float = Field(gt=0.0)
    drop_lu: float = Field(gt=0.0)
    drop_hold_s: float = Field(gt=0.0)
    min_programme_share: float = Field(gt=0.0, le=1.0)


class LoudnessRules(Margin):
    streaming_tolerance_lu: float = Field(ge=0.0)
    """A master too quiet for its genre but no more than this below the loudest streaming
    normalisation target (platforms.yaml) is a valid streaming master: info."""


class TruePeakRules(_Frozen):
    bad_above_dbtp: float
    """Above this (full scale): critical, whatever the context."""


class CorrelationRules(_Frozen):
    good_from: float = Field(ge=-1.0, le=1.0)
    bad_below: float = Field(ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> CorrelationRules:
        if self.bad_below > self.good_from:
            raise ValueError("bad_below must not be above good_from")
        return self


class PhaseRules(_Frozen):
    window_limit: float = Field(ge=-1.0, le=1.0)
    """A programme window (400 ms) whose correlation is below this cancels."""
    min_programme_s: float = Field(gt=0.0)
    """A stretch decides only with at least this much programme in it."""
    collapse_below: float = Field(ge=-1.0, le=1.0)
    """A stretch whose worst window is below this collapses in mono: critical."""

    @model_validator(mode="after")
    def _ordered(self) -> PhaseRules:
        if self.collapse_below > self.window_limit:
            raise ValueError("collapse_below must not be above window_limit")
        return self


class LowEndRules(_Frozen):
    bad_below: float = Field(ge=-1.0, le=1.0)
    """Low-end correlation under the genre's minimum is a warning; under this (the bass
    cancels in mono), critical."""


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


class DcOffsetRules(_Frozen):
    warn_above_dbfs: float = Field(le=0.0)


class ClippingRules(_Frozen):
    critical_from_runs: int = Field(ge=1)
    """This many clipped runs or more are audible clipping: critical in every context."""


class SilenceRules(_Frozen):
    edge_s: float = Field(gt=0.0)
    gap_s: float = Field(gt=0.0)


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
    localise_window_s: float = Field(gt=0.0)
    """Length of the stretch named where a tonal deviation is most pronounced."""


class ComparisonRules(_Frozen):
    loudness_delta_lu: float = Field(gt=0.0)
    plr_delta_db: float = Field(gt=0.0)
    tonal_delta_db: float = Field(gt=0.0)
    low_end_correlation_delta: float = Field(gt=0.0)
    width_ratio: float = Field(gt=0.0, lt=1.0)


class JudgingTable(_Frozen):
    """Everything judging.yaml defines, validated."""

    version: int = 1
    visible_margin: VisibleMargins
    gate: GateRules
    integrated_loudness: LoudnessRules
    true_peak: TruePeakRules
    plr: Margin
    loudness_range: Margin
    dr: Margin
    stereo_width: Margin
    correlation: CorrelationRules
    phase: PhaseRules
    low_end_correlation: LowEndRules
    balance: BalanceRules
    mono_sum: MonoSumRules
    dc_offset: DcOffsetRules
    clipping: ClippingRules
    silence: SilenceRules
    tempo: TempoRules
    key: KeyRules
    tonal_balance: TonalRules
    comparison: ComparisonRules


def load_judging_table(path: Path | None = None) -> JudgingTable:
    """Load and validate judging.yaml (``DataFileError`` naming the field when invalid);
    the packaged file is read once and cached."""
    return load_model(path or DEFAULT_JUDGING_PATH, JudgingTable)


def judging_table() -> JudgingTable:
    """The thresholds every rule judges with (the packaged judging.yaml)."""
    return load_judging_table()
