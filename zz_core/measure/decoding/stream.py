"""The one decoder path: a source opened, checked against its header, and decoded block by
block by libsndfile (through soundfile) or by an ffmpeg pipe.

Truncation and damage are judged by what decoding hits: a decoder error, an Ogg page cut
off mid-way, or fewer frames than an exact-length header states (WAV/RF64, AIFF, FLAC,
MP3 with a Xing/Info count). An estimated length (Ogg, MP3 without that header, whatever
ffprobe reports) is never a reason to refuse: the audio that decodes is analysed, with a
note when it differs a lot from the estimate.
"""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import soundfile as sf

from zz_core import fmt
from zz_core.errors import AudioDecodeError
from zz_core.measure.decoding import containers as ct
from zz_core.measure.decoding.ffmpeg import (
    FfmpegDecoder,
    ffmpeg_available,
    ffprobe_result,
    start_ffprobe,
)
from zz_core.measure.decoding.limits import (
    BLOCK_FRAMES,
    ESTIMATE_NOTE_FRACTION,
    ESTIMATE_NOTE_S,
    INSTALL_FFMPEG,
    MAX_DURATION_S,
    NOT_AUDIO,
    SHORT_READ_TOLERANCE_S,
    check_decoded_duration,
    check_layout,
    check_samples,
    check_stated_length,
    decoder_failed,
    too_long,
    truncated,
)
from zz_core.measure.decoding.models import AudioInfo
from zz_core.measure.decoding.quiet import quiet_native_stderr

Source = Path | bytes

_DECODER_ERRORS = (
    sf.LibsndfileError, RuntimeError, ValueError, TypeError, OSError, EOFError, struct.error
)


class _Decoder(Protocol):
    sample_rate_hz: int
    channels: int
    partial: int  # frames of the current block decoded before a failure

    def read_into(self, out: np.ndarray) -> int: ...

    def finish(self) -> None: ...

    def close(self) -> None: ...


class _SoundfileDecoder:
    """libsndfile reading float32 frames (no clamping: values above 1.0 stay).

    Reads call ``sf_readf_float`` directly: soundfile's ``read`` seeks back to the
    position after every call, and libsndfile's MP3 seek lands a few hundred samples off,
    so every block after the first came out shifted (libsndfile 1.2.2, soundfile 0.14).
    """

    def __init__(self, sound: sf.SoundFile) -> None:
        self._sound = sound
        self.sample_rate_hz, self.channels = int(sound.samplerate), int(sound.channels)
        self.partial = 0
        self._raw = _raw_reader(sound)
        self._mpeg = sound.format == "MP3"  # libmpg123 prints its notes on stderr

    def read_into(self, out: np.ndarray) -> int:
        if self._mpeg:
            with quiet_native_stderr():
                return self._read_into(out)
        return self._read_into(out)

    def _read_into(self, out: np.ndarray) -> int:
        self.partial = 0
        if self._raw is None:
            self.partial = len(self._sound.read(frames=len(out), dtype="float32",
                                                always_2d=True, out=out))
            return self.partial
        read, error, handle, ffi = self._raw
        self.partial = int(read(handle, ffi.cast("float *", out.ctypes.data), len(out)))
        if self.partial < len(out) and error(handle):  # a short read is the end, or this
            raise RuntimeError("libsndfile failed part-way through the file")
        return max(self.partial, 0)

    def finish(self) -> None:
        """libsndfile reports failures as they happen; nothing is left to check."""

    def close(self) -> None:
        self._sound.close()


def _raw_reader(sound: sf.SoundFile) -> tuple[Any, Any, Any, Any] | None:
    """(sf_readf_float, sf_error, handle, ffi) from soundfile's binding; None if a future
    soundfile no longer exposes them (its ``read`` is then used)."""
    lib, ffi, handle = (getattr(sf, "_snd", None), getattr(sf, "_ffi", None),
                        getattr(sound, "_file", None))
    if lib is None or ffi is None or handle is None:
        return None
    return lib.sf_readf_float, lib.sf_error, handle, ffi


@dataclass(frozen=True)
class _Opened:
    info: AudioInfo
    decoder: _Decoder | None  # None when only probed (ffprobe answered for ffmpeg)
    header: ct.Header


