"""A real-world container set, written by the tests with ffmpeg, soundfile and raw bytes.

Nothing is downloaded: every file is made from synthesized pink noise. ``build`` writes the
whole set into a folder (ffmpeg encodes run in parallel) and returns one ``Variant`` per
file saying what decoding it must give: the audio analysed (with the decoder, whether the
header length is exact, the length, and for lossless files the exact samples), or the
refusal sentence. Byte-level helpers build what the tools do not write on demand: BWF
chunks (bext, iXML, LIST), RF64 headers claiming more than 4 GB, an Ogg stream whose
last granule position is off, or whose end marker is missing.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

from tests.signals import pink_noise

SECONDS = 3.0
Decoder = Literal["libsndfile", "ffmpeg"]


@dataclass(frozen=True)
class Variant:
    """One file of the set and what decoding it must give.

    ``refusal`` (a regex) is set for files that must be refused; otherwise the file must be
    analysed with ``decoder`` and ``length_exact`` as probed, ``seconds`` of audio (within
    ``seconds_tolerance``) and, for lossless files, ``samples`` within ``lsb``.
    """

    name: str
    path: Path
    rate: int = 0
    channels: int = 0
    decoder: Decoder = "libsndfile"
    length_exact: bool = True
    seconds: float = SECONDS
    seconds_tolerance: float = 0.0
    samples: np.ndarray | None = field(default=None, repr=False)
    lsb: float = 0.0
    refusal: str = ""

    @property
    def refused(self) -> bool:
        return bool(self.refusal)


def programme(rate: int, channels: int, seed: int = 0, seconds: float = SECONDS) -> np.ndarray:
    """Correlated pink noise at -18 dBFS RMS, shape (channels, frames): peaks near -5 dBFS."""
    return pink_noise(seconds, rate=rate, channels=channels, seed=seed, rms_dbfs=-18.0,
                      correlation=0.5)


def quantised(samples: np.ndarray, bits: int) -> np.ndarray:
    """``samples`` rounded to signed ``bits``-bit integers (as a PCM file holds them)."""
    scale = 2.0 ** (bits - 1)
    return (np.clip(np.round(samples * scale), -scale, scale - 1) / scale).astype(np.float32)


# --- raw bytes -----------------------------------------------------------------------------


def chunk(chunk_id: bytes, body: bytes, endian: str = "<") -> bytes:
    """A RIFF (or, big-endian, IFF) chunk with its pad byte."""
    return struct.pack(endian + "4sI", chunk_id, len(body)) + body + b"\0" * (len(body) & 1)


def pcm24(samples: np.ndarray) -> bytes:
    """(channels, frames) audio as interleaved 24-bit little-endian PCM."""
    ints = np.round(samples.T * 2**23).astype("<i4").clip(-(2**23), 2**23 - 1)
    return np.ascontiguousarray(ints).view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def bwf_wav(samples: np.ndarray, rate: int) -> bytes:
    """A 24-bit Broadcast WAV as field recorders and DAWs write it: JUNK for alignment, a
    bext chunk with coding history, an odd-sized iXML chunk before the audio and a LIST
    INFO chunk after it."""
    channels = samples.shape[0]
    bext = (b"Final mix, bar 1-16".ljust(256, b"\0") + b"ZoundZcope tests".ljust(32, b"\0")
            + b"ZZ0001".ljust(32, b"\0") + b"2024-05-01" + b"12:00:00"
            + struct.pack("<QH", 48000 * 3600, 2) + bytes(64)
            + struct.pack("<5h", -1400, 600, -100, -1000, -1200) + bytes(180)
            + b"A=PCM,F=48000,W=24,M=stereo,T=ZZ\r\n")
    ixml = (b'<?xml version="1.0" encoding="UTF-8"?><BWFXML><IXML_VERSION>1.61'
            b"</IXML_VERSION><PROJECT>Night Drive</PROJECT><NOTE>take 3</NOTE></BWFXML>")
    ixml += b"" if len(ixml) % 2 else b" "  # odd length: the chunk needs its pad byte
    info = b"INFO" + chunk(b"INAM", b"Night Drive\0") + chunk(b"IART", b"ZZ Band\0")
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 3, channels * 3, 24)
    body = (b"WAVE" + chunk(b"JUNK", bytes(28)) + chunk(b"bext", bext) + chunk(b"fmt ", fmt)
            + chunk(b"iXML", ixml) + chunk(b"data", pcm24(samples))
            + chunk(b"LIST", info))
    return b"RIFF" + struct.pack("<I", len(body)) + body


def rf64_header(rate: int, channels: int, bits: int, data_bytes: int,
                float_samples: bool = False) -> bytes:
    """An RF64 header (ds64 chunk holding the 64-bit sizes) up to the data chunk's body."""
    block = channels * bits // 8
    ds64 = struct.pack("<QQQI", 4 + 8 + 28 + 8 + 16 + 8 + data_bytes, data_bytes,
                       data_bytes // block, 0)
    fmt = struct.pack("<HHIIHH", 3 if float_samples else 1, channels, rate, rate * block,
                      block, bits)
    return (b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + chunk(b"ds64", ds64)
            + chunk(b"fmt ", fmt) + b"data" + struct.pack("<I", 0xFFFFFFFF))


def write_rf64(path: Path, rate: int, channels: int, bits: int, data_bytes: int, *,
               sparse: bool, float_samples: bool = False) -> Path:
    """An RF64 file announcing ``data_bytes`` of audio: only its header (``sparse=False``)
    or a sparse file of the full size (zeros, taking no disk space)."""
    header = rf64_header(rate, channels, bits, data_bytes, float_samples)
    with path.open("wb") as fh:
        fh.write(header)
        if sparse:
            fh.truncate(len(header) + data_bytes)
    return path


def png(width: int, height: int, seed: int = 0) -> bytes:
    """An RGB PNG of noise (it does not compress: album art of a realistic size)."""
    rows = np.random.default_rng(seed).integers(0, 256, (height, width * 3), dtype=np.uint8)
    raw = b"".join(b"\0" + row.tobytes() for row in rows)

    def png_chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(raw, 1)) + png_chunk(b"IEND", b""))


