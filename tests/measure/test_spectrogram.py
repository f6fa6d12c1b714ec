"""The spectrogram and the 1/12-octave spectrum of the meter views, against independent
computations: scipy's STFT of a synthesized sweep (the brightest row follows the tone and
every cell's level matches to the quantisation step), numpy on made-up frame powers for
a long file (600 columns, sub-columns merged), a sine's band level, pink noise flat."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from scipy import signal

from tests.mixes import analysed
from tests.signals import pink_noise
from zz_core.judge.models import AnalysisResult
from zz_core.measure.spectrogram import (
    MAX_COLUMNS,
    MAX_SUBCOLUMNS,
    STEP_DB,
    SpectrogramMeter,
    fine_centres,
    row_edges,
)

RATE = 48000
SWEEP_S = 20.0
F0, F1 = 100.0, 10000.0
FFT = 8192


def _sweep() -> np.ndarray:
    """An exponential sine sweep F0 -> F1 over SWEEP_S, peak 0.5, in both channels."""
    t = np.arange(int(SWEEP_S * RATE)) / RATE
    rate = np.log(F1 / F0) / SWEEP_S
    wave = 0.5 * np.sin(2 * np.pi * F0 * (np.exp(rate * t) - 1) / rate)
    return np.vstack([wave, wave]).astype(np.float32)


def _frequency_at(time_s: np.ndarray) -> np.ndarray:
    return F0 * np.exp(np.log(F1 / F0) / SWEEP_S * time_s)


@pytest.fixture(scope="module")
def sweep() -> tuple[np.ndarray, AnalysisResult]:
    audio = _sweep()
    return audio, analysed(audio, rate=RATE)


def _levels(result: AnalysisResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(column times s, row centres Hz, levels dBFS (columns x rows), NaN at the floor)."""
    model = result.series.spectrogram
    assert model is not None
    rows = len(model.frequencies_hz)
    codes = np.frombuffer(base64.b64decode(model.codes), dtype=np.uint8).reshape(-1, rows)
    levels = np.where(codes > 0, model.floor_db + model.step_db * codes, np.nan)
    times = model.start_s + model.hop_s * np.arange(codes.shape[0])
    return times, np.asarray(model.frequencies_hz), levels


def _row_means(power: np.ndarray, freqs: np.ndarray, rate: int) -> np.ndarray:
    """Mean power per bin in each row's band (the bin nearest its centre when none is
    inside), computed band by band with masks."""
    centres, edges = row_edges(rate)
    out = np.empty((power.shape[0], centres.size))
    for row, centre in enumerate(centres):
        inside = (freqs >= edges[row]) & (freqs < edges[row + 1])
        if not inside.any():
            inside = np.arange(freqs.size) == np.argmin(np.abs(freqs - centre))
        out[:, row] = power[:, inside].mean(axis=1)
    return out


def test_the_rows_tile_20_hz_to_20_khz_in_96_log_bands() -> None:
    centres, edges = row_edges(RATE)
    assert centres.size == 96 and edges[0] == pytest.approx(20.0)
    assert edges[-1] == pytest.approx(20000.0)
    assert np.log2(edges[1:] / edges[:-1]) == pytest.approx(np.log2(1000.0) / 96)
    assert row_edges(8000)[0].max() <= 4000.0 < row_edges(8000)[1][-1]


