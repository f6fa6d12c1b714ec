"""True peak (EBU Tech 3341 cases 15-19, libebur128), sample peak, RMS, crest, PLR/PSR, DR."""

from __future__ import annotations

import math

import numpy as np
import pyebur128
import pytest

from tests.signals import RATE, db_to_amplitude, pink_noise, sine, with_fades
from zz_core.measure import truepeak
from zz_core.measure.loudness import SHORT_TERM_SEGMENTS, measure_loudness, segment_length
from zz_core.measure.peaks import (
    channel_name,
    channel_peaks,
    clipped_runs,
    dr_value,
    measure_dynamics,
    measure_peaks,
    true_peak_dbtp,
)
from zz_core.measure.truepeak import coarse_factor, grid_bound, interpolation_filter


def _tp_case(divisor: int, amplitude: float, phase_deg: float) -> np.ndarray:
    t = np.arange(RATE * 5) / RATE
    wave = amplitude * np.sin(2 * np.pi * (RATE / divisor) * t + np.deg2rad(phase_deg))
    return with_fades(np.vstack([wave, wave]).astype(np.float32), 0.01)


@pytest.mark.parametrize(
    ("divisor", "amplitude", "phase", "expected"),
    [(4, 0.5, 0.0, -6.0), (4, 0.5, 45.0, -6.0), (6, 0.5, 60.0, -6.0), (8, 0.5, 67.5, -6.0),
     (4, 1.41, 45.0, 3.0)],
    ids=["case15", "case16", "case17", "case18", "case19"],
)
def test_tech3341_true_peak_cases(divisor: int, amplitude: float, phase: float,
                                  expected: float) -> None:
    measured = true_peak_dbtp(_tp_case(divisor, amplitude, phase), RATE)
    assert expected - 0.4 <= measured <= expected + 0.2
    assert measured == pytest.approx(expected, abs=0.05)  # our own, tighter bar


def test_inter_sample_peak_is_found_where_sample_peak_misses_it() -> None:
    """A fs/4 sine at 45 degrees never sits on a sample at its crest: 3 dB hides."""
    audio = _tp_case(4, 1.0, 45.0)
    result = measure_peaks(audio, RATE, segment_length(RATE))
    assert result.sample_peak_dbfs == pytest.approx(-3.01, abs=0.02)
    assert result.true_peak_dbtp == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize(("rate", "factor"), [(8000, 24), (44100, 5), (48000, 4), (96000, 4),
                                              (192000, 4)])
def test_oversampling_is_at_least_4x_and_192k(rate: int, factor: int) -> None:
    assert coarse_factor(rate) == factor


def test_grid_bound_covers_the_worst_under_read_of_a_sine() -> None:
    """At 4x a sine at 0.5 fs can read cos(pi / 8) low: 0.69 dB. The bound must cover it."""
    assert grid_bound(4) >= 1 / math.cos(math.pi * 0.5 / 4)


def test_headline_is_read_at_16x_at_48k() -> None:
    result = measure_peaks(sine(-6.0, 2.0), RATE, segment_length(RATE))
    assert result.oversampling == 16


