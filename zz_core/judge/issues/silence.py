"""Silence: a silent track, long silence at either end, drop-outs inside the track."""

from __future__ import annotations

import numpy as np

from zz_core import fmt
from zz_core.judge.gating import BLOCK_S
from zz_core.judge.issues.common import margin_text, whole
from zz_core.judge.issues.models import Issue, IssueInputs, IssueSpan
from zz_core.vocab import SEVERITY_RANK, Severity


def detect_silence(inputs: IssueInputs) -> list[Issue]:
    """One issue: the silent track (critical), or every long silence, worst first (a
    drop-out inside the track is a warning, silence at either end info)."""
    rules, visible = inputs.table.silence, inputs.table.visible_margin.silence_s
    if inputs.loudness.integrated_lufs is None:
        span = whole(inputs)
        return [Issue(code="silence", severity="critical", start_s=0.0,
                      end_s=span[0].end_s, spans=span,
                      message="The track is silent (no audio above -70 LUFS).")]
    momentary = inputs.loudness.momentary_lufs
    silent = np.nan_to_num(momentary.as_array(), nan=-np.inf) <= inputs.table.gate.absolute_lufs
    found: list[tuple[Severity, IssueSpan, float, str]] = []
    for begin, end in _silent_stretches(silent, momentary.start_s, momentary.hop_s,
                                        inputs.duration_s):
        length = round(end - begin, 1)
        at_start, at_end = begin <= 0.0, end >= inputs.duration_s - 0.5
        edge = at_start or at_end
        minimum = rules.edge_s if edge else rules.gap_s
        if length - minimum < visible - 1e-9:
            continue
        over = margin_text(length - minimum, "s")
        if edge:
            text = (f"{fmt.number(length)} s of silence at the {'start' if at_start else 'end'} "
                    f"({over} more than the {fmt.number(minimum)} s a release usually leaves); "
                    "trim it before release unless the gap is intended")
        else:
            text = (f"the audio drops out for {fmt.number(length)} s at {fmt.clock(begin)} "
                    f"({over} longer than a {fmt.number(minimum)} s pause); check for a muted "
                    "part or an export glitch")
        found.append(("info" if edge else "warning",
                      IssueSpan(start_s=begin, end_s=end, value=length), minimum, text))
    if not found:
        return []
    found.sort(key=lambda f: (SEVERITY_RANK[f[0]], -(f[1].value or 0.0), f[1].start_s))
    severity, worst, minimum, _ = found[0]
    texts = [f[3] for f in found]
    message = texts[0][0].upper() + texts[0][1:] + "."
    if len(texts) > 1:
        message += f" Also {fmt.join(texts[1:])}."
    value = worst.value or 0.0
    return [Issue(code="silence", severity=severity, message=message, start_s=worst.start_s,
                  end_s=worst.end_s, value=value, limit=minimum, unit="s",
                  margin=round(value - minimum, 3), spans=[f[1] for f in found])]


def _silent_stretches(silent: np.ndarray, start_s: float, hop_s: float,
                      duration_s: float) -> list[tuple[float, float]]:
    """(start, end) of each run of silent momentary blocks, as the audio they cover."""
    if not silent.any():
        return []
    edges = np.diff(np.concatenate(([0], silent.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    out = []
    for first, last in zip(starts, ends, strict=True):
        begin = max(0.0, start_s - BLOCK_S + first * hop_s)
        end = min(duration_s, start_s + last * hop_s)
        if end >= duration_s - hop_s:  # the last blocks reach the end of the file
            end = duration_s
        out.append((round(begin, 3), round(end, 3)))
    return out
