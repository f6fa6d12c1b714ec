"""The vectorscope of the meter views against what the signal must give: a mono signal is
a vertical line, polarity-inverted channels a horizontal one, independent channels match
numpy's 2-D histogram of (side, mid), only programme is counted (a quiet stretch under
the relative gate leaves no trace) and silence has none. Also the width over time."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from tests.mixes import analysed
from tests.signals import pink_noise
from zz_core.judge.models import AnalysisResult
from zz_core.measure import loudness, stereo
from zz_core.measure.scope import SIZE, VectorscopeMeter

RATE = 48000


def _codes(result: AnalysisResult) -> np.ndarray:
    scope = result.vectorscope
    assert scope is not None and scope.size == SIZE
    return np.frombuffer(base64.b64decode(scope.codes), dtype=np.uint8).reshape(SIZE, SIZE)


def _pink(seconds: float = 6.0, seed: int = 1) -> np.ndarray:
    return pink_noise(seconds, rate=RATE, channels=1, seed=seed)[0]


def test_mono_is_a_vertical_line() -> None:
    wave = _pink()
    result = analysed(np.vstack([wave, wave]), rate=RATE)
    codes = _codes(result)
    assert np.flatnonzero(codes.any(axis=0)).tolist() == [SIZE // 2]  # side = 0
    assert np.count_nonzero(codes.any(axis=1)) > SIZE // 2  # mid spread up and down
    assert result.vectorscope is not None
    assert result.vectorscope.scale == pytest.approx(np.abs(wave).max() * np.sqrt(2), rel=1e-5)


def test_polarity_flipped_channels_are_a_horizontal_line() -> None:
    wave = _pink()
    codes = _codes(analysed(np.vstack([wave, -wave]), rate=RATE))
    assert np.flatnonzero(codes.any(axis=1)).tolist() == [SIZE // 2 - 1]  # mid = 0
    assert np.count_nonzero(codes.any(axis=0)) > SIZE // 2


def test_a_louder_left_channel_leans_towards_left() -> None:
    wave = _pink()
    codes = _codes(analysed(np.vstack([wave, 0.0 * wave]), rate=RATE)).astype(int)
    # L only: side = mid, the diagonal from bottom left to top right
    rows, columns = np.nonzero(codes)
    assert np.all(np.abs((SIZE - 1 - rows) - columns) <= 1)


def test_independent_channels_match_numpys_histogram() -> None:
    audio = pink_noise(10.0, rate=RATE, seed=2)
    result = analysed(audio, rate=RATE)
    codes = _codes(result).astype(float)
    assert result.vectorscope is not None
    scale = result.vectorscope.scale
    side = (audio[0].astype(float) - audio[1]) / np.sqrt(2)
    mid = (audio[0].astype(float) + audio[1]) / np.sqrt(2)
    assert scale == pytest.approx(max(np.abs(side).max(), np.abs(mid).max()), rel=1e-5)
    counts, _, _ = np.histogram2d(mid, side, bins=SIZE, range=[[-scale, scale]] * 2)
    shown = np.log1p(counts[::-1])
    expected = 255.0 * shown / shown.max()
    busy = expected > 128  # where the density is well measured
    assert busy.sum() > 100
    assert np.max(np.abs(codes[busy] - expected[busy])) < 8  # codes: log density, 0..255
    assert np.corrcoef(codes.ravel(), expected.ravel())[0, 1] > 0.99


def test_only_programme_is_counted() -> None:
    loud, quiet = _pink(6.0, seed=3), _pink(6.0, seed=4) * 10 ** (-30 / 20)
    gap = np.zeros(RATE)  # so that no momentary block holds both
    left = np.concatenate([loud, gap, quiet])
    right = np.concatenate([loud, gap, -quiet])  # the quiet part flipped: a line across
    codes = _codes(analysed(np.vstack([left, right]), rate=RATE))
    assert np.flatnonzero(codes.any(axis=0)).tolist() == [SIZE // 2]  # the mono part only


def test_silence_has_no_vectorscope() -> None:
    assert analysed(np.zeros((2, 3 * RATE), dtype=np.float32), rate=RATE).vectorscope is None


def test_the_meter_keeps_little_whatever_the_length() -> None:
    segment = loudness.segment_length(RATE)
    meter = VectorscopeMeter(segment)
    squares = loudness.SegmentMeter(RATE, 2)
    block = np.vstack([_pink(5.0, seed=5), _pink(5.0, seed=6)])
    for _ in range(12):  # a minute, five seconds at a time
        meter.feed(block, squares.feed(block))
    assert meter._pending.end - meter._pending.start <= 4 * segment  # samples waiting
    assert meter._squares.size <= 4 + 50  # segment mean squares kept
    assert meter._counts.shape[0] <= 5  # one histogram per 1 LU class met


# --- width over time --------------------------------------------------------------------------


def _width(result: AnalysisResult) -> np.ndarray:
    assert result.series.width is not None
    return result.series.width.as_array()


def test_width_is_zero_for_mono_and_follows_the_correlation_windows() -> None:
    wave = _pink()
    result = analysed(np.vstack([wave, wave]), rate=RATE)
    width, correlation = result.series.width, result.series.correlation
    assert width is not None
    assert (width.start_s, width.hop_s) == (correlation.start_s, correlation.hop_s)
    assert len(width.values) == len(correlation.values)
    assert np.all(_width(result) == 0.0)


def test_width_matches_side_over_mid_per_window() -> None:
    audio = pink_noise(6.0, rate=RATE, seed=7, correlation=0.5)
    audio[1, 2 * RATE:3 * RATE] *= -1  # a polarity-flipped second: wider
    width = _width(analysed(audio, rate=RATE))
    segment = loudness.segment_length(RATE)
    left, right = audio[0].astype(float), audio[1].astype(float)
    expected = []
    for end in range(stereo.WINDOW_SEGMENTS * segment, audio.shape[1] + 1, segment):
        window = slice(end - stereo.WINDOW_SEGMENTS * segment, end)
        side = np.sum((left[window] - right[window]) ** 2)
        mid = np.sum((left[window] + right[window]) ** 2)
        expected.append(side / mid)
    assert width == pytest.approx(np.round(expected, 3), abs=1e-3)
    assert width.max() > 2.0 > 0.5 > width.min()


def test_width_is_undefined_without_mid_or_in_silence() -> None:
    wave = _pink(3.0)
    audio = np.vstack([np.concatenate([wave, np.zeros(RATE)]),
                       np.concatenate([-wave, np.zeros(RATE)])])
    result = analysed(audio.astype(np.float32), rate=RATE)
    assert result.series.width is not None
    assert set(result.series.width.values) == {None}
