"""Level-matched A/B listening: the gain that brings two tracks to the same integrated
loudness (ITU-R BS.1770), and a copy of a track with that gain applied.

Loudness decides what sounds "better" in a comparison; matching it lets a producer hear
the mix and the reference for their balance alone. Only the louder track is turned down,
so nothing is raised into clipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from zz_core.config import private_dir, private_file
from zz_core.measure.decoding import load_audio

BLOCK_FRAMES = 1 << 18


def matched_gains_db(track_lufs: float | None,
                     reference_lufs: float | None) -> tuple[float, float]:
    """(track gain, reference gain) in dB, both <= 0, that level the two; (0, 0) when either
    loudness is unknown (silence)."""
    if track_lufs is None or reference_lufs is None:
        return 0.0, 0.0
    difference = track_lufs - reference_lufs
    return (-difference, 0.0) if difference > 0 else (0.0, difference)


def write_with_gain(source: str | os.PathLike[str], dest: str | os.PathLike[str],
                    gain_db: float) -> Path:
    """Decode ``source`` (any format the engine reads) and write it to ``dest`` as 24-bit
    WAV with ``gain_db`` applied, block by block."""
    audio = load_audio(source)
    factor = np.float32(10.0 ** (gain_db / 20.0))
    target = Path(dest)
    private_dir(target.parent)
    os.close(private_file(target))  # 0600 before soundfile writes into it
    with sf.SoundFile(str(target), "w", samplerate=audio.sample_rate_hz,
                      channels=audio.channels, subtype="PCM_24", format="WAV") as out:
        for first in range(0, audio.frames, BLOCK_FRAMES):
            out.write(np.ascontiguousarray(audio.samples[:, first:first + BLOCK_FRAMES].T)
                      * factor)
    return target