def test_the_brightest_row_follows_the_sweep(sweep: tuple[np.ndarray, AnalysisResult]) -> None:
    _, result = sweep
    times, _, levels = _levels(result)
    model = result.series.spectrogram
    assert model is not None
    # 20 s: the STFT hop (50 % overlap); column 0 is the first frame, centred at FFT / 2
    assert model.hop_s == pytest.approx(FFT / 2 / RATE, abs=1e-6)
    assert model.start_s == pytest.approx(FFT / 2 / RATE, abs=1e-6)
    assert levels.shape == (1 + (SWEEP_S * RATE - FFT) // (FFT // 2), 96)
    edges = row_edges(RATE)[1]
    expected = np.searchsorted(edges, _frequency_at(times)) - 1
    brightest = np.nanargmax(levels, axis=1)
    assert np.all(np.abs(brightest - expected) <= 1)
    assert np.mean(brightest == expected) > 0.8


def test_every_cell_matches_scipy_to_the_quantisation_step(
        sweep: tuple[np.ndarray, AnalysisResult]) -> None:
    audio, result = sweep
    _, _, levels = _levels(result)
    window = np.hanning(FFT)
    freqs, _, density = signal.spectrogram(audio[0].astype(np.float64), RATE, window=window,
                                           noverlap=FFT // 2, detrend=False,
                                           scaling="density", mode="psd")
    per_bin = density.T * (RATE / FFT)  # mean square per bin (one-sided, as the engine)
    expected = 10 * np.log10(_row_means(per_bin, freqs, RATE))
    shown = np.isfinite(levels) & (expected > -110.0)
    assert shown.sum() > 0.1 * levels.size
    assert np.max(np.abs(levels[shown] - expected[shown])) <= STEP_DB / 2 + 0.01


def test_a_long_file_has_600_columns_of_merged_frames() -> None:
    frames, rate, hop = 10_000, RATE, FFT  # 1707 s of non-overlapping frames
    meter = SpectrogramMeter(rate, FFT, hop)
    centres, _ = row_edges(rate)
    freqs = np.fft.rfftfreq(FFT, 1.0 / rate)
    power = np.full((frames, freqs.size), 1e-6, dtype=np.float32)
    tone_rows = (np.arange(frames) // 700) * 3 + 40  # a loud row, moving every 700 frames
    tone_bins = np.searchsorted(freqs, centres[tone_rows])
    power[np.arange(frames), tone_bins] = 1.0
    for first in range(0, frames, 128):
        meter.add(power[first:first + 128])
    duration = frames * hop / rate
    data = meter.finish(duration)
    assert data is not None
    hop_s = duration / MAX_COLUMNS
    assert data.hop_s == pytest.approx(hop_s, abs=1e-6)
    codes = np.frombuffer(data.codes, dtype=np.uint8).reshape(-1, centres.size)
    assert codes.shape[0] == MAX_COLUMNS
    assert frames > MAX_SUBCOLUMNS  # sub-columns were merged
    # independently: each column is the mean of the frames centred in it
    frame_hop_s = hop / rate
    column_of = np.floor(np.arange(frames) * frame_hop_s / hop_s).astype(int)
    rows = _row_means(power.astype(np.float64), freqs, rate)
    for column in range(0, MAX_COLUMNS, 37):
        members = np.flatnonzero(column_of == column)
        if np.ptp(tone_rows[members]):
            continue  # a column across a tone change (merged sub-columns blur its edge)
        expected = 10 * np.log10(rows[members].mean(axis=0))
        level = -120.0 + STEP_DB * codes[column]
        assert np.max(np.abs(level - expected)) <= STEP_DB / 2 + 0.01
        assert codes[column].argmax() == tone_rows[members[0]]
    middle = (data.start_s + hop_s * np.arange(MAX_COLUMNS))
    centre_s = FFT / 2 / rate + frame_hop_s * np.arange(frames)
    assert np.allclose(middle[5:-5], [centre_s[column_of == c].mean()
                                      for c in range(5, MAX_COLUMNS - 5)],
                       atol=2 * frame_hop_s)


def test_a_ten_minute_spectrogram_stays_small() -> None:
    meter = SpectrogramMeter(RATE, FFT, FFT)
    frames = int(600 * RATE / FFT)
    for first in range(0, frames, 128):
        meter.add(np.full((min(128, frames - first), FFT // 2 + 1), 1e-4, dtype=np.float32))
    data = meter.finish(600.0)
    assert data is not None and len(data.codes) == MAX_COLUMNS * 96
    assert len(base64.b64encode(data.codes)) == 76_800


# --- the 1/12-octave spectrum --------------------------------------------------------------


def test_the_fine_bands_span_20_hz_to_20_khz() -> None:
    centres = fine_centres(RATE)
    assert centres.size == 120
    assert centres[0] == pytest.approx(1000 * 2 ** (-68 / 12))
    assert centres[-1] == pytest.approx(1000 * 2 ** (51 / 12))
    assert fine_centres(8000).max() < 4000 / 2 ** (1 / 24)


def test_a_sine_reads_its_level_in_its_band() -> None:
    t = np.arange(5 * RATE) / RATE
    wave = 0.5 * np.sin(2 * np.pi * 1000.0 * t)  # mean square 0.125: -9.03 dBFS
    result = analysed(np.vstack([wave, wave]).astype(np.float32), rate=RATE)
    fine = result.fine_spectrum
    assert fine is not None and fine.bands_per_octave == 12
    levels = np.array([np.nan if v is None else v for v in fine.levels_db])
    band = fine.centres_hz.index(1000.0)
    assert levels[band] == pytest.approx(10 * np.log10(0.125), abs=0.05)
    assert np.nanmax(np.delete(levels, range(band - 1, band + 2))) < levels[band] - 40


def test_pink_noise_is_flat_in_twelfth_octaves() -> None:
    result = analysed(pink_noise(30.0, rate=RATE, seed=4), rate=RATE)
    fine = result.fine_spectrum
    assert fine is not None
    centres = np.array(fine.centres_hz)
    levels = np.array([np.nan if v is None else v for v in fine.levels_db])
    assert not np.isnan(levels).any()  # even the bands narrower than an FFT bin
    audible = (centres >= 40.0) & (centres <= 16000.0)
    spread = levels[audible] - np.median(levels[audible])
    assert np.max(np.abs(spread)) < 1.0
    # and the power of all the bands together is the power of the noise, 20 Hz-20 kHz
    total = 10 * np.log10(np.sum(10 ** (levels / 10)))
    third = np.array(result.spectrum.third_octave_db)
    assert total == pytest.approx(10 * np.log10(np.sum(10 ** (third / 10))), abs=0.3)
