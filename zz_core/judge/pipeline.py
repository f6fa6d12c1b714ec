"""The whole analysis of a track: every measurement, the located issues, what streaming
platforms will do to it and, with a reference, the comparison.

The audio is decoded once; loudness, true peak and stereo read it in 100 ms segments,
spectrum and stereo share one STFT pass, tempo/key/transients share a low-rate feature
pass. The heavy passes run on worker threads side by side: the true-peak kernel, the FFTs
and the filters all release the GIL.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from zz_core.judge import genres
from zz_core.judge.comparison import compare
from zz_core.judge.issues import IssueInputs, detect_issues
from zz_core.judge.models import (
    AnalysisOptions,
    AnalysisResult,
    LoudnessSummary,
    SeriesBundle,
    Waveform,
)
from zz_core.judge.platforms import PlatformOutcome, simulate_platforms
from zz_core.measure import features, loudness, peaks, rhythm, spectrum, stereo, tonality
from zz_core.measure.decoding import Audio, load_audio
from zz_core.measure.truepeak import channel_true_peak

WORKER_THREADS = max(2, os.cpu_count() or 2)
WAVEFORM_POINTS = 2000


def analyze_file(path: str | os.PathLike[str], options: AnalysisOptions | None = None,
                 reference: str | os.PathLike[str] | None = None) -> AnalysisResult:
    """Decode and analyse a file; with ``reference``, analyse that too and compare."""
    options = options or AnalysisOptions()
    result = analyze_audio(load_audio(path), options, file_name=os.path.basename(path))
    if reference is None:
        return result
    reference_result = analyze_audio(load_audio(reference), options,
                                     file_name=os.path.basename(reference))
    return with_reference(result, reference_result)


def with_reference(track: AnalysisResult, reference: AnalysisResult) -> AnalysisResult:
    """The track's result with its comparison against ``reference`` filled in."""
    return track.model_copy(update={"comparison": compare(track, reference)})


def analyze_audio(audio: Audio, options: AnalysisOptions | None = None,
                  file_name: str | None = None) -> AnalysisResult:
    """Measure everything about decoded audio under the given context and genre."""
    options = options or AnalysisOptions()
    resolved = genres.resolve_targets(options.genre, options.subgenre)
    rules = genres.context_rules(options.context)
    targets = resolved.targets
    samples, rate = audio.samples, audio.sample_rate_hz
    segment = loudness.segment_length(rate)
    segment_s = segment / rate
    with ThreadPoolExecutor(max_workers=WORKER_THREADS) as pool:
        true_peak_jobs = [pool.submit(channel_true_peak, ch, rate, segment) for ch in samples]
        music_job = pool.submit(features.compute_music_features, samples, rate)
        frames_job = pool.submit(spectrum.analyse_frames, samples, rate)
        segments = loudness.segment_mean_squares(samples, rate)
        peak_result = peaks.measure_peaks(samples, rate, segment,
                                          [job.result() for job in true_peak_jobs])
        music, frames = music_job.result(), frames_job.result()
    loud = loudness.loudness_from_segments(segments, segment_s)
    dynamics = peaks.measure_dynamics(
        np.asarray(peak_result.true_peak_dbtp_series.values, dtype=float),
        loud.short_term_lufs.as_array(), loud.integrated_lufs,
        loudness.SHORT_TERM_SEGMENTS, segment_s)
    spec = spectrum.measure_spectrum(frames, targets.tonal_curve_db,
                                     rules.tonal_tolerance(targets))
    stereo_result = stereo.measure_stereo(samples, frames, segment, rate,
                                          targets.low_end.mono_below_hz)
    issues = detect_issues(IssueInputs(
        samples=samples, sample_rate_hz=rate, segment_s=segment_s, loudness=loud,
        peaks=peak_result, dynamics=dynamics, stereo=stereo_result, spectrum=spec,
        frames=frames, targets=targets, context=rules, genre_label=resolved.display_label))
    return AnalysisResult(
        file_name=file_name,
        duration_s=round(audio.duration_s, 3),
        sample_rate_hz=rate,
        channels=audio.channels,
        source_format=audio.source_format,
        context=options.context,
        genre=resolved.choice(),
        loudness=_summary(loud, peak_result, dynamics),
        tempo=rhythm.estimate_tempo(
            music, (targets.bpm.min, targets.bpm.max) if options.genre else None),
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
            waveform=waveform_envelope(samples, rate),
        ),
    )


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
    frames = samples.shape[1]
    step = max(1, -(-frames // points))
    usable = (frames // step) * step
    lows, highs = [], []
    for channel in samples:
        blocks = channel[:usable].reshape(-1, step)
        lows.append(blocks.min(axis=1))
        highs.append(blocks.max(axis=1))
    low, high = np.min(lows, axis=0), np.max(highs, axis=0)
    return Waveform(hop_s=step / sample_rate_hz,
                    minimum=np.round(low, 4).tolist(), maximum=np.round(high, 4).tolist())
