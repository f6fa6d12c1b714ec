"""Reference comparison: every headline metric side by side, a level-matched tonal
difference curve (the EQ move that brings the track towards the reference) and the
issues the difference reveals, under the same codes as the absolute checks."""

from __future__ import annotations

import numpy as np

from zz_core.judge.issues import Issue
from zz_core.judge.models import AnalysisResult, Comparison, MetricDelta, TonalDifference
from zz_core.measure.spectrum import audible_levels, level_match_offset
from zz_core.vocab import Severity

LOUDNESS_DELTA_LU = 1.5
PLR_DELTA_DB = 2.0
TONAL_DELTA_DB = 2.0
LOW_END_CORRELATION_DELTA = 0.2
WIDTH_RATIO = 0.5

# (path in the result, label, unit)
METRICS: tuple[tuple[str, str, str], ...] = (
    ("loudness.integrated_lufs", "Integrated loudness", "LUFS"),
    ("loudness.short_term_max_lufs", "Short-term max", "LUFS"),
    ("loudness.momentary_max_lufs", "Momentary max", "LUFS"),
    ("loudness.lra_lu", "Loudness range", "LU"),
    ("loudness.true_peak_dbtp", "True peak", "dBTP"),
    ("loudness.sample_peak_dbfs", "Sample peak", "dBFS"),
    ("loudness.rms_dbfs", "RMS", "dBFS"),
    ("loudness.plr_db", "PLR", "dB"),
    ("loudness.psr_db", "PSR", "dB"),
    ("loudness.crest_db", "Crest factor", "dB"),
    ("loudness.dr", "DR", "DR"),
    ("tempo.bpm", "Tempo", "BPM"),
    ("stereo.correlation", "Correlation", ""),
    ("stereo.width", "Width (S/M)", ""),
    ("stereo.balance_db", "L/R balance", "dB"),
    ("stereo.low_end_correlation", "Low-end correlation", ""),
    ("transients.strength_crest_db", "Transient crest", "dB"),
)


def metric_value(result: AnalysisResult, path: str) -> float | None:
    """A numeric field of an analysis by dotted path, None when absent or unmeasured."""
    node: object = result
    for part in path.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return float(node) if isinstance(node, (int, float)) else None


def compare(track: AnalysisResult, reference: AnalysisResult) -> Comparison:
    """Compare a track with a reference analysed with the same options."""
    metrics = [_delta(track, reference, path, label, unit) for path, label, unit in METRICS]
    tonal = tonal_difference(track, reference)
    bands = _band_deltas(track, reference, tonal.level_offset_db)
    return Comparison(
        reference_name=reference.file_name,
        metrics=metrics,
        key_track=track.key.label,
        key_reference=reference.key.label,
        band_deltas_db=bands,
        tonal_difference=tonal,
        issues=relative_issues(track, reference, {m.metric: m for m in metrics}, tonal),
    )


def _delta(track: AnalysisResult, reference: AnalysisResult, path: str, label: str,
           unit: str) -> MetricDelta:
    a, b = metric_value(track, path), metric_value(reference, path)
    delta = None if a is None or b is None else round(a - b, 3)
    return MetricDelta(metric=path, label=label, unit=unit, track=a, reference=b, delta=delta)


def tonal_difference(track: AnalysisResult, reference: AnalysisResult) -> TonalDifference:
    """Reference minus track per third octave (dB; None where either band is empty),
    level-matched as the charts match spectra (``level_match_offset``: the median
    difference over 63 Hz-8 kHz)."""
    theirs = dict(zip(reference.spectrum.third_octave_centres_hz,
                      reference.spectrum.third_octave_db, strict=True))
    common = [(c, v) for c, v in zip(track.spectrum.third_octave_centres_hz,
                                     track.spectrum.third_octave_db, strict=True) if c in theirs]
    centres = [c for c, _ in common]
    ours_db = [v for _, v in common]
    theirs_db = [theirs[c] for c in centres]
    offset = level_match_offset(centres, theirs_db, ours_db)
    difference = audible_levels(theirs_db) - audible_levels(ours_db)
    moves: list[float | None] = [None if np.isnan(v) else round(float(v - offset), 2)
                                 for v in difference]
    return TonalDifference(centres_hz=[float(c) for c in centres], eq_move_db=moves,
                           level_offset_db=round(offset, 2))