# --- Ogg pages -----------------------------------------------------------------------------


def _ogg_crc_table() -> list[int]:
    table = []
    for i in range(256):
        value = i << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else value << 1
        table.append(value & 0xFFFFFFFF)
    return table


_OGG_CRC = _ogg_crc_table()


def ogg_crc(page: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04c11db7, not reflected)."""
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[((crc >> 24) & 0xFF) ^ byte]
    return crc


def ogg_pages(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of every page."""
    pages, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 4] == b"OggS"
        segments = data[pos + 27:pos + 27 + data[pos + 26]]
        length = 27 + len(segments) + sum(segments)
        pages.append((pos, length))
        pos += length
    return pages


def edit_last_ogg_page(path: Path, *, granule_delta: int = 0, end_flag: bool = True) -> int:
    """Move the last page's granule position by ``granule_delta`` samples and set or clear
    its end-of-stream flag, keeping the page checksum valid; returns the new granule."""
    data = bytearray(path.read_bytes())
    start, length = ogg_pages(bytes(data))[-1]
    granule = struct.unpack_from("<q", data, start + 6)[0] + granule_delta
    struct.pack_into("<q", data, start + 6, granule)
    data[start + 5] = (data[start + 5] | 0x04) if end_flag else (data[start + 5] & ~0x04)
    page = bytearray(data[start:start + length])
    page[22:26] = bytes(4)
    struct.pack_into("<I", data, start + 22, ogg_crc(bytes(page)))
    path.write_bytes(bytes(data))
    return granule


# --- the set -------------------------------------------------------------------------------


def _ffmpeg(source: Path, target: Path, args: list[str], inputs: list[Path] = ()) -> list[str]:
    extra = [part for item in inputs for part in ("-i", str(item))]
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", "1", "-i", str(source),
            *extra, *args, str(target)]


_LYRICS = ("Night drive, the city hums below; " * 900)[:30000]  # a long tag, ~30 kB
_ART = ["-map", "0:a", "-map", "1:v", "-c:v", "copy", "-disposition:v", "attached_pic",
        "-metadata:s:v", "comment=Cover (front)"]


class _Builder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.variants: dict[str, Variant] = {}
        self.jobs: list[list[str]] = []
        self.after: list[tuple[str, Path]] = []
        self.cover = folder / "cover.png"
        self.cover.write_bytes(png(300, 300))

    def add(self, variant: Variant) -> None:
        self.variants[variant.name] = variant

    def soundfile(self, name: str, ext: str, rate: int, channels: int, subtype: str,
                  fmt: str | None = None, bits: int = 0, scale: float = 1.0, **extra: object
                  ) -> None:
        source = programme(rate, channels, seed=len(self.variants)) * np.float32(scale)
        path = self.folder / f"{name}.{ext}"
        sf.write(path, source.T, rate, subtype=subtype, format=fmt)
        expected = quantised(source, bits) if bits else source
        self.add(Variant(name, path, rate, channels, samples=expected,
                         lsb=2.0 ** (1 - bits) if bits else 0.0, **extra))  # type: ignore[arg-type]

    def encoded(self, name: str, filename: str, rate: int, channels: int, args: list[str],
                decoder: Decoder, exact: bool, inputs: list[Path] = (), bits: int = 0,
                **extra: object) -> Path:
        """A 24-bit source WAV encoded by ffmpeg with ``args``; ``bits`` for a lossless
        codec keeping that many bits (the decoded samples are then checked too)."""
        samples = quantised(programme(rate, channels, seed=len(self.variants)), 24)
        source = self.folder / f"{name}-source.wav"
        sf.write(source, samples.T, rate, subtype="PCM_24")
        path = self.folder / filename
        self.jobs.append(_ffmpeg(source, path, args, list(inputs)))
        if bits:  # ffmpeg drops bits by truncation: up to one step of the smaller word
            extra.update(samples=samples, lsb=2.0 ** (1 - bits))
        else:
            extra.setdefault("seconds_tolerance", 0.06)
        self.add(Variant(name, path, rate, channels, decoder=decoder, length_exact=exact,
                         **extra))  # type: ignore[arg-type]
        return path

    def run_jobs(self) -> None:
        running = [subprocess.Popen(job) for job in self.jobs]
        codes = [process.wait(timeout=120) for process in running]
        assert codes == [0] * len(codes), [job for job, code in zip(self.jobs, codes,
                                                                    strict=True) if code]


