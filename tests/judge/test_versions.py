"""Versions: a planted defect removed is fixed, one added is new, one kept remains; the
figures' deltas; a change inside the judging margin is no improvement."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mixes import RATE, analysed, channel_lowered, clean_mixdown, polarity_flipped
from zz_core.judge.comparison import metric_value, tonal_difference
from zz_core.judge.models import AnalysisResult, Verdict
from zz_core.judge.thresholds import judging_table
from zz_core.judge.versions import VERSION_METRICS, changes, trend, with_previous


def clipped(audio: np.ndarray) -> np.ndarray:
    """Twelve short bursts driven to full scale (audible clipping)."""
    out = audio.copy()
    for k in range(12):
        start = int((1.0 + 0.7 * k) * RATE)
        out[:, start:start + 200] = np.sign(out[:, start:start + 200])
    return out


@pytest.fixture(scope="module")
def song() -> tuple[AnalysisResult, AnalysisResult]:
    """v1: an imbalanced mix that clips; v2: the clipping fixed, the imbalance kept, and
    the right channel's polarity flipped for three seconds (phase cancellation)."""
    base = channel_lowered(clean_mixdown(10.0, seed=2), -4.0)
    v1 = analysed(clipped(base), name="v1.wav")
    v2 = analysed(polarity_flipped(base, 4.0, 7.0), name="v2.wav")
    return v1, v2


def test_a_defect_removed_is_fixed_one_added_is_new_one_kept_remains(
        song: tuple[AnalysisResult, AnalysisResult]) -> None:
    v1, v2 = song
    assert {"clipping", "channel_imbalance"} <= {i.code for i in v1.issues}
    found = changes(v1, v2)
    assert "clipping" in found.fixed
    assert "phase_cancellation" in found.new
    assert found.remaining == ["channel_imbalance"]
    assert not set(found.fixed) & {i.code for i in v2.issues}
    assert found.previous_name == "v1.wav" and found.same_options


def test_deltas_are_after_minus_before_for_every_headline_figure(
        song: tuple[AnalysisResult, AnalysisResult]) -> None:
    v1, v2 = song
    found = changes(v1, v2)
    assert list(found.deltas) == [path for path, _ in VERSION_METRICS]
    for path, change in found.deltas.items():
        assert change.before == metric_value(v1, path)
        assert change.after == metric_value(v2, path)
        assert change.delta == pytest.approx(change.after - change.before, abs=1e-3)
    peak = found.deltas["loudness.true_peak_dbtp"]
    assert peak.before > 0.0 > peak.after and peak.trend == "improved"
    assert found.deltas["stereo.correlation"].trend == "regressed"  # the flipped polarity
    assert found.deltas["loudness.true_peak_dbtp"].margin == \
        judging_table().visible_margin.true_peak_db


def test_the_tonal_difference_is_the_comparisons_level_matched_curve(
        song: tuple[AnalysisResult, AnalysisResult]) -> None:
    v1, v2 = song
    assert changes(v1, v2).tonal_difference == tonal_difference(v1, v2)


def _verdict(value: float, status: str = "warn") -> Verdict:
    return Verdict.model_validate({"metric": "loudness.integrated_lufs", "label": "I",
                                   "value": value, "unit": "LUFS", "status": status,
                                   "low": -14.0, "high": -9.0})


def test_a_change_inside_the_margin_is_not_an_improvement() -> None:
    margin = judging_table().visible_margin.loudness_lu  # 0.5 LU as shipped
    # 1.0 LU too loud -> 0.6 LU too loud: 0.4 LU nearer, inside the margin
    assert trend(-0.4, margin, _verdict(-8.0), _verdict(-8.4)) == "unchanged"
    # -> 0.4 LU too loud: 0.6 LU nearer, past the margin
    assert trend(-0.6, margin, _verdict(-8.0), _verdict(-8.6)) == "improved"
    assert trend(0.6, margin, _verdict(-8.6), _verdict(-8.0)) == "regressed"
    # within the target both times: it moved, but it is neither better nor worse
    assert trend(-2.0, margin, _verdict(-10.0, "good"), _verdict(-12.0, "good")) == "changed"
    assert trend(0.2, margin, None, None) == "unchanged"
    assert trend(None, margin, None, None) == "unchanged"


def test_the_same_audio_again_changes_nothing(
        song: tuple[AnalysisResult, AnalysisResult]) -> None:
    v1, _ = song
    found = changes(v1, v1)
    assert found.fixed == [] and found.new == []
    assert found.remaining == [i.code for i in v1.issues]
    assert {c.trend for c in found.deltas.values()} == {"unchanged"}
    assert all(m is None or abs(m) < 1e-6 for m in found.tonal_difference.eq_move_db)


def test_with_previous_stores_the_changes_and_they_survive_json(
        song: tuple[AnalysisResult, AnalysisResult]) -> None:
    v1, v2 = song
    result = with_previous(v2, v1)
    assert result.changes == changes(v1, v2)
    again = AnalysisResult.model_validate_json(result.model_dump_json())
    assert again.changes == result.changes
    old = v2.model_dump(mode="json")
    old.pop("changes")  # a result stored before versions existed
    assert AnalysisResult.model_validate(old).changes is None


def test_versions_analysed_with_other_options_say_so(
        song: tuple[AnalysisResult, AnalysisResult]) -> None:
    v1, v2 = song
    master = v2.model_copy(update={"context": "master"})
    assert not changes(v1, master).same_options
