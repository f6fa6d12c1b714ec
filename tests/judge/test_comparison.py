"""Reference comparison: deltas, the level-matched EQ move and relative issues."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mixes import analysed, clean_mixdown, equalised, wide_low_end
from zz_core.judge.comparison import compare, metric_value
from zz_core.judge.models import AnalysisResult
from zz_core.judge.pipeline import with_reference


def analyse(samples: np.ndarray, name: str) -> AnalysisResult:
    return analysed(samples, name=name)


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return clean_mixdown(15.0, seed=11)


@pytest.fixture(scope="module")
def reference_result(reference: np.ndarray) -> AnalysisResult:
    return analyse(reference, "ref.wav")


def test_same_track_has_zero_deltas_and_no_issues(reference: np.ndarray,
                                                  reference_result: AnalysisResult) -> None:
    comparison = compare(reference_result, reference_result)
    assert all(m.delta in (None, 0.0) for m in comparison.metrics)
    assert all(abs(v) < 1e-9 for v in comparison.tonal_difference.eq_move_db if v is not None)
    assert comparison.issues == []


def test_level_difference_is_the_loudness_delta(reference: np.ndarray,
                                                reference_result: AnalysisResult) -> None:
    louder = analyse(reference * 10 ** (4 / 20), "louder.wav")
    comparison = compare(louder, reference_result)
    delta = {m.metric: m.delta for m in comparison.metrics}
    assert delta["loudness.integrated_lufs"] == pytest.approx(4.0, abs=0.02)
    assert delta["loudness.true_peak_dbtp"] == pytest.approx(4.0, abs=0.05)
    # level-matched: a pure gain change asks for no EQ
    moves = [v for v in comparison.tonal_difference.eq_move_db if v is not None]
    assert max(abs(v) for v in moves) < 0.05
    assert comparison.tonal_difference.level_offset_db == pytest.approx(-4.0, abs=0.05)
    assert comparison.loudness_difference_lu == pytest.approx(4.0, abs=0.02)  # track - ref
    assert comparison.loudness_difference_lu == delta["loudness.integrated_lufs"]
    issue = next(i for i in comparison.issues if i.code == "too_loud")
    assert (issue.unit, issue.limit) == ("LU", 1.5)
    assert issue.margin == pytest.approx(2.5, abs=0.05) and "2.5 LU" in issue.message


@pytest.mark.parametrize(("low", "high", "gain", "code"), [
    (20, 150, 6.0, "low_end_excess"), (20, 150, -6.0, "low_end_lacking"),
    (200, 500, 6.0, "low_mid_excess"), (1600, 5000, 6.0, "harshness"),
    (8000, 24000, -6.0, "dull_highs"),
])
def test_eq_move_undoes_the_difference(reference: np.ndarray, reference_result: AnalysisResult,
                                       low: float, high: float, gain: float, code: str) -> None:
    changed = analyse(equalised(reference, low, high, gain), "eq.wav")
    comparison = compare(changed, reference_result)
    codes = [i.code for i in comparison.issues]
    assert len(codes) == len(set(codes))
    assert not {"low_end_excess", "low_end_lacking"} <= set(codes)
    inside = [m for c, m in zip(comparison.tonal_difference.centres_hz,
                                comparison.tonal_difference.eq_move_db, strict=True)
              if m is not None and low * 1.3 <= c <= high / 1.3 and c <= 16000]
    assert np.median(inside) == pytest.approx(-gain, abs=1.0)
    assert code in {i.code for i in comparison.issues}


def test_wider_low_end_than_reference(reference: np.ndarray,
                                      reference_result: AnalysisResult) -> None:
    comparison = compare(analyse(wide_low_end(reference), "wide.wav"), reference_result)
    assert "wide_low_end" in {i.code for i in comparison.issues}


def test_narrower_image_than_reference(reference: np.ndarray,
                                       reference_result: AnalysisResult) -> None:
    mono = np.vstack([reference.mean(axis=0)] * 2)
    comparison = compare(analyse(mono, "mono.wav"), reference_result)
    assert "narrow_image" in {i.code for i in comparison.issues}


def test_with_reference_fills_the_comparison(reference_result: AnalysisResult) -> None:
    combined = with_reference(reference_result, reference_result)
    assert combined.comparison is not None
    assert combined.comparison.reference_name == "ref.wav"
    assert metric_value(combined, "loudness.integrated_lufs") == \
        reference_result.loudness.integrated_lufs
