"""What the decoder accepts, and the sentences it refuses with.

Every refusal is an ``AudioDecodeError`` carrying one plain sentence without the file name.
"""

from __future__ import annotations

from zz_core.errors import AudioDecodeError

MIN_DURATION_S: float = 1.0
MIN_SAMPLE_RATE_HZ = 8000
MAX_SAMPLE_RATE_HZ = 192000
MAX_CHANNELS = 8
MAX_DURATION_S = 3 * 3600  # the longest file accepted, in seconds (3 h)

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