def build(folder: Path) -> dict[str, Variant]:
    """Write every variant into ``folder``; needs ffmpeg on PATH."""
    assert shutil.which("ffmpeg"), "the container set needs ffmpeg"
    b = _Builder(folder)
    _wav_family(b)
    _aiff_and_flac(b)
    _mp3(b)
    _ogg_and_mp4(b)
    _refused(b)
    b.run_jobs()
    _after_encoding(b)
    return b.variants


def _wav_family(b: _Builder) -> None:
    bwf_source = quantised(programme(48000, 2, seed=101), 24)
    path = b.folder / "bwf-ixml-list.wav"
    path.write_bytes(bwf_wav(bwf_source, 48000))
    b.add(Variant("wav-bwf-ixml-list", path, 48000, 2, samples=bwf_source, lsb=2.0**-23))
    b.soundfile("wavex-pcm24", "wav", 96000, 2, "PCM_24", "WAVEX", bits=24)
    b.soundfile("wavex-pcm32", "wav", 48000, 2, "PCM_32", "WAVEX", bits=24)  # float32: 24 bits
    # a float master with overs: they must come through as they are
    b.soundfile("wav-float32-overs", "wav", 44100, 2, "FLOAT", scale=4.0)
    b.soundfile("wav-float64", "wav", 48000, 2, "DOUBLE")
    b.soundfile("rf64-pcm24", "wav", 48000, 2, "PCM_24", "RF64", bits=24)
    b.soundfile("wav-mono-8k", "wav", 8000, 1, "PCM_16", bits=16)
    b.soundfile("wav-11k025", "wav", 11025, 2, "PCM_16", bits=16)
    b.soundfile("wav-176k4", "wav", 176400, 2, "PCM_24", bits=24)


def _aiff_and_flac(b: _Builder) -> None:
    b.soundfile("aiff-pcm16", "aiff", 44100, 2, "PCM_16", bits=16)
    b.soundfile("aifc-float", "aifc", 48000, 2, "FLOAT", "AIFF")
    b.encoded("aifc-sowt", "sowt.aifc", 44100, 2, ["-c:a", "pcm_s16le", "-f", "aiff"],
              "libsndfile", True, bits=16)
    b.soundfile("flac-88k2", "flac", 88200, 2, "PCM_24", bits=24)
    b.soundfile("flac-5.1", "flac", 48000, 6, "PCM_24", bits=24)
    b.encoded("flac-picture-long-tags", "art.flac", 44100, 2,
              [*_ART, "-c:a", "flac", "-metadata", f"LYRICS={_LYRICS}",
               "-metadata", "title=Night Drive"], "libsndfile", True,
              inputs=[b.cover], bits=24)


def _mp3(b: _Builder) -> None:
    lame = ["-c:a", "libmp3lame"]
    b.encoded("mp3-cbr-info", "cbr.mp3", 44100, 2, [*lame, "-b:a", "192k"], "libsndfile", True)
    b.encoded("mp3-cbr-no-info", "cbr-bare.mp3", 44100, 2,
              [*lame, "-b:a", "192k", "-write_xing", "0"], "ffmpeg", False)
    b.encoded("mp3-vbr-xing", "vbr.mp3", 48000, 2, [*lame, "-q:a", "2"], "libsndfile", True)
    b.encoded("mp3-vbr-no-xing", "vbr-bare.mp3", 44100, 2,
              [*lame, "-q:a", "4", "-write_xing", "0"], "ffmpeg", False)
    b.encoded("mp3-id3v2-art", "art.mp3", 44100, 2,
              [*_ART, *lame, "-q:a", "2", "-id3v2_version", "3",
               "-metadata", f"lyrics={_LYRICS[:8000]}"], "libsndfile", True, inputs=[b.cover])
    b.encoded("mp3-mono-11k025", "mono.mp3", 11025, 1, [*lame, "-b:a", "32k"],
              "libsndfile", True, seconds_tolerance=0.1)


