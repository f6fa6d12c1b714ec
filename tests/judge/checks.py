"""What every judged result must satisfy, shared by the judge's tests: one issue per code,
no contradictory pair, every issue past its limit on the failing side by at least its
rule's visible margin (stated in its message, never as zero), and verdicts that agree
with the issues."""

from __future__ import annotations

from zz_core import fmt
from zz_core.judge.issues import MARGIN_DIGITS, Issue
from zz_core.judge.models import AnalysisResult
from zz_core.judge.regions import region_of_code
from zz_core.judge.thresholds import judging_table

CONTRADICTIONS: tuple[frozenset[str], ...] = (
    frozenset({"too_loud", "too_quiet"}),
    frozenset({"low_end_excess", "low_end_lacking"}),
    frozenset({"over_compressed", "too_dynamic"}),
    frozenset({"narrow_image", "wide_image"}),
    frozenset({"mono", "wide_image"}),
)

ABOVE = {"too_loud", "true_peak_over", "too_dynamic", "wide_image", "dc_offset", "clipping",
         "silence", "low_end_excess", "low_mid_excess", "harshness"}
BELOW = {"too_quiet", "over_compressed", "narrow_image", "phase_cancellation", "wide_low_end",
         "low_end_lacking", "dull_highs"}

METRIC_OF_CODE: dict[str, str] = {
    "too_quiet": "loudness.integrated_lufs", "too_loud": "loudness.integrated_lufs",
    "true_peak_over": "loudness.true_peak_dbtp", "over_compressed": "loudness.plr_db",
    "too_dynamic": "loudness.plr_db", "narrow_image": "stereo.width",
    "wide_image": "stereo.width", "phase_cancellation": "stereo.correlation",
    "wide_low_end": "stereo.low_end_correlation", "channel_imbalance": "stereo.balance_db",
    "clipping": "peaks.clipping", "dc_offset": "peaks.dc_offset_dbfs",
}


def visible_margin(code: str) -> float:
    margins = judging_table().visible_margin
    by_code = {
        "too_quiet": margins.loudness_lu, "too_loud": margins.loudness_lu,
        "true_peak_over": margins.true_peak_db, "over_compressed": margins.plr_db,
        "too_dynamic": margins.plr_db, "narrow_image": margins.width,
        "wide_image": margins.width, "phase_cancellation": margins.correlation,
        "wide_low_end": margins.correlation, "channel_imbalance": margins.balance_db,
        "dc_offset": margins.dc_offset_db, "silence": margins.silence_s, "clipping": 1.0,
    }
    return by_code.get(code, margins.tonal_db)


def metric_of(code: str) -> str | None:
    found = region_of_code(code)
    return f"tonal.{found.key}" if found is not None else METRIC_OF_CODE.get(code)


def check_issue(issue: Issue) -> None:
    """The issue's value is past its limit on the failing side by its margin, at least
    the visible margin, and its message states that margin (never as zero)."""
    if issue.limit is None:  # a mono file, a silent track: nothing crossed
        assert issue.code in ("mono", "silence"), issue
        return
    assert issue.value is not None and issue.margin is not None, issue
    assert issue.margin >= visible_margin(issue.code) - 1e-6, issue
    if issue.code in ABOVE:
        difference = issue.value - issue.limit
    elif issue.code in BELOW:
        difference = issue.limit - issue.value
    else:  # channel_imbalance: away from the centre, on the louder side
        difference = abs(issue.value) - abs(issue.limit)
        assert issue.value * issue.limit > 0, issue
    assert difference > 0, issue
    assert abs(difference - issue.margin) < 0.01 + 1e-3 * abs(difference), issue
    stated = fmt.number(issue.margin, MARGIN_DIGITS.get(issue.unit, 1))
    assert stated in issue.message, (stated, issue.message)
    assert float(stated) != 0.0, issue
    assert issue.spans and issue.span_count == len(issue.spans), issue
    assert (issue.start_s, issue.end_s) == (issue.spans[0].start_s, issue.spans[0].end_s)


def check_result(result: AnalysisResult) -> None:
    """Every rule of the contract on one judged result."""
    codes = [i.code for i in result.issues]
    assert len(codes) == len(set(codes)), codes
    for pair in CONTRADICTIONS:
        assert not pair <= set(codes), pair
    for issue in result.issues:
        check_issue(issue)
    verdicts = {v.metric: v for v in result.verdicts}
    assert verdicts, "the pipeline stores the verdicts"
    for issue in result.issues:
        metric = metric_of(issue.code)
        if metric is None:
            continue
        verdict = verdicts[metric]
        assert verdict.code == issue.code, (verdict, issue.code)
        assert verdict.status == ("bad" if issue.severity == "critical" else "warn"), verdict
        assert verdict.severity == issue.severity
    for verdict in result.verdicts:
        if verdict.code is not None and verdict.metric != "stereo.mono_loss_db":
            assert verdict.code in codes, verdict
        if verdict.status == "bad" and verdict.metric == "stereo.mono_loss_db":
            assert any(i.code == "phase_cancellation" and i.severity == "critical"
                       for i in result.issues)
