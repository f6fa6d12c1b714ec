"""The evaluation set of real-style masters (tests/judge/masters.py) as a test: no
forbidden verdict fires, every expected one does, and each judged result keeps the
contract (one issue per code, no contradictory pair, margins stated, verdicts agreeing).
Then fades, reverb tails, breaks and silence never decide a verdict, and a polarity flip
inside the music is found with its window's correlation as the evidence."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from tests.judge import masters
from tests.judge.checks import check_result
from tests.mixes import RATE, analysed
from zz_core import fmt
from zz_core.judge import judging
from zz_core.judge.gating import BLOCK_S
from zz_core.judge.models import AnalysisResult
from zz_core.measure.peaks import true_peak_dbtp

CASES = {case.name: case for case in masters.cases()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_master(name: str) -> None:
    case = CASES[name]
    result = masters.analyse(case)
    codes = {i.code for i in result.issues}
    assert not codes & case.forbidden, [(i.code, i.message) for i in result.issues
                                        if i.code in case.forbidden]
    assert case.expected <= codes, [i.code for i in result.issues]
    check_result(result)


def test_the_set_covers_fades_tails_breaks_and_boundaries() -> None:
    names = " ".join(CASES)
    for kind in ("fade", "tail", "break", "boundary", "streaming-14", "tone-110hz",
                 "polarity-flip-quiet"):
        assert kind in names


@lru_cache(maxsize=1)
def _pop() -> tuple[np.ndarray, AnalysisResult]:
    audio = masters.master("pop")
    return audio, analysed(audio, "master", "pop")


def _codes(result: AnalysisResult) -> set[str]:
    return {i.code for i in result.issues} - {"silence"}


def test_a_clean_master_is_clean() -> None:
    _, result = _pop()
    assert _codes(result) == set()
    check_result(result)


def test_a_decorrelated_tail_decides_nothing() -> None:
    audio, result = _pop()
    tailed = masters.with_decorrelated_tail(audio, masters.BODY_END_S, 6.0, -0.6)
    rise = true_peak_dbtp(tailed, RATE) - true_peak_dbtp(audio, RATE)
    tailed *= 10 ** (-max(rise, 0.0) / 20)  # its peaks kept under the master's ceiling
    after = analysed(tailed, "master", "pop")
    assert _codes(after) <= _codes(result)
    check_result(after)


def test_a_fade_and_a_break_decide_nothing() -> None:
    audio, result = _pop()
    faded = audio.copy()
    n = 8 * RATE
    faded[:, -n:] *= np.linspace(1.0, 0.0, n) ** 2
    for variant in (faded, masters.with_break(audio, 26.0, 4.0)):
        after = analysed(variant, "master", "pop")
        assert _codes(after) <= _codes(result), [i.message for i in after.issues]
        check_result(after)


def test_a_polarity_flip_in_the_music_is_found_with_its_window_as_evidence() -> None:
    audio, _ = _pop()
    result = analysed(masters.polarity_section(audio, 14.0, 20.0), "master", "pop")
    issue = next(i for i in result.issues if i.code == "phase_cancellation")
    assert 13.5 <= issue.start_s < issue.end_s <= 20.5
    series = result.series.correlation
    values, ends = series.as_array(), series.times_s()
    programme = judging.programme(result).windows(ends, BLOCK_S)
    inside = (ends - BLOCK_S >= issue.start_s - 1e-6) & (ends <= issue.end_s + 1e-6)
    assert issue.value == pytest.approx(float(np.nanmin(values[inside & programme])), abs=1e-3)
    assert issue.value is not None and issue.limit is not None
    assert issue.value < issue.limit  # the window's correlation, not the whole track's
    assert result.stereo.correlation is not None and result.stereo.correlation > 0
    assert fmt.number(issue.value, 2, sign=True) in issue.message
    assert judging.phase_status(result) == "bad"


def test_a_streaming_pop_master_is_info_with_what_normalisation_does() -> None:
    result = masters.analyse(CASES["control-pop-streaming-14"])
    issue = next(i for i in result.issues if i.code == "too_quiet")
    assert issue.severity == "info"
    assert "valid streaming master" in issue.message and "Spotify" in issue.message
    assert judging.loudness_status(result) == "warn"


def test_the_boundary_master_gets_no_loudness_verdict() -> None:
    result = masters.analyse(CASES["control-pop-boundary"])
    assert result.loudness.integrated_lufs is not None
    assert result.loudness.integrated_lufs < -10.0
    assert judging.loudness_status(result) == "good"
