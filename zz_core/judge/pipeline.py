"""The whole analysis of a track: every measurement, the located issues, what streaming
platforms will do to it and, with a reference, the comparison.

The audio is measured in one pass, block by block as it decodes (``measure.passes``):
memory does not grow with the length of the file, which is refused up front when its
header states (or estimates) more than MAX_DURATION_S. Loudness, true peak and stereo
read it in 100 ms segments, spectrum and stereo share one STFT pass, tempo/key/transients
share a low-rate feature pass; the heavy passes run on worker threads side by side (the
true-peak kernel, the FFTs and the filters release the GIL). An array already in memory
(``analyze_audio``) goes through the same accumulators, block by block.
"""

from __future__ import annotations

import base64
import os
from dataclasses import replace

import numpy as np
from pydantic import ValidationError

from zz_core import text
from zz_core.datafiles import validation_lines
from zz_core.errors import AudioDecodeError
from zz_core.judge import genres
from zz_core.judge.comparison import compare
from zz_core.judge.issues import MERGE_GAP_S, IssueInputs, detect_issues
from zz_core.judge.judging import compute_verdicts
from zz_core.judge.models import (
    AnalysisOptions,
    AnalysisResult,
    DecodingFacts,
    FineSpectrum,
    LoudnessSummary,
    SeriesBundle,
    Spectrogram,
    Vectorscope,
    Waveform,
)
from zz_core.judge.platforms import PlatformOutcome, simulate_platforms
from zz_core.judge.sections import sections_of
from zz_core.measure import loudness, peaks, rhythm, spectrum, stereo, tonality
from zz_core.measure.decoding import Audio, iter_blocks
from zz_core.measure.decoding.limits import check_samples
from zz_core.measure.envelope import Envelope, envelope
from zz_core.measure.passes import Measurements, array_blocks, envelope_of, measure_blocks
from zz_core.measure.scope import VectorscopeData
from zz_core.measure.spectrogram import SpectrogramData, fine_centres, fine_levels

WAVEFORM_POINTS = 2000


def analyze_file(path: str | os.PathLike[str], options: AnalysisOptions | None = None,
                 reference: str | os.PathLike[str] | None = None) -> AnalysisResult:
    """Decode and analyse a file as it decodes (memory does not grow with its length);
    with ``reference``, analyse that too and compare. ``AudioDecodeError`` (one sentence)
    for a file we cannot analyse, before any audio is read when its header shows it."""
    options = options or AnalysisOptions()
    result = _analyse_path(path, options)
    if reference is None:
        return result
    return with_reference(result, _analyse_path(reference, options))


def with_reference(track: AnalysisResult, reference: AnalysisResult) -> AnalysisResult:
    """The track's result with its comparison against ``reference`` filled in."""
    return track.model_copy(update={"comparison": compare(track, reference)})


def analyze_audio(audio: Audio, options: AnalysisOptions | None = None,
                  file_name: str | None = None) -> AnalysisResult:
    """Measure everything about decoded audio under the given context and genre (the
    same accumulators as ``analyze_file``, fed from the array block by block)."""
    options = options or AnalysisOptions()
    samples, rate = audio.samples, audio.sample_rate_hz
    if samples.size:
        high, low = float(samples.max()), float(samples.min())
        check_samples(high, low)
    measured = measure_blocks(array_blocks(samples), rate, audio.channels,
                              merge_gap_s=MERGE_GAP_S, points=WAVEFORM_POINTS,
                              expected_frames=audio.frames, exact=True)
    facts = DecodingFacts(overs=audio.decoded_overs, peak_dbfs=_rounded(audio.decoded_peak_dbfs),
                          notes=list(audio.notes))
    return judge_measurements(measured, options, file_name=file_name,
                              source_format=audio.source_format, decoding=facts)


