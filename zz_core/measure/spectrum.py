"""Spectrum: long-term average spectrum, band energies, octave and third-octave levels,
low-end profile, and tonal balance against a genre target curve.

One short-time Fourier pass over the front pair (8192-point Hann window) gives the
auto and cross spectra per frame, summed into bands; the stereo module reads the same
pass for correlation per band. Levels are dBFS of the band-limited signal, averaged over
channels (a full-scale sine reads -3.01 dB in its band).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
from pydantic import BaseModel, ConfigDict

from zz_core.measure.buffer import SampleBuffer
from zz_core.measure.series import SILENCE_FLOOR_DB, finite_or_none, to_db
from zz_core.measure.spectrogram import SpectrogramData, SpectrogramMeter

FFT_SIZE = 8192
FRAMES_PER_CHUNK = 128
OVERLAP_LIMIT_S = 30.0

BANDS_HZ: dict[str, tuple[float, float]] = {
    "sub": (20.0, 60.0),
    "low": (60.0, 250.0),
    "low_mid": (250.0, 500.0),
    "mid": (500.0, 2000.0),
    "high_mid": (2000.0, 4000.0),
    "high": (4000.0, 8000.0),
    "air": (8000.0, 20000.0),
}
BAND_LABELS: dict[str, str] = {
    "sub": "Sub 20-60 Hz",
    "low": "Low 60-250 Hz",
    "low_mid": "Low-mid 250-500 Hz",
    "mid": "Mid 500 Hz-2 kHz",
    "high_mid": "High-mid 2-4 kHz",
    "high": "Presence 4-8 kHz",
    "air": "Air 8-20 kHz",
}
OCTAVE_CENTRES_HZ = (31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)
LEVEL_MATCH_OCTAVES_HZ = (63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
"""Octaves over which two spectra are level-matched (see ``level_match_offset``)."""
EMPTY_BAND_DB = -100.0
"""A band level at or below this is an empty band (above Nyquist, silence): left out of
level matching and not drawn."""
BAND_LEVELS_HOP_S = 1.0
"""About how often the band levels over time are sampled (s)."""


@dataclass(frozen=True)
class SpectralFrames:
    """Per-frame band powers and long-term spectra of the front pair from one STFT pass.

    Powers are mean squares (full scale sine = 0.5) so that summing bins gives the
    band-limited signal's mean square.
    """

    sample_rate_hz: int
    hop_s: float
    freqs_hz: np.ndarray  # (bins,)
    left_psd: np.ndarray  # (bins,) long-term mean square per bin
    right_psd: np.ndarray
    cross_psd: np.ndarray  # (bins,) real part of L x conj(R)
    band_names: tuple[str, ...]
    frame_left: np.ndarray  # (frames, bands)
    frame_right: np.ndarray
    frame_cross: np.ndarray
    spectrogram: SpectrogramData | None = None  # for display (``measure.spectrogram``)

    @property
    def frames(self) -> int:
        return int(self.frame_left.shape[0])


class Band(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    low_hz: float
    high_hz: float
    level_db: float | None  # dBFS mean square of the band, averaged over channels
    share_pct: float  # share of the total energy 20 Hz - 20 kHz


class TonalBalance(BaseModel):
    """Octave-band levels relative to the 1 kHz octave, against the genre target."""

    model_config = ConfigDict(frozen=True)

    octave_centres_hz: list[float]
    measured_db: list[float | None]
    target_db: list[float]  # level-matched to the measurement
    deviation_db: list[float | None]  # measured - target
    tolerance_db: float


class SpectrumResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    third_octave_centres_hz: list[float]
    third_octave_db: list[float]  # long-term spectrum, dBFS per third-octave band
    low_end_peak_hz: float | None  # strongest frequency 25-150 Hz (kick/bass fundamental)
    sub_to_low_db: float | None  # sub band level minus low band level
    spectral_centroid_hz: float | None
    tonal_balance: TonalBalance | None


class BandLevels(BaseModel):
    """The named bands' levels over time: dBFS (mean square, averaged over the front
    pair, as ``Band.level_db``) in consecutive stretches of ``hop_s`` seconds; value i
    covers [start_s + i hop_s, start_s + (i + 1) hop_s). None where the band is empty."""

    model_config = ConfigDict(frozen=True)

    start_s: float
    hop_s: float
    bands: dict[str, list[float | None]]

    def index_at(self, time_s: float) -> int | None:
        """The stretch holding ``time_s``, None outside the track."""
        count = max((len(v) for v in self.bands.values()), default=0)
        index = int(np.floor((time_s - self.start_s) / self.hop_s)) if self.hop_s > 0 else -1
        return index if 0 <= index < count else None

    def at(self, time_s: float) -> dict[str, float | None]:
        """Each band's level (dBFS) around ``time_s``; empty outside the track."""
        index = self.index_at(time_s)
        if index is None:
            return {}
        return {name: values[index] for name, values in self.bands.items()
                if index < len(values)}


