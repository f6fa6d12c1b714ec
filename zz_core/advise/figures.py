"""The one text of every figure the surfaces share: where an issue is heard (how many
places, the worst), an issue's value, limit and margin, a verdict's value, target,
tolerance and margin, a comparison metric and the loudness difference to a reference. The
prompt, the offline engine, the presets, the PDF, the charts and the page all write them
through here (and ``zz_core.fmt`` underneath), so one analysis reads the same on every
surface.

Units as the models carry them: LUFS, LU, dB, dBTP, dBFS, BPM; "" for a ratio or a
correlation (two decimals); times as m:ss.s from the start of the track.
"""

from __future__ import annotations

from zz_core.fmt import NOT_AVAILABLE, clock_span, compact, figure, number
from zz_core.judge.issues import MARGIN_DIGITS, MARGIN_UNITS, Issue, margin_text
from zz_core.judge.models import Comparison, Verdict
from zz_core.judge.regions import tonal_codes

WHOLE_TRACK_TOLERANCE_S = 0.05
"""An issue spanning the track to within this at both ends is not located in time."""

RATIO_UNITS = ("", "ratio")
"""Units whose figures are written with two decimals (correlation, side/mid width)."""
WHOLE_UNITS = ("DR", "runs", "places")
"""Units whose figures are whole numbers."""


def digits(unit: str) -> int:
    """Decimals a figure in ``unit`` is written with: 2 for a ratio or a correlation, 0 for
    a count or a DR value, else 1."""
    if unit in RATIO_UNITS:
        return 2
    return 0 if unit in WHOLE_UNITS else 1


def metric_number(value: float | int | None, unit: str, *, sign: bool = False) -> str:
    """A measured figure without its unit, decimals by unit ("-14.0", "+0.30", "8")."""
    shown = round(value) if value is not None and unit in WHOLE_UNITS else value
    return number(shown, digits(unit), sign=sign)


def metric_text(value: float | int | None, unit: str, *, sign: bool = False) -> str:
    """A measured figure with its unit, decimals by unit ("-14.0 LUFS", "+0.30", "8 DR")."""
    text = metric_number(value, unit, sign=sign)
    return text if text == NOT_AVAILABLE else f"{text} {unit}".rstrip()


def whole_track(start_s: float, end_s: float, duration_s: float) -> bool:
    """Whether a span covers the track to within WHOLE_TRACK_TOLERANCE_S at both ends."""
    return (start_s <= WHOLE_TRACK_TOLERANCE_S
            and end_s >= duration_s - WHOLE_TRACK_TOLERANCE_S)


def where(issue: Issue, duration_s: float) -> str:
    """Where an issue is heard: "whole track", "1:32.0-1:40.0" (one place) or
    "3 places, worst 1:32.0-1:40.0" (``start_s``/``end_s`` are the worst span)."""
    count = issue.span_count
    if count == 1 and whole_track(issue.start_s, issue.end_s, duration_s):
        return "whole track"
    worst = clock_span(issue.start_s, issue.end_s)
    return worst if count == 1 else f"{count} places, worst {worst}"


def difference_unit(unit: str) -> str:
    """The unit of a difference of two figures in ``unit`` (LUFS - LUFS = LU)."""
    return MARGIN_UNITS.get(unit, unit)


SIGNED_CODES = frozenset({*tonal_codes(), "channel_imbalance", "phase_cancellation",
                          "wide_low_end", "true_peak_over"})
"""Issues whose figure carries a sign, as the cards write it: a deviation above or below a
target, a balance, a correlation, a true peak."""
SIGNED_METRICS = frozenset({"loudness.true_peak_dbtp", "stereo.correlation",
                            "stereo.low_end_correlation", "stereo.balance_db",
                            "stereo.mono_loss_db"})
"""Verdicts whose figure carries a sign (and every tonal region's)."""
WHOLE_METRICS = frozenset({"loudness.dr", "peaks.clipping"})
"""Verdicts whose figure is a whole number."""


