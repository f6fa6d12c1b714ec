"""Whole-file decoding (``load_audio``, ``decode_bytes``) and the header-only checks
(``probe``, ``check_sample``), all built on the one block decoder in ``stream``."""

from __future__ import annotations

import os
from contextlib import ExitStack

import numpy as np

from zz_core.errors import AudioDecodeError
from zz_core.measure.decoding.limits import MAX_DURATION_S, PROBE_SAMPLE_S
from zz_core.measure.decoding.models import Audio, AudioInfo
from zz_core.measure.decoding.stream import BlockStream, open_source, source_of

_UNKNOWN_LENGTH_S = 60.0  # first allocation when nothing estimates the length
_ESTIMATE_MARGIN = 1.02  # room above an estimated length before the buffer must grow
# an estimate is only trusted this far for the first allocation (an MP3 length guessed
# from its first frame's bitrate can be hours off); past it the buffer grows as audio comes
_ESTIMATE_FIRST_S = 1200.0
_MOVE_FRAMES = 2**20  # frames moved at a time when channels are laid out again


def load_audio(path: str | os.PathLike[str]) -> Audio:
    """Decode the audio file at ``path`` into float32 samples, shape (channels, frames).

    Any supported format: WAV/RF64/AIFF/FLAC/Ogg Vorbis/MP3 through libsndfile, the rest
    (M4A AAC/ALAC, Opus, WebM, WMA, chained Ogg, MP3 without an exact-length header)
    through ffmpeg. Files up to MAX_DURATION_S (3 h) are accepted; an exact length over
    it is refused before reading. Raises ``AudioDecodeError`` with one plain sentence.
    """
    with BlockStream(source_of(path)) as stream:
        return _collect(stream)


def decode_bytes(data: bytes, filename_hint: str = "") -> Audio:
    """Decode an in-memory file (e.g. a web upload) exactly as ``load_audio`` would;
    ``filename_hint`` only guides ffmpeg (it is never used as a path)."""
    with BlockStream(source_of(bytes(data)), filename_hint) as stream:
        return _collect(stream)


def probe(path_or_bytes: str | os.PathLike[str] | bytes, hint: str = "") -> AudioInfo:
    """What the file is (container, codec, rate, channels, length and whether that length
    is exact or estimated: see ``AudioInfo``) from its header, without decoding it.

    Refuses up front what is clearly not audio, an unsupported rate or channel count, an
    exact length over MAX_DURATION_S (3 h), a header announcing more audio than the file
    holds, and an Ogg file cut off mid-page.
    """
    with ExitStack() as resources:
        return open_source(source_of(path_or_bytes), hint, resources, start=False).info


def check_sample(path_or_bytes: str | os.PathLike[str] | bytes, hint: str = "",
                 seconds: float = PROBE_SAMPLE_S) -> AudioInfo:
    """``probe``, then decode the first ``seconds`` to prove the stream decodes (a file
    shorter than that is decoded whole, with every end-of-file check)."""
    with BlockStream(path_or_bytes, hint, block_frames=2**15) as stream:
        wanted = seconds * stream.info.sample_rate_hz
        while stream.frames < wanted and stream.next_interleaved() is not None:
            pass
        return stream.info


def _collect(stream: BlockStream) -> Audio:
    info = stream.info
    rate = info.sample_rate_hz
    if info.frames is None:
        capacity = round(_UNKNOWN_LENGTH_S * rate)
    elif info.length_exact:
        capacity = info.frames
    else:
        capacity = min(round(info.frames * _ESTIMATE_MARGIN) + rate,
                       round(_ESTIMATE_FIRST_S * rate))
    capacity = max(1, min(capacity, MAX_DURATION_S * rate + 1))
    buffer = _ChannelBuffer(info.channels, capacity)
    while (block := stream.next_interleaved()) is not None:
        buffer.append(block)
    return Audio(samples=buffer.finish(), sample_rate_hz=rate,
                 source_format=info.source_format, decoded_overs=stream.overs,
                 decoded_peak_dbfs=stream.peak_dbfs, notes=stream.notes)


class _ChannelBuffer:
    """A (channels, frames) float32 array filled block by block in one flat allocation.

    When a length estimate was short, the allocation grows in place (realloc) and the
    channels are spread out again; at the end it shrinks to the frames decoded. Neither
    needs a second copy of the audio, so memory peaks at the final array plus one block.
    """

    def __init__(self, channels: int, capacity: int) -> None:
        self._channels, self._capacity, self._frames = channels, capacity, 0
        try:
            self._flat = np.empty(channels * capacity, dtype=np.float32)
        except MemoryError:
            raise _no_memory() from None

    def append(self, block: np.ndarray) -> None:
        """Copy a (frames, channels) block after what is already there."""
        count = len(block)
        if self._frames + count > self._capacity:
            self._regrid(max(self._capacity * 3 // 2, self._frames + count))
        view = self._flat.reshape(self._channels, self._capacity)
        view[:, self._frames:self._frames + count] = block.T
        self._frames += count

    def finish(self) -> np.ndarray:
        """The (channels, frames) array holding exactly the frames appended."""
        if self._frames != self._capacity:
            self._regrid(self._frames)
        return self._flat.reshape(self._channels, self._frames)

    def _regrid(self, capacity: int) -> None:
        """Give every channel ``capacity`` frames of room, keeping the frames decoded."""
        old, frames, flat = self._capacity, self._frames, self._flat
        order = range(self._channels - 1, 0, -1) if capacity > old else range(1, self._channels)
        if capacity > old:
            try:
                flat.resize(self._channels * capacity, refcheck=False)
            except MemoryError:
                raise _no_memory() from None
        for channel in order:
            _move(flat, channel * old, channel * capacity, frames)
        if capacity < old:
            flat.resize(self._channels * capacity, refcheck=False)
        self._capacity = capacity


def _move(flat: np.ndarray, source: int, target: int, count: int) -> None:
    """memmove ``count`` values from ``source`` to ``target`` in steps, so overlapping
    ranges never need a temporary copy of a whole channel."""
    if source == target or count == 0:
        return
    starts = range(0, count, _MOVE_FRAMES)
    for start in (reversed(starts) if target > source else starts):
        stop = min(start + _MOVE_FRAMES, count)
        flat[target + start:target + stop] = flat[source + start:source + stop]


def _no_memory() -> AudioDecodeError:
    return AudioDecodeError("there is not enough memory to load this audio")