def _analyse_path(path: str | os.PathLike[str], options: AnalysisOptions) -> AnalysisResult:
    with iter_blocks(path) as stream:
        info = stream.info
        measured = measure_blocks(stream, info.sample_rate_hz, info.channels,
                                  merge_gap_s=MERGE_GAP_S, points=WAVEFORM_POINTS,
                                  expected_frames=info.frames, exact=info.length_exact)
    if measured.envelope is None:  # the length decoded differs from the header's
        with iter_blocks(path) as again:
            overview = envelope_of(again, info.sample_rate_hz, measured.frames,
                                   WAVEFORM_POINTS)
        measured = _with_envelope(measured, overview)
    facts = DecodingFacts(overs=stream.overs, peak_dbfs=_rounded(stream.peak_dbfs),
                          notes=list(stream.notes))
    name = text.printable(os.path.basename(os.fspath(path)))
    return judge_measurements(measured, options, file_name=name,
                              source_format=info.source_format, decoding=facts)


def _with_envelope(measured: Measurements, overview: Envelope) -> Measurements:
    return replace(measured, envelope=overview)


def judge_measurements(measured: Measurements, options: AnalysisOptions, *,
                       file_name: str | None, source_format: str,
                       decoding: DecodingFacts) -> AnalysisResult:
    """The analysis result from one pass's measurements, under the given context and
    genre: the figures, the located issues, the statuses and the platforms.

    A figure the result models refuse (pydantic's ``ValidationError``) becomes an
    ``AudioDecodeError`` with one sentence, so a batch reports it as this file's failure.
    """
    try:
        return _judged(measured, options, file_name, source_format, decoding)
    except ValidationError as error:
        problem = (validation_lines("", error) or ["invalid value"])[0]
        raise AudioDecodeError(
            f"the measurements of this audio cannot be reported ({problem})") from None


def _judged(measured: Measurements, options: AnalysisOptions, file_name: str | None,
            source_format: str, decoding: DecodingFacts) -> AnalysisResult:
    resolved = genres.resolve_targets(options.genre, options.subgenre)
    rules = genres.context_rules(options.context)
    targets = resolved.targets
    rate, segment = measured.sample_rate_hz, measured.segment
    segment_s = segment / rate
    peak_result = peaks.peak_result(measured.true_peaks, measured.block_stats, rate, segment)
    loud = loudness.loudness_from_segments(measured.segments, segment_s)
    dynamics = peaks.measure_dynamics(
        np.asarray(peak_result.true_peak_dbtp_series.values, dtype=float),
        loud.short_term_lufs.as_array(), loud.integrated_lufs,
        loudness.SHORT_TERM_SEGMENTS, segment_s)
    frames, music = measured.spectral_frames, measured.music
    spec = spectrum.measure_spectrum(frames, targets.tonal_curve_db,
                                     rules.tonal_tolerance(targets))
    stereo_result = stereo.stereo_from_products(measured.products, measured.channels, frames,
                                                segment, rate, targets.low_end.mono_below_hz)
    issues = detect_issues(IssueInputs(
        duration_s=measured.duration_s, channels=measured.channels, sample_rate_hz=rate,
        segment_s=segment_s, loudness=loud, peaks=peak_result, dynamics=dynamics,
        stereo=stereo_result, spectrum=spec, frames=frames, targets=targets, context=rules,
        genre_label=resolved.display_label, clip_runs=measured.clip_runs,
        channel_peaks=measured.channel_peaks, over_stretches=measured.over_stretches))
    overview = measured.envelope
    assert overview is not None  # filled in by a second reading when needed
    tempo = rhythm.estimate_tempo(
        music, (targets.bpm.min, targets.bpm.max) if options.genre else None)
    genre = resolved.choice()
    result = AnalysisResult(
        file_name=file_name,
        duration_s=round(measured.duration_s, 3),
        sample_rate_hz=rate,
        channels=measured.channels,
        source_format=source_format,
        context=options.context,
        genre=genre,
        loudness=_summary(loud, peak_result, dynamics),
        tempo=tempo,
        key=tonality.estimate_key(music),
        transients=rhythm.describe_transients(music),
        stereo=stereo_result,
        bands=spectrum.measure_bands(frames),
        spectrum=spec,
        platforms=_platforms(loud.integrated_lufs, peak_result.true_peak_dbtp),
        issues=issues,
        series=SeriesBundle(
            momentary_lufs=loud.momentary_lufs,
            short_term_lufs=loud.short_term_lufs,
            true_peak_dbtp=peak_result.true_peak_dbtp_series,
            psr_db=dynamics.psr_db_series,
            correlation=stereo_result.correlation_series,
            waveform=_waveform(overview),
            bands=spectrum.band_levels(frames),
            spectrogram=_spectrogram(frames.spectrogram),
            width=stereo.width_series(measured.products, segment, rate),
        ),
        channel_peaks=measured.channel_peaks,
        decoding=decoding,
        vectorscope=_vectorscope(measured.vectorscope),
        fine_spectrum=_fine_spectrum(frames),
        sections=sections_of(measured, dynamics=dynamics, short_term=loud.short_term_lufs,
                             targets=targets, genre=genre, issues=issues, tempo=tempo),
    )
    return result.model_copy(update={"verdicts": compute_verdicts(result)})


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _platforms(integrated: float | None, true_peak: float | None) -> list[PlatformOutcome]:
    nan = float("nan")
    return simulate_platforms(nan if integrated is None else integrated,
                              nan if true_peak is None else true_peak)


