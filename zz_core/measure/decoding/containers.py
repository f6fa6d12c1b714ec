"""Recognising a container and reading what its header says about the length.

Only headers and page/chunk boundaries are read here, never the audio itself, so this is
cheap even for a 3 h file: WAV/RF64 and AIFF chunk walks, the FLAC STREAMINFO block, the
MP3 Xing/Info/VBRI header, and a walk over the Ogg page headers (to find chained streams,
a last page cut short and the last granule position).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

HEAD_BYTES = 4096
_FLAC_TOTAL_BITS = 36
_SF_COUNT_MAX = 2**63 - 1


@dataclass(frozen=True)
class Container:
    """A container recognised by its magic bytes (or, failing that, the file extension)."""

    name: str  # short name used in ``source_format``, e.g. "M4A"
    needs: str  # name used when ffmpeg is missing, e.g. "M4A/AAC"
    native: bool  # libsndfile reads it itself
    from_magic: bool = True


WAV = Container("WAV", "WAV", native=True)
AIFF = Container("AIFF", "AIFF", native=True)
FLAC = Container("FLAC", "FLAC", native=True)
OGG = Container("OGG", "OGG", native=True)
OPUS = Container("Opus", "Opus", native=True)
MP3 = Container("MP3", "MP3", native=True)
M4A = Container("M4A", "M4A/AAC", native=False)
AAC = Container("AAC", "M4A/AAC", native=False)
MATROSKA = Container("WebM", "WebM/Matroska audio", native=False)
WMA = Container("WMA", "WMA", native=False)

_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_BY_EXTENSION = {
    ".m4a": M4A, ".mp4": M4A, ".m4b": M4A, ".aac": AAC, ".webm": MATROSKA,
    ".mka": MATROSKA, ".mkv": MATROSKA, ".wma": WMA,
}


@dataclass(frozen=True)
class Header:
    """What the container header says, before any decoding.

    ``exact``: the length is stated exactly (see ``AudioInfo``); ``frames`` is that length
    when this module could read it (else the decoder's count is used), ``present_frames``
    the frames whose bytes are really in the file (PCM WAV/AIFF only). ``open_length``:
    the header leaves the length open (a FLAC written as a stream), which libsndfile
    cannot read to the end. The ``ogg_*`` fields describe an Ogg file's pages.
    """

    container: Container | None
    exact: bool = True
    rate: int | None = None
    frames: int | None = None
    present_frames: int | None = None
    open_length: bool = False
    ogg_streams: int = 0  # beginning-of-stream pages: >1 means chained or multiplexed
    ogg_cut: bool = False  # the last page is incomplete: the file was cut off
    ogg_ended: bool = True  # the last page carries the end-of-stream flag


def inspect(fh: BinaryIO, hint: str) -> Header:
    """Recognise the container of the open file ``fh`` and read its length facts."""
    size = fh.seek(0, os.SEEK_END)
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    container, offset = _sniff(fh, head, hint)
    if container is WAV:
        return _wav_header(fh, size)
    if container is AIFF:
        return _aiff_header(fh, size)
    if container is FLAC:
        return _flac_header(fh, offset)
    if container is MP3:
        return Header(MP3, exact=_mp3_has_length_tag(fh, offset))
    if container in (OGG, OPUS):
        return _ogg_header(fh, size, container)
    return Header(container, exact=container is None)


# --- sniffing ----------------------------------------------------------------------------


def _sniff(fh: BinaryIO, head: bytes, hint: str) -> tuple[Container | None, int]:
    """The container from the first bytes (past an ID3v2 tag), else from the hint's
    extension; and the offset where it starts."""
    offset = _id3_size(head)
    if offset:
        fh.seek(offset)
        after = fh.read(16)
        if after[:4] == b"fLaC":
            return FLAC, offset
        if _is_adts(after):
            return AAC, offset
        return MP3, offset
    magic = head[:4]
    if head[4:8] == b"ftyp":
        return M4A, 0
    if magic == b"OggS":
        return (OPUS if b"OpusHead" in head[:80] else OGG), 0
    if magic == b"\x1aE\xdf\xa3":
        return MATROSKA, 0
    if head[:16] == _ASF_GUID:
        return WMA, 0
    if magic in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return WAV, 0
    if magic == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return AIFF, 0
    if magic == b"fLaC":
        return FLAC, 0
    if _is_adts(head):
        return AAC, 0
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return MP3, 0
    guess = _BY_EXTENSION.get(os.path.splitext(hint)[1].lower())
    return (None, 0) if guess is None else (
        Container(guess.name, guess.needs, native=False, from_magic=False), 0)


def _is_adts(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


def _id3_size(head: bytes) -> int:
    """Bytes taken by an ID3v2 tag at the start (0 when there is none)."""
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)


# --- exact-length containers --------------------------------------------------------------

_PCM_WAVE_TAGS = {1, 3, 6, 7}  # PCM, IEEE float, A-law, mu-law: fixed bytes per frame


def _wav_header(fh: BinaryIO, size: int) -> Header:
    """Walk the RIFF/RF64 chunks (bext, iXML, LIST, ... are skipped) to ``fmt `` and ``data``.

    The data chunk's size (from ``ds64`` in RF64, where the 32-bit field reads 0xFFFFFFFF)
    states the length exactly for PCM and float; a size left open (0xFFFFFFFF without
    ``ds64``, or 0 with audio after it, as streaming writers leave it) does not.
    """
    block_align = rate = 0
    ds64_size: int | None = None
    pos = 12
    while pos + 8 <= size:
        fh.seek(pos)
        chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
        if chunk_id == b"ds64":
            body = fh.read(16)
            if len(body) == 16:
                ds64_size = struct.unpack("<8xQ", body)[0]  # after the RIFF size: data size
        elif chunk_id == b"fmt ":
            rate, block_align = _wav_format(fh.read(min(chunk_size, 40)))
        elif chunk_id == b"data":
            if chunk_size == 0xFFFFFFFF and ds64_size is not None:
                chunk_size = ds64_size
            elif chunk_size == 0xFFFFFFFF or (chunk_size == 0 and size > pos + 8):
                return Header(WAV, exact=False)
            if not block_align:
                return Header(WAV)  # compressed or unreadable fmt: trust the decoder's count
            present = max(0, min(chunk_size, size - pos - 8))
            return Header(WAV, rate=rate, frames=chunk_size // block_align,
                          present_frames=present // block_align)
        pos += 8 + chunk_size + (chunk_size & 1)
    return Header(WAV)


def _wav_format(body: bytes) -> tuple[int, int]:
    """(sample rate, block align) of a PCM/float ``fmt `` chunk; (0, 0) for other codecs."""
    if len(body) < 16:
        return 0, 0
    tag, _, rate, _, block_align = struct.unpack("<HHIIH", body[:14])
    if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the sub-format decides
        tag = struct.unpack("<H", body[24:26])[0]
    return (rate, block_align) if tag in _PCM_WAVE_TAGS else (0, 0)


_AIFF_BYTES = {b"NONE": 0, b"sowt": 0, b"twos": 0, b"raw ": 0, b"in24": 3, b"in32": 4,
               b"fl32": 4, b"FL32": 4, b"fl64": 8, b"FL64": 8, b"alaw": 1, b"ulaw": 1}


def _aiff_header(fh: BinaryIO, size: int) -> Header:
    """The COMM chunk states the frame count exactly; SSND holds the audio (AIFF and
    AIFF-C, including little-endian ``sowt``)."""
    rate = frames = frame_bytes = 0
    pos = 12
    while pos + 8 <= size:
        fh.seek(pos)
        chunk_id, chunk_size = struct.unpack(">4sI", fh.read(8))
        if chunk_id == b"COMM":
            rate, frames, frame_bytes = _aiff_common(fh.read(min(chunk_size, 22)))
        elif chunk_id == b"SSND":
            if not frame_bytes:
                return Header(AIFF)
            offset = struct.unpack(">I", fh.read(4))[0] if pos + 12 <= size else 0
            present = max(0, min(chunk_size, size - pos - 8) - 8 - offset)
            return Header(AIFF, rate=rate, frames=frames,
                          present_frames=present // frame_bytes)
        pos += 8 + chunk_size + (chunk_size & 1)
    return Header(AIFF)


def _aiff_common(body: bytes) -> tuple[int, int, int]:
    """(rate, frames, bytes per frame) from COMM; bytes 0 for compressed AIFF-C."""
    if len(body) < 18:
        return 0, 0, 0
    channels, frames, bits = struct.unpack(">hIh", body[:8])
    exponent = ((body[8] << 8) | body[9]) & 0x7FFF
    mantissa = int.from_bytes(body[10:18], "big")
    rate = round(mantissa * 2.0 ** (exponent - 16383 - 63)) if mantissa else 0
    compression = body[18:22] if len(body) >= 22 else b"NONE"
    sample_bytes = _AIFF_BYTES.get(compression)
    if sample_bytes is None or channels <= 0:
        return rate, frames, 0
    return rate, frames, channels * (sample_bytes or (bits + 7) // 8)


def _flac_header(fh: BinaryIO, offset: int) -> Header:
    """STREAMINFO's 36-bit total sample count is exact; 0 means the length was left open."""
    fh.seek(offset + 8)
    body = fh.read(18)
    if len(body) < 18:
        return Header(FLAC)
    (packed,) = struct.unpack(">Q", body[10:18])  # rate 20, channels 3, bits 5, total 36
    total = packed & (2**_FLAC_TOTAL_BITS - 1)
    rate = packed >> 44
    if total == 0:
        return Header(FLAC, exact=False, rate=rate, open_length=True)
    return Header(FLAC, rate=rate, frames=total)


def _mp3_has_length_tag(fh: BinaryIO, start: int) -> bool:
    """True when the first MP3 frame carries a Xing/Info/VBRI header (exact frame count).

    Without one the length is estimated from the first frame's bitrate, and libsndfile
    stops reading there, which silently cuts VBR files short.
    """
    fh.seek(start)
    window = fh.read(HEAD_BYTES)
    sync = next((i for i in range(len(window) - 1)
                 if window[i] == 0xFF and window[i + 1] & 0xE0 == 0xE0), None)
    if sync is None:
        return True
    frame = window[sync:sync + 200]
    return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))


# --- Ogg -----------------------------------------------------------------------------------


def _ogg_header(fh: BinaryIO, size: int, container: Container) -> Header:
    """Walk the page headers (skipping their bodies): count the logical streams, see
    whether the last page is whole and ends the stream.

    The last granule position gives the length, but only as an estimate: encoders and
    editors write it, and decoders play what the packets hold (chained streams restart it).
    Bytes after the last page that are not a page (a tag appended by an editor) are ignored.
    """
    pos = streams = 0
    flags = 0x04
    cut = False
    while pos < size:
        fh.seek(pos)
        page = fh.read(27)
        if len(page) < 27 or page[:4] != b"OggS":
            cut = b"OggS".startswith(page[:4]) and len(page) < 27
            break
        table = fh.read(page[26])
        end = pos + 27 + len(table) + sum(table)
        if len(table) < page[26] or end > size:
            cut = True
            break
        flags = page[5]
        streams += bool(flags & 0x02)
        pos = end
    return Header(container, exact=False, ogg_streams=streams, ogg_cut=cut,
                  ogg_ended=bool(flags & 0x04))


def sf_length_open(frames: int) -> bool:
    """libsndfile's frame count when the header leaves the length open."""
    return frames == _SF_COUNT_MAX