STORED_UNITS: dict[str, str] = {
    "clipping": "runs", "true_peak_over": "dBTP", "dc_offset": "dBFS", "too_quiet": "LUFS",
    "too_loud": "LUFS", "over_compressed": "dB", "too_dynamic": "dB", "channel_imbalance": "dB",
    "silence": "s", **{code: "dB" for code in tonal_codes()},
}
"""The unit of an issue stored before issues carried one (schema 1): correlations and
widths have none."""


def _signed(issue: Issue) -> bool:
    return issue.code in SIGNED_CODES


def issue_unit(issue: Issue) -> str:
    """The unit of an issue's value, limit and margin (for an issue stored before issues
    carried their unit, the unit its code is measured in)."""
    return issue.unit or STORED_UNITS.get(issue.code, "")


def issue_value(issue: Issue) -> str:
    """The evidence behind an issue in its unit, at the resolution the issue messages use
    (``judge.issues.MARGIN_DIGITS``): "-0.8 dBTP", "+0.12", "-42 dBFS"; "n/a" without."""
    unit = issue_unit(issue)
    return figure(issue.value, unit, MARGIN_DIGITS.get(unit, 1), sign=_signed(issue))


def issue_limit(issue: Issue) -> str:
    """The threshold an issue crossed, in its unit."""
    unit = issue_unit(issue)
    return figure(issue.limit, unit, MARGIN_DIGITS.get(unit, 1), sign=_signed(issue))


def issue_margin(issue: Issue) -> str:
    """How far past its limit an issue lies, as its message says it ("2.3 LU"); for an
    issue stored without a margin, the distance from its value to its limit."""
    margin = issue.margin
    if margin is None and issue.value is not None and issue.limit is not None:
        margin = abs(issue.value - issue.limit)
    return margin_text(margin, issue_unit(issue))


def issue_figures(issue: Issue) -> str:
    """"value -0.8 dBTP, limit -1.0 dBTP, margin 0.2 dB" (the parts that are known)."""
    parts = [(name, text) for name, text in (("value", issue_value(issue)),
                                             ("limit", issue_limit(issue)),
                                             ("margin", issue_margin(issue)))
             if text != NOT_AVAILABLE]
    return ", ".join(f"{name} {text}" for name, text in parts)


def loudness_difference(difference_lu: float | None) -> str:
    """The track's integrated loudness against the reference's, signed ("-1.0 LU"): the
    one loudness difference every surface states."""
    return metric_text(difference_lu, "LU", sign=True)


def comparison_loudness_lu(comparison: Comparison) -> float | None:
    """Track minus reference integrated loudness (LU): the one loudness difference
    (``Comparison.loudness_difference_lu``; from the metric table for a comparison stored
    before it existed)."""
    if comparison.loudness_difference_lu is not None:
        return comparison.loudness_difference_lu
    return next((m.delta for m in comparison.metrics
                 if m.metric == "loudness.integrated_lufs"), None)


def loudness_sentence(comparison: Comparison) -> str:
    """"the track is 1.0 LU quieter than the reference", "... as loud as ..." (within
    0.05 LU), from ``comparison_loudness_lu`` (never the spectra's level-match offset)."""
    difference = comparison_loudness_lu(comparison)
    if difference is None:
        return "loudness difference not measured"
    if abs(difference) < 0.05:
        return "the track is as loud as the reference"
    word = "louder" if difference > 0 else "quieter"
    return f"the track is {metric_text(abs(difference), 'LU')} {word} than the reference"


# --------------------------------------------------------------------------- verdicts


STATUS_WORDS: dict[str, str] = {"good": "good", "warn": "warn", "bad": "bad",
                                "unknown": "not judged"}
"""A verdict's status as the texts write it ("not judged", never "unknown")."""


def verdict_signed(verdict: Verdict) -> bool:
    """Whether a verdict's figures carry a sign (peaks, correlations, balances, tonal
    deviations), as the cards write them."""
    return verdict.metric in SIGNED_METRICS or verdict.metric.startswith("tonal.")


