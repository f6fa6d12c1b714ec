"""Every issue code: a track with that defect raises it, the same track without the
defect does not. Tracks are built to the pop tonal target (tests/mixes.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests.judge.checks import check_result
from tests.mixes import (
    RATE,
    analysed,
    at_loudness,
    channel_lowered,
    clean_mixdown,
    equalised,
    limited,
    polarity_flipped,
    shaped_noise,
    wide_low_end,
    with_gap,
)
from zz_core.fmt import clock
from zz_core.judge.issues import time_spans
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import ISSUE_CODES


def codes(result: AnalysisResult) -> set[str]:
    return {issue.code for issue in result.issues}


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return clean_mixdown(20.0)


@pytest.fixture(scope="module")
def clean_result(clean: np.ndarray) -> AnalysisResult:
    return analysed(clean)


def test_a_clean_mixdown_raises_nothing(clean_result: AnalysisResult) -> None:
    assert [i for i in clean_result.issues if i.severity != "info"] == []


def test_a_clean_master_raises_nothing() -> None:
    master = limited(shaped_noise(20.0, "pop", seed=3), -9.5, -1.0)
    result = analysed(master, "master")
    assert [(i.code, i.message) for i in result.issues if i.severity != "info"] == []


def _clip(x: np.ndarray) -> np.ndarray:
    return np.clip(x * 10, -1.0, 1.0)


def _dc(x: np.ndarray) -> np.ndarray:
    return x + 0.01


def _mono(x: np.ndarray) -> np.ndarray:
    return np.vstack([x[0], x[0]])


def _narrow(x: np.ndarray) -> np.ndarray:
    mid = x.mean(axis=0)
    side = (x[0] - x[1]) / 2 * 0.1
    return np.vstack([mid + side, mid - side])


def _wide(x: np.ndarray) -> np.ndarray:
    mid = x.mean(axis=0)
    side = (x[0] - x[1]) / 2 * 4.0
    return np.vstack([mid + side, mid - side])


DEFECTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "clipping": _clip,
    "dc_offset": _dc,
    "phase_cancellation": lambda x: polarity_flipped(x, 8.0, 13.0),
    "wide_low_end": wide_low_end,
    "channel_imbalance": channel_lowered,
    "mono": _mono,
    "low_end_excess": lambda x: equalised(x, 20, 150, 9.0),
    "low_end_lacking": lambda x: equalised(x, 20, 180, -12.0),
    "low_mid_excess": lambda x: equalised(x, 200, 550, 8.0),
    "harshness": lambda x: equalised(x, 1500, 5000, 8.0),
    "dull_highs": lambda x: equalised(x, 6000, 24000, -15.0),
    "silence": lambda x: with_gap(x, 9.0, 12.0),
    "narrow_image": _narrow,
    "wide_image": _wide,
}


@pytest.mark.parametrize("code", sorted(DEFECTS))
def test_defect_raises_its_code_and_clean_does_not(code: str, clean: np.ndarray,
                                                   clean_result: AnalysisResult) -> None:
    result = analysed(DEFECTS[code](clean))
    assert code in codes(result), [i.code for i in result.issues]
    assert code not in codes(clean_result)


def test_true_peak_over_in_a_mixdown_means_no_headroom(clean: np.ndarray,
                                                       clean_result: AnalysisResult) -> None:
    hot = clean * (10 ** (-1.5 / 20) / np.abs(clean).max())
    issue = next(i for i in analysed(hot).issues if i.code == "true_peak_over")
    assert issue.limit == -3.0
    assert "headroom" in issue.message
    assert "true_peak_over" not in codes(clean_result)


def test_true_peak_over_in_a_master_is_located() -> None:
    master = limited(shaped_noise(20.0, "pop", seed=3), -9.5, -2.2)  # under the -2 dBTP
    # ceiling of a master louder than -14 LUFS
    hot = master.copy()
    hot[:, 10 * RATE:11 * RATE] *= 10 ** (4.0 / 20)  # one hot second, over full scale
    result = analysed(hot, "master")
    issue = next(i for i in result.issues if i.code == "true_peak_over")
    assert issue.severity in ("warning", "critical") and issue.limit == -2.0
    assert 9.5 <= issue.start_s <= 10.5 and issue.end_s <= 11.5
    assert "true_peak_over" not in codes(analysed(master, "master"))


def test_loudness_against_the_genre_in_a_master() -> None:
    base = shaped_noise(20.0, "pop", seed=4)
    quiet = analysed(limited(base, -16.0, -1.5), "master")
    loud = analysed(limited(base, -5.0, -1.0), "master")
    fine = analysed(limited(base, -9.5, -1.0), "master")
    assert "too_quiet" in codes(quiet) and "too_loud" not in codes(quiet)
    assert "too_loud" in codes(loud) and "too_quiet" not in codes(loud)
    assert not {"too_loud", "too_quiet"} & codes(fine)


def test_loudness_of_a_mixdown_is_not_judged_against_genre_masters(clean: np.ndarray) -> None:
    """A -18 LUFS mixdown is fine; the same file as a pop master is too quiet."""
    assert "too_quiet" not in codes(analysed(clean, "mixdown"))
    assert "too_quiet" in codes(analysed(clean, "master"))


def test_over_compressed_master() -> None:
    base = shaped_noise(20.0, "pop", seed=5)
    squashed = analysed(limited(base * 1.0, -5.5, -1.0), "master")
    assert "over_compressed" in codes(squashed)
    assert "over_compressed" not in codes(analysed(limited(base, -9.5, -1.0), "master"))


def test_too_dynamic_master_is_noted() -> None:
    """Unlimited noise has a PLR of about 12.6 dB, above pop's 6-10 dB."""
    base = shaped_noise(20.0, "pop", seed=6)
    open_master = analysed(at_loudness(base, -20.0), "master")
    assert "too_dynamic" in codes(open_master)
    assert "too_dynamic" not in codes(analysed(limited(base, -9.5, -1.0), "master"))


