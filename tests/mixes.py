"""Mix-like test tracks built to a genre's tonal target, and the defects the issue
detectors must find, each applied to an otherwise clean track."""

from __future__ import annotations

import numpy as np
from scipy import signal

from zz_core.judge import genres
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_audio
from zz_core.measure.decoding import Audio
from zz_core.measure.loudness import measure_loudness
from zz_core.measure.peaks import true_peak_dbtp

RATE = 48000


def shaped_noise(seconds: float, genre: str | None, *, seed: int = 0,
                 rate: int = RATE) -> np.ndarray:
    """Stereo noise whose octave-band levels follow the genre's tonal curve, with a mono
    low end (below 120 Hz) and a moderately wide top (correlation about 0.7)."""
    targets = genres.resolve_targets(genre).targets
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    safe = np.maximum(freqs, 1.0)
    level_db = genres.tonal_target_at(targets, safe)
    amplitude = np.sqrt(10 ** (level_db / 10) / safe)
    amplitude[(freqs < 20) | (freqs > 20000)] = 0.0
    common = rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size)
    sides = []
    for _ in range(2):
        own = rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size)
        mix = np.where(freqs < 120.0, common, np.sqrt(0.7) * common + np.sqrt(0.3) * own)
        sides.append(np.fft.irfft(mix * amplitude, n=n))
    audio = np.vstack(sides)
    return (audio / np.max(np.abs(audio))).astype(np.float32)


def at_loudness(audio: np.ndarray, lufs: float, rate: int = RATE) -> np.ndarray:
    """Audio scaled so that its integrated loudness is ``lufs``."""
    measured = measure_loudness(audio, rate).integrated_lufs
    assert measured is not None
    return (audio * 10 ** ((lufs - measured) / 20)).astype(np.float32)


def limited(audio: np.ndarray, lufs: float, ceiling_dbtp: float, rate: int = RATE) -> np.ndarray:
    """A crude master: soft-saturate until the loudness target fits under the ceiling."""
    out = at_loudness(audio, lufs, rate)
    for _ in range(30):
        if true_peak_dbtp(out, rate) <= ceiling_dbtp:
            return out
        ceiling = 10 ** ((ceiling_dbtp - 0.3) / 20)
        out = (np.tanh(out / ceiling) * ceiling).astype(np.float32)
        out = at_loudness(out, lufs, rate)
    return out


def clean_mixdown(seconds: float = 20.0, seed: int = 0, genre: str | None = "pop") -> np.ndarray:
    """A mixdown with headroom: -18 LUFS, peaks well below -3 dBTP."""
    return at_loudness(shaped_noise(seconds, genre, seed=seed), -18.0)


def equalised(audio: np.ndarray, low_hz: float, high_hz: float, gain_db: float,
              rate: int = RATE) -> np.ndarray:
    """Apply ``gain_db`` to the band [low, high) Hz (brick-wall, in the frequency domain)."""
    spectrum = np.fft.rfft(audio, axis=1)
    freqs = np.fft.rfftfreq(audio.shape[1], 1.0 / rate)
    spectrum[:, (freqs >= low_hz) & (freqs < high_hz)] *= 10 ** (gain_db / 20)
    return np.fft.irfft(spectrum, n=audio.shape[1], axis=1).astype(np.float32)


def wide_low_end(audio: np.ndarray, seed: int = 5, rate: int = RATE) -> np.ndarray:
    """Replace everything below 120 Hz with unrelated left and right content."""
    sos = signal.butter(8, 120.0, btype="lowpass", fs=rate, output="sos")
    lows = signal.sosfiltfilt(sos, audio, axis=1)
    rng = np.random.default_rng(seed)
    noise = signal.sosfiltfilt(sos, rng.standard_normal(audio.shape), axis=1)
    noise *= np.sqrt(np.mean(lows**2) / np.mean(noise**2))
    return (audio - lows + noise).astype(np.float32)


def analysed(samples: np.ndarray, context: str = "mixdown", genre: str | None = "pop",
             subgenre: str | None = None, *, name: str | None = None, rate: int = RATE,
             source_format: str = "test") -> AnalysisResult:
    """The engine's analysis of synthesized audio, as the app would store it."""
    audio = Audio(samples=np.ascontiguousarray(samples, dtype=np.float32), sample_rate_hz=rate,
                  source_format=source_format)
    options = AnalysisOptions.model_validate(
        {"context": context, "genre": genre, "subgenre": subgenre})
    return analyze_audio(audio, options, file_name=name)


def polarity_flipped(audio: np.ndarray, start_s: float, end_s: float,
                     rate: int = RATE) -> np.ndarray:
    """The right channel inverted between two times (left and right cancel there)."""
    out = audio.copy()
    out[1, int(start_s * rate):int(end_s * rate)] *= -1
    return out


def channel_lowered(audio: np.ndarray, gain_db: float = -4.0, channel: int = 1) -> np.ndarray:
    """One channel turned down by ``gain_db`` (an imbalance)."""
    out = audio.copy()
    out[channel] *= 10 ** (gain_db / 20)
    return out


def with_gap(audio: np.ndarray, start_s: float, end_s: float, rate: int = RATE) -> np.ndarray:
    """Digital silence between two times (a drop-out)."""
    out = audio.copy()
    out[:, int(start_s * rate):int(end_s * rate)] = 0.0
    return out
