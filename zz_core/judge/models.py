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
from zz_core.vocab import Context, SectionKind, Severity, Status, Trend

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


class Section(BaseModel):
    """One section of the song (``judge/sections.py``): [start_s, end_s) in seconds; its
    ``label`` (A, B, ...: the repeats of a part share it) and best-effort ``kind`` with a
    ``confidence`` 0..1; ``loudness_lufs`` its BS.1770 gated loudness; ``psr_db`` true
    peak minus short-term loudness at its loudest 3 s; ``width`` (side/mid energy) and
    ``correlation`` of the front pair (None in mono); ``band_levels_db`` the named bands'
    levels (dBFS, as ``Band.level_db``); ``bands`` their balance against the genre's
    tonal target (dB, level-matched on the median band: + is more than the target);
    ``issue_codes`` the issues heard in it; ``tempo_bpm`` its tempo (the track's unless
    this section's own differs: the tempo map)."""

    model_config = ConfigDict(frozen=True)

    start_s: float
    end_s: float
    label: str
    kind: SectionKind | None = None
    confidence: float = 0.0
    loudness_lufs: float | None = None
    psr_db: float | None = None
    width: float | None = None
    correlation: float | None = None
    bands: dict[str, float | None] = Field(default_factory=dict)
    band_levels_db: dict[str, float | None] = Field(default_factory=dict)
    issue_codes: list[str] = Field(default_factory=list)
    tempo_bpm: float | None = None

    @property
    def name(self) -> str:
        """How the text calls it: its kind ("chorus"), else "section A"."""
        return self.kind if self.kind else f"section {self.label}"


class SectionDelta(BaseModel):
    """A track's section against the matching section of the reference (the drop against
    the drop): track minus reference, ``loudness_lu`` net of the whole-song loudness
    difference, ``bands_db`` level-matched on the median band; ``score`` (dB) how much
    they differ: the largest of the band differences and the loudness difference."""

    model_config = ConfigDict(frozen=True)

    track: Section
    reference: Section
    loudness_lu: float | None
    psr_db: float | None
    width: float | None
    bands_db: dict[str, float | None]
    score: float


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
    sections: list[SectionDelta] = Field(default_factory=list)
    section_note: str | None = None  # which section differs most, one sentence


class FigureChange(BaseModel):
    """One headline figure in two versions of a track: ``before`` (the previous version)
    and ``after`` (this one) in ``unit``, ``delta`` = after - before (None when either is
    unmeasured), ``margin`` the judging margin a change must clear to count (judging.yaml's
    visible margin for the figure, in the delta's unit) and the ``trend`` it makes."""

    model_config = ConfigDict(frozen=True)

    metric: str
    label: str
    unit: str
    before: float | None
    after: float | None
    delta: float | None
    margin: float
    trend: Trend


class Changes(BaseModel):
    """What changed since the previous version of a track (``judge/versions.py``): the
    issue codes ``fixed`` (in the previous version, gone from this one), ``new`` (the
    other way round) and ``remaining`` (in both); each headline figure before and after
    (``deltas``, by metric path); and the tonal change, level-matched (this version minus
    the previous one per third octave, dB: the EQ move that was made).
    ``same_options`` is False when the two were analysed with different contexts or
    genres (their issues were then judged against different targets)."""

    model_config = ConfigDict(frozen=True)

    previous_name: str | None
    fixed: list[str]
    new: list[str]
    remaining: list[str]
    deltas: dict[str, FigureChange]
    tonal_difference: TonalDifference
    same_options: bool = True

    def trending(self, trend: Trend) -> list[FigureChange]:
        """The figures that made this trend, in the order of ``deltas``."""
        return [c for c in self.deltas.values() if c.trend == trend]


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


class Spectrogram(BaseModel):
    """Level over time and log frequency, for display (``measure.spectrogram``).

    Column ``c`` is centred at ``start_s + c * hop_s`` (s; ``hop_s`` = max(duration /
    600, the STFT hop)); rows are centred at ``frequencies_hz`` (96 log-spaced bands
    tiling 20 Hz-20 kHz, about 1/9.6 octave; rows above Nyquist left out). ``codes`` is
    base64 of uint8[columns * rows], time-major (column 0's rows, then column 1's ...):
    level = ``floor_db + code * step_db``, dBFS, the mean power per STFT bin in the
    row's band over the column's frames, front pair averaged; code 0 = at or below
    ``floor_db``."""

    model_config = ConfigDict(frozen=True)

    start_s: float
    hop_s: float
    frequencies_hz: list[float]
    floor_db: float = -120.0
    step_db: float = 0.5
    codes: str


class Vectorscope(BaseModel):
    """Density of the front pair's (side, mid) = ((L - R) / sqrt 2, (L + R) / sqrt 2)
    over the programme (momentary loudness above the relative gate), for display
    (``measure.scope``): ``codes`` is base64 of uint8[size * size], row-major, row 0 at
    mid = +``scale`` (top), column 0 at side = -``scale``; log1p(count) scaled to 0..255
    (255 = the densest cell). ``scale`` is the linear peak the axes are normalised to."""

    model_config = ConfigDict(frozen=True)

    size: int = 64
    scale: float
    codes: str


class FineSpectrum(BaseModel):
    """Long-term level per 1/``bands_per_octave`` octave band (dBFS, mean square
    averaged over the front pair, over the whole file as the third-octave spectrum; None
    for an empty band), at ``centres_hz`` = 1000 * 2 ** (k / bands_per_octave), 20 Hz-20
    kHz below Nyquist. For display."""

    model_config = ConfigDict(frozen=True)

    bands_per_octave: int = 12
    centres_hz: list[float]
    levels_db: list[float | None]


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
    spectrogram: Spectrogram | None = None  # for display; None in older analyses
    width: TimeSeries | None = None  # side/mid energy per correlation window (None: older)


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
    vectorscope: Vectorscope | None = None  # for display; None in older analyses/silence
    fine_spectrum: FineSpectrum | None = None  # for display; None in older analyses
    changes: Changes | None = Field(default=None)
    sections: list[Section] = Field(default_factory=list)

    def verdict(self, metric: str) -> Verdict | None:
        """The stored verdict of one figure ("loudness.integrated_lufs"), None when the
        result has none (see ``judging.verdicts`` for old results)."""
        return next((v for v in self.verdicts if v.metric == metric), None)
