"""Judging headline figures: the one rule set behind the page's cards, the PDF's marks
and the print charts' colours."""

from __future__ import annotations

import pytest

from tests.mixes import analysed, limited, shaped_noise
from zz_core.judge.genres import Range
from zz_core.judge.judging import (
    Bounds,
    correlation_status,
    loudness_status,
    metric_status,
    plr_status,
    tempo_in_range,
    true_peak_status,
)
from zz_core.judge.models import AnalysisResult


@pytest.mark.parametrize(("value", "target", "warn_within", "expected"), [
    (-9.0, Range(min=-10, max=-7), 3.0, "good"),
    (-5.0, Range(min=-10, max=-7), 3.0, "warn"),
    (-3.0, Range(min=-10, max=-7), 3.0, "bad"),
    (-12.0, Range(min=-10, max=-7), 3.0, "warn"),
    (-1.5, -1.0, 1.0, "good"),
    (-0.5, -1.0, 1.0, "warn"),
    (0.3, -1.0, 1.0, "bad"),
    (None, -1.0, 1.0, "unknown"),
    (1.0, None, 1.0, "unknown"),
    (9.0, Bounds(low=8.0), 3.0, "good"),
    (4.0, Bounds(low=8.0), 3.0, "bad"),
])
def test_metric_status(value: float | None, target: Range | Bounds | float | None,
                       warn_within: float, expected: str) -> None:
    assert metric_status(value, target, warn_within=warn_within) == expected


@pytest.mark.parametrize(("correlation", "expected"), [
    (0.9, "good"), (0.2, "good"), (0.1, "warn"), (0.0, "warn"), (-0.1, "bad"),
    (None, "unknown")])
def test_correlation_status(correlation: float | None, expected: str) -> None:
    assert correlation_status(correlation) == expected


def test_half_and_double_time_count_as_in_range() -> None:
    wanted = Range(min=120, max=130)
    assert tempo_in_range(62.5, wanted) and tempo_in_range(250.0, wanted)
    assert tempo_in_range(100.0, wanted) is False and tempo_in_range(None, wanted) is None


def _master(lufs: float, ceiling: float) -> AnalysisResult:
    return analysed(limited(shaped_noise(8.0, "pop", seed=1), lufs, ceiling), "master")


def test_a_pop_master_is_judged_against_pop() -> None:
    good = _master(-9.0, -1.2)
    assert (loudness_status(good), true_peak_status(good)) == ("good", "good")
    quiet = _master(-16.0, -1.2)  # 5 LU under pop's range: more than the warning band
    assert loudness_status(quiet) == "bad"
    squashed = _master(-5.0, -1.0)
    assert plr_status(squashed) in ("warn", "bad") and loudness_status(squashed) != "good"
