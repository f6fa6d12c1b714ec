"""Spectrum: band energies against sine levels and an independent band-pass filter,
third-octave spectrum, tonal balance against a target curve."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from tests.signals import RATE, pink_noise, sine
from zz_core.measure.spectrum import (
    BANDS_HZ,
    OCTAVE_CENTRES_HZ,
    analyse_frames,
    band_edges,
    band_levels,
    level_match_offset,
    measure_bands,
    measure_spectrum,
    third_octave_centres,
)

FLAT = dict.fromkeys(OCTAVE_CENTRES_HZ, 0.0)


@pytest.mark.parametrize(("freq", "band"), [(40.0, "sub"), (100.0, "low"), (350.0, "low_mid"),
                                            (1000.0, "mid"), (3000.0, "high_mid"),
                                            (6000.0, "high"), (12000.0, "air")])
def test_a_sine_lands_in_its_band_at_its_rms_level(freq: float, band: str) -> None:
    bands = {b.name: b for b in measure_bands(analyse_frames(sine(-6.0, 10.0, freq_hz=freq),
                                                             RATE))}
    assert bands[band].level_db == pytest.approx(-9.01, abs=0.05)
    assert bands[band].share_pct > 99.0


def test_band_levels_match_an_independent_bandpass_measurement() -> None:
    audio = pink_noise(30.0, rms_dbfs=-16.0, seed=3)
    bands = {b.name: b.level_db for b in measure_bands(analyse_frames(audio, RATE))}
    for name, (low, high) in BANDS_HZ.items():
        sos = signal.butter(8, [low, min(high, 23000.0)], btype="bandpass", fs=RATE,
                            output="sos")
        filtered = signal.sosfiltfilt(sos, audio.astype(np.float64), axis=1)
        expected = 10 * np.log10(np.mean(filtered**2))
        assert bands[name] == pytest.approx(expected, abs=0.5), name


def test_bands_stop_at_nyquist() -> None:
    edges = band_edges(22050)
    assert edges["air"] == (8000.0, 11025.0)
    assert "air" not in band_edges(16000)


def test_pink_noise_matches_a_flat_octave_curve() -> None:
    spectrum = measure_spectrum(analyse_frames(pink_noise(30.0), RATE), FLAT, 3.0)
    assert spectrum.tonal_balance is not None
    deviations = [d for d in spectrum.tonal_balance.deviation_db if d is not None]
    assert max(abs(d) for d in deviations) < 1.0


def test_a_bass_boost_shows_as_low_end_deviation() -> None:
    audio = pink_noise(30.0, seed=2)
    sos = signal.butter(2, 120.0, btype="lowpass", fs=RATE, output="sos")
    boosted = (audio + 2.0 * signal.sosfilt(sos, audio, axis=1)).astype(np.float32)
    balance = measure_spectrum(analyse_frames(boosted, RATE), FLAT, 3.0).tonal_balance
    assert balance is not None
    deviation = dict(zip(balance.octave_centres_hz, balance.deviation_db, strict=True))
    assert deviation[63.0] > 6.0
    assert abs(deviation[2000.0]) < 2.0


def test_third_octave_spectrum_peaks_at_the_tone() -> None:
    spectrum = measure_spectrum(analyse_frames(sine(-10.0, 5.0, freq_hz=2000.0), RATE))
    peak = spectrum.third_octave_centres_hz[int(np.argmax(spectrum.third_octave_db))]
    assert peak == pytest.approx(2000.0, rel=0.03)
    assert spectrum.spectral_centroid_hz == pytest.approx(2000.0, rel=0.02)


def test_low_end_peak_finds_the_bass_note() -> None:
    audio = sine(-12.0, 10.0, freq_hz=55.0) + pink_noise(10.0, rms_dbfs=-40.0)
    assert measure_spectrum(analyse_frames(audio, RATE)).low_end_peak_hz == pytest.approx(
        55.0, abs=3.0)


def test_silence_gives_no_levels_and_no_balance() -> None:
    frames = analyse_frames(np.zeros((2, RATE * 3), dtype=np.float32), RATE)
    assert all(b.level_db is None for b in measure_bands(frames))
    assert measure_spectrum(frames, FLAT).tonal_balance is None


def test_short_file_still_analysed() -> None:
    spectrum = measure_spectrum(analyse_frames(sine(-6.0, 1.0, freq_hz=440.0), RATE))
    assert spectrum.third_octave_db


def test_level_match_offset_is_the_median_difference_over_63_hz_to_8_khz() -> None:
    centres = third_octave_centres(RATE)
    anchor = np.linspace(-20.0, -50.0, centres.size)
    other = anchor - 6.0
    other[centres < 60.0] += 20.0  # outside the matched range: ignored
    other[np.argmin(np.abs(centres - 1000.0))] += 12.0  # one stray band does not drag it
    other[-1] = -110.0  # an empty band (at or below -100 dB) is left out
    assert level_match_offset(centres, anchor, other) == pytest.approx(6.0)
    assert level_match_offset(centres, anchor, [None] * centres.size) == 0.0


def test_band_levels_over_time_follow_the_music() -> None:
    """About one value a second per band, the band's level where it plays, None where
    the band is empty."""
    quiet, loud = sine(-40.0, 5.0, freq_hz=100.0), sine(-10.0, 5.0, freq_hz=100.0)
    frames = analyse_frames(np.concatenate([quiet, loud], axis=1), RATE)
    levels = band_levels(frames)
    assert 0.9 <= levels.hop_s <= 1.1
    assert set(levels.bands) == set(BANDS_HZ)
    low = levels.bands["low"]
    assert len(low) == pytest.approx(10.0 / levels.hop_s, abs=1.0)
    assert levels.at(2.0)["low"] == pytest.approx(-43.0, abs=0.5)  # a sine's RMS: peak - 3 dB
    assert levels.at(8.0)["low"] == pytest.approx(-13.0, abs=0.5)
    air = levels.at(8.0)["air"]
    assert air is None or air < -90.0
    assert levels.at(-1.0) == {} and levels.at(60.0) == {}
