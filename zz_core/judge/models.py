"""The result models of an analysis: what the engine returns, the command line prints as
JSON and the app stores. Defined here, below the pipeline and the comparison, so that
every layer can import them without a cycle."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from zz_core.judge.genres import GenreChoice
from zz_core.judge.issues import Issue
from zz_core.judge.platforms import PlatformOutcome
from zz_core.measure.loudness import LoudnessFigures
from zz_core.measure.rhythm import TempoResult, TransientResult
from zz_core.measure.series import TimeSeries
from zz_core.measure.spectrum import Band, SpectrumResult
from zz_core.measure.stereo import StereoResult
from zz_core.measure.tonality import KeyResult
from zz_core.vocab import Context

SCHEMA_VERSION = 1


class MetricDelta(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: str
    label: str
    unit: str
    track: float | None
    reference: float | None
    delta: float | None  # track - reference


class TonalDifference(BaseModel):
    """Third-octave EQ move (dB) that brings the level-matched track to the reference."""

    model_config = ConfigDict(frozen=True)

    centres_hz: list[float]
    eq_move_db: list[float | None]
    level_offset_db: float  # how much louder the reference's spectrum is overall


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    reference_name: str | None
    metrics: list[MetricDelta]
    key_track: str | None
    key_reference: str | None
    band_deltas_db: dict[str, float | None]  # band level track - reference (level-matched)
    tonal_difference: TonalDifference
    issues: list[Issue]


class AnalysisOptions(BaseModel):
    """What the producer told us about the track."""

    model_config = ConfigDict(frozen=True)

    context: Context = "mixdown"
    genre: str | None = None
    subgenre: str | None = None


class LoudnessSummary(LoudnessFigures):
    """Headline loudness and dynamics (BS.1770-5, EBU R128, Tech 3342, TT DR)."""

    true_peak_dbtp: float | None
    true_peak_per_channel_dbtp: list[float | None]
    true_peak_oversampling: int
    sample_peak_dbfs: float | None
    rms_dbfs: float | None
    plr_db: float | None
    psr_db: float | None
    psr_min_db: float | None
    crest_db: float | None
    dr: int | None


class Waveform(BaseModel):
    """Min/max envelope over all channels, one pair per ``hop_s`` seconds."""

    model_config = ConfigDict(frozen=True)

    hop_s: float
    minimum: list[float]
    maximum: list[float]


class SeriesBundle(BaseModel):
    """Everything plotted against time."""

    model_config = ConfigDict(frozen=True)

    momentary_lufs: TimeSeries
    short_term_lufs: TimeSeries
    true_peak_dbtp: TimeSeries
    psr_db: TimeSeries
    correlation: TimeSeries
    waveform: Waveform


class AnalysisResult(BaseModel):
    """The engine's full result; serialised as the CLI's JSON and stored by the app."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    file_name: str | None
    duration_s: float
    sample_rate_hz: int
    channels: int
    source_format: str
    context: Context
    genre: GenreChoice
    loudness: LoudnessSummary
    tempo: TempoResult
    key: KeyResult
    transients: TransientResult
    stereo: StereoResult
    bands: list[Band]
    spectrum: SpectrumResult
    platforms: list[PlatformOutcome]
    issues: list[Issue]
    series: SeriesBundle
    comparison: Comparison | None = Field(default=None)