def test_interpolator_passes_samples_through() -> None:
    h = interpolation_filter(4)
    expected = np.zeros(h.shape[1])
    expected[h.shape[1] // 2 - 1] = 1.0
    np.testing.assert_allclose(h[0], expected, atol=1e-12)


@pytest.mark.parametrize("freq_ratio", [0.1, 0.3, 0.4, 0.45])
def test_true_peak_of_high_sines_within_five_hundredths_of_a_db(freq_ratio: float) -> None:
    readings = [
        true_peak_dbtp(sine(0.0, 0.5, freq_hz=freq_ratio * RATE, channels=1, phase_rad=phase),
                       RATE)
        for phase in np.linspace(0, np.pi, 9)
    ]
    assert min(readings) == pytest.approx(0.0, abs=0.05)
    assert max(readings) == pytest.approx(0.0, abs=0.05)


def test_segment_series_agrees_with_a_brute_force_16x_read() -> None:
    """Every segment's figure against a full 16x interpolation of that segment."""
    audio = pink_noise(3.0, rate=RATE, channels=1, seed=8, rms_dbfs=-10.0)[0]
    result = truepeak.channel_true_peak(audio, RATE, 4800)
    h = interpolation_filter(16).astype(np.float64)
    taps = h.shape[1]
    padded = np.concatenate([np.zeros(taps), audio.astype(np.float64), np.zeros(taps)])
    left = taps // 2 - 1
    for s in range(1, result.segment_peaks.size - 1):
        positions = np.arange(s * 4800, (s + 1) * 4800) + taps - left
        windows = padded[positions[:, None] + np.arange(taps)[None, :]]
        brute = np.abs(windows @ h.T).max()
        assert result.segment_peaks[s] == pytest.approx(brute, rel=10 ** (0.2 / 20) - 1)


def _libebur128_true_peak(audio: np.ndarray, rate: int) -> float:
    mode = pyebur128.MeasurementMode
    state = pyebur128.R128State(audio.shape[0], rate, mode.MODE_TRUE_PEAK)
    state.add_frames(np.ascontiguousarray(audio.T.astype(np.float64)).ravel(), audio.shape[1])
    peak = max(pyebur128.get_true_peak(state, c) for c in range(audio.shape[0]))
    return 20 * math.log10(peak)


@pytest.mark.parametrize(("rate", "seed"), [(44100, 1), (48000, 2), (96000, 3)])
def test_true_peak_matches_libebur128(rate: int, seed: int) -> None:
    audio = pink_noise(10.0, rate=rate, seed=seed, rms_dbfs=-12.0, correlation=0.5)
    assert true_peak_dbtp(audio, rate) == pytest.approx(_libebur128_true_peak(audio, rate),
                                                        abs=0.2)


def test_rms_and_crest_of_a_sine() -> None:
    result = measure_peaks(sine(-6.0, 5.0), RATE, segment_length(RATE))
    assert result.sample_peak_dbfs == pytest.approx(-6.0, abs=0.01)
    assert result.rms_dbfs == pytest.approx(-9.01, abs=0.01)
    assert result.crest_db == pytest.approx(3.01, abs=0.01)


def _reference_dr(channel: np.ndarray, rate: int) -> float:
    """TT DR straight from the Algorithmix text, written independently with loops."""
    block = 3 * rate
    rms_values, block_peaks = [], []
    for start in range(0, len(channel), block):
        piece = channel[start:start + block].astype(float)
        rms_values.append(math.sqrt(2 * sum(piece * piece) / len(piece)))
        block_peaks.append(max(abs(piece)))
    rms_values.sort(reverse=True)
    top = rms_values[:max(1, round(len(rms_values) * 0.2))]
    second_peak = sorted(block_peaks)[-2]
    return -20 * math.log10(math.sqrt(sum(r * r for r in top) / len(top)) / second_peak)


def test_dr_matches_the_definition_on_a_dynamic_programme() -> None:
    quiet = pink_noise(30.0, rms_dbfs=-30.0, seed=4)
    loud = pink_noise(30.0, rms_dbfs=-14.0, seed=5)
    audio = np.concatenate([quiet, loud, quiet], axis=1)
    assert dr_value(audio[0], RATE) == pytest.approx(_reference_dr(audio[0], RATE), abs=1e-6)
    result = measure_peaks(audio, RATE, segment_length(RATE))
    expected = round(np.mean([_reference_dr(ch, RATE) for ch in audio]))
    assert result.dr == expected


def test_dr_of_a_sine_is_zero_and_of_squashed_noise_is_small() -> None:
    assert measure_peaks(sine(-3.0, 12.0), RATE, segment_length(RATE)).dr == 0
    noisy = pink_noise(12.0, rms_dbfs=-10.0)
    squashed = np.clip(noisy * 3, -0.5, 0.5).astype(np.float32)
    assert measure_peaks(squashed, RATE, 4800).dr < measure_peaks(noisy, RATE, 4800).dr


def test_plr_and_psr_of_a_steady_sine() -> None:
    audio = sine(-10.0, 20.0)
    loud = measure_loudness(audio, RATE)
    pk = measure_peaks(audio, RATE, segment_length(RATE))
    dyn = measure_dynamics(np.asarray(pk.true_peak_dbtp_series.values),
                           loud.short_term_lufs.as_array(), loud.integrated_lufs,
                           SHORT_TERM_SEGMENTS, 0.1)
    # a 1 kHz sine at -10 dBFS peak reads -10 LUFS: PLR and PSR are 0
    assert dyn.plr_db == pytest.approx(0.0, abs=0.06)
    assert dyn.psr_db == pytest.approx(0.0, abs=0.06)
    assert np.allclose(dyn.psr_db_series.as_array(), 0.0, atol=0.06)


def test_psr_series_drops_where_the_track_is_squashed() -> None:
    open_part = pink_noise(20.0, rms_dbfs=-20.0, seed=6)
    squashed = np.clip(pink_noise(20.0, rms_dbfs=-6.0, seed=7), -0.3, 0.3).astype(np.float32)
    audio = np.concatenate([open_part, squashed], axis=1)
    loud = measure_loudness(audio, RATE)
    pk = measure_peaks(audio, RATE, segment_length(RATE))
    dyn = measure_dynamics(np.asarray(pk.true_peak_dbtp_series.values),
                           loud.short_term_lufs.as_array(), loud.integrated_lufs,
                           SHORT_TERM_SEGMENTS, 0.1)
    psr = dyn.psr_db_series.as_array()
    times = dyn.psr_db_series.times_s()
    assert psr[times < 19].mean() > psr[times > 24].mean() + 4
    assert dyn.psr_min_db == pytest.approx(psr.min(), abs=0.01)


def test_silence_has_no_peak_figures() -> None:
    result = measure_peaks(np.zeros((2, RATE * 4), dtype=np.float32), RATE, 4800)
    assert result.true_peak_dbtp is None
    assert result.dr is None
    assert result.crest_db is None


def test_level_change_moves_true_peak_by_the_same_amount() -> None:
    audio = pink_noise(5.0, rms_dbfs=-18.0)
    quieter = (audio * db_to_amplitude(-7.5)).astype(np.float32)
    assert (true_peak_dbtp(audio, RATE) - true_peak_dbtp(quieter, RATE)) == pytest.approx(
        7.5, abs=0.01)


def test_segment_series_covers_the_whole_file() -> None:
    audio = sine(-6.0, 2.05)
    tp = truepeak.channel_true_peak(audio[0], RATE, 4800)
    assert tp.segment_peaks.size == math.ceil(audio.shape[1] / 4800)
    assert tp.peak == pytest.approx(tp.segment_peaks.max())


def test_per_channel_dc_clipped_runs_and_overs() -> None:
    audio = sine(-6.0, 4.0)
    audio[0] += 10 ** (-34 / 20)  # DC on the left only
    for start_s in (1.0, 2.5):  # two flat-topped runs on the right
        begin = int(start_s * RATE)
        audio[1, begin:begin + 6] = 1.0
    audio[1, int(3.0 * RATE)] = 1.2  # one sample above full scale (a decoded over)
    left, right = channel_peaks(audio, RATE)
    assert (left.name, right.name) == ("left", "right")
    assert left.dc_offset_dbfs == pytest.approx(-34.0, abs=0.1)
    assert right.dc_offset_dbfs is None or right.dc_offset_dbfs < -80.0
    assert (left.clipped_runs, right.clipped_runs) == (0, 2)
    assert right.clipped_samples == 12 and right.first_clips_s == [1.0, 2.5]
    assert (left.overs, right.overs) == (0, 1)
    assert right.sample_peak_dbfs == pytest.approx(20 * math.log10(1.2), abs=0.01)
    assert clipped_runs(audio[1], RATE) == [(1.0, 1.0 + 6 / RATE), (2.5, 2.5 + 6 / RATE)]
    assert channel_name(0, 1) == "mono" and channel_name(2, 6) == "channel 3"
