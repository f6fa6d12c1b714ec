"""Judging headline figures: the one rule set behind the page's cards, the PDF's marks
and the print charts' colours."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mixes import analysed, clean_mixdown, limited, shaped_noise
from zz_core.datafiles import DataFileError
from zz_core.judge import issues, judging, rules
from zz_core.judge.genres import Range
from zz_core.judge.judging import (
    DEFAULT_JUDGING_PATH,
    Bounds,
    correlation_status,
    load_judging_table,
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
    good = _master(-9.0, -2.2)  # under the -2 dBTP ceiling of a master louder than -14 LUFS
    assert (loudness_status(good), true_peak_status(good)) == ("good", "good")
    assert judging.true_peak_ceiling(good) == -2.0
    at_minus_one = _master(-9.0, -1.2)  # over that ceiling, under the context's -1 dBTP: info
    assert true_peak_status(at_minus_one) == "warn"
    assert next(i for i in at_minus_one.issues if i.code == "true_peak_over").severity == "info"
    quiet = _master(-16.0, -1.2)  # 6 LU under pop's range and under streaming's -15 LUFS
    assert loudness_status(quiet) == "warn"  # a warning, never bad: loudness is not critical
    assert next(i for i in quiet.issues if i.code == "too_quiet").severity == "warning"
    squashed = _master(-5.0, -1.0)
    assert plr_status(squashed) == "warn" and loudness_status(squashed) == "warn"


def test_verdicts_are_stored_and_computed_alike_for_an_old_result() -> None:
    result = _master(-16.0, -1.2)
    stored = judging.verdicts(result)
    assert stored == result.verdicts and len(stored) >= 14
    old = result.model_copy(update={"verdicts": []})
    assert judging.verdicts(old) == stored
    by_metric = {v.metric: v for v in stored}
    loudness = by_metric["loudness.integrated_lufs"]
    assert (loudness.status, loudness.code, loudness.severity) == ("warn", "too_quiet", "warning")
    assert loudness.value is not None and loudness.low is not None
    assert loudness.margin == pytest.approx(abs(loudness.value - loudness.low), abs=0.01)
    assert {v.metric for v in stored} >= {"stereo.correlation", "stereo.balance_db",
                                          "stereo.mono_loss_db", "tonal.low_end",
                                          "stereo.low_end_correlation", "peaks.clipping"}


# --------------------------------------------------------------------------- the data file


def test_the_detectors_lines_live_only_in_the_data_file() -> None:
    table = load_judging_table()
    for gone in ("LOUDNESS_CRITICAL_LU", "IMBALANCE_WARN_DB", "IMBALANCE_CRITICAL_DB",
                 "MONO_LOSS_LIMIT_DB", "PHASE_CORRELATION_LIMIT", "DC_OFFSET_LIMIT",
                 "SILENCE_EDGE_S", "SILENCE_GAP_S"):
        assert not hasattr(issues, gone) and not hasattr(rules, gone)
    assert table.loudness_range.limit == float("inf")  # outside the LRA range: warn only
    assert table.visible_margin.loudness_lu == 0.5 and table.visible_margin.plr_db == 0.5
    assert table.visible_margin.true_peak_db == 0.1


@pytest.mark.parametrize(("old", "new", "field"), [
    ("good_from: 0.2", "good_from: 2.0", r"correlation\.good_from"),
    ("bad_below: 0.0", "bad_below: 0.5", r"correlation: .*bad_below must not be above"),
    ("warn_from_db: 1.5", "warn_from_db: -1.5", r"balance\.warn_from_db"),
    ("multiples: [1.0, 0.5, 2.0]", "multiples: []", r"tempo\.multiples"),
    ("confident_from: 0.5", "confident_fro: 0.5", r"key\.confident_fro: unknown field"),
    ("tonal_balance:", "tonal_balanse:", r"tonal_balance: Field required"),
])
def test_a_broken_data_file_names_the_field(tmp_path: Path, old: str, new: str,
                                            field: str) -> None:
    text = DEFAULT_JUDGING_PATH.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "judging.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"judging\.yaml is invalid: .*{field}"):
        load_judging_table(broken)


def test_an_unreadable_data_file_is_a_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="cannot read"):
        load_judging_table(tmp_path / "missing.yaml")
    bad = tmp_path / "judging.yaml"
    bad.write_text("version: [1\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="not valid YAML"):
        load_judging_table(bad)


# --------------------------------------------------------------------------- each metric


@pytest.fixture(scope="module")
def mix() -> AnalysisResult:
    return analysed(clean_mixdown(5.0), "mixdown")


def _stereo(result: AnalysisResult, **values: float | None) -> AnalysisResult:
    return result.model_copy(update={"stereo": result.stereo.model_copy(update=values)})


@pytest.mark.parametrize(("balance", "expected"), [
    (0.0, "good"), (1.49, "good"), (-1.6, "good"), (-1.7, "warn"), (3.0, "warn"), (10.5, "bad"),
    (-120.0, "bad"), (None, "unknown"),
])
def test_balance_status(mix: AnalysisResult, balance: float | None, expected: str) -> None:
    assert judging.balance_status(_stereo(mix, balance_db=balance)) == expected


@pytest.mark.parametrize(("correlation", "expected"), [
    (0.95, "good"), (0.5, "warn"), (0.3, "warn"), (0.0, "warn"), (-0.1, "bad"), (None, "unknown"),
])
def test_low_end_correlation_status(mix: AnalysisResult, correlation: float | None,
                                    expected: str) -> None:
    assert judging.judging_rules(mix)[0].low_end.min_correlation > 0.5
    result = _stereo(mix, low_end_correlation=correlation)
    assert judging.low_end_correlation_status(result) == expected


@pytest.mark.parametrize(("loss", "expected"), [(0.0, "good"), (-4.5, "good"), (-4.6, "good"),
                                              (-4.8, "bad")])
def test_mono_sum_status(mix: AnalysisResult, loss: float, expected: str) -> None:
    assert judging.mono_sum_status(_stereo(mix, mono_loss_db=loss)) == expected


def test_a_mono_file_has_no_stereo_verdicts(mix: AnalysisResult) -> None:
    mono = mix.model_copy(update={"channels": 1})
    assert {judging.width_status(mono), judging.balance_status(mono),
            judging.mono_sum_status(mono), judging.low_end_correlation_status(mono)} == {"unknown"}


def test_dynamics_are_not_judged_on_a_mixdown(mix: AnalysisResult) -> None:
    assert judging.lra_status(mix) == judging.dr_status(mix) == "unknown"
    master = mix.model_copy(update={"context": "master"})
    assert judging.lra_status(master) in ("good", "warn")
    assert judging.plr_range(*judging.judging_rules(mix)).min == judging.plr_floor(mix) == 8.0
    wider = judging.plr_range(*judging.judging_rules(mix), extra_mixdown_db=4.0)
    assert wider.max == judging.judging_rules(mix)[0].plr_db.max + 4.0


def test_key_status_follows_the_confidence(mix: AnalysisResult) -> None:
    keyed = mix.model_copy(update={"key": mix.key.model_copy(
        update={"label": "A minor", "confidence": 0.5})})
    assert judging.key_status(keyed) == "good"
    unsure = keyed.model_copy(update={"key": keyed.key.model_copy(update={"confidence": 0.49})})
    assert judging.key_status(unsure) == "warn"
    nokey = keyed.model_copy(update={"key": keyed.key.model_copy(update={"label": None})})
    assert judging.key_status(nokey) == "unknown"


@pytest.mark.parametrize(("deviation", "expected"), [
    (0.0, "good"), (-3.0, "good"), (3.1, "good"), (3.5, "warn"), (-6.0, "warn"), (16.1, "warn"),
    (None, "unknown"),
])
def test_tonal_deviation_status(deviation: float | None, expected: str) -> None:
    assert judging.tonal_deviation_status(deviation, 3.0) == expected


@pytest.mark.parametrize(("peak", "expected"), [(-1.0, "good"), (-0.5, "warn"), (0.0, "warn"),
                                                (0.01, "bad"), (None, "unknown")])
def test_peak_status_against_a_ceiling(peak: float | None, expected: str) -> None:
    assert judging.peak_status(peak, -1.0) == expected
