"""What the decoder accepts, and the sentences it refuses with.

Every refusal is an ``AudioDecodeError`` carrying one plain sentence without the file name.
"""

from __future__ import annotations

import math

from zz_core import fmt
from zz_core.errors import AudioDecodeError
from zz_core.measure import MAX_DURATION_S as MAX_DURATION_S  # the longest file (3 h)

MIN_DURATION_S: float = 1.0
MIN_SAMPLE_RATE_HZ = 8000
MAX_SAMPLE_RATE_HZ = 192000
MAX_CHANNELS = 8
# An estimated length is only refused up front this far over MAX_DURATION_S when it is a
# guess from an MP3's first frame (a VBR file without a frame count can be hours off);
# the container's own estimates (Ogg granule, M4A/WebM/WMA durations) are refused as soon
# as they pass it. Either way decoding stops and refuses when it passes MAX_DURATION_S.
MP3_ESTIMATE_SLACK = 1.5
MAX_SAMPLE_MAGNITUDE = 1000.0  # +60 dBFS: float files hold overs, nothing real reaches this

BLOCK_FRAMES = 2**18  # frames per decoded block (load_audio's scratch space is one block)
PROBE_SAMPLE_S = 5.0  # how much audio the bounded-sample check decodes, in seconds
FFMPEG_TIMEOUT_S = 600.0  # ffmpeg silent (no output) for this long is stopped
# An exact length may still end a few codec frames early in lossy formats (MP3 with a
# Xing/Info count): shortfalls up to this are not called truncation.
SHORT_READ_TOLERANCE_S = 0.05
# An estimated length differing from what decodes by more than both of these is mentioned.
ESTIMATE_NOTE_S = 2.0
ESTIMATE_NOTE_FRACTION = 0.02

NOT_AUDIO = "this is not an audio file (or not a format we can read)"
INSTALL_FFMPEG = "(apt-get install ffmpeg)"


def check_layout(rate: int, channels: int) -> None:
    """Refuse a sample rate (Hz) or channel count the analysis does not support."""
    if not MIN_SAMPLE_RATE_HZ <= rate <= MAX_SAMPLE_RATE_HZ:
        raise AudioDecodeError(
            f"sample rate {rate} Hz is outside {MIN_SAMPLE_RATE_HZ}-{MAX_SAMPLE_RATE_HZ} Hz")
    if channels < 1:
        raise AudioDecodeError("the file holds no audio channels")
    if channels > MAX_CHANNELS:
        raise AudioDecodeError(
            f"the audio has {channels} channels; at most {MAX_CHANNELS} are supported")


def check_decoded_duration(duration_s: float) -> None:
    """Refuse audio that decoded to nothing, too little or too much (seconds)."""
    if duration_s <= 0:
        raise AudioDecodeError("the file holds no audio")
    if duration_s < MIN_DURATION_S:
        raise AudioDecodeError(
            f"the audio is {duration_s:.1f} s long; at least {MIN_DURATION_S:.1f} s is needed")
    if duration_s > MAX_DURATION_S:
        raise too_long()


def check_stated_length(frames: int | None, rate: int, exact: bool, mp3: bool) -> None:
    """Refuse, before decoding, a length the header states (``exact``) or estimates over
    MAX_DURATION_S (an MP3's bitrate guess only when it is MP3_ESTIMATE_SLACK over)."""
    if frames is None or rate <= 0:
        return
    seconds = frames / rate
    limit = MAX_DURATION_S * (MP3_ESTIMATE_SLACK if mp3 and not exact else 1.0)
    if seconds > limit:
        raise too_long() if exact else AudioDecodeError(
            f"the audio is about {fmt.duration(seconds)} long by its header; the most we "
            f"can analyse is {fmt.duration(MAX_DURATION_S)}")


def check_samples(high: float, low: float) -> None:
    """Refuse audio whose largest and smallest sample (full scale 1.0) are not finite or
    lie beyond MAX_SAMPLE_MAGNITUDE: no recording holds that, a damaged float file does,
    and the measurements would overflow."""
    if not (math.isfinite(high) and math.isfinite(low)):
        raise AudioDecodeError("the audio contains NaN or infinite samples")
    peak = max(high, -low)
    if peak > MAX_SAMPLE_MAGNITUDE:
        raise AudioDecodeError(
            f"the samples reach {fmt.figure(20 * math.log10(peak), 'dBFS', 0, sign=True)}; "
            "real audio stays under "
            f"{fmt.figure(20 * math.log10(MAX_SAMPLE_MAGNITUDE), 'dBFS', 0, sign=True)}, so "
            "this looks like a damaged floating-point file, not a recording")


def too_long() -> AudioDecodeError:
    """The refusal for audio over MAX_DURATION_S."""
    return AudioDecodeError(
        f"the audio is longer than {MAX_DURATION_S / 3600:g} h, the most we can analyse")


def truncated(announced_s: float, present_s: float) -> AudioDecodeError:
    """The refusal for an exact-length file with less audio than its header states."""
    if present_s <= 0:
        return AudioDecodeError(
            "the file is truncated: its header announces audio but none of it is there")
    return AudioDecodeError(
        f"the file is truncated: its header announces {announced_s:.1f} s but only "
        f"{present_s:.1f} s of audio are there")


def decoder_failed(done_s: float, announced_s: float | None) -> AudioDecodeError:
    """The refusal for a decoder error part-way through (a damaged or cut file)."""
    of = "" if announced_s is None else f" of the {announced_s:.1f} s announced"
    return AudioDecodeError(
        f"the file is truncated or corrupt: decoding failed after {done_s:.1f} s{of}")
