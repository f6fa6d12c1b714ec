"""The result models of an analysis: what the engine returns, the command line prints as
JSON and the app stores. Defined here, below the pipeline and the comparison, so that
every layer can import them without a cycle."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from zz_core.judge.genres import GenreChoice
from zz_core.judge.issues import Issue
from zz_core.judge.platforms import PlatformOutcome
from zz_core.measure.loudness import LoudnessFigures
from zz_core.measure.peaks import ChannelPeaks
from zz_core.measure.rhythm import TempoResult, TransientResult
from zz_core.measure.series import TimeSeries
from zz_core.measure.spectrum import Band, BandLevels, SpectrumResult
from zz_core.measure.stereo import StereoResult
from zz_core.measure.tonality import KeyResult
from zz_core.vocab import Context, Severity, Status

SCHEMA_VERSION = 2
"""2: one issue per code with spans, verdicts, per-channel peaks, decoding facts, band
levels over time, the comparison's loudness difference. Results of version 1 still load
(the new fields take their defaults) and ``judging.verdicts`` computes their verdicts."""


class Verdict(BaseModel):
    """The judgement of one headline figure, decided once by the same rules and margins
    as the issues (``judging.verdicts``): a card, a PDF mark or a chart colour is warn or
    bad exactly when, and as severely as, the matching issue says.

    ``value`` is the figure that was judged, in ``unit`` (for a windowed verdict that
    fired, the worst programme window: the issue's evidence); ``low``/``high`` the target
    (either may be open), ``limit`` the line it is judged against (the one crossed when
    not good), ``tolerance`` the allowed deviation where the target is a tolerance (tonal
    regions, dB), ``margin`` how far past the limit it lies (None when good), ``code`` the
    issue code it corresponds to when not good (None for a figure without an issue code,
    such as LRA or tempo), ``severity`` that issue's severity, ``reason`` one line why."""

    model_config = ConfigDict(frozen=True)

    metric: str
    label: str
    value: float | None
    unit: str
    status: Status
    low: float | None = None
    high: float | None = None
    limit: float | None = None
    tolerance: float | None = None
    margin: float | None = None
    code: str | None = None
    severity: Severity | None = None
    reason: str = ""


class DecodingFacts(BaseModel):
    """What decoding found (``Audio``): samples above full scale (all channels), the
    decoded peak in dBFS (above 0 for overs; None for silence or audio not made by the
    decoder) and sentences about the decoding worth telling the user."""

    model_config = ConfigDict(frozen=True)

    overs: int = 0
    peak_dbfs: float | None = None
    notes: list[str] = Field(default_factory=list)


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
    level_offset_db: float  # the spectra's level-match offset (for comparison only; not a
    #                         loudness difference: see Comparison.loudness_difference_lu)


class Comparison(BaseModel):
    """A track against a reference. ``loudness_difference_lu`` (track minus reference
    integrated loudness, LU; None when either is silent) is the one loudness difference
    every surface states."""

    model_config = ConfigDict(frozen=True)

    reference_name: str | None
    metrics: list[MetricDelta]
    key_track: str | None
    key_reference: str | None
    band_deltas_db: dict[str, float | None]  # band level track - reference (level-matched)
    tonal_difference: TonalDifference
    issues: list[Issue]
    loudness_difference_lu: float | None = None


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
    bands: BandLevels | None = None  # band levels over time (about 1 s steps)


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
    verdicts: list[Verdict] = Field(default_factory=list)
    channel_peaks: list[ChannelPeaks] = Field(default_factory=list)
    decoding: DecodingFacts = Field(default_factory=DecodingFacts)

    def verdict(self, metric: str) -> Verdict | None:
        """The stored verdict of one figure ("loudness.integrated_lufs"), None when the
        result has none (see ``judging.verdicts`` for old results)."""
        return next((v for v in self.verdicts if v.metric == metric), None)
