"""Display-only spectra for the meter views: the spectrogram (level over time and log
frequency) and the long-term 1/12-octave spectrum. Nothing is judged from them.

The spectrogram is built from the spectrum module's STFT pass (``spectrum.FrameAnalyser``)
as its frames arrive: the front pair's one-sided power per bin (mean square, a full-scale
sine sums to 0.5), averaged over the two channels, is averaged per row: ROWS log-spaced
bands tiling 20 Hz-20 kHz (about 1/9.6 octave each; a row holding no bin, at the bottom
of the range, takes the bin nearest its centre), so a row's level is the mean power per
STFT bin in its band (a PSD-like level: wide high rows are not tilted up). Rows are summed
frame by frame into at most MAX_SUBCOLUMNS running sub-columns (two merged into one when
they run out), so memory does not grow with the length; at the end the sub-columns are
grouped into columns ``max(duration / MAX_COLUMNS, STFT hop)`` long (each the frames
centred in it; its time the middle of them), each the mean over its frames, quantised
to ``step_db`` codes above ``floor_db``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zz_core.measure.series import SILENCE_FLOOR_DB

ROWS = 96
LOW_HZ = 20.0
HIGH_HZ = 20000.0
MAX_COLUMNS = 600
MAX_SUBCOLUMNS = 4096
FLOOR_DB = SILENCE_FLOOR_DB  # code 0: at or below this
STEP_DB = 0.5  # dB per code: codes 0..255 span 127.5 dB
FINE_BANDS_PER_OCTAVE = 12


@dataclass(frozen=True)
class SpectrogramData:
    """Column ``c`` is centred at ``start_s + c * hop_s`` (s); ``codes`` is uint8
    (columns x rows) bytes, time-major: level dBFS = ``floor_db + code * step_db``
    (code 0: at or below ``floor_db``); ``frequencies_hz`` the rows' centres."""

    start_s: float
    hop_s: float
    frequencies_hz: list[float]
    codes: bytes
    floor_db: float = FLOOR_DB
    step_db: float = STEP_DB