def _band_deltas(track: AnalysisResult, reference: AnalysisResult,
                 offset_db: float) -> dict[str, float | None]:
    theirs = {b.name: b.level_db for b in reference.bands}
    deltas: dict[str, float | None] = {}
    for band in track.bands:
        other = theirs.get(band.name)
        deltas[band.name] = (None if band.level_db is None or other is None
                             else round(band.level_db - other + offset_db, 2))
    return deltas


def _octave_move(tonal: TonalDifference, low_hz: float, high_hz: float) -> float | None:
    values = [m for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
              if m is not None and low_hz <= c <= high_hz]
    return float(np.mean(values)) if values else None


_TONAL_RELATIVE = (
    # code when the track has too much (negative move: reference has less), band, Hz span
    ("low_end_excess", "low_end_lacking", "low end", 25.0, 160.0),
    ("low_mid_excess", None, "low-mids", 200.0, 500.0),
    ("harshness", None, "upper mids", 1600.0, 5000.0),
    (None, "dull_highs", "top end", 8000.0, 16000.0),
)


def relative_issues(track: AnalysisResult, reference: AnalysisResult,
                    metrics: dict[str, MetricDelta], tonal: TonalDifference) -> list[Issue]:
    """Issues the comparison reveals, under the absolute checks' codes."""
    end = track.duration_s
    issues: list[Issue] = []

    def add(code: str, severity: Severity, message: str, value: float | None) -> None:
        issues.append(Issue(code=code, severity=severity, message=message, start_s=0.0,
                            end_s=end, value=value))

    loudness = metrics["loudness.integrated_lufs"].delta
    if loudness is not None and abs(loudness) > LOUDNESS_DELTA_LU:
        code = "too_loud" if loudness > 0 else "too_quiet"
        word = "louder" if loudness > 0 else "quieter"
        add(code, "warning", f"{abs(loudness):.1f} LU {word} than the reference.", loudness)
    plr = metrics["loudness.plr_db"].delta
    if plr is not None and plr < -PLR_DELTA_DB:
        add("over_compressed", "warning",
            f"PLR {-plr:.1f} dB lower than the reference: more squashed.", plr)
    for excess, lacking, name, low, high in _TONAL_RELATIVE:
        move = _octave_move(tonal, low, high)
        if move is None:
            continue
        if excess and move < -TONAL_DELTA_DB:
            add(excess, "warning", f"{-move:.1f} dB more {name} than the reference "
                f"({low:.0f}-{high:.0f} Hz): cut there by about that much.", move)
        if lacking and move > TONAL_DELTA_DB:
            add(lacking, "warning", f"{move:.1f} dB less {name} than the reference "
                f"({low:.0f}-{high:.0f} Hz): boost there by about that much.", move)
    low_corr = metrics["stereo.low_end_correlation"]
    if (low_corr.delta is not None and low_corr.delta < -LOW_END_CORRELATION_DELTA):
        add("wide_low_end", "warning",
            f"Low end is wider than the reference (correlation {low_corr.track:+.2f} vs "
            f"{low_corr.reference:+.2f}).", low_corr.delta)
    width = metrics["stereo.width"]
    if width.track is not None and width.reference and width.track < WIDTH_RATIO * width.reference:
        add("narrow_image", "info",
            f"Stereo image narrower than the reference (width {width.track:.2f} vs "
            f"{width.reference:.2f}).", width.delta)
    tp = metrics["loudness.true_peak_dbtp"]
    if tp.track is not None and tp.reference is not None and tp.track > max(tp.reference, -1.0):
        add("true_peak_over", "warning",
            f"True peak {tp.track:+.1f} dBTP, above the reference's {tp.reference:+.1f} dBTP.",
            tp.delta)
    return issues