def source_of(path_or_bytes: str | os.PathLike[str] | bytes) -> Source:
    """A path checked to be a non-empty file, or non-empty bytes."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(path_or_bytes)
        if not data:
            raise AudioDecodeError("the file is empty")
        return data
    path = Path(path_or_bytes)
    if not path.exists():
        raise AudioDecodeError("file not found")
    if not path.is_file():
        raise AudioDecodeError("this is a folder or device, not a file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioDecodeError(f"the file cannot be read ({exc.strerror})") from None
    if size == 0:
        raise AudioDecodeError("the file is empty")
    return path


def open_source(source: Source, hint: str, resources: ExitStack, start: bool = True
                ) -> _Opened:
    """Read the header, refuse what it already shows, and open the right decoder (closed
    by ``resources``); with ``start=False`` ffmpeg is not started when ffprobe answers."""
    with _open_binary(source) as fh:
        header = ct.inspect(fh, hint)
    _refuse_from_header(header)
    container = header.container
    if container is not None and _wants_ffmpeg(header):
        return _open_ffmpeg(source, container, hint, header, resources, start)
    try:
        with quiet_native_stderr(container is None or container is ct.MP3):
            sound = sf.SoundFile(io.BytesIO(source)) if isinstance(source, bytes) else (
                sf.SoundFile(str(source)))
    except _DECODER_ERRORS:
        return _open_ffmpeg(source, _needed(container), hint, header, resources, start)
    resources.callback(sound.close)
    if ct.sf_length_open(sound.frames):
        container = container or ct.Container(sound.format, sound.format, native=True)
        header = ct.Header(container, exact=False, open_length=True)
        return _open_ffmpeg(source, container, hint, header, resources, start)
    decoder = _SoundfileDecoder(sound)
    check_layout(decoder.sample_rate_hz, decoder.channels)
    exact = header.exact
    frames = header.frames if exact and header.frames else int(sound.frames)
    info = AudioInfo(container=sound.format, codec=sound.subtype,
                     sample_rate_hz=decoder.sample_rate_hz, channels=decoder.channels,
                     frames=frames, length_exact=exact, decoder="libsndfile",
                     source_format=_describe(sound))
    if sound.frames <= 0 and frames <= 0:
        raise AudioDecodeError("the file holds no audio")
    check_stated_length(frames, decoder.sample_rate_hz, exact, sound.format == "MP3")
    return _Opened(info, decoder, header)


def _refuse_from_header(header: ct.Header) -> None:
    """What the header alone proves: a cut Ogg page, too long, missing PCM frames."""
    if header.ogg_cut:
        raise AudioDecodeError(
            "the file is truncated: the Ogg stream stops before its end marker")
    if not (header.exact and header.frames is not None and header.rate):
        return
    if header.frames / header.rate > MAX_DURATION_S:
        raise too_long()
    present = header.present_frames
    if present is not None and header.frames - present > SHORT_READ_TOLERANCE_S * header.rate:
        raise truncated(header.frames / header.rate, present / header.rate)


def _wants_ffmpeg(header: ct.Header) -> bool:
    """ffmpeg reads these better than libsndfile, or libsndfile cannot read them at all."""
    container = header.container
    if container is None:
        return False
    chained = header.ogg_streams > 1  # libsndfile would stop after the first stream
    if not container.native or header.open_length or (chained and ffmpeg_available()):
        return True
    if chained:
        raise AudioDecodeError(
            "the Ogg file chains several streams and reading past the first needs ffmpeg, "
            f"which is not installed {INSTALL_FFMPEG}")
    lossy_estimate = container is ct.OPUS or (container is ct.MP3 and not header.exact)
    return lossy_estimate and ffmpeg_available()


def _needed(container: ct.Container | None) -> ct.Container:
    """libsndfile refused the file: ffmpeg may read it if the bytes look like audio."""
    if container is None:
        raise AudioDecodeError(NOT_AUDIO)
    if not ffmpeg_available() and container.native:
        raise AudioDecodeError(
            f"the {container.name} file is damaged or uses an encoding we cannot read "
            f"without ffmpeg {INSTALL_FFMPEG}")
    return container


def _open_ffmpeg(source: Source, container: ct.Container, hint: str, header: ct.Header,
                 resources: ExitStack, start: bool) -> _Opened:
    if not ffmpeg_available():
        if header.open_length:
            raise AudioDecodeError(
                "the file does not state its length (it was written as a stream) and reading "
                f"it needs ffmpeg, which is not installed {INSTALL_FFMPEG}")
        raise AudioDecodeError(
            f"{container.needs} needs ffmpeg, which is not installed {INSTALL_FFMPEG}")
    path = _as_file(source, hint, resources)
    prober = start_ffprobe(path)  # runs while ffmpeg starts: both take a while to load
    if prober is not None:
        resources.callback(_reap, prober)
    decoder: FfmpegDecoder | None = None
    if start or prober is None:
        try:
            decoder = FfmpegDecoder(path, container)
        except AudioDecodeError:
            ffprobe_result(prober, container, path)  # its sentence, as probe() gives it
            raise
        resources.callback(decoder.close)
    probed = ffprobe_result(prober, container, path)
    rate, channels = ((decoder.sample_rate_hz, decoder.channels) if decoder else
                      (probed.sample_rate_hz, probed.channels) if probed else (0, 0))
    check_layout(rate, channels)
    # a chained stream's header describes its first part only
    estimate = probed.duration_s if probed and header.ogg_streams < 2 else None
    info = AudioInfo(
        container=container.name, codec=probed.codec if probed else "",
        sample_rate_hz=rate, channels=channels,
        frames=None if estimate is None else round(estimate * rate),
        length_exact=False, decoder="ffmpeg", source_format=f"{container.name} via ffmpeg")
    check_stated_length(info.frames, rate, False, container is ct.MP3)
    return _Opened(info, decoder, header)


def _reap(process: subprocess.Popen[bytes]) -> None:
    """Stop ffprobe if it still runs and close its pipes."""
    if process.poll() is None:
        process.kill()
        process.communicate()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _as_file(source: Source, hint: str, resources: ExitStack) -> str:
    """A path ffmpeg can open (and seek in): the file itself, or a temporary copy."""
    if isinstance(source, Path):
        return str(source.resolve())
    try:
        folder = resources.enter_context(tempfile.TemporaryDirectory(prefix="zz-decode-"))
        target = Path(folder) / ("input" + _safe_suffix(hint))
        target.write_bytes(source)
    except OSError as exc:
        raise AudioDecodeError(
            f"the temporary files ffmpeg needs cannot be written ({exc.strerror})") from None
    return str(target)


def _safe_suffix(hint: str) -> str:
    suffix = os.path.splitext(hint)[1]
    return suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,5}", suffix) else ""


def _open_binary(source: Source) -> BinaryIO:
    try:
        return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    except OSError as exc:
        raise AudioDecodeError(f"the file cannot be read ({exc.strerror})") from None


def _describe(sound: sf.SoundFile) -> str:
    if sound.format == "MP3":
        return {"MPEG_LAYER_I": "MP1", "MPEG_LAYER_II": "MP2"}.get(sound.subtype, "MP3")
    if sound.format == "OGG":
        return f"OGG {sound.subtype.title()}"
    return f"{sound.format} {sound.subtype}"


# --- block by block ------------------------------------------------------------------------


class BlockStream:
    """Decoded audio as float32 blocks of shape (channels, frames), at most ``block_frames``
    frames each; iterate it, then read ``overs``, ``peak_dbfs`` and ``notes``.

    ``info`` is known as soon as the stream is open. Errors surface where decoding hits
    them (``AudioDecodeError``, the stream is then closed): a damaged block, NaN or
    infinite samples, more than MAX_DURATION_S of audio, and at the end an exact-length
    file that came up short, an ffmpeg error, or too little audio. Use it as a context
    manager (or call ``close``) when stopping early.
    """

    def __init__(self, path_or_bytes: str | os.PathLike[str] | bytes, hint: str = "",
                 block_frames: int = BLOCK_FRAMES) -> None:
        if block_frames < 1:
            raise ValueError("block_frames must be at least 1")
        self._resources = ExitStack()
        try:
            opened = open_source(source_of(path_or_bytes), hint, self._resources)
            self._buffer = np.empty((block_frames, opened.info.channels), dtype=np.float32)
        except BaseException:
            self._resources.close()
            raise
        assert opened.decoder is not None  # started: open_source(start=True)
        self.info, self._decoder, self._header = opened.info, opened.decoder, opened.header
        self.frames = 0  # frames decoded so far
        self.overs = 0  # samples decoded above full scale (|x| > 1.0), all channels
        self.peak = 0.0  # largest magnitude decoded (linear, 1.0 = full scale)
        self.notes: tuple[str, ...] = ()
        self.ended = False

    def __iter__(self) -> BlockStream:
        return self

    def __next__(self) -> np.ndarray:
        block = self.next_interleaved()
        if block is None:
            raise StopIteration
        return block.T.copy()  # its own memory: the decode buffer is reused

    def __enter__(self) -> BlockStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def peak_dbfs(self) -> float | None:
        """The decoded peak in dBFS (above 0 for overs), None for silence."""
        return 20.0 * float(np.log10(self.peak)) if self.peak > 0 else None

    def next_interleaved(self) -> np.ndarray | None:
        """The next block as (frames, channels), a view valid until the next call; None
        at the end of the stream (after its end checks)."""
        if self.ended:
            return None
        try:
            count = self._decoder.read_into(self._buffer)
            if count == 0:
                self._end()
                return None
            block = self._buffer[:count]
            self._account(block)
            return block
        except AudioDecodeError:
            self.close()
            raise
        except _DECODER_ERRORS:
            self.close()
            rate = self.info.sample_rate_hz
            done = self.frames + self._decoder.partial
            raise decoder_failed(done / rate, self.info.duration_s) from None

    def _account(self, block: np.ndarray) -> None:
        high, low = float(block.max()), float(block.min())
        check_samples(high, low)
        if high > 1.0 or low < -1.0:
            self.overs += int(np.count_nonzero(block > 1.0)) + int(np.count_nonzero(block < -1.0))
        self.peak = max(self.peak, high, -low)
        self.frames += len(block)
        if self.frames > MAX_DURATION_S * self.info.sample_rate_hz:
            raise too_long()

    def _end(self) -> None:
        self._decoder.finish()
        rate, announced = self.info.sample_rate_hz, self.info.frames
        if self.info.length_exact and announced is not None and (
                announced - self.frames > SHORT_READ_TOLERANCE_S * rate):
            raise truncated(announced / rate, self.frames / rate)
        check_decoded_duration(self.frames / rate)
        self.notes = self._notes()
        self.close()
        self.ended = True

    def _notes(self) -> tuple[str, ...]:
        notes: list[str] = []
        rate, announced = self.info.sample_rate_hz, self.info.frames
        if not self.info.length_exact and announced is not None:
            gap_s, decoded_s = abs(announced - self.frames) / rate, self.frames / rate
            if gap_s > ESTIMATE_NOTE_S and gap_s > ESTIMATE_NOTE_FRACTION * decoded_s:
                notes.append(f"The header estimates the length at {fmt.duration(announced / rate)}"
                             f" but {fmt.duration(decoded_s)} of audio decoded; the decoded "
                             "audio was analysed.")
        if not self._header.ogg_ended:
            notes.append("The Ogg stream has no end marker, so the file may have been cut "
                         "short; the audio that decodes was analysed.")
        return tuple(notes)

    def close(self) -> None:
        """Release the decoder (stopping ffmpeg if it still runs); safe to call twice.
        A closed stream yields nothing more."""
        self.ended = True
        self._resources.close()


def iter_blocks(path_or_bytes: str | os.PathLike[str] | bytes,
                block_frames: int = BLOCK_FRAMES, hint: str = "") -> BlockStream:
    """Decode ``path_or_bytes`` as float32 (channels, frames) blocks of at most
    ``block_frames`` frames, with the same rules and refusals as ``load_audio``
    (which is built on it). ``hint`` is a file name for bytes (it only guides ffmpeg)."""
    return BlockStream(path_or_bytes, hint, block_frames)
