"""Loudness against EBU Tech 3341 / 3342 cases and libebur128 (pyebur128)."""

from __future__ import annotations

import numpy as np
import pyebur128
import pyloudnorm
import pytest
from scipy import signal

from tests.signals import RATE, db_to_amplitude, pink_noise, sine, sine_sequence
from zz_core.measure import loudness
from zz_core.measure.loudness import k_weighting_sos, measure_loudness

TOLERANCE_LU = 0.05  # the standard allows 0.1; we hold ourselves to half


def test_k_weighting_reproduces_bs1770_table_at_48k() -> None:
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(
        sos[0], [1.53512485958697, -2.69169618940638, 1.19839281085285,
                 1.0, -1.69065929318241, 0.73248077421585], atol=1e-10)
    np.testing.assert_allclose(
        sos[1], [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621], atol=1e-10)


@pytest.mark.parametrize(
    ("rate", "tolerance_db"),
    # The bilinear transform bends the response near Nyquist: at low rates the analog
    # prototype (as in libebur128 and ffmpeg) strays further from the 48 kHz table.
    [(8000, 0.45), (22050, 0.08), (32000, 0.04), (44100, 0.01), (88200, 0.04),
     (96000, 0.04), (192000, 0.04)],
)
def test_k_weighting_has_the_same_response_at_every_rate(rate: int, tolerance_db: float) -> None:
    freqs = np.array([40.0, 100.0, 500.0, 1000.0, 2000.0, 3500.0])
    reference = _response_db(k_weighting_sos(48000), freqs, 48000)
    np.testing.assert_allclose(_response_db(k_weighting_sos(rate), freqs, rate), reference,
                               atol=tolerance_db)


def _response_db(sos: np.ndarray, freqs: np.ndarray, rate: int) -> np.ndarray:
    _, h = signal.sosfreqz(sos, worN=freqs, fs=rate)
    return 20 * np.log10(np.abs(h))


@pytest.mark.parametrize(
    ("name", "dbfs", "expected"), [("calibration", -18.0, -18.0), ("case 1", -23.0, -23.0),
                                   ("case 2", -33.0, -33.0)])
def test_tech3341_steady_sines(name: str, dbfs: float, expected: float) -> None:
    result = measure_loudness(sine(dbfs, 20.0), RATE)
    assert result.integrated_lufs == pytest.approx(expected, abs=TOLERANCE_LU), name
    assert result.momentary_max_lufs == pytest.approx(expected, abs=TOLERANCE_LU)
    assert result.short_term_max_lufs == pytest.approx(expected, abs=TOLERANCE_LU)
    assert np.allclose(result.short_term_lufs.values, expected, atol=TOLERANCE_LU)


@pytest.mark.parametrize(
    "parts",
    [
        [(10, -36), (60, -23), (10, -36)],  # case 3: relative gate removes the -36 parts
        [(10, -72), (10, -36), (60, -23), (10, -36), (10, -72)],  # case 4: absolute gate too
        [(20, -26), (20.1, -20), (20, -26)],  # case 5
    ],
    ids=["case3", "case4", "case5"],
)
def test_tech3341_gating_cases(parts: list[tuple[float, float]]) -> None:
    result = measure_loudness(sine_sequence(parts), RATE)
    assert result.integrated_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


def test_tech3341_case6_five_channels_weighted() -> None:
    levels = [-28.0, -28.0, -24.0, -30.0, -30.0]  # L, R, C, Ls, Rs
    audio = np.vstack([sine(level, 20.0, channels=1)[0] for level in levels])
    assert measure_loudness(audio, RATE).integrated_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


def test_lfe_channel_does_not_count() -> None:
    five = np.vstack([sine(level, 20.0, channels=1)[0] for level in [-28, -28, -24, -30, -30]])
    lfe = sine(-10.0, 20.0, freq_hz=60.0, channels=1)
    six = np.vstack([five[:3], lfe, five[3:]])
    assert measure_loudness(six, RATE).integrated_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


def test_tech3341_case9_short_term_is_steady_after_3s() -> None:
    audio = sine_sequence([(1.34, -20.0), (1.66, -30.0)] * 5)
    values = measure_loudness(audio, RATE).short_term_lufs.as_array()
    assert values.size > 100
    np.testing.assert_allclose(values, -23.0, atol=TOLERANCE_LU)


def test_tech3341_case12_momentary_is_steady_after_1s() -> None:
    audio = sine_sequence([(0.18, -20.0), (0.22, -30.0)] * 25)
    result = measure_loudness(audio, RATE)
    after_1s = result.momentary_lufs.as_array()[result.momentary_lufs.times_s() >= 1.0]
    np.testing.assert_allclose(after_1s, -23.0, atol=TOLERANCE_LU)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([(20, -20), (20, -30)], 10.0),
        ([(20, -20), (20, -15)], 5.0),
        ([(20, -40), (20, -20)], 20.0),
        ([(20, -50), (20, -35), (20, -20), (20, -35), (20, -50)], 15.0),
    ],
    ids=["lra1", "lra2", "lra3", "lra4"],
)
def test_tech3342_loudness_range(parts: list[tuple[float, float]], expected: float) -> None:
    result = measure_loudness(sine_sequence(parts), RATE)
    assert result.lra_lu == pytest.approx(expected, abs=0.5)


