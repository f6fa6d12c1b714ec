"""The issue models (one issue per code per track, located in time) and what the
detectors read."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from zz_core.judge.gating import ProgrammeGate, programme_gate
from zz_core.judge.genres import ContextRules, GenreTargets
from zz_core.judge.thresholds import JudgingTable, judging_table
from zz_core.measure.loudness import LoudnessResult
from zz_core.measure.peaks import ChannelPeaks, DynamicsResult, OverStretch, PeakResult
from zz_core.measure.spectrum import SpectralFrames, SpectrumResult
from zz_core.measure.stereo import StereoResult
from zz_core.vocab import Severity


class IssueSpan(BaseModel):
    """One stretch of the track where an issue is heard, with the worst value in it."""

    model_config = ConfigDict(frozen=True)

    start_s: float
    end_s: float
    value: float | None = None  # the worst value inside this stretch, in the issue's unit


class Issue(BaseModel):
    """One problem of a track: one issue per code per track, located in time.

    ``value`` is the evidence that decided the verdict (the worst programme window, not
    an average over fades and tails) and ``limit`` the threshold it crossed, both in
    ``unit``; ``margin`` is how far past the limit the value lies, on the failing side
    (at least the rule's visible margin, stated in the message). ``spans`` are the
    stretches where it is heard, worst first; ``start_s``/``end_s`` repeat the worst one.
    Times in seconds from the start of the track.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str
    start_s: float
    end_s: float
    value: float | None = None  # the measured figure behind the issue, in its unit
    limit: float | None = None  # the threshold it crossed
    unit: str = ""
    margin: float | None = None
    spans: list[IssueSpan] = Field(default_factory=list)

    @property
    def span_count(self) -> int:
        """How many stretches of the track the issue covers (at least one)."""
        return max(1, len(self.spans))


@dataclass(frozen=True)
class IssueInputs:
    """Everything the detectors read: the measured facts of one pass over the audio (never
    the samples themselves, which are not kept). ``over_stretches`` are where samples lie
    above full scale, joined MERGE_GAP_S apart; ``table`` defaults to the packaged
    judging.yaml."""

    duration_s: float
    channels: int
    sample_rate_hz: int
    segment_s: float
    loudness: LoudnessResult
    peaks: PeakResult
    dynamics: DynamicsResult
    stereo: StereoResult
    spectrum: SpectrumResult
    frames: SpectralFrames
    targets: GenreTargets
    context: ContextRules
    genre_label: str
    clip_runs: list[list[tuple[float, float]]]
    channel_peaks: list[ChannelPeaks]
    over_stretches: list[OverStretch]
    table: JudgingTable = field(default_factory=judging_table)

    @cached_property
    def gate(self) -> ProgrammeGate:
        """Which windows are programme (see ``judge/gating.py``)."""
        return programme_gate(self.loudness.momentary_lufs, self.loudness.integrated_lufs,
                              self.table.gate)

    @property
    def runs(self) -> list[list[tuple[float, float]]]:
        """Each channel's clipped runs (start, end) in seconds."""
        return self.clip_runs

    @property
    def per_channel(self) -> list[ChannelPeaks]:
        """Each channel's DC offset, clipped runs and overs."""
        return self.channel_peaks
