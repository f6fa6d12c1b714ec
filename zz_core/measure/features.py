"""Music features shared by tempo, key and transient analysis, computed once per file.

The audio is downmixed to mono and decimated in 30 s chunks to a working rate of 8-24 kHz
(8-tap equiripple FIR halving stages: 44.1 kHz -> 22.05 kHz, 48 and 96 kHz -> 24 kHz).
Two short-time Fourier transforms are taken block by block, so memory stays small:

* a 43-46 ms Hann window with a ~11 ms hop gives the per-frame level and the onset
  envelope: spectral flux of the log mel spectrum (Klapuri 1999; Böck, Krebs & Schedl 2012),
  i.e. the mean over 40 mel bands of the half-wave rectified rise in dB between frames;
  and the accent envelope: the same rise measured on a loudness-like scale (band power
  relative to the file's loudest band and frame, raised to the power 0.3 after Stevens'
  law, as in the compressed band accents of Klapuri, Eronen & Astola 2006), so that loud
  hits count more than quiet ones: the log flux finds where onsets are, the accent
  envelope how strong they sound;
* a ~340 ms window with a ~170 ms hop gives the chroma: spectral peaks between 50 Hz and
  5 kHz, located by parabolic interpolation, are summed into a 10-cent pitch-class
  histogram, the global tuning is read from that histogram, and each semitone collects its
  +-50 cents with a cosine-squared weight (after the HPCP of Gómez 2006).

Only numpy and scipy are used (no librosa, no numba), so a fresh process pays no JIT
start-up; a 5-minute 48 kHz stereo track takes ~0.25 s, a 20-minute one ~180 MB on top of
the input.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import scipy.fft as sfft
from scipy import signal, sparse

from zz_core.measure.series import SILENCE_FLOOR_DB

MAX_WORKING_RATE_HZ = 24000
CHUNK_S = 30.0
N_MELS = 40
MEL_FMIN_HZ = 30.0
MEL_FMAX_HZ = 11000.0
ONSET_TOP_DB = 80.0
ACCENT_EXPONENT = 0.3
CHROMA_FMIN_HZ = 50.0
CHROMA_FMAX_HZ = 5000.0
CHROMA_PEAK_FLOOR_DB = -60.0
CHROMA_SILENCE_AMPLITUDE = 1e-6
CENTS_PER_BIN = 10
_FINE_BINS = 1200 // CENTS_PER_BIN
_STFT_BLOCK_FRAMES = 512
_CHROMA_BLOCK_FRAMES = 128
_WORKERS = 2

# 8-tap equiripple low-pass for decimation by 2: flat (+-0.15 dB) to 0.115 fs, at least
# 55 dB down from 0.385 fs, so nothing above 17 kHz (44.1k) / 18.5 kHz (48k) aliases below
# 5 kHz. Above 0.115 fs it rolls off; the log-flux onset envelope ignores fixed band gains.
_DECIMATOR = signal.remez(8, [0.0, 0.115, 0.385, 0.5], [1.0, 0.0], weight=[1.0, 10.0])
_DECIMATOR_EVEN = np.ascontiguousarray(_DECIMATOR[0::2][::-1], dtype=np.float32)
_DECIMATOR_ODD = np.ascontiguousarray(_DECIMATOR[1::2][::-1], dtype=np.float32)


@dataclass
class MusicFeatures:
    """Everything tempo, key and transients need, at one frame rate.

    Frame ``i`` is centred at ``i * hop_s`` seconds. ``onset_envelope`` is in dB (mean rise of
    the log mel spectrum per frame), ``chroma`` is max-normalised per frame (0 in silence),
    ``rms_db`` is the Hann-weighted RMS level of the frame in dBFS (a full-scale sine reads
    -3 dB) after decimation, which rolls off the top octave: it tells music from silence, it
    is no calibrated meter. ``tuning_cents`` is the deviation of the music from A4 = 440 Hz.
    ``accent_envelope`` is the rise per frame of the summed band loudness, relative to the
    file's loudest band (0 = no rise; a hit from silence to the loudest level reads about
    the number of bands it fills); empty when not computed (tempo then uses the onset
    envelope).
    """

    sample_rate_hz: int
    hop_s: float
    onset_envelope: np.ndarray
    chroma: np.ndarray
    rms_db: np.ndarray
    duration_s: float
    tuning_cents: float = 0.0
    accent_envelope: np.ndarray = field(default_factory=lambda: np.zeros(0))


def compute_music_features(samples: np.ndarray, sample_rate_hz: int) -> MusicFeatures:
    """Onset envelope, chroma and frame level of ``samples`` (channels, frames) float32."""
    audio = np.asarray(samples)
    if audio.ndim == 1:
        audio = audio[np.newaxis, :]
    rate = int(sample_rate_hz)
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, not {sample_rate_hz}")
    work_rate, factor = working_rate(rate)
    n_fft = 1024 if work_rate >= 16000 else 512
    hop = n_fft // 4
    chroma_hop = hop * max(1, round(0.17 * work_rate / hop))
    chroma_fft = 1 << max(9, math.ceil(math.log2(0.34 * work_rate)))
    margin = max(n_fft, chroma_fft)
    padded = _downmix_and_decimate(audio, factor, margin)
    n_frames = 1 + (padded.size - 2 * margin) // hop
    mel_power, power = _onset_spectra(padded, margin, n_fft, hop, n_frames, work_rate)
    chroma_coarse, tuning = _chroma(padded, margin, chroma_fft, chroma_hop, work_rate)
    frame_chroma = np.rint(np.arange(n_frames) * hop / chroma_hop).astype(np.intp)
    chroma = chroma_coarse[:, np.minimum(frame_chroma, chroma_coarse.shape[1] - 1)]
    with np.errstate(divide="ignore"):
        rms_db = np.maximum(10.0 * np.log10(power), SILENCE_FLOOR_DB)
    return MusicFeatures(
        sample_rate_hz=round(work_rate),
        hop_s=hop / work_rate,
        onset_envelope=_log_mel_flux(mel_power),
        chroma=chroma,
        rms_db=rms_db,
        duration_s=audio.shape[1] / rate,
        tuning_cents=tuning,
        accent_envelope=_loudness_flux(mel_power),
    )


def working_rate(sample_rate_hz: int) -> tuple[float, int]:
    """(working rate Hz, decimation factor): halve until at most 24 kHz (8 kHz stays 8 kHz).

    44.1 kHz -> 22.05 kHz, 48 and 96 kHz -> 24 kHz, 32 kHz -> 16 kHz. An odd rate keeps its
    exact fractional working rate (e.g. 44101 Hz -> 22050.5 Hz); nothing is resampled.
    """
    factor = 1
    while sample_rate_hz / factor > MAX_WORKING_RATE_HZ:
        factor *= 2
    return sample_rate_hz / factor, factor


def _downmix_and_decimate(audio: np.ndarray, factor: int, margin: int) -> np.ndarray:
    """Mono at the working rate, float32, with ``margin`` zeros on each side.

    Built chunk by chunk straight into the output: no full-rate copy is ever made.
    """
    frames = audio.shape[1]
    length = -(-frames // factor)
    padded = np.zeros(length + 2 * margin, dtype=np.float32)
    chunk = max(factor, int(CHUNK_S * MAX_WORKING_RATE_HZ) * factor)
    for start in range(0, frames, chunk):
        piece = _decimate_chunk(audio, start, min(frames, start + chunk), factor)
        first = margin + start // factor
        padded[first:first + piece.size] = piece
    if not math.isfinite(float(np.sum(padded, dtype=np.float64))):
        np.nan_to_num(padded, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return padded


def _downmix(audio: np.ndarray, start: int, stop: int, out: np.ndarray | None = None,
             scale: bool = True) -> np.ndarray:
    """Sum (or mean, with ``scale``) of the channels over frames [start, stop), into ``out``."""
    start, stop = max(0, start), min(audio.shape[1], stop)
    if out is None:
        out = np.empty(max(0, stop - start), dtype=np.float32)
    if audio.shape[0] == 1:
        out[:] = audio[0, start:stop]
    else:
        np.add(audio[0, start:stop], audio[1, start:stop], out=out)
        for channel in audio[2:]:
            out += channel[start:stop]
    if scale and audio.shape[0] > 1:
        out *= np.float32(1.0 / audio.shape[0])
    return out


def _decimate_chunk(audio: np.ndarray, start: int, stop: int, factor: int) -> np.ndarray:
    """Downmix frames [start, stop) and decimate by ``factor`` (a power of two), with margins."""
    if factor == 1:
        return _downmix(audio, start, stop)
    margin = 16 * factor
    lo, hi = start - margin, stop + margin
    mono = np.empty(hi - lo, dtype=np.float32)
    offset = max(0, -lo)
    inner = max(0, min(hi, audio.shape[1]) - max(lo, 0))
    mono[:offset] = 0.0
    mono[offset + inner:] = 0.0
    _downmix(audio, lo, hi, out=mono[offset:offset + inner], scale=False)
    stage = factor
    while stage > 1:
        mono = _decimate2(mono)
        stage //= 2
    keep = -(-(stop - start) // factor)
    out = mono[margin // factor:margin // factor + keep]
    if audio.shape[0] > 1:
        out *= np.float32(1.0 / audio.shape[0])
    return out


def _decimate2(x: np.ndarray) -> np.ndarray:
    """Low-pass and keep every other sample (polyphase 8-tap FIR, zero-padded edges)."""
    if x.size % 2:
        x = np.append(x, np.float32(0.0))
    even, odd = x[0::2], x[1::2]
    n = even.size
    out = np.convolve(even, _DECIMATOR_EVEN)[1:1 + n]
    out += np.convolve(odd, _DECIMATOR_ODD)[1:1 + n]
    return out.astype(np.float32, copy=False)


def _frame_blocks(padded: np.ndarray, margin: int, n_fft: int, hop: int, n_frames: int,
                  block: int) -> Iterator[tuple[int, np.ndarray]]:
    """Centred frames (frame i centred on sample i*hop) as (first index, view) blocks."""
    base = margin - n_fft // 2
    view = np.lib.stride_tricks.sliding_window_view(padded[base:], n_fft)[::hop]
    for first in range(0, n_frames, block):
        yield first, view[first:min(n_frames, first + block)]


def _onset_spectra(padded: np.ndarray, margin: int, n_fft: int, hop: int, n_frames: int,
                   rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Mel power (N_MELS, frames) and mean-square level per frame of the short STFT."""
    window = np.hanning(n_fft + 1)[:n_fft].astype(np.float32)
    mel_basis = sparse.csr_matrix(mel_filterbank(rate, n_fft).astype(np.float32))
    scale = np.float32(1.0 / (n_fft * np.sum(window.astype(np.float64) ** 2)))
    mel = np.empty((mel_basis.shape[0], n_frames), dtype=np.float32)
    power_sum = np.empty(n_frames, dtype=np.float32)
    for first, frames in _frame_blocks(padded, margin, n_fft, hop, n_frames,
                                       _STFT_BLOCK_FRAMES):
        power = np.abs(sfft.rfft(frames * window, axis=1, workers=_WORKERS))
        power *= power
        mel[:, first:first + len(frames)] = mel_basis @ power.T
        total = 2.0 * power.sum(axis=1) - power[:, 0] - power[:, -1]
        power_sum[first:first + len(frames)] = total * scale
    return mel, power_sum.astype(np.float64)