def row_edges(sample_rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """(centres, edges) of the rows below Nyquist: ROWS bands tiling LOW_HZ-HIGH_HZ
    (geometric centres), the rows whose centre lies above Nyquist left out."""
    edges = np.geomspace(LOW_HZ, HIGH_HZ, ROWS + 1)
    centres = np.sqrt(edges[:-1] * edges[1:])
    keep = int(np.count_nonzero(centres <= sample_rate_hz / 2.0))
    return centres[:keep], edges[:keep + 1]


class SpectrogramMeter:
    """Row powers of STFT frames added in order (``add``), for ``frame_hop`` samples
    between frames of ``fft_size`` samples; ``finish`` groups them into columns."""

    def __init__(self, sample_rate_hz: int, fft_size: int, frame_hop: int) -> None:
        self._rate, self._size, self._hop = sample_rate_hz, fft_size, frame_hop
        freqs = np.fft.rfftfreq(fft_size, 1.0 / sample_rate_hz)
        centres, edges = row_edges(sample_rate_hz)
        self._centres = centres
        low = np.searchsorted(freqs, edges[:-1])
        high = np.searchsorted(freqs, edges[1:])
        nearest = np.clip(np.rint(centres / freqs[1]).astype(int), 0, freqs.size - 1)
        empty = high <= low
        low = np.where(empty, nearest, low)
        high = np.where(empty, nearest + 1, high)
        self._gather = np.concatenate([np.arange(a, b) for a, b in zip(low, high, strict=True)])
        self._offsets = np.concatenate(([0], np.cumsum(high - low)[:-1]))
        self._bins = (high - low).astype(np.float64)
        self._sums = np.zeros((MAX_SUBCOLUMNS, centres.size))
        self._counts = np.zeros(MAX_SUBCOLUMNS, dtype=np.int64)
        self._level = 0  # a sub-column holds 2 ** level frames
        self._frames = 0  # frames added

    def add(self, power: np.ndarray) -> None:
        """The next frames' power per bin, (frames, bins), both channels averaged."""
        count = power.shape[0]
        if count == 0 or self._centres.size == 0:
            self._frames += count
            return
        rows = np.add.reduceat(power[:, self._gather].astype(np.float64), self._offsets,
                               axis=1) / self._bins
        while (self._frames + count - 1) >> self._level >= MAX_SUBCOLUMNS:
            self._merge()
        index = (self._frames + np.arange(count)) >> self._level
        np.add.at(self._sums, index, rows)
        np.add.at(self._counts, index, 1)
        self._frames += count

    def _merge(self) -> None:
        """Halve the time resolution: sub-columns 2k and 2k + 1 become k."""
        half = MAX_SUBCOLUMNS // 2
        self._sums[:half] = self._sums[0::2] + self._sums[1::2]
        self._counts[:half] = self._counts[0::2] + self._counts[1::2]
        self._sums[half:] = 0.0
        self._counts[half:] = 0
        self._level += 1

    def finish(self, duration_s: float) -> SpectrogramData | None:
        """The spectrogram of a file of ``duration_s`` seconds; None without frames."""
        frames, rows = self._frames, self._centres.size
        if frames == 0 or rows == 0:
            return None
        frame_hop_s = self._hop / self._rate
        hop_s = max(duration_s / MAX_COLUMNS, frame_hop_s)
        used = ((frames - 1) >> self._level) + 1
        span = 1 << self._level
        # each sub-column's centre, in frames, then in columns: column c holds the frames
        # centred in [c, c + 1) hop_s after frame 0's centre
        centre = np.arange(used) * span + (np.minimum(span, frames - np.arange(used) * span)
                                           - 1) / 2.0
        column = np.floor(centre * (frame_hop_s / hop_s) + 1e-9).astype(np.intp)
        columns = int(column[-1]) + 1
        sums = np.zeros((columns, rows))
        counts = np.zeros(columns)
        np.add.at(sums, column, self._sums[:used])
        np.add.at(counts, column, self._counts[:used])
        with np.errstate(divide="ignore", invalid="ignore"):
            levels = 10.0 * np.log10(sums / counts[:, None])
        codes = np.clip(np.rint((levels - FLOOR_DB) / STEP_DB), 0, 255)
        codes = np.where(np.isfinite(levels), codes, 0).astype(np.uint8)
        return SpectrogramData(
            start_s=round(self._size / 2.0 / self._rate + (hop_s - frame_hop_s) / 2.0, 6),
            hop_s=round(hop_s, 6),
            frequencies_hz=[round(float(c), 2) for c in self._centres],
            codes=codes.tobytes())


def fine_centres(sample_rate_hz: int,
                 bands_per_octave: int = FINE_BANDS_PER_OCTAVE) -> np.ndarray:
    """Band centres 1000 * 2 ** (k / bands_per_octave) from 20 Hz (19 Hz and up, as the
    third octaves) to the lesser of 20 kHz and the top band below Nyquist."""
    k = np.arange(-10 * bands_per_octave, 5 * bands_per_octave + 1)
    centres = 1000.0 * 2.0 ** (k / bands_per_octave)
    top = min(HIGH_HZ, sample_rate_hz / 2.0 / 2.0 ** (0.5 / bands_per_octave))
    return centres[(centres >= 19.0) & (centres <= top)]


def fine_levels(freqs_hz: np.ndarray, left_psd: np.ndarray, right_psd: np.ndarray,
                centres_hz: np.ndarray, bands_per_octave: int = FINE_BANDS_PER_OCTAVE
                ) -> np.ndarray:
    """Long-term level (dBFS, mean square averaged over the two channels; NaN when empty)
    of the band of 1/``bands_per_octave`` octave around each centre, from the per-bin
    long-term spectra of the STFT pass. Each bin's power is spread evenly over its width,
    so a band narrower than a bin (the lowest ones) gets its share of the bin it lies in
    instead of nothing."""
    step = float(freqs_hz[1] - freqs_hz[0])
    power = (left_psd + right_psd) / 2.0
    cumulative = np.concatenate(([0.0], np.cumsum(power)))
    bounds = (np.arange(power.size + 1) - 0.5) * step
    half = 2.0 ** (0.5 / bands_per_octave)
    band = (np.interp(centres_hz * half, bounds, cumulative)
            - np.interp(centres_hz / half, bounds, cumulative))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(band > 0, 10.0 * np.log10(band), np.nan)
