"""What decoding produces: ``Audio`` (the samples) and ``AudioInfo`` (what the header says)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Decoder = Literal["libsndfile", "ffmpeg"]


@dataclass(frozen=True, eq=False)
class Audio:
    """Decoded audio: ``samples`` is float32, shape (channels, frames), full scale ±1.0.

    Nothing is clamped: lossy codecs (MP3, AAC, Vorbis, Opus) rebuild the waveform and a
    loud master often decodes above full scale, as float WAV files may hold it.
    ``decoded_overs`` counts the samples (over all channels) whose magnitude is above 1.0
    and ``decoded_peak_dbfs`` is the largest magnitude in dBFS (None for silence or audio
    not made by the decoder). ``notes`` are sentences about the decoding worth telling the
    user (an estimated length far from what decoded, say); empty for most files.
    """

    samples: np.ndarray
    sample_rate_hz: int
    source_format: str
    decoded_overs: int = 0
    decoded_peak_dbfs: float | None = None
    notes: tuple[str, ...] = ()

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
class AudioInfo:
    """What a file is, read from its header without decoding it all.

    ``frames`` is the length the header states (``length_exact``) or lets us estimate, in
    sample frames per channel; None when nothing says. Exact lengths are the WAV/RF64
    data-chunk size (PCM and float), the AIFF/AIFF-C COMM frame count, the FLAC
    STREAMINFO sample count (when not 0) and the MP3 Xing/Info/VBRI frame count: a file
    holding less than that is truncated. Estimates are the Ogg last granule position
    (Vorbis, Opus, FLAC in Ogg), an MP3 length from its bitrate and size, and the
    durations ffprobe reports for M4A/AAC, WebM/Matroska and WMA: the audio that decodes
    is analysed whatever its length.

    ``container`` is the container ("WAV", "RF64", "AIFF", "FLAC", "OGG", "MP3", "M4A",
    ...), ``codec`` the encoding (libsndfile's subtype such as "PCM_24" or "VORBIS", or
    ffmpeg's codec name such as "aac"), ``decoder`` the library that decodes it and
    ``source_format`` the label ``Audio.source_format`` will carry.
    """

    container: str
    codec: str
    sample_rate_hz: int
    channels: int
    frames: int | None
    length_exact: bool
    decoder: Decoder
    source_format: str

    @property
    def duration_s(self) -> float | None:
        """The stated or estimated length in seconds, None when unknown."""
        return None if self.frames is None else self.frames / self.sample_rate_hz
