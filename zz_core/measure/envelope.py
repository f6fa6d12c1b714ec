"""The waveform overview: the lowest and highest sample (over all channels) in each of
``points`` equal steps of the file, for plotting long files.

The step is the length divided by ``points``, rounded up, so it is known only with the
length. Fed block by block, ``EnvelopeMeter`` keeps the envelope for the few steps the
expected length allows (the exact length of a WAV, AIFF or FLAC header, or an estimate
with room either side) and gives up a step as soon as more audio has arrived than it can
cover; ``finish`` returns None when the length that decoded matched none of them (the
caller reads the file again, knowing its length).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STEP_SPREAD = 2  # steps kept either side of the one the expected length gives


@dataclass(frozen=True)
class Envelope:
    """Minimum and maximum sample (full scale 1.0, rounded to 4 decimals) of each
    ``hop_s``-second step, from the start; a trailing partial step is left out."""

    hop_s: float
    minimum: list[float]
    maximum: list[float]


def envelope(samples: np.ndarray, sample_rate_hz: int, points: int) -> Envelope:
    """The envelope of (channels, frames) audio in ``points`` equal steps."""
    meter = EnvelopeMeter(sample_rate_hz, points, samples.shape[1], spread=0)
    meter.feed(samples)
    result = meter.finish()
    assert result is not None  # the length was given
    return result


def step_for(frames: int, points: int) -> int:
    """Frames per step for a file of ``frames`` frames (at least 1)."""
    return max(1, -(-frames // points))


class EnvelopeMeter:
    """The envelope of (channels, frames) blocks fed in order, for ``expected`` frames
    (None: unknown, ``finish`` then returns None); ``spread`` steps either side are kept
    too, for a length that was only estimated."""

    def __init__(self, sample_rate_hz: int, points: int, expected: int | None,
                 spread: int = STEP_SPREAD) -> None:
        self._rate, self._points = sample_rate_hz, points
        self._frames = 0
        centre = step_for(expected, points) if expected is not None else None
        self._steps = ({} if centre is None else
                       {step: _Steps(step) for step in range(max(1, centre - spread),
                                                              centre + spread + 1)})

    def feed(self, block: np.ndarray) -> None:
        """The next (channels, frames) block."""
        if block.shape[1] == 0:
            return
        self._frames += block.shape[1]
        for step in [s for s in self._steps if self._frames > s * self._points]:
            del self._steps[step]  # the file is already longer than this step covers
        if not self._steps:
            return
        low, high = block.min(axis=0), block.max(axis=0)
        for steps in self._steps.values():
            steps.feed(low, high)

    def finish(self) -> Envelope | None:
        """The envelope, or None when the length fed matches no step kept."""
        step = step_for(self._frames, self._points)
        steps = self._steps.get(step)
        if steps is None:
            return None
        low, high = steps.arrays()
        return Envelope(hop_s=step / self._rate, minimum=np.round(low, 4).tolist(),
                        maximum=np.round(high, 4).tolist())


class _Steps:
    """Per-step minima and maxima (float32) for one step length."""

    def __init__(self, step: int) -> None:
        self.step = step
        self._lows: list[np.ndarray] = []
        self._highs: list[np.ndarray] = []
        self._partial = 0  # frames of the step under way
        self._low = math.inf
        self._high = -math.inf

    def feed(self, low: np.ndarray, high: np.ndarray) -> None:
        step, size, pos = self.step, low.shape[0], 0
        if self._partial:
            pos = min(step - self._partial, size)
            self._low = min(self._low, float(low[:pos].min()))
            self._high = max(self._high, float(high[:pos].max()))
            self._partial += pos
            if self._partial < step:
                return
            self._lows.append(np.array([self._low], dtype=np.float32))
            self._highs.append(np.array([self._high], dtype=np.float32))
            self._partial = 0
        whole = pos + (size - pos) // step * step
        if whole > pos:
            self._lows.append(low[pos:whole].reshape(-1, step).min(axis=1))
            self._highs.append(high[pos:whole].reshape(-1, step).max(axis=1))
        if whole < size:
            self._low = float(low[whole:].min())
            self._high = float(high[whole:].max())
            self._partial = size - whole

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole steps' minima and maxima."""
        if not self._lows:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
        return (np.concatenate(self._lows).astype(np.float32, copy=False),
                np.concatenate(self._highs).astype(np.float32, copy=False))
