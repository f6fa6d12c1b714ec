"""Decoding audio files into float32 sample arrays, and probing them without decoding.

WAV (with BWF/iXML/LIST chunks, WAVE_FORMAT_EXTENSIBLE, 8-64 bit), RF64, AIFF/AIFF-C,
FLAC, Ogg Vorbis and MP3 are read with libsndfile (through soundfile); M4A (AAC, ALAC),
Opus, WebM/Matroska, WMA, chained Ogg, streamed FLAC and MP3 without an exact-length
header go through an ffmpeg pipe when ffmpeg is installed. The container is recognised
by its bytes, not its extension (an MP3 named ``.wav`` is read as MP3).

One decoder path serves everything: ``iter_blocks`` yields float32 (channels, frames)
blocks and ``load_audio``/``decode_bytes`` collect them, so the CLI, the app's uploads
and any batch or worker job accept and refuse the same files for the same reasons.
``probe`` reads only the header (``AudioInfo``: container, codec, rate, channels, length
and whether it is exact); ``check_sample`` adds a decode of the first seconds.

- The longest file accepted is MAX_DURATION_S (3 h); an exact length over it is refused
  before any audio is read, an estimated one when decoding passes it.
- Truncation is judged by what decoding hits: a decoder error, an Ogg page cut off, or
  fewer frames than an exact-length header states (see ``AudioInfo`` for which lengths
  are exact). An estimated length is never a reason to refuse; a large gap between it
  and what decoded becomes one of ``Audio.notes``.
- Nothing is clamped: lossy audio decoding above full scale keeps its overs, counted in
  ``Audio.decoded_overs`` with the peak in ``Audio.decoded_peak_dbfs``.

Every failure raises ``AudioDecodeError`` carrying one plain sentence without the file name.
"""

from zz_core.measure.decoding.ffmpeg import ffmpeg_available
from zz_core.measure.decoding.limits import (
    BLOCK_FRAMES,
    FFMPEG_TIMEOUT_S,
    MAX_CHANNELS,
    MAX_DURATION_S,
    MAX_SAMPLE_RATE_HZ,
    MIN_DURATION_S,
    MIN_SAMPLE_RATE_HZ,
    PROBE_SAMPLE_S,
)
from zz_core.measure.decoding.load import check_sample, decode_bytes, load_audio, probe
from zz_core.measure.decoding.models import Audio, AudioInfo
from zz_core.measure.decoding.stream import BlockStream, iter_blocks

__all__ = [
    "BLOCK_FRAMES",
    "FFMPEG_TIMEOUT_S",
    "MAX_CHANNELS",
    "MAX_DURATION_S",
    "MAX_SAMPLE_RATE_HZ",
    "MIN_DURATION_S",
    "MIN_SAMPLE_RATE_HZ",
    "PROBE_SAMPLE_S",
    "Audio",
    "AudioInfo",
    "BlockStream",
    "check_sample",
    "decode_bytes",
    "ffmpeg_available",
    "iter_blocks",
    "load_audio",
    "probe",
]