def test_silence_is_not_measurable() -> None:
    result = measure_loudness(np.zeros((2, RATE * 5), dtype=np.float32), RATE)
    assert result.integrated_lufs is None
    assert result.lra_lu is None
    assert result.momentary_max_lufs is None


def test_too_short_for_a_block_is_not_measurable() -> None:
    result = measure_loudness(sine(-20.0, 0.3), RATE)
    assert result.integrated_lufs is None
    assert result.momentary_lufs.values == []


def test_five_db_quieter_reads_five_lu_lower() -> None:
    """The seed app's failure: two tracks 5 dB apart read the same LUFS."""
    loud = pink_noise(30.0, rms_dbfs=-14.0)
    quiet = loud * db_to_amplitude(-5.0)
    difference = (measure_loudness(loud, RATE).integrated_lufs
                  - measure_loudness(quiet, RATE).integrated_lufs)
    assert difference == pytest.approx(5.0, abs=0.01)


def _libebur128(audio: np.ndarray, rate: int) -> tuple[float, float]:
    mode = pyebur128.MeasurementMode
    state = pyebur128.R128State(audio.shape[0], rate, mode.MODE_I | mode.MODE_LRA)
    interleaved = np.ascontiguousarray(audio.T.astype(np.float64)).ravel()
    state.add_frames(interleaved, audio.shape[1])
    return pyebur128.get_loudness_global(state), pyebur128.get_loudness_range(state)


def _programme(rate: int, seed: int) -> np.ndarray:
    """A varied 90 s programme: correlated pink noise under a slowly moving level
    (verses and choruses ±8 dB, drifting as music does) plus a tone on one channel.

    Level moves smoothly: libebur128 samples short-term loudness once a second for LRA
    where Tech 3342 (and this engine) use 10 Hz, and hard steps would measure that
    sampling difference rather than either meter.
    """
    rng = np.random.default_rng(seed)
    audio = pink_noise(90.0, rate=rate, seed=seed, rms_dbfs=-20.0, correlation=0.6)
    t = np.arange(audio.shape[1]) / rate
    level_db = sum(rng.uniform(2.0, 4.0) * np.sin(2 * np.pi * rng.uniform(0.02, 0.12) * t
                                                 + rng.uniform(0, 2 * np.pi))
                   for _ in range(3))
    audio *= (10 ** (level_db / 20)).astype(np.float32)
    audio[0] += (0.05 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    return audio


@pytest.mark.parametrize(("rate", "seed"), [(44100, 1), (48000, 2), (96000, 3), (32000, 4),
                                            (22050, 5)])
def test_matches_libebur128_on_varied_programmes(rate: int, seed: int) -> None:
    audio = _programme(rate, seed)
    expected_integrated, expected_lra = _libebur128(audio, rate)
    result = measure_loudness(audio, rate)
    assert result.integrated_lufs == pytest.approx(expected_integrated, abs=0.05)
    assert result.lra_lu == pytest.approx(expected_lra, abs=0.5)


def test_segment_length_rounds_like_libebur128() -> None:
    assert loudness.segment_length(44100) == 4410
    assert loudness.segment_length(11025) == 1103


def test_segment_mean_squares_match_scipy_sosfilt() -> None:
    audio = pink_noise(3.0, rate=44100, channels=1, seed=12)
    seg = loudness.segment_length(44100)
    filtered = signal.sosfilt(k_weighting_sos(44100), audio[0].astype(np.float64))
    n = filtered.size // seg
    expected = np.square(filtered[: n * seg]).reshape(n, seg).mean(axis=1)
    np.testing.assert_allclose(loudness.segment_mean_squares(audio, 44100), expected,
                               rtol=1e-9)


@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize("material", ["pink noise", "song"])
def test_integrated_loudness_matches_pyloudnorm(rate: int, material: str) -> None:
    """A third independent implementation: pyloudnorm with its "DeMan" K-weighting (the
    one that follows the BS.1770 table; its default filter reads about 0.04 dB low)."""
    from tests.music import render_song

    audio = (pink_noise(20.0, rate=rate) if material == "pink noise" else
             render_song("A", "minor", ("i", "VI", "III", "VII"), seconds=20.0, rate=rate,
                         drums=True))
    ours = measure_loudness(audio, rate).integrated_lufs
    theirs = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(
        audio.T.astype(np.float64))
    assert ours is not None
    assert ours == pytest.approx(theirs, abs=0.02)