def test_silent_track_is_one_critical_issue() -> None:
    result = analysed(np.zeros((2, RATE * 5), dtype=np.float32))
    assert [(i.code, i.severity) for i in result.issues] == [("silence", "critical")]


def test_every_code_has_a_test() -> None:
    tested = set(DEFECTS) | {"true_peak_over", "too_quiet", "too_loud", "over_compressed",
                             "too_dynamic"}
    assert set(ISSUE_CODES) <= tested


def test_issues_are_sorted_by_severity_then_time(clean: np.ndarray) -> None:
    result = analysed(with_gap(_clip(clean), 9.0, 12.0))
    order = {"critical": 0, "warning": 1, "info": 2}
    keys = [(order[i.severity], i.start_s) for i in result.issues]
    assert keys == sorted(keys)


def test_time_spans_merge_and_drop() -> None:
    mask = np.array([0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1], dtype=bool)
    assert time_spans(mask, 0.1, merge_gap_s=0.15) == [(0.1, 0.5), (1.0, 1.1)]
    assert time_spans(mask, 0.1, merge_gap_s=0.15, min_length_s=0.2) == [(0.1, 0.5)]


def test_format_time() -> None:
    assert clock(83.25) == "1:23.2"


def test_a_mixdown_is_never_told_to_limit_or_push_loudness(clean: np.ndarray) -> None:
    hot = analysed(limited(clean, -8.0, -1.0))  # loud and squashed, as if limited on the bus
    messages = {i.code: i.message for i in hot.issues}
    assert {"too_loud", "over_compressed"} <= set(messages)
    assert "remove any mix-bus limiter" in messages["over_compressed"]
    assert "take any limiter off" in messages["too_loud"]
    quiet = analysed(at_loudness(clean, -34.0))
    message = next(i.message for i in quiet.issues if i.code == "too_quiet")
    assert "Raise the mix bus" in message and "limiter" not in message


def test_tonal_issue_of_a_short_track_stays_inside_it() -> None:
    short = equalised(shaped_noise(6.0, "pop", seed=2), 2000, 4000, 9.0)
    result = analysed(short)
    issue = next(i for i in result.issues if i.code == "harshness")
    assert 0.0 <= issue.start_s < issue.end_s <= result.duration_s + 0.01


def test_clipping_is_one_issue_with_its_stretches_worst_first(clean: np.ndarray) -> None:
    clipped = clean.copy()
    for start_s, runs in ((2.0, 1), (8.0, 3)):
        for index in range(runs):  # runs 50 ms apart merge into one stretch
            begin = int((start_s + 0.05 * index) * RATE)
            clipped[:, begin:begin + 8] = 1.0
    issues = [i for i in analysed(clipped).issues if i.code == "clipping"]
    assert len(issues) == 1
    issue = issues[0]
    assert [(round(s.start_s), s.value) for s in issue.spans] == [(8, 6.0), (2, 2.0)]  # 2 ch
    assert (issue.value, issue.unit, issue.span_count) == (8.0, "runs", 2)
    assert round(issue.start_s) == 8
    assert "8 clipped runs" in issue.message and "in 2 stretches" in issue.message
    assert "4 on the left channel and 4 on the right channel" in issue.message


def test_every_issue_keeps_the_contract(clean: np.ndarray) -> None:
    for defect in DEFECTS.values():
        check_result(analysed(defect(clean)))
