"""Decoding audio files into float32 sample arrays.

WAV, AIFF, FLAC, OGG and MP3 are read with libsndfile (through soundfile); M4A/AAC,
Opus, WebM/Matroska and WMA go through ffmpeg when it is installed. Every failure
raises ``AudioDecodeError`` carrying one plain sentence without the file name.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from zz_core.errors import AudioDecodeError

MIN_DURATION_S: float = 1.0
MIN_SAMPLE_RATE_HZ = 8000
MAX_SAMPLE_RATE_HZ = 192000
MAX_CHANNELS = 8
MAX_DURATION_S = 3 * 3600

BLOCK_FRAMES = 2**18
FFMPEG_TIMEOUT_S = 600.0
# Lossy decoders may legitimately end a few codec frames away from the announced length.
_SHORT_READ_TOLERANCE_S = 0.05
_HEAD_BYTES = 4096
_OGG_MAX_PAGE_BYTES = 65307
_SF_COUNT_MAX = 2**63 - 1  # libsndfile's frame count when the header leaves the length open

_DECODER_ERRORS = (
    sf.LibsndfileError, RuntimeError, ValueError, TypeError, OSError, EOFError, struct.error
)
_NOT_AUDIO = "this is not an audio file (or not a format we can read)"


@dataclass(frozen=True, eq=False)
class Audio:
    """Decoded audio: ``samples`` is float32, shape (channels, frames), full scale ±1.0."""

    samples: np.ndarray
    sample_rate_hz: int
    source_format: str

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        """Number of sample frames per channel."""
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate_hz


@dataclass(frozen=True)
class _Container:
    """A container recognised by its magic bytes (or, failing that, the file extension)."""

    name: str  # short name used in ``source_format``, e.g. "M4A"
    needs: str  # name used when ffmpeg is missing, e.g. "M4A/AAC"
    native: bool  # libsndfile reads it itself
    from_magic: bool = True


_Source = Path | bytes


def ffmpeg_available() -> bool:
    """True when an ``ffmpeg`` executable is on PATH."""
    return shutil.which("ffmpeg") is not None


def load_audio(path: str | os.PathLike[str]) -> Audio:
    """Decode the audio file at ``path`` (any supported format) into float32 samples."""
    source = Path(path)
    if not source.exists():
        raise AudioDecodeError("file not found")
    if not source.is_file():
        raise AudioDecodeError("this is a folder or device, not a file")
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise AudioDecodeError(f"the file cannot be read ({exc.strerror})") from None
    if size == 0:
        raise AudioDecodeError("the file is empty")
    return _decode(source, source.name)


def decode_bytes(data: bytes, filename_hint: str = "") -> Audio:
    """Decode an in-memory file (e.g. a web upload); ``filename_hint`` only guides ffmpeg use."""
    if not data:
        raise AudioDecodeError("the file is empty")
    return _decode(bytes(data), filename_hint)


def _decode(source: _Source, hint: str) -> Audio:
    with _open_binary(source) as fh:
        head = fh.read(_HEAD_BYTES)
        container = _sniff(head, hint)
        exact_length = container is not _MP3 or _mp3_has_length_tag(fh, head)
        if container in (_OGG, _OPUS) and _ogg_is_cut(fh):
            raise AudioDecodeError(
                "the file is truncated: the Ogg stream stops before its end marker")
        if (container is not None and _prefers_ffmpeg(container, exact_length)
                and ffmpeg_available()):
            return _decode_with_ffmpeg(source, container, hint)
        declared = _declared_data_bytes(fh)
    return _decode_with_soundfile(source, container, hint, declared, exact_length)


def _prefers_ffmpeg(container: _Container, exact_length: bool) -> bool:
    """ffmpeg reads these better than libsndfile (or libsndfile cannot read them at all)."""
    return not container.native or container is _OPUS or not exact_length


def _decode_with_soundfile(
    source: _Source,
    container: _Container | None,
    hint: str,
    declared_bytes: tuple[int, int] | None,
    exact_length: bool,
) -> Audio:
    try:
        sound = _open_soundfile(source)
    except _DECODER_ERRORS:
        return _fallback(source, container, hint)
    with sound:
        if sound.frames != _SF_COUNT_MAX:
            return _read(sound, _describe(sound), declared_bytes, exact_length)
        container = container or _Container(sound.format, sound.format, native=True)
    return _decode_open_length(source, container, hint)


def _decode_open_length(source: _Source, container: _Container, hint: str) -> Audio:
    """The header leaves the length open (a streamed FLAC, say): libsndfile cannot read it
    to the end, ffmpeg can."""
    if ffmpeg_available():
        return _decode_with_ffmpeg(source, container, hint)
    raise AudioDecodeError(
        "the file does not state its length (it was written as a stream) and reading it needs "
        "ffmpeg, which is not installed (apt-get install ffmpeg)")


def _open_binary(source: _Source) -> BinaryIO:
    try:
        return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    except OSError as exc:
        raise AudioDecodeError(f"the file cannot be read ({exc.strerror})") from None


def _open_soundfile(source: _Source) -> sf.SoundFile:
    if isinstance(source, bytes):
        return sf.SoundFile(io.BytesIO(source))
    return sf.SoundFile(str(source))


def _fallback(source: _Source, container: _Container | None, hint: str) -> Audio:
    """libsndfile refused the file: try ffmpeg if the bytes look like audio."""
    if container is None:
        raise AudioDecodeError(_NOT_AUDIO)
    if ffmpeg_available():
        return _decode_with_ffmpeg(source, container, hint)
    if container.native:
        raise AudioDecodeError(
            f"the {container.name} file is damaged or uses an encoding we cannot read "
            "without ffmpeg (apt-get install ffmpeg)")
    raise AudioDecodeError(
        f"{container.needs} needs ffmpeg, which is not installed (apt-get install ffmpeg)")


def _describe(sound: sf.SoundFile) -> str:
    if sound.format == "MP3":
        return {"MPEG_LAYER_I": "MP1", "MPEG_LAYER_II": "MP2"}.get(sound.subtype, "MP3")
    if sound.format == "OGG":
        return f"OGG {sound.subtype.title()}"
    return f"{sound.format} {sound.subtype}"


# --- reading ---------------------------------------------------------------------------


def _read(
    sound: sf.SoundFile,
    source_format: str,
    declared_bytes: tuple[int, int] | None,
    exact_length: bool,
) -> Audio:
    """Read every frame into one preallocated (channels, frames) array, block by block."""
    rate, channels, announced = int(sound.samplerate), int(sound.channels), int(sound.frames)
    _check_layout(rate, channels)
    if declared_bytes is not None:
        _check_declared_length(declared_bytes, announced / rate)
    if announced <= 0:
        raise AudioDecodeError("the file holds no audio")
    if announced / rate > MAX_DURATION_S:
        raise _too_long()
    try:
        block = np.empty((min(BLOCK_FRAMES, announced), channels), dtype=np.float32)
        samples = np.empty((channels, announced), dtype=np.float32)
    except MemoryError:
        raise AudioDecodeError("there is not enough memory to load this audio") from None
    got = _fill(sound, samples, block)
    if got < announced:
        if exact_length and (announced - got) / rate > _SHORT_READ_TOLERANCE_S:
            raise _truncated(announced / rate, got / rate)
        samples = np.ascontiguousarray(samples[:, :got])
    _check_duration(got / rate)
    return Audio(samples=samples, sample_rate_hz=rate, source_format=source_format)


def _fill(sound: sf.SoundFile, samples: np.ndarray, block: np.ndarray) -> int:
    """Decode into ``samples`` until it is full or the stream ends; return frames read."""
    total = samples.shape[1]
    pos = 0
    while pos < total:
        chunk = _read_block(sound, block[:total - pos], pos, total)
        if len(chunk) == 0:
            break
        if not np.isfinite(chunk).all():
            raise AudioDecodeError("the audio contains NaN or infinite samples")
        samples[:, pos:pos + len(chunk)] = chunk.T
        pos += len(chunk)
    return pos


def _read_block(
    sound: sf.SoundFile, out: np.ndarray, done_frames: int, announced_frames: int
) -> np.ndarray:
    """Decode up to ``len(out)`` frames into ``out``; a decoder failure means a damaged file."""
    try:
        return sound.read(frames=len(out), dtype="float32", always_2d=True, out=out)
    except _DECODER_ERRORS:
        rate = sound.samplerate
        raise AudioDecodeError(
            f"the file is truncated or corrupt: decoding failed after {done_frames / rate:.1f} s "
            f"of the {announced_frames / rate:.1f} s announced") from None


def _check_layout(rate: int, channels: int) -> None:
    if not MIN_SAMPLE_RATE_HZ <= rate <= MAX_SAMPLE_RATE_HZ:
        raise AudioDecodeError(
            f"sample rate {rate} Hz is outside {MIN_SAMPLE_RATE_HZ}-{MAX_SAMPLE_RATE_HZ} Hz")
    if channels < 1:
        raise AudioDecodeError("the file holds no audio channels")
    if channels > MAX_CHANNELS:
        raise AudioDecodeError(
            f"the audio has {channels} channels; at most {MAX_CHANNELS} are supported")


def _check_duration(duration_s: float) -> None:
    if duration_s <= 0:
        raise AudioDecodeError("the file holds no audio")
    if duration_s < MIN_DURATION_S:
        raise AudioDecodeError(
            f"the audio is {duration_s:.1f} s long; at least {MIN_DURATION_S:.1f} s is needed")
    if duration_s > MAX_DURATION_S:
        raise _too_long()


def _too_long() -> AudioDecodeError:
    return AudioDecodeError(
        f"the audio is longer than {MAX_DURATION_S / 3600:g} h, the most we can analyse")


def _truncated(announced_s: float, present_s: float) -> AudioDecodeError:
    return AudioDecodeError(
        f"the file is truncated: its header announces {announced_s:.1f} s but only "
        f"{present_s:.1f} s of audio are there")


# --- container inspection --------------------------------------------------------------

_WAV = _Container("WAV", "WAV", native=True)
_AIFF = _Container("AIFF", "AIFF", native=True)
_FLAC = _Container("FLAC", "FLAC", native=True)
_OGG = _Container("OGG", "OGG", native=True)
_OPUS = _Container("Opus", "Opus", native=True)
_MP3 = _Container("MP3", "MP3", native=True)
_M4A = _Container("M4A", "M4A/AAC", native=False)
_AAC = _Container("AAC", "M4A/AAC", native=False)
_MATROSKA = _Container("WebM", "WebM/Matroska audio", native=False)
_WMA = _Container("WMA", "WMA", native=False)

_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_BY_EXTENSION = {
    ".m4a": _M4A, ".mp4": _M4A, ".m4b": _M4A, ".aac": _AAC, ".webm": _MATROSKA,
    ".mka": _MATROSKA, ".mkv": _MATROSKA, ".wma": _WMA,
}


def _sniff(head: bytes, hint: str) -> _Container | None:
    """Recognise the container from its first bytes, else from the hint's extension."""
    magic = head[:4]
    if head[4:8] == b"ftyp":
        return _M4A
    if magic == b"OggS":
        return _OPUS if b"OpusHead" in head[:80] else _OGG
    if magic == b"\x1aE\xdf\xa3":
        return _MATROSKA
    if head[:16] == _ASF_GUID:
        return _WMA
    if magic in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return _WAV
    if magic == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return _AIFF
    if magic == b"fLaC":
        return _FLAC
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return _AAC
    if magic[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return _MP3
    guess = _BY_EXTENSION.get(os.path.splitext(hint)[1].lower())
    return None if guess is None else _Container(
        guess.name, guess.needs, native=False, from_magic=False)


def _mp3_has_length_tag(fh: BinaryIO, head: bytes) -> bool:
    """True when the first MP3 frame carries a Xing/Info/VBRI header (exact frame count).

    Without one, libsndfile estimates the length from the first frame's bitrate and stops
    reading there, which silently cuts VBR files short.
    """
    start = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        start = 10 + size + (10 if head[5] & 0x10 else 0)
    fh.seek(start)
    window = fh.read(_HEAD_BYTES)
    sync = next((i for i in range(len(window) - 1)
                 if window[i] == 0xFF and window[i + 1] & 0xE0 == 0xE0), None)
    if sync is None:
        return True
    frame = window[sync:sync + 200]
    return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))


