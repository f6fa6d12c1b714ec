"""A sliding window over a stream of samples, in one allocation that is reused.

The block accumulators keep the samples their next step still needs (filter history,
an STFT chunk, a decimation chunk with its margins). Appending by concatenation would
allocate a new, slightly larger array for every block, and that pattern leaves the heap
fragmented; this buffer moves what is kept to its start and only grows when the window
itself must grow.
"""

from __future__ import annotations

import numpy as np


class SampleBuffer:
    """Samples ``start .. end - 1`` of a stream (absolute indices) of ``channels`` rows,
    float32, contiguous per row."""

    def __init__(self, channels: int, capacity: int = 1 << 16) -> None:
        self._data = np.zeros((channels, max(1, capacity)), dtype=np.float32)
        self.start = 0  # absolute index of the first sample kept
        self._offset = 0  # where sample ``start`` sits in ``_data``
        self._used = 0  # samples kept

    @property
    def end(self) -> int:
        """Absolute index just past the last sample kept."""
        return self.start + self._used

    def append(self, samples: np.ndarray) -> None:
        """Add (channels, n) samples (or n samples for one channel) after the last."""
        block = samples.reshape(self._data.shape[0], -1)
        count, used, offset = block.shape[1], self._used, self._offset
        capacity = self._data.shape[1]
        if offset + used + count > capacity:
            kept = self._data[:, offset:offset + used]
            if offset >= used and used + count <= capacity:  # move down (no overlap)
                self._data[:, :used] = kept
            else:
                grown = np.empty((self._data.shape[0], max(capacity, 2 * (used + count))),
                                 dtype=np.float32)
                grown[:, :used] = kept
                self._data = grown
            self._offset = offset = 0
        self._data[:, offset + used:offset + used + count] = block
        self._used += count

    def drop_before(self, index: int) -> None:
        """Forget the samples before absolute ``index``."""
        drop = min(max(0, index - self.start), self._used)
        self._offset += drop
        self._used -= drop
        self.start += drop

    def view(self, first: int | None = None, stop: int | None = None) -> np.ndarray:
        """Samples ``first .. stop - 1`` (absolute; default: all kept), (channels, n); a
        view, valid until the next ``append``."""
        first = self.start if first is None else first
        stop = self.end if stop is None else stop
        if first < self.start or stop > self.end:
            raise IndexError(f"samples {first}..{stop} are not kept ({self.start}..{self.end})")
        return self._data[:, self._offset + first - self.start:self._offset + stop - self.start]
