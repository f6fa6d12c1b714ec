"""Versions: what changed from the previous version of a track to this one.

``changes(before, after)`` compares two analyses of the same song: the issue codes
fixed, new and remaining (one issue per code, so a code is the unit), every headline
figure before and after with its delta, and the tonal change, level-matched exactly as
the reference comparison matches spectra (``comparison.tonal_difference``).

A figure counts as improved or regressed only when it moved towards or away from its
target by at least its judging margin (``data/judging.yaml``, ``visible_margin``: the
same margin a verdict must clear to fire); a smaller move is "unchanged", and a move
past the margin that neither nears nor leaves a target (within it both times, or not
judged) is "changed". The target is the figure's verdict (``judging.verdicts``: the
context's and genre's range), read for each version.

Units: LUFS and LU (ITU-R BS.1770 / EBU R128 / EBU Tech 3342), dB, dBTP, dBFS;
correlations from -1 to +1; width as the side/mid energy ratio; DR as TT DR values.
"""

from __future__ import annotations

from zz_core.judge.comparison import METRICS, metric_value, tonal_difference
from zz_core.judge.judging import Bounds, verdicts
from zz_core.judge.models import AnalysisResult, Changes, FigureChange, Verdict
from zz_core.judge.thresholds import VisibleMargins, judging_table
from zz_core.vocab import Trend

VERSION_METRICS: tuple[tuple[str, str], ...] = (
    ("loudness.integrated_lufs", "loudness_lu"),
    ("loudness.short_term_max_lufs", "loudness_lu"),
    ("loudness.lra_lu", "lra_lu"),
    ("loudness.true_peak_dbtp", "true_peak_db"),
    ("loudness.sample_peak_dbfs", "true_peak_db"),
    ("loudness.plr_db", "plr_db"),
    ("loudness.psr_db", "plr_db"),
    ("loudness.crest_db", "plr_db"),
    ("loudness.dr", "dr"),
    ("stereo.correlation", "correlation"),
    ("stereo.width", "width"),
    ("stereo.balance_db", "balance_db"),
    ("stereo.low_end_correlation", "correlation"),
    ("stereo.mono_loss_db", "mono_sum_db"),
)
"""The headline figures compared between versions (path in the result) and the visible
margin of judging.yaml each is judged with (a field of ``VisibleMargins``)."""

_LABELS: dict[str, tuple[str, str]] = {
    **{path: (label, unit) for path, label, unit in METRICS},
    "stereo.mono_loss_db": ("Mono sum", "dB"),
}


def changes(before: AnalysisResult, after: AnalysisResult) -> Changes:
    """What changed from ``before`` (the previous version) to ``after`` (this one)."""
    old = {i.code for i in before.issues}
    now = [i.code for i in after.issues]  # the result's order: most severe first
    margins = judging_table().visible_margin
    judged_before = {v.metric: v for v in verdicts(before)}
    judged_after = {v.metric: v for v in verdicts(after)}
    deltas = {path: _figure_change(before, after, path, _margin(margins, field),
                                   judged_before.get(path), judged_after.get(path))
              for path, field in VERSION_METRICS}
    return Changes(
        previous_name=before.file_name,
        fixed=[i.code for i in before.issues if i.code not in set(now)],
        new=[code for code in now if code not in old],
        remaining=[code for code in now if code in old],
        deltas=deltas,
        tonal_difference=tonal_difference(before, after),  # after - before, level-matched
        same_options=before.context == after.context and before.genre == after.genre,
    )


def with_previous(result: AnalysisResult, previous: AnalysisResult) -> AnalysisResult:
    """The result with what changed since ``previous`` filled in (``changes``)."""
    return result.model_copy(update={"changes": changes(previous, result)})


def _margin(margins: VisibleMargins, field: str) -> float:
    return float(getattr(margins, field))


def _figure_change(before: AnalysisResult, after: AnalysisResult, path: str, margin: float,
                   was: Verdict | None, now: Verdict | None) -> FigureChange:
    label, unit = _LABELS[path]
    a, b = metric_value(before, path), metric_value(after, path)
    delta = None if a is None or b is None else round(b - a, 3)
    return FigureChange(metric=path, label=label, unit=unit, before=a, after=b, delta=delta,
                        margin=margin, trend=trend(delta, margin, was, now))


def distance(verdict: Verdict | None) -> float | None:
    """How far a verdict's figure lies outside its target (0 inside; in its unit); None
    when the figure was not judged."""
    if verdict is None or verdict.value is None or verdict.status == "unknown":
        return None
    if verdict.tolerance is not None:
        return max(0.0, abs(verdict.value) - verdict.tolerance)
    return abs(Bounds(verdict.low, verdict.high).distance(verdict.value))


def trend(delta: float | None, margin: float, was: Verdict | None,
          now: Verdict | None) -> Trend:
    """The trend of one figure: improved or regressed when its distance to the target
    shrank or grew by at least ``margin``; else unchanged when it moved less than
    ``margin``, changed when it moved more (within the target both times, or unjudged)."""
    far_before, far_after = distance(was), distance(now)
    if far_before is not None and far_after is not None:
        gain = round(far_before - far_after, 6)
        if gain >= margin:
            return "improved"
        if -gain >= margin:
            return "regressed"
    if delta is None or abs(delta) < margin:
        return "unchanged"
    return "changed"
