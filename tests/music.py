"""Test music rendered by construction: drum patterns, chord progressions, bass and melody.

Everything is synthesised from numbers (decaying sines, shaped noise bursts, additive
sawtooth-like tones), so the true tempo, beat times and key are known exactly. Audio is
float32 of shape (channels, frames), like the decoder's output.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
HARMONIC_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 11)
MELODY_DEGREE_WEIGHTS = (6.0, 2.0, 3.5, 2.0, 4.5, 1.5, 1.5)  # scale degrees 1..7
_TABLE_SIZE = 4096  # one period of the additive waveform, read with linear interpolation
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii")

# Step patterns, one character per step: "x" hit, "o" accent-free ghost hit, "." rest.
# (steps per beat, {instrument: pattern over one bar of four beats})
DRUM_PATTERNS: dict[str, tuple[int, dict[str, str]]] = {
    "four_on_the_floor": (4, {
        "kick": "x...x...x...x...",
        "snare": "....x.......x...",
        "hat": "..x...x...x...x.",
        "closed_hat": "oooooooooooooooo",
    }),
    "backbeat": (4, {
        "kick": "x.....x.x.......",
        "snare": "....x.......x...",
        "hat": "x.x.x.x.x.x.x.x.",
    }),
    "two_step": (4, {  # drum and bass: kick on 1 and the "and" of 3, snare on 2 and 4
        "kick": "x.........x.....",
        "snare": "....x.......x...",
        "hat": "x.x.x.x.x.x.x.x.",
    }),
    "syncopated": (4, {
        "kick": "x..x..x...x..x..",
        "snare": "....x.......x..x",
        "hat": "x.xxx.x.x.xxx.x.",
    }),
    "shuffle": (3, {  # swung eighths on a triplet grid
        "kick": "x.....x.....",
        "snare": "...x.....x..",
        "hat": "x.xx.xx.xx.x",
    }),
}


@dataclass(frozen=True)
class Drums:
    """A rendered drum loop and its ground truth (seconds)."""

    audio: np.ndarray
    rate: int
    bpm: float
    beat_times_s: np.ndarray
    kick_times_s: np.ndarray


def kick(rate: int) -> np.ndarray:
    """Kick drum: sine gliding 135 -> 45 Hz with a 0.25 s decay and a 2 ms click."""
    t = np.arange(round(0.5 * rate)) / rate
    freq = 45.0 + 90.0 * np.exp(-t / 0.03)
    phase = 2.0 * np.pi * np.cumsum(freq) / rate
    body = np.sin(phase) * np.exp(-t / 0.25)
    click = np.where(t < 0.002, 0.5 * (1.0 - t / 0.002), 0.0)
    return body + click


def snare(rate: int, rng: np.random.Generator) -> np.ndarray:
    """Snare: 185 Hz tone plus high-passed noise, both decaying within ~0.2 s."""
    t = np.arange(round(0.25 * rate)) / rate
    tone = 0.5 * np.sin(2.0 * np.pi * 185.0 * t) * np.exp(-t / 0.05)
    noise = np.diff(rng.standard_normal(t.size + 1)) * 0.4 * np.exp(-t / 0.08)
    return tone + noise


def hihat(rate: int, rng: np.random.Generator, decay_s: float = 0.03) -> np.ndarray:
    """Hi-hat: twice-differenced white noise (a steep high-pass) with a short decay."""
    t = np.arange(round(6.0 * decay_s * rate)) / rate
    noise = np.diff(rng.standard_normal(t.size + 2), n=2) * 0.15
    return noise * np.exp(-t / decay_s)


def render_drums(bpm: float, seconds: float, *, rate: int = 44100, pattern: str = "backbeat",
                 channels: int = 2, seed: int = 0, level: float = 0.5) -> Drums:
    """Loop ``pattern`` at ``bpm`` for ``seconds``; the first beat is at 0.1 s."""
    rng = np.random.default_rng(seed)
    steps_per_beat, parts = DRUM_PATTERNS[pattern]
    sounds = {
        "kick": kick(rate),
        "snare": snare(rate, rng),
        "hat": hihat(rate, rng, 0.05),
        "closed_hat": 0.4 * hihat(rate, rng, 0.015),
    }
    step_s = 60.0 / bpm / steps_per_beat
    offset_s = 0.1
    frames = round(seconds * rate)
    mono = np.zeros(frames)
    kicks = []
    for name, steps in parts.items():
        times = _hit_times(steps, step_s, offset_s, seconds)
        for hit_time, char in times:
            gain = 1.0 if char == "x" else 0.5
            _add_at(mono, gain * sounds[name], round(hit_time * rate))
        if name == "kick":
            kicks = [hit_time for hit_time, _ in times]
    beats = np.arange(offset_s, seconds, 60.0 / bpm)
    audio = level * mono / max(1e-9, np.max(np.abs(mono)))
    return Drums(
        audio=np.tile(audio, (channels, 1)).astype(np.float32),
        rate=rate,
        bpm=bpm,
        beat_times_s=beats,
        kick_times_s=np.array(sorted(kicks)),
    )


def _hit_times(steps: str, step_s: float, offset_s: float,
               seconds: float) -> list[tuple[float, str]]:
    hits = []
    bar = 0
    while offset_s + bar * len(steps) * step_s < seconds:
        for index, char in enumerate(steps):
            time = offset_s + (bar * len(steps) + index) * step_s
            if char != "." and time < seconds:
                hits.append((time, char))
        bar += 1
    return hits


def _add_at(buffer: np.ndarray, sound: np.ndarray, start: int) -> None:
    stop = min(buffer.size, start + sound.size)
    if start < stop:
        buffer[start:stop] += sound[:stop - start]


def click_train(seconds: float, *, rate: int = 44100, interval_s: float = 0.25,
                channels: int = 2, level: float = 0.8) -> np.ndarray:
    """Single-sample impulses every ``interval_s`` seconds in digital silence."""
    audio = np.zeros((channels, round(seconds * rate)), dtype=np.float32)
    audio[:, ::round(interval_s * rate)] = level
    return audio


def midi_to_hz(midi: float) -> float:
    return float(440.0 * 2.0 ** ((midi - 69.0) / 12.0))


def tone(midi: float, seconds: float, rate: int, *, partials: int = 6, attack_s: float = 0.01,
         release_s: float = 0.08, decay_s: float | None = None) -> np.ndarray:
    """Sawtooth-like additive tone (partial k at 1/k, none above 0.45 rate) with a linear
    attack and release. Cached and read-only: scale it into a new array before use."""
    return _tone(float(midi), float(seconds), int(rate), partials, attack_s, release_s, decay_s)


@functools.lru_cache(maxsize=1024)
def _tone(midi: float, seconds: float, rate: int, partials: int, attack_s: float,
          release_s: float, decay_s: float | None) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    f0 = midi_to_hz(midi)
    table_phase = 2.0 * np.pi * np.arange(_TABLE_SIZE + 1) / _TABLE_SIZE
    table = np.zeros(_TABLE_SIZE + 1)
    for k in range(1, partials + 1):
        if k * f0 < 0.45 * rate:
            table += np.sin(k * table_phase) / k
    position = (f0 * _TABLE_SIZE / rate) * np.arange(t.size) % _TABLE_SIZE
    index = position.astype(np.intp)
    fraction = position - index
    wave = table[index] * (1.0 - fraction) + table[index + 1] * fraction
    envelope = np.minimum(1.0, np.minimum(t / attack_s, (seconds - t) / release_s))
    if decay_s is not None:
        envelope *= np.exp(-t / decay_s)
    wave *= np.clip(envelope, 0.0, 1.0)
    wave.setflags(write=False)
    return wave


def pad(midis: Sequence[float], seconds: float, *, rate: int = 44100, channels: int = 2,
        level: float = 0.3) -> np.ndarray:
    """A sustained chord with slow (1 s) attack and release: no transients."""
    mono = sum(tone(m, seconds, rate, attack_s=1.0, release_s=1.0) for m in midis)
    mono = level * np.asarray(mono) / max(1e-9, float(np.max(np.abs(mono))))
    return np.tile(mono, (channels, 1)).astype(np.float32)


def chord_pitches(numeral: str, tonic_pc: int, mode: str) -> list[int]:
    """Pitch classes of a triad written as a roman numeral (upper case = major, lower = minor,
    trailing "o" = diminished) over the tonic; minor keys use natural-minor roots."""
    diminished = numeral.endswith("o")
    name = numeral.rstrip("o")
    degree = _ROMAN.index(name.lower())
    scale = MAJOR_SCALE if mode == "major" else NATURAL_MINOR_SCALE
    root = (tonic_pc + scale[degree]) % 12
    if diminished:
        third, fifth = 3, 6
    elif name.isupper():
        third, fifth = 4, 7
    else:
        third, fifth = 3, 7
    return [root, (root + third) % 12, (root + fifth) % 12]


def render_song(tonic: str, mode: str, progression: Sequence[str], *, seconds: float = 16.0,
                bpm: float = 100.0, rate: int = 22050, channels: int = 2, seed: int = 0,
                drums: bool = False, beats_per_chord: int = 4) -> np.ndarray:
    """Chords, a bass line on the roots and a melody over the scale, looped for ``seconds``.

    Melody notes (eighths) are 40 % chord tones and 60 % scale degrees drawn with the weights
    of the tonal hierarchy (tonic, fifth and third most often), and each pass through the
    progression ends with the melody resting on the tonic: melodies gravitate to the tonic,
    and the song ends on the tonic chord (the last ``beats_per_chord`` beats); that is all
    that tells A minor from C major over the chords Am F C G.
    In minor the melody uses harmonic minor (raised 7th) when the progression holds a major
    V, natural minor otherwise.
    """
    rng = np.random.default_rng(seed)
    tonic_pc = NOTE_NAMES.index(tonic)
    if mode == "major":
        scale = MAJOR_SCALE
    else:
        scale = HARMONIC_MINOR_SCALE if "V" in progression else NATURAL_MINOR_SCALE
    beat_s = 60.0 / bpm
    chord_s = beat_s * beats_per_chord
    frames = round(seconds * rate)
    mono = np.zeros(frames)
    start_s, index = 0.0, 0
    tonic_numeral = "I" if mode == "major" else "i"
    while start_s < seconds:
        last = start_s + chord_s >= seconds - 1e-9
        numeral = tonic_numeral if last else progression[index % len(progression)]
        pitches = chord_pitches(numeral, tonic_pc, mode)
        _add_chord(mono, pitches, start_s, chord_s, rate)
        _add_bass(mono, pitches[0], start_s, beat_s, beats_per_chord, rate)
        cadence = last or index % len(progression) == len(progression) - 1
        _add_melody(mono, pitches, tonic_pc, scale, start_s, beat_s, beats_per_chord, rate, rng,
                    cadence)
        start_s += chord_s
        index += 1
    mono = 0.5 * mono / max(1e-9, float(np.max(np.abs(mono))))
    if drums:
        mono += render_drums(bpm, seconds, rate=rate, channels=1, seed=seed,
                             level=0.3).audio[0]
    return np.tile(mono, (channels, 1)).astype(np.float32)


def _add_chord(mono: np.ndarray, pitches: Sequence[int], start_s: float, length_s: float,
               rate: int) -> None:
    for pc in pitches:
        midi = 55 + (pc - 55) % 12  # voiced between G3 and F#4
        _add_at(mono, 0.25 * tone(midi, length_s, rate), round(start_s * rate))


def _add_bass(mono: np.ndarray, root_pc: int, start_s: float, beat_s: float, beats: int,
              rate: int) -> None:
    midi = 36 + root_pc  # C2..B2
    for beat in range(beats):
        note = tone(midi, 0.9 * beat_s, rate, partials=4, decay_s=0.6)
        _add_at(mono, 0.45 * note, round((start_s + beat * beat_s) * rate))


def _add_melody(mono: np.ndarray, chord: Sequence[int], tonic_pc: int, scale: Sequence[int],
                start_s: float, beat_s: float, beats: int, rate: int,
                rng: np.random.Generator, cadence: bool) -> None:
    degree_weights = np.array(MELODY_DEGREE_WEIGHTS) / sum(MELODY_DEGREE_WEIGHTS)
    eighths = 2 * beats - (4 if cadence else 0)
    for eighth in range(eighths):
        if rng.random() < 0.4:
            pc = chord[int(rng.integers(len(chord)))]
        else:
            pc = (tonic_pc + scale[int(rng.choice(len(scale), p=degree_weights))]) % 12
        _add_melody_note(mono, pc, start_s + eighth * 0.5 * beat_s, 0.45 * beat_s, rate)
    if cadence:  # the phrase comes to rest on the tonic for the last two beats
        _add_melody_note(mono, tonic_pc, start_s + eighths * 0.5 * beat_s, 1.9 * beat_s, rate)


def _add_melody_note(mono: np.ndarray, pc: int, start_s: float, length_s: float,
                     rate: int) -> None:
    midi = 67 + (pc - 67) % 12  # G4..F#5
    note = tone(midi, length_s, rate, partials=4, decay_s=0.4)
    _add_at(mono, 0.3 * note, round(start_s * rate))
