"""Test signals synthesized by construction (EBU Tech 3341/3342 cases and defects)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000


def db_to_amplitude(dbfs: float) -> float:
    return float(10.0 ** (dbfs / 20.0))


def sine(
    dbfs: float,
    seconds: float,
    *,
    freq_hz: float = 1000.0,
    rate: int = RATE,
    channels: int = 2,
    phase_rad: float = 0.0,
) -> np.ndarray:
    """A sine whose peak is ``dbfs`` on every channel, shape (channels, frames), float32."""
    t = np.arange(round(seconds * rate)) / rate
    wave = db_to_amplitude(dbfs) * np.sin(2.0 * np.pi * freq_hz * t + phase_rad)
    return np.tile(wave, (channels, 1)).astype(np.float32)


def sine_sequence(
    parts: Sequence[tuple[float, float]], *, rate: int = RATE, freq_hz: float = 1000.0
) -> np.ndarray:
    """Back-to-back stereo sines, each (seconds, dBFS), phase-continuous."""
    pieces = []
    start = 0
    for seconds, dbfs in parts:
        frames = round(seconds * rate)
        t = (start + np.arange(frames)) / rate
        pieces.append(db_to_amplitude(dbfs) * np.sin(2.0 * np.pi * freq_hz * t))
        start += frames
    wave = np.concatenate(pieces)
    return np.vstack([wave, wave]).astype(np.float32)


def pink_noise(seconds: float, *, rate: int = RATE, channels: int = 2, seed: int = 0,
               rms_dbfs: float = -20.0, correlation: float = 0.0) -> np.ndarray:
    """Pink (1/f) noise, shape (channels, frames); ``correlation`` between channels 0..1."""
    rng = np.random.default_rng(seed)
    frames = round(seconds * rate)
    common = _pinkify(rng.standard_normal(frames))
    out = []
    for _ in range(channels):
        own = _pinkify(rng.standard_normal(frames))
        mix = np.sqrt(correlation) * common + np.sqrt(1.0 - correlation) * own
        out.append(mix)
    audio = np.vstack(out)
    audio *= db_to_amplitude(rms_dbfs) / np.sqrt(np.mean(audio**2))
    return audio.astype(np.float32)


def _pinkify(white: np.ndarray) -> np.ndarray:
    spectrum = np.fft.rfft(white)
    freqs = np.arange(spectrum.size, dtype=float)
    freqs[0] = 1.0
    spectrum /= np.sqrt(freqs)
    spectrum[0] = 0.0
    return np.fft.irfft(spectrum, n=white.size)


def with_fades(audio: np.ndarray, fade_s: float, rate: int = RATE) -> np.ndarray:
    """Linear fade in and out of ``fade_s`` seconds."""
    n = round(fade_s * rate)
    ramp = np.linspace(0.0, 1.0, n)
    out = audio.copy()
    out[:, :n] *= ramp
    out[:, -n:] *= ramp[::-1]
    return out


def write_wav(path: Path, audio: np.ndarray, rate: int = RATE, subtype: str = "FLOAT") -> Path:
    """Write (channels, frames) audio to a WAV file and return its path."""
    sf.write(str(path), np.ascontiguousarray(audio.T), rate, subtype=subtype)
    return path
