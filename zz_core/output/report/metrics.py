"""The PDF's metric table: each headline figure as printed, its target in the track's
context and genre, and its mark (OK, WARN, FAIL; — where nothing is judged). Every row of a
judged figure is its verdict (``judge.judging.verdicts``), written by
``advise.figures``, so the table agrees with the page's cards, the issue list and the
charts."""

from __future__ import annotations

from dataclasses import dataclass

from zz_core.advise.figures import verdict_margin, verdict_target, verdict_value
from zz_core.fmt import figure, number
from zz_core.judge import judging
from zz_core.judge.models import AnalysisResult, Verdict
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


def _verdict_row(result: AnalysisResult, verdict: Verdict) -> MetricRow:
    value = verdict_value(verdict)
    if verdict.metric == "key.confidence":
        value = key_text(result) or "n/a"
        target = f"confidence {number(100 * result.key.confidence, 0)} %"
    elif verdict.status == "unknown":
        target = (f"not judged ({verdict.reason})"
                  if verdict.reason and verdict.reason != "not judged" else "not judged")
    else:
        target = verdict_target(verdict)
        margin = verdict_margin(verdict)
        if margin:
            target += f" ({margin} past)"
    return MetricRow(verdict.label, value, target, MARKS[verdict.status])


def _information_rows(result: AnalysisResult, after: str) -> list[MetricRow]:
    """Figures shown without a verdict, after the verdict named ``after``."""
    lo = result.loudness
    if after == "loudness.true_peak_dbtp":
        return [MetricRow("Sample peak", figure(lo.sample_peak_dbfs, "dBFS", sign=True), "", "—"),
                MetricRow("Short-term max", figure(lo.short_term_max_lufs, "LUFS"), "", "—"),
                MetricRow("Momentary max", figure(lo.momentary_max_lufs, "LUFS"), "", "—")]
    if after == "loudness.plr_db":
        return [MetricRow("PSR (minimum)", figure(lo.psr_min_db, "dB"), "", "—"),
                MetricRow("Crest factor", figure(lo.crest_db, "dB"), "", "—")]
    return []


def metric_rows(result: AnalysisResult) -> list[MetricRow]:
    """The metric table: each verdict (value, target as the verdict states it, mark) and
    the figures shown for information; a mono file's stereo verdicts as one row."""
    rows: list[MetricRow] = []
    mono_shown = False
    for verdict in judging.verdicts(result):
        if result.channels == 1 and verdict.metric.startswith("stereo."):
            if not mono_shown:
                rows.append(MetricRow("Stereo", "mono file", "", "—"))
                mono_shown = True
            continue
        rows.append(_verdict_row(result, verdict))
        rows += _information_rows(result, verdict.metric)
    return rows
