"""Songs assembled by construction for the section tests: parts of different material
(pads, chord progressions in two keys, drum patterns, noise layers) joined at known
times, with known repeats. Audio is float32 (channels, frames) at 48 kHz."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tests.mixes import RATE, shaped_noise
from tests.music import pad, render_drums, render_song

BPM = 120.0


@dataclass(frozen=True)
class Song:
    """A constructed song: its audio, each part's name and start (s), and the ground truth
    boundaries (the starts of all parts but the first)."""

    audio: np.ndarray
    parts: tuple[str, ...]
    starts_s: tuple[float, ...]
    duration_s: float

    @property
    def boundaries_s(self) -> tuple[float, ...]:
        return self.starts_s[1:]


def part(name: str, seconds: float, seed: int = 0) -> np.ndarray:
    """One part of the song, by kind of material."""
    if name == "intro":
        return pad([57, 60, 64], seconds, rate=RATE, level=0.12)
    if name == "verse":
        song = render_song("A", "minor", ["i", "VI", "III", "VII"], seconds=seconds,
                           bpm=BPM, rate=RATE, seed=seed, drums=True)
        return 0.45 * song
    if name == "chorus":
        song = render_song("C", "major", ["I", "V", "vi", "IV"], seconds=seconds, bpm=BPM,
                           rate=RATE, seed=seed)
        drums = render_drums(BPM, seconds, rate=RATE, pattern="four_on_the_floor",
                             seed=seed, level=0.5).audio
        noise = 0.08 * shaped_noise(seconds, "pop", seed=seed, rate=RATE)
        return 0.7 * song + drums + noise[:, :song.shape[1]]
    if name == "bridge":
        return render_song("F", "major", ["I", "IV"], seconds=seconds, bpm=BPM, rate=RATE,
                           seed=seed)
    if name == "outro":
        return pad([53, 57, 60, 65], seconds, rate=RATE, level=0.1)
    raise ValueError(name)


def assemble(plan: Sequence[tuple[str, float]]) -> Song:
    """Parts (name, seconds) one after the other; a repeated part is the same material
    with another melody."""
    pieces, starts, time = [], [], 0.0
    seen: dict[str, int] = {}
    for name, seconds in plan:
        seen[name] = seen.get(name, 0) + 1
        piece = part(name, seconds, seed=seen[name])
        pieces.append(piece.astype(np.float32))
        starts.append(time)
        time += piece.shape[1] / RATE
    audio = np.concatenate(pieces, axis=1).astype(np.float32)
    return Song(audio=audio, parts=tuple(name for name, _ in plan), starts_s=tuple(starts),
                duration_s=audio.shape[1] / RATE)


POP_PLAN = (("intro", 8.0), ("verse", 16.0), ("chorus", 16.0), ("verse", 16.0),
            ("chorus", 16.0), ("outro", 8.0))
"""intro / verse / chorus / verse / chorus / outro: 80 s, five boundaries."""


def pop_song() -> Song:
    return assemble(POP_PLAN)


def shelved(audio: np.ndarray, start_s: float, end_s: float, gain_db: float,
            corner_hz: float = 4000.0) -> np.ndarray:
    """A high shelf of ``gain_db`` above ``corner_hz`` (brick-wall, frequency domain)
    applied only between two times."""
    out = audio.copy()
    a, b = int(start_s * RATE), int(end_s * RATE)
    piece = out[:, a:b]
    spectrum = np.fft.rfft(piece, axis=1)
    freqs = np.fft.rfftfreq(piece.shape[1], 1.0 / RATE)
    spectrum[:, freqs >= corner_hz] *= 10 ** (gain_db / 20)
    out[:, a:b] = np.fft.irfft(spectrum, n=piece.shape[1], axis=1)
    return out.astype(np.float32)
