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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import scipy.fft as sfft
from scipy import signal, sparse

from zz_core.measure.buffer import SampleBuffer
from zz_core.measure.series import SILENCE_FLOOR_DB
from zz_core.measure.spill import Spill

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
    analyser = FeatureAnalyser(sample_rate_hz, audio.shape[0])
    analyser.feed(audio)
    return analyser.finish()


class FeatureAnalyser:
    """``compute_music_features`` fed (channels, frames) blocks in order.

    The downmix is decimated in the same CHUNK_S chunks as one pass over the whole file
    (each with its filter margins), and both short-time transforms run in the same frame
    blocks, each as soon as its samples are in: the values are the one-pass values. Kept
    for the end are the per-frame mel powers and pitch-class histograms (the onset and
    accent envelopes are relative to the file's loudest frame, the chroma to its tuning),
    about 23 MB per 10 minutes at 48 kHz, not the audio.
    """

    def __init__(self, sample_rate_hz: int, channels: int) -> None:
        rate = int(sample_rate_hz)
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, not {sample_rate_hz}")
        self._rate, self._channels = rate, channels
        self._work_rate, self._factor = working_rate(rate)
        work_rate = self._work_rate
        self._n_fft = 1024 if work_rate >= 16000 else 512
        self._hop = self._n_fft // 4
        self._chroma_hop = self._hop * max(1, round(0.17 * work_rate / self._hop))
        self._chroma_fft = 1 << max(9, math.ceil(math.log2(0.34 * work_rate)))
        self._margin = max(self._n_fft, self._chroma_fft)
        self._chunk = max(self._factor, int(CHUNK_S * MAX_WORKING_RATE_HZ) * self._factor)
        self._edge = 16 * self._factor if self._factor > 1 else 0  # decimation margin
        self._mono = SampleBuffer(1, 1 << 20)  # the channel sum still to decimate
        self._received = 0
        self._chunks = 0  # decimation chunks done
        # the decimated mono after its leading zero margin (padded indices)
        self._padded = SampleBuffer(1, 1 << 20)
        self._padded.append(np.zeros(self._margin, dtype=np.float32))
        self._onset = _Frames(self._margin - self._n_fft // 2, self._n_fft, self._hop,
                              _STFT_BLOCK_FRAMES)
        self._chroma = _Frames(self._margin - self._chroma_fft // 2, self._chroma_fft,
                               self._chroma_hop, _CHROMA_BLOCK_FRAMES)
        self._window = np.hanning(self._n_fft + 1)[:self._n_fft].astype(np.float32)
        self._chroma_window = np.hanning(self._chroma_fft + 1)[:self._chroma_fft].astype(
            np.float32)
        self._mel_basis = sparse.csr_matrix(
            mel_filterbank(work_rate, self._n_fft).astype(np.float32))
        self._scale = np.float32(1.0 / (self._n_fft * np.sum(
            self._window.astype(np.float64) ** 2)))
        self._mel = Spill()  # (N_MELS, frames) float32 per block
        self._mel_peak = 0.0  # the largest mel power
        self._log_top = -math.inf  # the largest mel level, dB
        self._power: list[np.ndarray] = []
        self._fine = Spill()  # (frames, _FINE_BINS) float64 per block
        self._fine_total: np.ndarray | None = None  # their sum, added row by row

    def feed(self, block: np.ndarray) -> None:
        """The next (channels, frames) float32 block."""
        size = block.shape[1]
        if size == 0:
            return
        summed = np.empty(size, dtype=np.float32)
        if block.shape[0] == 1:
            summed[:] = block[0]
        else:
            np.add(block[0], block[1], out=summed)
            for channel in block[2:]:
                summed += channel
        self._mono.append(summed)
        self._received += size
        while (self._chunks + 1) * self._chunk + self._edge <= self._received:
            self._decimate(self._received + self._chunk + self._edge)  # no end in sight
        self._transform(final=False)

    def finish(self) -> MusicFeatures:
        """The features of everything fed."""
        frames = self._received
        while self._chunks * self._chunk < frames:
            self._decimate(frames)
        self._padded.append(np.zeros(self._margin, dtype=np.float32))
        length = -(-frames // self._factor)
        self._onset.total = 1 + length // self._hop
        self._chroma.total = 1 + length // self._chroma_hop
        self._transform(final=True)
        fine_total = self._fine_total
        tuning = _tuning_cents(fine_total if fine_total is not None else
                               np.zeros(_FINE_BINS))
        chroma_coarse = (np.concatenate([_fold_to_semitones(f, tuning) for f in self._fine],
                                        axis=1) if len(self._fine) else np.zeros((12, 0),
                                                                                 np.float32))
        self._fine.close()
        n_frames = self._onset.total
        frame_chroma = np.rint(np.arange(n_frames) * self._hop / self._chroma_hop).astype(
            np.intp)
        chroma = chroma_coarse[:, np.minimum(frame_chroma, chroma_coarse.shape[1] - 1)]
        power = np.concatenate(self._power).astype(np.float64)
        with np.errstate(divide="ignore"):
            rms_db = np.maximum(10.0 * np.log10(power), SILENCE_FLOOR_DB)
        try:
            return self._features(frames, chroma, rms_db, tuning, n_frames)
        finally:
            self._mel.close()

    def close(self) -> None:
        """Drop the temporary files kept for the end (a pass stopped early; safe to call
        after ``finish`` and twice)."""
        self._fine.close()
        self._mel.close()

    def _features(self, frames: int, chroma: np.ndarray, rms_db: np.ndarray, tuning: float,
                  n_frames: int) -> MusicFeatures:
        return MusicFeatures(
            sample_rate_hz=round(self._work_rate),
            hop_s=self._hop / self._work_rate,
            onset_envelope=_log_mel_flux(self._mel, n_frames, self._log_top),
            chroma=chroma,
            rms_db=rms_db,
            duration_s=frames / self._rate,
            tuning_cents=tuning,
            accent_envelope=_loudness_flux(self._mel, n_frames, self._mel_peak),
        )

    def _decimate(self, frames: int) -> None:
        """Decimate the next chunk of the downmix (``frames``: the length of the file, or
        more than has arrived while its end is not known)."""
        factor, edge = self._factor, self._edge
        start = self._chunks * self._chunk
        stop = min(frames, start + self._chunk)
        lo, hi = start - edge, stop + edge
        mono = np.zeros(hi - lo, dtype=np.float32)
        first, last = max(lo, 0), min(hi, frames)
        mono[first - lo:last - lo] = self._mono.view(first, last)[0]
        while factor > 1:
            mono = _decimate2(mono)
            factor //= 2
        keep = -(-(stop - start) // self._factor)
        out = mono[edge // self._factor:edge // self._factor + keep]
        if self._channels > 1:
            out *= np.float32(1.0 / self._channels)
        if not np.isfinite(out).all():
            np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        self._padded.append(out)
        self._chunks += 1
        self._mono.drop_before(self._chunks * self._chunk - edge)

    def _transform(self, *, final: bool) -> None:
        """Run both transforms on the frame blocks whose samples are all in."""
        padded, base = self._padded.view()[0], self._padded.start
        end = self._padded.end
        for first, count in self._onset.ready(end, final):
            frames = self._onset.view(padded, base, first, count)
            power = np.abs(sfft.rfft(frames * self._window, axis=1, workers=_WORKERS))
            power *= power
            mel = np.asarray(self._mel_basis @ power.T, dtype=np.float32)
            self._mel.append(mel)
            self._mel_peak = max(self._mel_peak, float(mel.max()))
            self._log_top = max(self._log_top, float(_log_mel(mel).max()))
            total = 2.0 * power.sum(axis=1) - power[:, 0] - power[:, -1]
            self._power.append(total * self._scale)
        n_fft, rate = self._chroma_fft, self._work_rate
        lo = max(2, int(CHROMA_FMIN_HZ * n_fft / rate))
        hi = min(n_fft // 2 - 1, int(min(CHROMA_FMAX_HZ, 0.45 * rate) * n_fft / rate))
        for first, count in self._chroma.ready(end, final):
            frames = self._chroma.view(padded, base, first, count)
            spectrum = sfft.rfft(frames * self._chroma_window, axis=1, workers=_WORKERS)
            magnitude = np.abs(spectrum[:, lo - 1:hi + 2])
            fine = _peak_histogram(magnitude, lo, n_fft, rate)
            self._fine.append(fine)
            # summed row after row, as fine.sum(axis=0) over the whole file adds them
            self._fine_total = fine.sum(axis=0) if self._fine_total is None else (
                np.add.reduce(np.vstack((self._fine_total[np.newaxis], fine)), axis=0))
        self._padded.drop_before(min(self._onset.next_start, self._chroma.next_start))


class _Frames:
    """Centred frames of the padded mono (frame i starts at ``offset + i * hop``), handed
    out in blocks of ``block`` frames from frame 0, as one pass over the file cuts them."""

    def __init__(self, offset: int, size: int, hop: int, block: int) -> None:
        self.offset, self.size, self.hop, self.block = offset, size, hop, block
        self.done = 0
        self.total = -1  # frames in the file, known at the end

    @property
    def next_start(self) -> int:
        """Padded index where the first frame not yet transformed starts."""
        return self.offset + self.done * self.hop

    def ready(self, end: int, final: bool) -> Iterator[tuple[int, int]]:
        """(first frame, count) of each block whose samples (padded indices below
        ``end``) are all in: whole blocks, and with ``final`` the last partial one."""
        while True:
            count = (min(self.block, self.total - self.done) if final else self.block)
            if count <= 0:
                return
            if self.offset + (self.done + count - 1) * self.hop + self.size > end:
                return
            yield self.done, count
            self.done += count

    def view(self, padded: np.ndarray, base: int, first: int, count: int) -> np.ndarray:
        """The frames ``first .. first + count - 1``, shape (count, size), a view."""
        start = self.offset + first * self.hop - base
        piece = padded[start:start + (count - 1) * self.hop + self.size]
        return np.lib.stride_tricks.sliding_window_view(piece, self.size)[::self.hop]


def working_rate(sample_rate_hz: int) -> tuple[float, int]:
    """(working rate Hz, decimation factor): halve until at most 24 kHz (8 kHz stays 8 kHz).

    44.1 kHz -> 22.05 kHz, 48 and 96 kHz -> 24 kHz, 32 kHz -> 16 kHz. An odd rate keeps its
    exact fractional working rate (e.g. 44101 Hz -> 22050.5 Hz); nothing is resampled.
    """
    factor = 1
    while sample_rate_hz / factor > MAX_WORKING_RATE_HZ:
        factor *= 2
    return sample_rate_hz / factor, factor


def _decimate2(x: np.ndarray) -> np.ndarray:
    """Low-pass and keep every other sample (polyphase 8-tap FIR, zero-padded edges)."""
    if x.size % 2:
        x = np.append(x, np.float32(0.0))
    even, odd = x[0::2], x[1::2]
    n = even.size
    out = np.convolve(even, _DECIMATOR_EVEN)[1:1 + n]
    out += np.convolve(odd, _DECIMATOR_ODD)[1:1 + n]
    return out.astype(np.float32, copy=False)


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


def _log_mel_flux(mel_blocks: Iterable[np.ndarray], frames: int, top: float) -> np.ndarray:
    """Mean over bands of the half-wave rectified frame-to-frame rise of the log mel, dB
    (``mel_blocks``: the mel power (bands, frames) in consecutive blocks of ``frames`` in
    all; ``top``: the largest level, dB), floored ONSET_TOP_DB below ``top``."""
    floor = np.float32(top) - ONSET_TOP_DB
    return _flux(mel_blocks, frames, lambda mel: np.maximum(_log_mel(mel), floor),
                 lambda rise: rise.mean(axis=0))


def _log_mel(mel: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(mel, 1e-12))


def _loudness_flux(mel_blocks: Iterable[np.ndarray], frames: int, peak: float) -> np.ndarray:
    """Sum over bands of the half-wave rectified frame-to-frame rise of
    (band power / loudest band power ``peak``) ** 0.3."""
    if peak <= 0.0:
        return np.zeros(frames)
    scale = np.float32(1.0 / peak)
    return _flux(mel_blocks, frames,
                 lambda mel: np.power(mel * scale, np.float32(ACCENT_EXPONENT)),
                 lambda rise: rise.sum(axis=0))


def _flux(mel_blocks: Iterable[np.ndarray], frames: int,
          level: Callable[[np.ndarray], np.ndarray],
          reduce: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Frame 0 reads 0, frame i the band reduction of the half-wave rectified rise of
    ``level`` from frame i - 1, block by block."""
    flux = np.zeros(frames)
    previous: np.ndarray | None = None
    done = 0
    for mel in mel_blocks:
        levels = level(mel)
        if previous is not None:
            levels = np.concatenate((previous, levels), axis=1)
        rise = np.diff(levels, axis=1)
        np.maximum(rise, 0.0, out=rise)
        start = done + (1 if previous is None else 0)
        flux[start:start + rise.shape[1]] = reduce(rise)
        done = start + rise.shape[1]
        previous = levels[:, -1:]
    return flux


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