def _ogg_is_cut(fh: BinaryIO) -> bool:
    """True when the last Ogg page lacks the end-of-stream flag (the download stopped)."""
    size = fh.seek(0, os.SEEK_END)
    fh.seek(max(0, size - _OGG_MAX_PAGE_BYTES - 27))
    tail = fh.read()
    last = tail.rfind(b"OggS")
    return last < 0 or len(tail) < last + 6 or not tail[last + 5] & 0x04


def _declared_data_bytes(fh: BinaryIO) -> tuple[int, int] | None:
    """(declared, present) sizes in bytes of the audio chunk of a WAV or AIFF file, if any."""
    size = fh.seek(0, os.SEEK_END)
    fh.seek(0)
    head = fh.read(12)
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        endian, target = "<", b"data"
    elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        endian, target = ">", b"SSND"
    else:
        return None
    ds64_size: int | None = None
    pos = 12
    while pos + 8 <= size:
        fh.seek(pos)
        chunk_id, chunk_size = struct.unpack(endian + "4sI", fh.read(8))
        body = fh.read(16) if chunk_id == b"ds64" else b""
        if len(body) == 16:
            ds64_size = struct.unpack("<8xQ", body)[0]  # after the RIFF size: the data size
        if chunk_id == target:
            if chunk_size == 0xFFFFFFFF:
                if ds64_size is None:
                    return None  # streamed WAV: size left open, libsndfile uses the file size
                chunk_size = ds64_size
            return chunk_size, min(chunk_size, size - pos - 8)
        pos += 8 + chunk_size + (chunk_size & 1)
    return None