def mel_filterbank(rate: float, n_fft: int, n_mels: int = N_MELS) -> np.ndarray:
    """Triangular HTK-mel filters (n_mels, n_fft//2+1), area-normalised, none empty."""
    fmax = min(MEL_FMAX_HZ, 0.45 * rate)
    mels = np.linspace(_hz_to_mel(MEL_FMIN_HZ), _hz_to_mel(fmax), n_mels + 2)
    edges = 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    freqs = np.arange(n_fft // 2 + 1) * rate / n_fft
    lower = (freqs[np.newaxis, :] - edges[:-2, np.newaxis]) / np.diff(edges)[:-1, np.newaxis]
    upper = (edges[2:, np.newaxis] - freqs[np.newaxis, :]) / np.diff(edges)[1:, np.newaxis]
    basis = np.maximum(0.0, np.minimum(lower, upper))
    for band in np.flatnonzero(basis.sum(axis=1) == 0.0):
        basis[band, np.argmin(np.abs(freqs - edges[band + 1]))] = 1.0
    return basis / basis.sum(axis=1, keepdims=True)


def _hz_to_mel(hz: float) -> float:
    return 2595.0 * math.log10(1.0 + hz / 700.0)


def _log_mel_flux(mel_power: np.ndarray) -> np.ndarray:
    """Mean over bands of the half-wave rectified frame-to-frame rise of the log mel, dB."""
    if mel_power.shape[1] == 0:
        return np.zeros(0)
    log_mel = 10.0 * np.log10(np.maximum(mel_power, 1e-12))
    np.maximum(log_mel, log_mel.max() - ONSET_TOP_DB, out=log_mel)
    flux = np.zeros(mel_power.shape[1])
    rise = np.diff(log_mel, axis=1)
    np.maximum(rise, 0.0, out=rise)
    flux[1:] = rise.mean(axis=0)
    return flux


def _loudness_flux(mel_power: np.ndarray) -> np.ndarray:
    """Sum over bands of the half-wave rectified frame-to-frame rise of
    (band power / loudest band power) ** 0.3."""
    if mel_power.shape[1] == 0:
        return np.zeros(0)
    peak = float(mel_power.max())
    if peak <= 0.0:
        return np.zeros(mel_power.shape[1])
    loudness = np.power(mel_power * np.float32(1.0 / peak), np.float32(ACCENT_EXPONENT))
    rise = np.diff(loudness, axis=1)
    np.maximum(rise, 0.0, out=rise)
    flux = np.zeros(mel_power.shape[1])
    flux[1:] = rise.sum(axis=0)
    return flux


def _chroma(padded: np.ndarray, margin: int, n_fft: int, hop: int,
            rate: float) -> tuple[np.ndarray, float]:
    """Tuning-corrected 12-bin chroma (12, coarse frames) and the tuning offset in cents."""
    n_frames = 1 + (padded.size - 2 * margin) // hop
    fine = np.zeros((n_frames, _FINE_BINS))
    window = np.hanning(n_fft + 1)[:n_fft].astype(np.float32)
    lo = max(2, int(CHROMA_FMIN_HZ * n_fft / rate))
    hi = min(n_fft // 2 - 1, int(min(CHROMA_FMAX_HZ, 0.45 * rate) * n_fft / rate))
    for first, frames in _frame_blocks(padded, margin, n_fft, hop, n_frames,
                                       _CHROMA_BLOCK_FRAMES):
        spectrum = sfft.rfft(frames * window, axis=1, workers=_WORKERS)
        magnitude = np.abs(spectrum[:, lo - 1:hi + 2])
        fine[first:first + len(frames)] = _peak_histogram(magnitude, lo, n_fft, rate)
    tuning = _tuning_cents(fine.sum(axis=0))
    return _fold_to_semitones(fine, tuning), tuning


def _peak_histogram(magnitude: np.ndarray, lo: int, n_fft: int, rate: float) -> np.ndarray:
    """Sum spectral-peak amplitudes into 10-cent pitch-class bins, per frame."""
    centre = magnitude[:, 1:-1]
    floor = magnitude.max(axis=1, keepdims=True) * 10.0 ** (CHROMA_PEAK_FLOOR_DB / 20.0)
    is_peak = ((centre > magnitude[:, :-2]) & (centre >= magnitude[:, 2:])
               & (centre > np.maximum(floor, CHROMA_SILENCE_AMPLITUDE)))
    frame, index = np.nonzero(is_peak)
    left = np.log(np.maximum(magnitude[frame, index], 1e-30))
    mid = np.log(magnitude[frame, index + 1])
    right = np.log(np.maximum(magnitude[frame, index + 2], 1e-30))
    curvature = left - 2.0 * mid + right
    safe = np.where(curvature < 0.0, curvature, -1.0)
    delta = np.clip(0.5 * (left - right) / safe, -0.5, 0.5)
    freq = (lo + index + delta) * rate / n_fft
    amplitude = np.exp(mid - 0.25 * (left - right) * delta)
    pitch = 12.0 * np.log2(freq / 440.0) + 69.0
    fine_bin = np.rint(pitch * (100 / CENTS_PER_BIN)).astype(np.intp) % _FINE_BINS
    counts = np.bincount(frame * _FINE_BINS + fine_bin, weights=amplitude,
                         minlength=magnitude.shape[0] * _FINE_BINS)
    return counts.reshape(magnitude.shape[0], _FINE_BINS)


def _tuning_cents(histogram: np.ndarray) -> float:
    """Circular mean of the deviation from equal temperament (A4 = 440 Hz), cents."""
    per_semitone = 100 // CENTS_PER_BIN
    folded = histogram.reshape(12, per_semitone).sum(axis=0)
    if folded.sum() <= 0.0:
        return 0.0
    angles = 2.0 * np.pi * np.arange(per_semitone) / per_semitone
    resultant = np.sum(folded * np.exp(1j * angles))
    return float(np.angle(resultant) / (2.0 * np.pi) * 100.0)


def _fold_to_semitones(fine: np.ndarray, tuning_cents: float) -> np.ndarray:
    """12 pitch classes from 10-cent bins, cos^2 weight over +-50 cents around each semitone."""
    per_semitone = 100 // CENTS_PER_BIN
    offsets = np.arange(-per_semitone // 2, per_semitone // 2 + 1)
    shift = tuning_cents / CENTS_PER_BIN
    weights = np.cos(0.5 * np.pi * (offsets - (shift - round(shift))) / (per_semitone / 2 + 1))
    weights = np.maximum(weights, 0.0) ** 2
    chroma = np.zeros((fine.shape[0], 12))
    for offset, weight in zip(offsets, weights, strict=True):
        columns = (np.arange(12) * per_semitone + offset + round(shift)) % _FINE_BINS
        chroma += weight * fine[:, columns]
    peak = chroma.max(axis=1, keepdims=True)
    chroma = np.divide(chroma, peak, out=np.zeros_like(chroma), where=peak > 0.0)
    return chroma.T.astype(np.float32)
