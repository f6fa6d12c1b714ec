"""Stereo correlation, width, balance, mono loss and per-band correlation against
signals built with known stereo properties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from tests.signals import RATE, pink_noise, sine
from zz_core.measure.spectrum import analyse_frames
from zz_core.measure.stereo import measure_stereo


def _stereo(audio: np.ndarray):  # type: ignore[no-untyped-def]
    return measure_stereo(audio, analyse_frames(audio, RATE), 4800, RATE)


def test_identical_channels_are_mono() -> None:
    result = _stereo(pink_noise(10.0, correlation=1.0))
    assert result.correlation == pytest.approx(1.0, abs=1e-3)
    assert result.width == pytest.approx(0.0, abs=1e-3)
    assert result.mono_loss_db == pytest.approx(0.0, abs=0.01)


def test_inverted_channel_reads_minus_one_and_vanishes_in_mono() -> None:
    audio = pink_noise(10.0, correlation=1.0)
    audio[1] *= -1
    result = _stereo(audio)
    assert result.correlation == pytest.approx(-1.0, abs=1e-3)
    assert result.mono_loss_db is not None and result.mono_loss_db < -60


def test_independent_channels() -> None:
    result = _stereo(pink_noise(30.0, correlation=0.0, seed=9))
    assert result.correlation == pytest.approx(0.0, abs=0.05)
    assert result.width == pytest.approx(1.0, abs=0.1)
    assert result.mono_loss_db == pytest.approx(-3.01, abs=0.2)


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.9])
def test_correlation_matches_numpy(rho: float) -> None:
    audio = pink_noise(20.0, correlation=rho, seed=int(rho * 10))
    expected = np.corrcoef(audio[0], audio[1])[0, 1]
    assert _stereo(audio).correlation == pytest.approx(expected, abs=0.01)


def test_balance_in_db() -> None:
    audio = pink_noise(10.0, correlation=0.5)
    before = 10 * np.log10(np.mean(audio[0].astype(float) ** 2)
                           / np.mean(audio[1].astype(float) ** 2))
    audio[1] *= 10 ** (-2.0 / 20)
    assert _stereo(audio).balance_db == pytest.approx(before + 2.0, abs=0.01)


def test_wide_low_end_is_seen_per_band() -> None:
    """Mono highs over a decorrelated sub: overall fine, low end wide."""
    mono_high = pink_noise(20.0, correlation=1.0, seed=1)
    sos_hp = signal.butter(4, 300.0, btype="highpass", fs=RATE, output="sos")
    sos_lp = signal.butter(4, 100.0, btype="lowpass", fs=RATE, output="sos")
    highs = signal.sosfilt(sos_hp, mono_high, axis=1)
    lows = signal.sosfilt(sos_lp, pink_noise(20.0, correlation=0.0, seed=2), axis=1) * 3
    result = _stereo((highs + lows).astype(np.float32))
    bands = {b.name: b for b in result.bands}
    assert bands["sub"].correlation is not None and bands["sub"].correlation < 0.3
    assert bands["mid"].correlation == pytest.approx(1.0, abs=0.02)
    assert result.low_end_correlation is not None and result.low_end_correlation < 0.3


def test_correlation_over_time_catches_a_flipped_section() -> None:
    audio = pink_noise(20.0, correlation=1.0)
    audio[1, 10 * RATE:15 * RATE] *= -1
    series = _stereo(audio).correlation_series
    times, values = series.times_s(), series.as_array()
    assert np.all(values[(times > 11) & (times < 15)] < -0.99)
    assert np.all(values[times < 9.9] > 0.99)


def test_mono_file_and_silence() -> None:
    mono = _stereo(sine(-6.0, 5.0, channels=1))
    assert mono.source == "mono"
    assert mono.correlation == pytest.approx(1.0)
    silent = _stereo(np.zeros((2, RATE * 3), dtype=np.float32))
    assert silent.correlation is None
    assert silent.balance_db is None
    assert all(v is None for v in silent.correlation_series.values)


def test_front_pair_of_surround_file() -> None:
    six = np.vstack([pink_noise(5.0, correlation=1.0, channels=2),
                     pink_noise(5.0, channels=4, seed=3)])
    result = _stereo(six)
    assert result.source == "front pair (L/R) of 6 channels"
    assert result.correlation == pytest.approx(1.0, abs=1e-3)
