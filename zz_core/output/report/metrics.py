"""The PDF's metric table: each headline figure as printed, its target in the track's
context and genre, and its mark (OK, WARN, FAIL; — where nothing is judged). Every mark is
``judge.judging``'s status, so the table agrees with the page's cards and the charts."""

from __future__ import annotations

from dataclasses import dataclass

from zz_core.fmt import compact, figure, number, value_range
from zz_core.judge import judging
from zz_core.judge.genres import ContextRules, GenreTargets
from zz_core.judge.models import AnalysisResult
from zz_core.output.chartdata import key_text
from zz_core.output.report.writer import Mark
from zz_core.vocab import Status

MARKS: dict[Status, Mark] = {"good": "OK", "warn": "WARN", "bad": "FAIL", "unknown": "—"}


@dataclass(frozen=True)
class MetricRow:
    """One line of the metric table: the value as printed, its target and the mark."""

    label: str
    value: str
    target: str
    mark: Mark


def _loudness_rows(result: AnalysisResult, targets: GenreTargets,
                   rules: ContextRules) -> list[MetricRow]:
    lo = result.loudness
    wanted = rules.loudness_range(targets)
    limit = rules.true_peak_limit(targets)
    mix_level = "" if rules.apply_genre_loudness else " (mix level)"
    return [
        MetricRow("Integrated loudness", figure(lo.integrated_lufs, "LUFS"),
                  value_range(wanted.min, wanted.max, "LUFS") + mix_level,
                  MARKS[judging.loudness_status(result)]),
        MetricRow("True peak", figure(lo.true_peak_dbtp, "dBTP", sign=True),
                  f"≤ {figure(limit, 'dBTP')}", MARKS[judging.true_peak_status(result)]),
        MetricRow("Sample peak", figure(lo.sample_peak_dbfs, "dBFS", sign=True), "", "—"),
        MetricRow("Short-term max", figure(lo.short_term_max_lufs, "LUFS"), "", "—"),
        MetricRow("Momentary max", figure(lo.momentary_max_lufs, "LUFS"), "", "—"),
    ]


def _dynamics_rows(result: AnalysisResult, targets: GenreTargets,
                   rules: ContextRules) -> list[MetricRow]:
    lo = result.loudness
    judged = rules.apply_genre_dynamics
    not_judged = f"not judged ({rules.label.lower()})"
    lra, plr, dr = targets.lra_lu, targets.plr_db, targets.dr
    return [
        MetricRow("Loudness range (LRA)", figure(lo.lra_lu, "LU"),
                  value_range(lra.min, lra.max, "LU") if judged else not_judged,
                  MARKS[judging.lra_status(result)]),
        MetricRow("PLR", figure(lo.plr_db, "dB"),
                  value_range(plr.min, plr.max, "dB") if judged
                  else f"≥ {compact(judging.plr_floor(result))} dB",
                  MARKS[judging.plr_status(result)]),
        MetricRow("PSR (minimum)", figure(lo.psr_min_db, "dB"), "", "—"),
        MetricRow("Crest factor", figure(lo.crest_db, "dB"), "", "—"),
        MetricRow("DR", figure(lo.dr), value_range(dr.min, dr.max) if judged else not_judged,
                  MARKS[judging.dr_status(result)]),
    ]


def _music_rows(result: AnalysisResult, targets: GenreTargets) -> list[MetricRow]:
    bpm = targets.bpm
    return [
        MetricRow("Tempo", figure(result.tempo.bpm, "BPM"),
                  value_range(bpm.min, bpm.max, "BPM") + " (or half/double)",
                  MARKS[judging.tempo_status(result)]),
        MetricRow("Key", key_text(result) or "n/a",
                  f"confidence {result.key.confidence:.0%}", "—"),
    ]


def _stereo_rows(result: AnalysisResult, targets: GenreTargets) -> list[MetricRow]:
    st = result.stereo
    if result.channels == 1:
        return [MetricRow("Stereo", "mono file", "", "—")]
    table = judging.judging_table()
    width = targets.stereo_width
    return [
        MetricRow("Stereo width (S/M)", figure(st.width, digits=2),
                  value_range(width.min, width.max, digits=2),
                  MARKS[judging.width_status(result)]),
        MetricRow("Correlation", figure(st.correlation, digits=2, sign=True),
                  f"≥ {number(table.correlation.good_from, 2, sign=True)}",
                  MARKS[judging.correlation_status(st.correlation)]),
        MetricRow(f"Low-end correlation (< {figure(st.low_end_hz, 'Hz', 0)})",
                  figure(st.low_end_correlation, digits=2, sign=True),
                  f"≥ {number(targets.low_end.min_correlation, 2, sign=True)}",
                  MARKS[judging.low_end_correlation_status(result)]),
        MetricRow("L/R balance", figure(st.balance_db, "dB", sign=True),
                  f"within ±{compact(table.balance.warn_from_db)} dB",
                  MARKS[judging.balance_status(result)]),
        MetricRow("Mono sum", figure(st.mono_loss_db, "dB", sign=True),
                  f"≥ {compact(table.mono_sum.bad_below_db)} dB",
                  MARKS[judging.mono_sum_status(result)]),
    ]


def metric_rows(result: AnalysisResult) -> list[MetricRow]:
    """The metric table: each headline figure as printed, its target in the track's context
    and genre, and OK / WARN / FAIL (— where nothing is judged)."""
    targets, rules = judging.judging_rules(result)
    return [*_loudness_rows(result, targets, rules), *_dynamics_rows(result, targets, rules),
            *_music_rows(result, targets), *_stereo_rows(result, targets)]