def _verdict_number(verdict: Verdict, value: float | None, *, sign: bool) -> str:
    if verdict.metric in WHOLE_METRICS:
        return number(None if value is None else round(value), 0, sign=sign)
    return metric_number(value, verdict.unit, sign=sign)


def verdict_value(verdict: Verdict) -> str:
    """The judged figure with its unit, as the card writes it ("-14.0 LUFS", "+0.30",
    "DR 8" is "8")."""
    text = _verdict_number(verdict, verdict.value, sign=verdict_signed(verdict))
    return text if text == NOT_AVAILABLE or not verdict.unit else f"{text} {verdict.unit}"


def tolerance_text(tolerance: float | None, unit: str = "dB") -> str:
    """"±3.5 dB", "±3.0 dB": the one way a tolerance is written (as the issue messages)."""
    if tolerance is None:
        return NOT_AVAILABLE
    return f"±{figure(abs(tolerance), unit)}"


def verdict_target(verdict: Verdict) -> str:
    """The target as the verdict states it: "-10 to -7 LUFS", "≤ -1 dBTP", "≥ +0.85",
    "±3.0 dB" (a tolerance), "n/a" without one."""
    signed = verdict_signed(verdict)

    def end(value: float) -> str:
        if verdict.metric in WHOLE_METRICS:
            return number(round(value), 0, sign=signed and value > 0)
        if verdict.unit in RATIO_UNITS:  # ratios and correlations: two decimals
            return number(value, 2, sign=signed and value > 0)
        text = compact(round(value, 2))
        return f"+{text}" if signed and value > 0 else text

    def line(value: float) -> str:  # a single limit, at the resolution of the unit
        if verdict.metric in WHOLE_METRICS or verdict.unit in RATIO_UNITS:
            return end(value)
        return number(value, MARGIN_DIGITS.get(verdict.unit, 1), sign=signed and value > 0)

    unit = f" {verdict.unit}" if verdict.unit else ""
    if verdict.tolerance is not None:
        return tolerance_text(verdict.tolerance, verdict.unit or "dB")
    if verdict.low is not None and verdict.high is not None:
        return f"{end(verdict.low)} to {end(verdict.high)}{unit}"
    if verdict.low is not None:
        return f"≥ {line(verdict.low)}{unit}"
    if verdict.high is not None:
        return f"≤ {line(verdict.high)}{unit}"
    if verdict.limit is not None:
        return f"limit {line(verdict.limit)}{unit}"
    return NOT_AVAILABLE


def verdict_margin(verdict: Verdict) -> str:
    """How far past its limit the figure lies ("2.3 LU"), "" when it is not past it."""
    if verdict.margin is None or verdict.status in ("good", "unknown"):
        return ""
    if verdict.metric in WHOLE_METRICS:
        return number(round(verdict.margin), 0)
    return margin_text(verdict.margin, verdict.unit)


def verdict_line(verdict: Verdict) -> str:
    """"Integrated loudness -17.0 LUFS: warn (target -10 to -7 LUFS, 7.0 LU past the
    limit; too_quiet, warning)": the verdict as one line of the prompt and the tests."""
    details = [f"target {verdict_target(verdict)}"]
    margin = verdict_margin(verdict)
    if margin:
        details.append(f"{margin} past the limit")
    if verdict.code and verdict.status not in ("good", "unknown"):
        details.append(f"{verdict.code}, {verdict.severity}" if verdict.severity
                       else verdict.code)
    if verdict.status == "unknown":
        shown = "" if verdict.value is None else f" {verdict_value(verdict)}"
        why = f" ({verdict.reason})" if verdict.reason and \
            verdict.reason != STATUS_WORDS["unknown"] else ""
        return f"{verdict.label}{shown}: {STATUS_WORDS['unknown']}{why}"
    return (f"{verdict.label} {verdict_value(verdict)}: {STATUS_WORDS[verdict.status]} "
            f"({'; '.join(details)})")