def front_pair(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left and right of (channels, frames) audio; mono is duplicated."""
    if samples.shape[0] == 1:
        return samples[0], samples[0]
    return samples[0], samples[1]


def band_edges(sample_rate_hz: int) -> dict[str, tuple[float, float]]:
    """The named bands that exist below Nyquist, the top one cut at Nyquist."""
    nyquist = sample_rate_hz / 2.0
    return {name: (low, min(high, nyquist)) for name, (low, high) in BANDS_HZ.items()
            if low < nyquist}


def analyse_frames(samples: np.ndarray, sample_rate_hz: int) -> SpectralFrames:
    """One STFT pass over the front pair, chunked to keep memory flat."""
    analyser = FrameAnalyser(sample_rate_hz)
    analyser.feed(samples)
    return analyser.finish()


class FrameAnalyser:
    """``analyse_frames`` fed (channels, frames) blocks in order.

    The frame step depends on the length (``frame_hop``): until more than
    OVERLAP_LIMIT_S has arrived (or the end, for a shorter file) the front pair is only
    kept. Frames are then transformed FRAMES_PER_CHUNK at a time, in the same chunks as
    one pass over the whole file, as soon as their samples are in; only the samples the
    next chunk needs are kept.
    """

    def __init__(self, sample_rate_hz: int) -> None:
        self._rate = sample_rate_hz
        self._buffer = SampleBuffer(2, 1 << 21)  # the front pair still needed
        self._received = 0
        self._size = self._hop = 0  # decided when the length passes OVERLAP_LIMIT_S
        self._done = 0  # frames transformed
        self._totals = [np.zeros(0) for _ in range(3)]
        self._per_frame: list[list[np.ndarray]] = [[], [], []]
        self._edges = band_edges(sample_rate_hz)
        self._spectrogram: SpectrogramMeter | None = None

    def feed(self, block: np.ndarray) -> None:
        """The next (channels, frames) block."""
        left, right = front_pair(block)
        self._buffer.append(np.stack((left, right)))
        self._received += block.shape[1]
        if not self._size:
            if self._received > OVERLAP_LIMIT_S * self._rate:
                self._start(self._received)
            return
        self._transform(self._ready(), final=False)

    def finish(self) -> SpectralFrames:
        """The per-frame band powers and long-term spectra of everything fed."""
        if not self._size:
            self._start(self._received)
        n = self._received
        total = len(range(0, n - self._size + 1, self._hop))
        self._transform(total, final=True)
        size = self._size
        freqs = np.fft.rfftfreq(size, 1.0 / self._rate)
        frames = max(1, total)
        totals = self._totals
        return SpectralFrames(
            sample_rate_hz=self._rate,
            hop_s=self._hop / self._rate,
            freqs_hz=freqs,
            left_psd=totals[0] / frames,
            right_psd=totals[1] / frames,
            cross_psd=totals[2] / frames,
            band_names=tuple(self._edges),
            frame_left=_stack(self._per_frame[0], len(self._edges)),
            frame_right=_stack(self._per_frame[1], len(self._edges)),
            frame_cross=_stack(self._per_frame[2], len(self._edges)),
            spectrogram=(self._spectrogram.finish(self._received / self._rate)
                         if self._spectrogram is not None else None),
        )

    def _start(self, frames: int) -> None:
        """Fix the frame size and step from a length (the whole one, or one past
        OVERLAP_LIMIT_S), then transform what was kept."""
        self._size = min(FFT_SIZE, _power_of_two_below(frames))
        self._hop = frame_hop(self._size, frames, self._rate)
        size = self._size
        self._window = np.hanning(size).astype(np.float32)
        self._scale = 1.0 / (float(np.sum(self._window.astype(np.float64) ** 2)) * size)
        self._membership = _band_matrix(np.fft.rfftfreq(size, 1.0 / self._rate), self._edges)
        self._totals = [np.zeros(size // 2 + 1) for _ in range(3)]
        self._spectrogram = SpectrogramMeter(self._rate, size, self._hop)
        self._transform(self._ready(), final=False)

    def _ready(self) -> int:
        """Frames whose samples have all arrived."""
        available = self._received - self._size
        return 0 if available < 0 else available // self._hop + 1

    def _transform(self, upto: int, *, final: bool) -> None:
        """Transform frames ``self._done ..`` in chunks of FRAMES_PER_CHUNK: the whole
        chunks among the first ``upto`` frames, and with ``final`` the rest too."""
        size, hop = self._size, self._hop
        while self._done < upto:
            count = min(FRAMES_PER_CHUNK, upto - self._done)
            if count < FRAMES_PER_CHUNK and not final:
                break
            first = self._done * hop
            piece = self._buffer.view(first, first + (count - 1) * hop + size)
            spec_l = _spectra(piece[0], 0, count, size, hop, self._window)
            spec_r = _spectra(piece[1], 0, count, size, hop, self._window)
            powers = (_power(spec_l, spec_l), _power(spec_r, spec_r), _power(spec_l, spec_r))
            for k, power in enumerate(powers):
                power *= self._scale
                power[:, 1:-1] *= 2.0  # one-sided spectrum: fold the negative frequencies in
                self._totals[k] += power.sum(axis=0, dtype=np.float64)
                self._per_frame[k].append((power @ self._membership).astype(np.float64))
            if self._spectrogram is not None:
                self._spectrogram.add((powers[0] + powers[1]) * np.float32(0.5))
            self._done += count
        self._buffer.drop_before(self._done * hop)


def frame_hop(size: int, frames: int, sample_rate_hz: int) -> int:
    """Frame step: 50 % overlap for short files, none past 30 s, where averages over
    thousands of frames no longer need it and it would double the cost."""
    return size if frames > OVERLAP_LIMIT_S * sample_rate_hz else size // 2


def _power_of_two_below(n: int) -> int:
    return int(2 ** np.floor(np.log2(max(n, 2))))


def _spectra(x: np.ndarray, first_frame: int, count: int, size: int, hop: int,
             window: np.ndarray) -> np.ndarray:
    views = np.lib.stride_tricks.sliding_window_view(x, size)[::hop]
    frames = views[first_frame : first_frame + count] * window
    return scipy.fft.rfft(frames, axis=1, workers=-1)


def _power(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Real part of a x conj(b)."""
    return a.real * b.real + a.imag * b.imag


def _band_matrix(freqs: np.ndarray, edges: dict[str, tuple[float, float]]) -> np.ndarray:
    matrix = np.zeros((freqs.size, len(edges)), dtype=np.float32)
    for column, (low, high) in enumerate(edges.values()):
        matrix[(freqs >= low) & (freqs < high), column] = 1.0
    return matrix


def _stack(parts: list[np.ndarray], bands: int) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros((0, bands))


def band_levels(frames: SpectralFrames, hop_s: float = BAND_LEVELS_HOP_S) -> BandLevels:
    """The named bands' levels over time from the STFT pass, in stretches of a whole
    number of frames lasting about ``hop_s`` (frames grouped by their centre time)."""
    per = max(1, round(hop_s / frames.hop_s))
    count = frames.frames // per
    window_s = (frames.freqs_hz.size - 1) * 2 / frames.sample_rate_hz  # FFT length
    start = window_s / 2 - frames.hop_s / 2
    levels: dict[str, list[float | None]] = {}
    for column, name in enumerate(frames.band_names):
        power = (frames.frame_left[: count * per, column]
                 + frames.frame_right[: count * per, column]) / 2.0
        mean = power.reshape(count, per).mean(axis=1) if count else np.empty(0)
        with np.errstate(divide="ignore"):
            db = 10.0 * np.log10(np.maximum(mean, 0.0))
        levels[name] = [round(float(v), 1) if v > EMPTY_BAND_DB else None for v in db]
    return BandLevels(start_s=round(max(0.0, start), 3), hop_s=round(per * frames.hop_s, 4),
                      bands=levels)


def band_power(frames: SpectralFrames, low_hz: float, high_hz: float) -> float:
    """Mean square of the band [low, high) Hz, averaged over the two channels."""
    mask = (frames.freqs_hz >= low_hz) & (frames.freqs_hz < high_hz)
    return float((frames.left_psd[mask].sum() + frames.right_psd[mask].sum()) / 2.0)


def fractional_octave_levels(
    frames: SpectralFrames, centres_hz: np.ndarray, fraction: float
) -> np.ndarray:
    """dBFS mean square in bands of ``fraction`` octave around each centre."""
    half = 2.0 ** (fraction / 2.0)
    powers = np.array([band_power(frames, c / half, c * half) for c in centres_hz])
    return to_db(powers, power=True)


def third_octave_centres(sample_rate_hz: int) -> np.ndarray:
    """Nominal-base-2 third-octave centres from 20 Hz to the lesser of 20 kHz and Nyquist."""
    centres = 1000.0 * 2.0 ** (np.arange(-17, 15) / 3.0)
    top = min(20000.0, sample_rate_hz / 2.0 / 2 ** (1 / 6))
    return centres[(centres >= 19.0) & (centres <= top)]


def measure_spectrum(
    frames: SpectralFrames,
    tonal_curve_db: dict[float, float] | None = None,
    tonal_tolerance_db: float = 3.0,
) -> SpectrumResult:
    """Third-octave spectrum, low-end profile and tonal balance against ``tonal_curve_db``
    (octave-band level re the 1 kHz octave, as in the genre table)."""
    bands = measure_bands(frames)
    centres = third_octave_centres(frames.sample_rate_hz)
    third = fractional_octave_levels(frames, centres, 1.0 / 3.0)
    return SpectrumResult(
        third_octave_centres_hz=[round(float(c), 1) for c in centres],
        third_octave_db=[round(float(v), 2) for v in third],
        low_end_peak_hz=_low_end_peak(frames),
        sub_to_low_db=_level_difference(bands, "sub", "low"),
        spectral_centroid_hz=_centroid(frames),
        tonal_balance=(tonal_balance(frames, tonal_curve_db, tonal_tolerance_db)
                       if tonal_curve_db else None),
    )


def measure_bands(frames: SpectralFrames) -> list[Band]:
    """Energy in the seven named bands (sub ... air), bounded by Nyquist."""
    edges = band_edges(frames.sample_rate_hz)
    powers = {name: band_power(frames, low, high) for name, (low, high) in edges.items()}
    total = sum(powers.values())
    return [
        Band(
            name=name,
            label=BAND_LABELS[name],
            low_hz=low,
            high_hz=high,
            level_db=finite_or_none(float(to_db(powers[name], power=True)))
            if powers[name] > 0 else None,
            share_pct=round(100.0 * powers[name] / total, 2) if total > 0 else 0.0,
        )
        for name, (low, high) in edges.items()
    ]


def _level_difference(bands: list[Band], a: str, b: str) -> float | None:
    levels = {band.name: band.level_db for band in bands}
    first, second = levels.get(a), levels.get(b)
    if first is None or second is None:
        return None
    return round(first - second, 2)


def _low_end_peak(frames: SpectralFrames) -> float | None:
    mask = (frames.freqs_hz >= 25.0) & (frames.freqs_hz <= 150.0)
    psd = (frames.left_psd + frames.right_psd)[mask]
    if psd.size == 0 or psd.max() <= 0:
        return None
    return round(float(frames.freqs_hz[mask][np.argmax(psd)]), 1)


def _centroid(frames: SpectralFrames) -> float | None:
    psd = frames.left_psd + frames.right_psd
    if psd.sum() <= 0:
        return None
    return round(float((frames.freqs_hz * psd).sum() / psd.sum()), 1)


def octave_levels_re_1k(frames: SpectralFrames) -> np.ndarray:
    """Octave-band levels relative to the 1 kHz octave, dB (NaN above Nyquist or silent)."""
    levels = fractional_octave_levels(frames, np.array(OCTAVE_CENTRES_HZ), 1.0)
    nyquist = frames.sample_rate_hz / 2.0
    valid = (np.array(OCTAVE_CENTRES_HZ) * np.sqrt(2.0) <= nyquist * 1.0001) & (
        levels > SILENCE_FLOOR_DB
    )
    relative = levels - levels[OCTAVE_CENTRES_HZ.index(1000.0)]
    return np.where(valid, relative, np.nan)


def tonal_balance(
    frames: SpectralFrames, tonal_curve_db: dict[float, float], tolerance_db: float
) -> TonalBalance | None:
    """Measured octave levels against the target curve, level-matched by the median
    difference over 63 Hz-8 kHz, so one band that strays does not shift the others."""
    measured = octave_levels_re_1k(frames)
    if np.isnan(measured[OCTAVE_CENTRES_HZ.index(1000.0)]):
        return None
    target = np.array([tonal_curve_db[c] for c in OCTAVE_CENTRES_HZ])
    target = target + level_match_offset(OCTAVE_CENTRES_HZ, measured, target, floor_db=None)
    deviation = measured - target
    return TonalBalance(
        octave_centres_hz=list(OCTAVE_CENTRES_HZ),
        measured_db=[finite_or_none(v) for v in measured],
        target_db=[round(float(v), 2) for v in target],
        deviation_db=[finite_or_none(v) for v in deviation],
        tolerance_db=tolerance_db,
    )


def audible_levels(levels_db: Sequence[float | None] | np.ndarray,
                   floor_db: float | None = EMPTY_BAND_DB) -> np.ndarray:
    """Band levels (dB) as floats, NaN for an empty band: None, NaN or at or below
    ``floor_db`` (no floor when None)."""
    levels = np.array([np.nan if v is None else v for v in levels_db], dtype=float)
    return levels if floor_db is None else np.where(levels > floor_db, levels, np.nan)


def level_match_offset(centres_hz: Sequence[float] | np.ndarray,
                       anchor_db: Sequence[float | None] | np.ndarray,
                       other_db: Sequence[float | None] | np.ndarray, *,
                       floor_db: float | None = EMPTY_BAND_DB) -> float:
    """dB to add to ``other_db`` so that it sits on ``anchor_db`` (two spectra on the grid
    ``centres_hz``): the median difference over 63 Hz-8 kHz (``LEVEL_MATCH_OCTAVES_HZ``),
    bands empty in either (see ``audible_levels``) left out. A median, so the bands that
    differ do not drag the match; 0 when no band is usable."""
    centres = np.asarray(centres_hz, dtype=float)
    difference = audible_levels(anchor_db, floor_db) - audible_levels(other_db, floor_db)
    usable = ((centres >= LEVEL_MATCH_OCTAVES_HZ[0]) & (centres <= LEVEL_MATCH_OCTAVES_HZ[-1])
              & ~np.isnan(difference))
    return float(np.median(difference[usable])) if usable.any() else 0.0