def _ogg_and_mp4(b: _Builder) -> None:
    vorbis = ["-c:a", "libvorbis", "-q:a", "5"]
    b.encoded("ogg-vorbis", "vorbis.ogg", 44100, 2, vorbis, "libsndfile", False)
    b.encoded("ogg-vorbis-inexact-length", "inexact.ogg", 44100, 2, vorbis, "libsndfile",
              False)
    for part in ("a", "b"):
        b.encoded(f"chain-{part}", f"chain-{part}.ogg", 44100, 2, vorbis, "libsndfile", False)
    b.encoded("opus-48k", "x.opus", 48000, 2, ["-c:a", "libopus", "-b:a", "160k"], "ffmpeg",
              False)
    b.encoded("m4a-aac", "aac.m4a", 44100, 2, ["-c:a", "aac", "-b:a", "256k"], "ffmpeg",
              False, seconds_tolerance=0.05)
    b.encoded("m4a-aac-5.1", "aac51.m4a", 48000, 6, ["-c:a", "aac", "-b:a", "384k"],
              "ffmpeg", False, seconds_tolerance=0.05)
    b.encoded("m4a-alac", "alac.m4a", 44100, 2, ["-c:a", "alac"], "ffmpeg", False, bits=24)


def _refused(b: _Builder) -> None:
    huge = 5 * 2**30  # 5 GiB of 48 kHz 24-bit stereo: 5.2 h
    b.add(Variant("rf64-over-4gb-header-only", write_rf64(
        b.folder / "huge-header.wav", 48000, 2, 24, huge, sparse=False),
        refusal=r"^the audio is longer than 3 h, the most we can analyse$"))
    b.add(Variant("rf64-over-4gb-sparse", write_rf64(
        b.folder / "huge-sparse.wav", 48000, 2, 24, huge, sparse=True),
        refusal=r"^the audio is longer than 3 h, the most we can analyse$"))
    b.soundfile("wav-7.1.4", "wav", 48000, 12, "PCM_16", bits=16,
                refusal=r"^the audio has 12 channels; at most 8 are supported$")
    b.soundfile("wav-cut", "wav", 48000, 2, "PCM_24", bits=24,
                refusal=r"^the file is truncated: its header announces 3\.0 s but only 1\.5 s")
    b.soundfile("flac-cut", "flac", 44100, 2, "PCM_16", bits=16,
                refusal=r"^the file is truncated or corrupt: decoding failed after")
    video = b.folder / "video-only.mp4"
    b.jobs.append(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                   "testsrc=size=64x64:duration=1:rate=5", "-c:v", "mpeg4", str(video)])
    b.add(Variant("mp4-without-audio", video, refusal=r"^the file has no audio track$"))


def _after_encoding(b: _Builder) -> None:
    """Edits on encoded files: cuts, a lying extension, a chain, an inexact Ogg length."""
    for name in ("wav-cut", "flac-cut"):
        path = b.variants[name].path
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    lying = b.folder / "actually-mp3.wav"
    shutil.copy(b.variants["mp3-vbr-xing"].path, lying)
    b.add(Variant("mp3-named-wav", lying, 48000, 2, seconds_tolerance=0.06))
    inexact = b.variants["ogg-vorbis-inexact-length"]
    edit_last_ogg_page(inexact.path, granule_delta=round(0.15 * 44100))
    parts = [b.variants.pop(f"chain-{part}").path for part in ("a", "b")]
    chained = b.folder / "chained.ogg"
    chained.write_bytes(parts[0].read_bytes() + parts[1].read_bytes())
    b.add(Variant("ogg-vorbis-chained", chained, 44100, 2, decoder="ffmpeg",
                  length_exact=False, seconds=2 * SECONDS, seconds_tolerance=0.06))


ANALYSED = (
    "wav-bwf-ixml-list", "wavex-pcm24", "wavex-pcm32", "wav-float32-overs", "wav-float64",
    "rf64-pcm24", "wav-mono-8k", "wav-11k025", "wav-176k4", "aiff-pcm16", "aifc-float",
    "aifc-sowt", "flac-88k2", "flac-5.1", "flac-picture-long-tags", "mp3-cbr-info",
    "mp3-cbr-no-info", "mp3-vbr-xing", "mp3-vbr-no-xing", "mp3-id3v2-art", "mp3-mono-11k025",
    "mp3-named-wav", "ogg-vorbis", "ogg-vorbis-inexact-length", "ogg-vorbis-chained",
    "opus-48k", "m4a-aac", "m4a-aac-5.1", "m4a-alac",
)
REFUSED = (
    "rf64-over-4gb-header-only", "rf64-over-4gb-sparse", "wav-7.1.4", "wav-cut", "flac-cut",
    "mp4-without-audio",
)
