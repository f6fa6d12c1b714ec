"""Peak problems: clipped runs and samples above full scale, true-peak overs, DC offset."""

from __future__ import annotations

import numpy as np

from zz_core import fmt
from zz_core.judge import rules
from zz_core.judge.issues.common import (
    MERGE_GAP_S,
    build,
    figure,
    margin_text,
    valued_spans,
    where,
    whole,
    worst_first,
)
from zz_core.judge.issues.models import Issue, IssueInputs, IssueSpan


def detect_clipping(inputs: IssueInputs) -> list[Issue]:
    """One issue for every clipped run (3+ samples at full scale) and every sample above
    full scale in the track: stretches (runs closer than MERGE_GAP_S merge) worst first,
    each with the number of runs (or overs) in it."""
    channels = inputs.per_channel
    runs = sorted(run for channel in inputs.runs for run in channel)
    overs = sum(c.overs for c in channels)
    decision = rules.clipping(len(runs), overs, inputs.context, inputs.table)
    if not decision.fired:
        return []
    spans = _stretches(runs) if runs else _over_spans(inputs)
    unit = "runs" if runs else "samples"
    count = fmt.number(decision.value, 0)
    if runs:
        per = fmt.join([f"{fmt.number(c.clipped_runs)} on the {c.name} channel"
                        for c in channels if c.clipped_runs])
        text = (f"{count} clipped runs (3 or more samples flat at full scale; {per}), "
                f"{where(spans)}.")
    else:
        text = f"{count} samples lie above full scale, {where(spans)}."
    if overs:
        peak = max((c.sample_peak_dbfs for c in channels if c.sample_peak_dbfs is not None),
                   default=None)
        text += (f" {fmt.number(overs)} samples decode above full scale, peak "
                 f"{fmt.figure(peak, 'dBFS', sign=True)}; players clip them.")
    advice = ("Lower the level feeding the output or limit with a true-peak ceiling."
              if inputs.context.name != "mixdown" else
              "Pull the mix bus (or the clipping track) down; clipping in a mix is baked in "
              "and mastering cannot undo it.")
    return [build("clipping", decision, f"{text} {advice}", spans, unit)]


def _over_spans(inputs: IssueInputs) -> list[IssueSpan]:
    """Where samples lie above full scale (stretches joined as ``_stretches`` joins
    events), worst (most samples) first."""
    return worst_first([IssueSpan(start_s=round(s.start_s, 3),
                                  end_s=round(max(s.end_s, s.start_s + 0.01), 3),
                                  value=float(s.count)) for s in inputs.over_stretches])


def _stretches(events: list[tuple[float, float]]) -> list[IssueSpan]:
    """Events (sorted by start) closer than MERGE_GAP_S merged into stretches, each
    counting its events, worst (most events) first."""
    starts = np.array([b for b, _ in events], dtype=float)
    ends = np.maximum.accumulate(np.array([e for _, e in events], dtype=float))
    breaks = np.flatnonzero(starts[1:] - ends[:-1] >= MERGE_GAP_S) + 1
    firsts = np.concatenate(([0], breaks))
    lasts = np.concatenate((breaks, [starts.size])) - 1
    spans = [IssueSpan(start_s=round(float(starts[a]), 3),
                       end_s=round(max(float(ends[b]), float(starts[a]) + 0.01), 3),
                       value=float(b - a + 1))
             for a, b in zip(firsts, lasts, strict=True)]
    return worst_first(spans)


def detect_true_peak_over(inputs: IssueInputs) -> list[Issue]:
    """The true peak against the one ceiling (``rules.true_peak_ceiling``), located where
    the 100 ms steps pass the line that decided the severity (an over is an over: no
    gating)."""
    integrated = inputs.loudness.integrated_lufs
    measured = inputs.peaks.true_peak_dbtp
    context, targets, table = inputs.context, inputs.targets, inputs.table
    decision = rules.true_peak(measured, integrated, targets, context, table)
    if not decision.fired or decision.limit is None or measured is None:
        return []
    ceiling = decision.limit
    context_ceiling = context.true_peak_limit(targets)
    full_scale = table.true_peak.bad_above_dbtp
    line = {"critical": full_scale, "info": ceiling}.get(decision.severity or "",
                                                         context_ceiling)
    series = inputs.peaks.true_peak_dbtp_series
    values = series.as_array()
    spans = valued_spans(values > line, values, series.hop_s, series.start_s) or whole(
        inputs, measured)
    over = margin_text(decision.margin, "dBTP")
    head = (f"True peak reaches {fmt.figure(measured, 'dBTP', sign=True)}, {over} over the "
            f"{fmt.figure(ceiling, 'dBTP')} ceiling")
    if decision.severity == "critical":
        head += f" and above full scale: it clips on playback, {where(spans)}"
    else:
        head += f", {where(spans)}"
    if context.name == "mixdown":
        advice = (f"Leave headroom for mastering: pull the mix bus down about "
                  f"{fmt.amount(measured - ceiling)} so peaks stay at or below "
                  f"{fmt.figure(ceiling, 'dBTP')}.")
    elif ceiling < context_ceiling:
        advice = (f"Masters louder than -14 LUFS (this one: {fmt.figure(integrated, 'LUFS')}) "
                  f"should peak at or below {fmt.figure(ceiling, 'dBTP')}: lossy encodes of "
                  f"loud masters overshoot. Set the limiter's true-peak ceiling to "
                  f"{fmt.figure(ceiling, 'dBTP')}.")
    else:
        advice = (f"Set the limiter's true-peak ceiling to {fmt.figure(ceiling, 'dBTP')}; lossy "
                  "encoding (AAC, Ogg, MP3) turns these overs into audible distortion.")
    return [build("true_peak_over", decision, f"{head}. {advice}", spans, "dBTP")]


def detect_dc_offset(inputs: IssueInputs) -> list[Issue]:
    """The worst channel's DC offset against the limit, naming each channel's."""
    channels = inputs.per_channel
    decision = rules.dc_offset([c.dc_offset for c in channels], inputs.table)
    if not decision.fired:
        return []
    worst = max(channels, key=lambda c: abs(c.dc_offset))
    others = [c for c in channels if c is not worst]
    side = "" if inputs.channels == 1 else f" on the {worst.name} channel"
    rest = fmt.join([f"{figure(c.dc_offset_dbfs, 'dBFS')} on the {c.name}" for c in others
                     if c.dc_offset_dbfs is not None])
    message = (f"DC offset of {figure(decision.value, 'dBFS')}{side}"
               f"{f' ({rest})' if rest else ''}, {margin_text(decision.margin, 'dBFS')} above "
               f"the {figure(decision.limit, 'dBFS')} limit: it wastes headroom and clicks at "
               "edits. Put a high-pass (5-20 Hz) or DC filter on the offending track or bus.")
    return [build("dc_offset", decision, message, whole(inputs, decision.value), "dBFS")]
