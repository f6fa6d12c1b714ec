"""Reference comparison: every headline metric side by side, the one loudness difference
(track minus reference integrated loudness), a level-matched tonal difference curve (the
EQ move that brings the track towards the reference; its level-match offset is only
that) and the issues the difference reveals, under the same codes as the absolute checks,
one per code, each past its threshold (``data/judging.yaml``, ``comparison``) by at least
its visible margin. Tonal regions are those of ``judge/regions.py``. Section by section
(``judge/sections.py``): each section against the reference's matching one, and which
differs most."""

from __future__ import annotations

import numpy as np

from zz_core import fmt
from zz_core.judge.issues import Issue, IssueSpan, margin_text
from zz_core.judge.judging import true_peak_ceiling
from zz_core.judge.models import AnalysisResult, Comparison, MetricDelta, TonalDifference
from zz_core.judge.regions import REGIONS, Region
from zz_core.judge.rules import past
from zz_core.judge.sections import compare_sections
from zz_core.judge.thresholds import judging_table
from zz_core.measure.spectrum import audible_levels, level_match_offset
from zz_core.vocab import Severity

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
    loudness = next(m.delta for m in metrics if m.metric == "loudness.integrated_lufs")
    sections, section_note = compare_sections(track, reference, loudness)
    return Comparison(
        reference_name=reference.file_name,
        metrics=metrics,
        key_track=track.key.label,
        key_reference=reference.key.label,
        band_deltas_db=bands,
        tonal_difference=tonal,
        issues=relative_issues(track, reference, {m.metric: m for m in metrics}, tonal),
        loudness_difference_lu=None if loudness is None else round(loudness, 2),
        sections=sections,
        section_note=section_note,
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


def region_move(tonal: TonalDifference, region: Region) -> float | None:
    """The mean EQ move (dB, reference minus track, level-matched) over the third
    octaves inside a tonal region; None without any."""
    values = [m for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
              if m is not None and region.contains_hz(c)]
    return float(np.mean(values)) if values else None


def relative_issues(track: AnalysisResult, reference: AnalysisResult,
                    metrics: dict[str, MetricDelta], tonal: TonalDifference) -> list[Issue]:
    """Issues the comparison reveals, under the absolute checks' codes (one per code)."""
    table = judging_table()
    lines, visible = table.comparison, table.visible_margin
    end = track.duration_s
    issues: list[Issue] = []

    def add(code: str, severity: Severity, message: str, value: float, limit: float,
            margin: float, unit: str) -> None:
        issues.append(Issue(code=code, severity=severity, message=message, start_s=0.0,
                            end_s=end, value=round(value, 3), limit=limit, unit=unit,
                            margin=round(margin, 3),
                            spans=[IssueSpan(start_s=0.0, end_s=end, value=round(value, 3))]))

    loudness = metrics["loudness.integrated_lufs"].delta
    if loudness is not None:
        limit = lines.loudness_delta_lu if loudness > 0 else -lines.loudness_delta_lu
        margin = past(loudness, limit, above=loudness > 0, visible=visible.loudness_lu)
        if margin is not None:
            word = "louder" if loudness > 0 else "quieter"
            add("too_loud" if loudness > 0 else "too_quiet", "warning",
                f"{fmt.figure(abs(loudness), 'LU')} {word} than the reference (integrated "
                f"loudness), {margin_text(margin, 'LU')} past the "
                f"{fmt.figure(lines.loudness_delta_lu, 'LU')} worth matching.",
                loudness, limit, margin, "LU")
    plr = metrics["loudness.plr_db"].delta
    margin = past(plr, -lines.plr_delta_db, above=False, visible=visible.plr_db)
    if plr is not None and margin is not None:
        add("over_compressed", "warning",
            f"PLR {fmt.figure(-plr, 'dB')} lower than the reference: more squashed "
            f"({margin_text(margin, 'dB')} past the {fmt.figure(lines.plr_delta_db, 'dB')} "
            "allowed).", plr, -lines.plr_delta_db, margin, "dB")
    for region in REGIONS:
        move = region_move(tonal, region)
        if move is None:
            continue
        more = past(-move, lines.tonal_delta_db, above=True, visible=visible.tonal_db)
        less = past(move, lines.tonal_delta_db, above=True, visible=visible.tonal_db)
        bounds = f"{fmt.hz(region.low_hz)}-{fmt.hz(region.high_hz)}"
        if region.excess_code and more is not None:
            add(region.excess_code, "warning",
                f"{fmt.figure(-move, 'dB')} more {region.name} than the reference ({bounds}, "
                f"level-matched), {margin_text(more, 'dB')} past the "
                f"{fmt.figure(lines.tonal_delta_db, 'dB')} allowed: cut there.",
                -move, lines.tonal_delta_db, more, "dB")
        elif region.lacking_code and less is not None:
            add(region.lacking_code, "warning",
                f"{fmt.figure(move, 'dB')} less {region.name} than the reference ({bounds}, "
                f"level-matched), {margin_text(less, 'dB')} past the "
                f"{fmt.figure(lines.tonal_delta_db, 'dB')} allowed: boost there.",
                -move, -lines.tonal_delta_db, less, "dB")
    low_corr = metrics["stereo.low_end_correlation"]
    margin = past(low_corr.delta, -lines.low_end_correlation_delta, above=False,
                  visible=visible.correlation)
    if low_corr.delta is not None and margin is not None:
        add("wide_low_end", "warning",
            f"Low end is wider than the reference (correlation "
            f"{fmt.number(low_corr.track, 2, sign=True)} vs "
            f"{fmt.number(low_corr.reference, 2, sign=True)}, {margin_text(margin, '')} past "
            f"the {fmt.number(lines.low_end_correlation_delta, 2)} allowed).",
            low_corr.delta, -lines.low_end_correlation_delta, margin, "")
    width = metrics["stereo.width"]
    if width.track is not None and width.reference:
        limit = lines.width_ratio * width.reference
        margin = past(width.track, limit, above=False, visible=visible.width)
        if margin is not None:
            add("narrow_image", "info",
                f"Stereo image narrower than the reference (width "
                f"{fmt.number(width.track, 2)} vs {fmt.number(width.reference, 2)}, "
                f"{margin_text(margin, '')} under half of it).", width.track, limit, margin, "")
    tp = metrics["loudness.true_peak_dbtp"]
    if tp.track is not None and tp.reference is not None:
        limit = max(tp.reference, true_peak_ceiling(track))
        margin = past(tp.track, limit, above=True, visible=visible.true_peak_db)
        if margin is not None:
            add("true_peak_over", "warning",
                f"True peak {fmt.figure(tp.track, 'dBTP', sign=True)}, "
                f"{margin_text(margin, 'dBTP')} above the reference's "
                f"{fmt.figure(limit, 'dBTP', sign=True)} (the higher of its peak and the "
                "track's ceiling).",
                tp.track, limit, margin, "dBTP")
    return issues