def _check_declared_length(sizes: tuple[int, int], present_s: float) -> None:
    declared, present = sizes
    if present >= declared:
        return
    if present <= 0 or present_s <= 0:
        raise AudioDecodeError(
            "the file is truncated: its header announces audio but none of it is there")
    raise _truncated(present_s * declared / present, present_s)


# --- ffmpeg ----------------------------------------------------------------------------


def _decode_with_ffmpeg(source: _Source, container: _Container, hint: str) -> Audio:
    """Convert to a temporary 32-bit float WAV with ffmpeg, then read it like any WAV."""
    try:
        with tempfile.TemporaryDirectory(prefix="zz-decode-") as tmp:
            return _run_ffmpeg(source, container, hint, Path(tmp))
    except OSError as exc:
        raise AudioDecodeError(
            f"the temporary files ffmpeg needs cannot be written ({exc.strerror})") from None


def _run_ffmpeg(source: _Source, container: _Container, hint: str, tmp: Path) -> Audio:
    if isinstance(source, bytes):
        input_path = tmp / ("input" + _safe_suffix(hint))
        input_path.write_bytes(source)
    else:
        input_path = source.resolve()
    output_path = tmp / "decoded.wav"
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    command = [
        ffmpeg, "-nostdin", "-v", "error", "-xerror", "-i", f"file:{input_path}",
        "-map", "0:a:0", "-t", str(MAX_DURATION_S + 1), "-c:a", "pcm_f32le",
        "-rf64", "auto", "-f", "wav", f"file:{output_path}",
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT_S,
                                check=False)
    except subprocess.TimeoutExpired:
        raise AudioDecodeError(
            f"ffmpeg took longer than {FFMPEG_TIMEOUT_S:.0f} s to decode the file") from None
    except OSError as exc:
        raise AudioDecodeError(f"ffmpeg could not be started ({exc.strerror})") from None
    if result.returncode != 0:
        raise _ffmpeg_failure(result.stderr.decode("utf-8", "replace"), container,
                              str(input_path))
    try:
        sound = sf.SoundFile(str(output_path))
    except _DECODER_ERRORS:
        raise AudioDecodeError("ffmpeg produced no readable audio from the file") from None
    with sound:
        return _read(sound, f"{container.name} via ffmpeg", None, exact_length=True)


def _safe_suffix(hint: str) -> str:
    suffix = os.path.splitext(hint)[1]
    return suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,5}", suffix) else ""


def _ffmpeg_failure(stderr: str, container: _Container, input_path: str) -> AudioDecodeError:
    if "matches no streams" in stderr:
        return AudioDecodeError("the file has no audio track")
    if not container.from_magic:
        return AudioDecodeError(_NOT_AUDIO)
    lines = [_clean_ffmpeg_line(line, input_path) for line in stderr.splitlines()]
    reason = next((line for line in lines if line), "unknown error")
    return AudioDecodeError(f"the file is truncated or corrupt (ffmpeg: {reason[:120]})")


def _clean_ffmpeg_line(line: str, input_path: str) -> str:
    """Drop ffmpeg's ``[demuxer @ 0x...]`` prefix and any mention of the input path."""
    line = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line.strip())
    for name in (f"file:{input_path}", input_path):
        line = line.replace(name + ": ", "").replace(name, "the file")
    return line.strip().rstrip(".")
