"""ffmpeg as a decoder: ``ffprobe`` for the header facts, and ``ffmpeg`` writing 32-bit
float WAV into a pipe that is read block by block (no temporary decoded file).

Used for what libsndfile cannot read (M4A/AAC/ALAC, Opus, WebM/Matroska, WMA, chained
Ogg, streamed FLAC, MP3 without an exact-length header, WAV holding AC-3 ...).
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from typing import IO

import numpy as np

from zz_core.errors import AudioDecodeError
from zz_core.measure.decoding.containers import Container
from zz_core.measure.decoding.limits import FFMPEG_TIMEOUT_S, MAX_DURATION_S, NOT_AUDIO

_FLOAT_TAG = 3
_EXTENSIBLE_TAG = 0xFFFE
_STDERR_BYTES = 8192


def ffmpeg_available() -> bool:
    """True when an ``ffmpeg`` executable is on PATH."""
    return shutil.which("ffmpeg") is not None


@dataclass(frozen=True)
class ProbedStream:
    """What ffprobe says of the first audio stream; ``duration_s`` is an estimate or None."""

    codec: str
    sample_rate_hz: int
    channels: int
    duration_s: float | None


def start_ffprobe(path: str) -> subprocess.Popen[bytes] | None:
    """Start ffprobe on the first audio stream of ``path`` (None when it is not installed),
    so that it can run while ffmpeg starts decoding; ``ffprobe_result`` collects it."""
    command = shutil.which("ffprobe")
    if command is None:
        return None
    try:
        return subprocess.Popen(
            [command, "-v", "error", "-select_streams", "a:0", "-show_entries",
             "stream=codec_name,sample_rate,channels,duration:format=duration",
             "-of", "json", f"file:{path}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise AudioDecodeError(f"ffprobe could not be started ({exc.strerror})") from None


def ffprobe_result(process: subprocess.Popen[bytes] | None, container: Container,
                   path: str) -> ProbedStream | None:
    """What ffprobe found, refusing with the same sentences as decoding: no audio track,
    not audio, damaged."""
    if process is None:
        return None
    try:
        stdout, stderr = process.communicate(timeout=FFMPEG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AudioDecodeError(
            f"ffprobe took longer than {FFMPEG_TIMEOUT_S:.0f} s to read the file") from None
    if process.returncode != 0:
        raise failure(stderr.decode("utf-8", "replace"), container, path)
    try:
        found = json.loads(stdout.decode("utf-8", "replace") or "{}")
        streams = found.get("streams") or []
        if not streams:
            raise AudioDecodeError(
                "the file has no audio track" if container.from_magic else NOT_AUDIO)
        stream = streams[0]
        duration = stream.get("duration") or (found.get("format") or {}).get("duration")
        return ProbedStream(codec=str(stream.get("codec_name", "")),
                            sample_rate_hz=int(stream.get("sample_rate") or 0),
                            channels=int(stream.get("channels") or 0),
                            duration_s=float(duration) if duration else None)
    except (ValueError, TypeError, AttributeError):
        raise AudioDecodeError("ffprobe gave an answer we cannot read about the file") from None


class FfmpegDecoder:
    """A running ``ffmpeg`` decoding the first audio stream of ``path`` to float32.

    ``sample_rate_hz`` and ``channels`` come from the WAV header ffmpeg writes first;
    ``read_into`` then fills (frames, channels) blocks. ``finish`` (at the end of the
    stream) raises what ffmpeg reported if it stopped on an error (``-xerror``: a decoder
    error is a damaged file, not something to decode around).
    """

    partial = 0  # errors surface in ``finish``, never part-way through a block

    def __init__(self, path: str, container: Container) -> None:
        self._path, self._container = path, container
        ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
        command = [
            ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-xerror", "-i", f"file:{path}",
            "-map", "0:a:0", "-t", str(MAX_DURATION_S + 1), "-map_metadata", "-1",
            # time stamps from the sample count: a chained Ogg restarts its own, which
            # -xerror would otherwise take for an error
            "-af", "asetpts=N/SR/TB", "-c:a", "pcm_f32le", "-f", "wav", "pipe:1",
        ]
        # lives as long as the decoder (closed in ``close``): ffmpeg writes into it
        self._stderr: IO[bytes] = tempfile.TemporaryFile(prefix="zz-ffmpeg-")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=self._stderr,
                                             bufsize=0)
        except OSError as exc:
            self._stderr.close()
            raise AudioDecodeError(f"ffmpeg could not be started ({exc.strerror})") from None
        self._fd = self._process.stdout.fileno() if self._process.stdout else -1
        try:
            self.sample_rate_hz, self.channels = self._read_header()
        except BaseException:
            self.close()
            raise

    def _read_header(self) -> tuple[int, int]:
        """Walk ffmpeg's WAV header (RIFF, fmt, LIST ...) up to the data chunk."""
        if self._read_bytes(12)[8:12] != b"WAVE":
            raise self._failed_or("ffmpeg produced no readable audio from the file")
        fmt = b""
        while True:
            chunk = self._read_bytes(8)
            if len(chunk) < 8:
                raise self._failed_or("ffmpeg produced no readable audio from the file")
            chunk_id, size = struct.unpack("<4sI", chunk)
            if chunk_id == b"data":
                break
            body = self._read_bytes(size + (size & 1))
            if chunk_id == b"fmt ":
                fmt = body
        if len(fmt) < 16:
            raise AudioDecodeError("ffmpeg produced no readable audio from the file")
        tag, channels, rate = struct.unpack("<HHI", fmt[:8])
        bits = struct.unpack("<H", fmt[14:16])[0]
        if tag == _EXTENSIBLE_TAG and len(fmt) >= 26:
            tag = struct.unpack("<H", fmt[24:26])[0]
        if tag != _FLOAT_TAG or bits != 32:
            raise AudioDecodeError("ffmpeg produced audio in a form we cannot read")
        return rate, channels

    def _read_bytes(self, count: int) -> bytes:
        out = bytearray(count)
        got = self._fill(memoryview(out))
        return bytes(out[:got])

    def _fill(self, view: memoryview) -> int:
        """Read from the pipe until ``view`` is full or ffmpeg closes it; bytes read."""
        got = 0
        while got < len(view):
            if os.name == "posix":
                ready, _, _ = select.select([self._fd], [], [], FFMPEG_TIMEOUT_S)
                if not ready:
                    raise AudioDecodeError(f"ffmpeg produced nothing for "
                                           f"{FFMPEG_TIMEOUT_S:.0f} s while decoding the file")
            count = os.readv(self._fd, [view[got:]])
            if count == 0:
                break
            got += count
        return got

    def read_into(self, out: np.ndarray) -> int:
        """Decode into ``out`` (float32, (frames, channels), C order); frames decoded,
        fewer than asked only at the end of the stream."""
        got = self._fill(out.data.cast("B"))
        return got // (4 * self.channels)

    def finish(self) -> None:
        """At the end of the stream: raise if ffmpeg stopped on an error."""
        try:
            code = self._process.wait(timeout=FFMPEG_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise AudioDecodeError(f"ffmpeg took longer than {FFMPEG_TIMEOUT_S:.0f} s to "
                                   "finish decoding the file") from None
        if code != 0:
            raise failure(self._stderr_text(), self._container, self._path)

    def _failed_or(self, message: str) -> AudioDecodeError:
        """ffmpeg's own error if it failed before writing audio, else ``message``."""
        try:
            code = self._process.wait(timeout=FFMPEG_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return AudioDecodeError(message)
        if code != 0:
            return failure(self._stderr_text(), self._container, self._path)
        return AudioDecodeError(message)

    def _stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read(_STDERR_BYTES).decode("utf-8", "replace")

    def close(self) -> None:
        """Stop ffmpeg (if it still runs) and release the pipe."""
        if self._process.poll() is None:
            self._process.kill()
        if self._process.stdout:
            self._process.stdout.close()
        self._process.wait()
        self._stderr.close()


def failure(stderr: str, container: Container, input_path: str) -> AudioDecodeError:
    """The sentence for an ffmpeg/ffprobe failure, without the file's path."""
    if "matches no streams" in stderr:
        return AudioDecodeError("the file has no audio track")
    if not container.from_magic:
        return AudioDecodeError(NOT_AUDIO)
    lines = [_clean_line(line, input_path) for line in stderr.splitlines()]
    reason = next((line for line in lines if line), "unknown error")
    return AudioDecodeError(f"the file is truncated or corrupt (ffmpeg: {reason[:120]})")


def _clean_line(line: str, input_path: str) -> str:
    """Drop ffmpeg's ``[demuxer @ 0x...]`` prefix and any mention of the input path."""
    line = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line.strip())
    for name in (f"file:{input_path}", input_path):
        line = line.replace(name + ": ", "").replace(name, "the file")
    return line.strip().rstrip(".")
