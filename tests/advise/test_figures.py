"""The one text of each shared figure: where an issue is heard, an issue's and a verdict's
figures, tolerances and the loudness difference to a reference."""

from __future__ import annotations

import pytest

from zz_core.advise import figures
from zz_core.judge.issues import Issue, IssueSpan
from zz_core.judge.models import Comparison, MetricDelta, TonalDifference, Verdict


def _issue(**fields: object) -> Issue:
    base: dict[str, object] = {"code": "too_quiet", "severity": "warning", "message": "m",
                               "start_s": 0.0, "end_s": 10.0}
    return Issue.model_validate({**base, **fields})


def test_where_says_how_many_places_and_the_worst() -> None:
    assert figures.where(_issue(), 10.0) == "whole track"
    one = _issue(start_s=92.0, end_s=100.0)
    assert figures.where(one, 200.0) == "1:32.0-1:40.0"
    spans = [IssueSpan(start_s=92.0, end_s=100.0), IssueSpan(start_s=10.0, end_s=11.0),
             IssueSpan(start_s=50.0, end_s=51.0)]
    several = _issue(start_s=92.0, end_s=100.0, spans=spans)
    assert figures.where(several, 200.0) == "3 places, worst 1:32.0-1:40.0"


def test_issue_figures_at_the_resolution_of_their_unit() -> None:
    quiet = _issue(value=-17.04, limit=-10.0, unit="LUFS", margin=7.04)
    assert figures.issue_figures(quiet) == "value -17.0 LUFS, limit -10.0 LUFS, margin 7.0 LU"
    dull = _issue(code="dull_highs", value=6.71, limit=3.0, unit="dB", margin=3.71)
    assert figures.issue_value(dull) == "+6.7 dB"
    phase = _issue(code="phase_cancellation", value=-0.456, limit=-0.2, unit="")
    assert figures.issue_value(phase) == "-0.46" and figures.issue_margin(phase) == "0.26"


def test_an_issue_stored_without_unit_or_margin_still_reads_right() -> None:
    old = _issue(code="dc_offset", value=-41.8, limit=-50.0)  # schema 1: no unit, no margin
    assert figures.issue_figures(old) == "value -42 dBFS, limit -50 dBFS, margin 8 dB"


def test_a_tolerance_is_written_one_way() -> None:
    assert figures.tolerance_text(3.0) == "±3.0 dB"
    assert figures.tolerance_text(3.5) == "±3.5 dB"
    assert figures.tolerance_text(None) == "n/a"


@pytest.mark.parametrize(("verdict", "target"), [
    (Verdict(metric="loudness.integrated_lufs", label="I", value=-17.0, unit="LUFS",
             status="warn", low=-10.0, high=-7.0, limit=-10.0, margin=7.0), "-10 to -7 LUFS"),
    (Verdict(metric="loudness.true_peak_dbtp", label="TP", value=-0.8, unit="dBTP",
             status="warn", high=-2.0, limit=-2.0, margin=1.2), "≤ -2.0 dBTP"),
    (Verdict(metric="stereo.width", label="W", value=0.3, unit="", status="good", low=0.08,
             high=0.4), "0.08 to 0.40"),
    (Verdict(metric="stereo.low_end_correlation", label="L", value=0.2, unit="",
             status="warn", low=0.85, limit=0.85, margin=0.65), "≥ +0.85"),
    (Verdict(metric="tonal.air", label="T", value=-6.7, unit="dB", status="warn",
             tolerance=3.0, limit=-3.0, margin=3.7), "±3.0 dB"),
])
def test_a_verdict_states_its_target(verdict: Verdict, target: str) -> None:
    assert figures.verdict_target(verdict) == target
    line = figures.verdict_line(verdict)
    assert target in line and figures.verdict_value(verdict) in line


def test_an_unjudged_verdict_says_not_judged() -> None:
    verdict = Verdict(metric="loudness.lra_lu", label="Loudness range", value=None, unit="LU",
                      status="unknown", reason="not judged")
    assert figures.verdict_line(verdict) == "Loudness range: not judged"


def test_the_loudness_difference_is_never_the_spectra_offset() -> None:
    comparison = Comparison(
        reference_name="ref", key_track=None, key_reference=None, band_deltas_db={},
        metrics=[MetricDelta(metric="loudness.integrated_lufs", label="I", unit="LUFS",
                             track=-9.95, reference=-9.0, delta=-0.95)],
        tonal_difference=TonalDifference(centres_hz=[], eq_move_db=[], level_offset_db=0.8),
        issues=[], loudness_difference_lu=-0.95)
    assert figures.loudness_sentence(comparison) == \
        "the track is 0.9 LU quieter than the reference"
    assert figures.loudness_difference(comparison.loudness_difference_lu) == "-0.9 LU"