def _summary(loud: loudness.LoudnessResult, peak: peaks.PeakResult,
             dynamics: peaks.DynamicsResult) -> LoudnessSummary:
    figures = loud.model_dump(include=set(loudness.LoudnessFigures.model_fields))
    return LoudnessSummary(
        **figures,
        true_peak_dbtp=peak.true_peak_dbtp,
        true_peak_per_channel_dbtp=peak.true_peak_per_channel_dbtp,
        true_peak_oversampling=peak.oversampling,
        sample_peak_dbfs=peak.sample_peak_dbfs,
        rms_dbfs=peak.rms_dbfs,
        plr_db=dynamics.plr_db,
        psr_db=dynamics.psr_db,
        psr_min_db=dynamics.psr_min_db,
        crest_db=peak.crest_db,
        dr=peak.dr,
    )


def waveform_envelope(samples: np.ndarray, sample_rate_hz: int,
                      points: int = WAVEFORM_POINTS) -> Waveform:
    """Min/max over all channels in ``points`` equal steps, for plotting long files."""
    return _waveform(envelope(samples, sample_rate_hz, points))


def _waveform(overview: Envelope) -> Waveform:
    return Waveform(hop_s=overview.hop_s, minimum=overview.minimum, maximum=overview.maximum)


# --- the meter views' data (display only) -------------------------------------------------


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _spectrogram(data: SpectrogramData | None) -> Spectrogram | None:
    if data is None:
        return None
    return Spectrogram(start_s=data.start_s, hop_s=data.hop_s,
                       frequencies_hz=data.frequencies_hz, floor_db=data.floor_db,
                       step_db=data.step_db, codes=_base64(data.codes))


def _vectorscope(data: VectorscopeData | None) -> Vectorscope | None:
    if data is None:
        return None
    return Vectorscope(size=data.size, scale=data.scale, codes=_base64(data.codes))


def _fine_spectrum(frames: spectrum.SpectralFrames) -> FineSpectrum:
    centres = fine_centres(frames.sample_rate_hz)
    levels = fine_levels(frames.freqs_hz, frames.left_psd, frames.right_psd, centres)
    return FineSpectrum(centres_hz=[round(float(c), 2) for c in centres],
                        levels_db=[round(float(v), 2) if v > spectrum.EMPTY_BAND_DB else None
                                   for v in levels])
