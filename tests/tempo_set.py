"""A tempo evaluation set rendered by construction: grooves that invite octave errors.

Each piece is a loop of drums, bass and chords in one style, written on a step grid the way a
producer would program it at its notated tempo, which is the ground truth: the tempo a
listener taps and the tempo the track is filed under (trap and dubstep at their grid tempo of
140-160, felt in half time; see the genres file). What tells the notated tempo from its half
or double is what tells it in real records, and is written into the patterns:

* half-time hip hop (kick on 1, snare on 3) at 72-90: eighth hats, no finer subdivision;
* trap and dubstep at 140-160: snare on 3 too, but the hats run in eighths of the grid tempo
  with sixteenth, triplet and thirty-second rolls, and the 808 kicks fall on sixteenths;
* drum and bass at 170-174: broken two-step beats, ghost snares, a held reese bass;
* house and techno at 120-130: four on the floor, off-beat hats and bass;
* reggae one drop at 72-80: nothing on 1, kick and rim on 3, skank chords on 2 and 4;
* rock with eighth hats and eighth power chords at 100-150; ballads at 72-76 with sixteenth
  hats and a cross-stick on 2 and 4;
* swing (ride "spang-a-lang" over a walking bass) and shuffles on a triplet grid;
* sparse ambient pulses under pads and reverb; syncopated (tresillo) bass under pads;
* ambiguous material: a drumless arpeggio, 3-against-4 over a kick, a 3/4 waltz, a Latin
  clave groove, a pluck on the beat with the hats on the sixteenths.

Played by drum machines (exact timing) or by "players" (timing spread 3-6 ms, velocities
varied). Deterministic: the same seed renders the same samples. The 53 pieces render in
about 5 s.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from tests.music import NOTE_NAMES, _add_at, chord_pitches, hihat, snare, tone

FIRST_BEAT_S = 0.1
_VELOCITY = {"x": 1.0, "o": 0.5, "-": 0.25}


@dataclass(frozen=True)
class Part:
    """One instrument's loop: ``pattern`` has one character per step ("x" full, "o" half,
    "-" quarter velocity, "." rest; "|" and spaces are ignored) and may span several bars."""

    sound: str
    pattern: str
    steps_per_beat: int = 4
    gain: float = 1.0

    def hits(self) -> list[tuple[int, float]]:
        steps = self.pattern.replace("|", "").replace(" ", "")
        return [(i, _VELOCITY[c]) for i, c in enumerate(steps) if c != "."]

    def length_steps(self) -> int:
        return len(self.pattern.replace("|", "").replace(" ", ""))


@dataclass(frozen=True)
class Tonal:
    """Bass, chords or a melody-like line. ``kind``: "bass" (chord root), "chord" (triad),
    "pad" (triad, slow attack, held), "arp" (triad notes in turn); ``hold`` is the note
    length in steps."""

    kind: str
    pattern: str
    steps_per_beat: int = 4
    gain: float = 1.0
    hold: float = 1.0
    octave: int = 0


@dataclass(frozen=True)
class Style:
    """A groove: drum parts, tonal parts over a progression, and how it is played."""

    parts: tuple[Part, ...]
    tonal: tuple[Tonal, ...] = ()
    progression: tuple[str, ...] = ("i", "VI", "III", "VII")
    beats_per_bar: int = 4
    bars_per_chord: int = 1
    human_ms: float = 0.0
    reverb_s: float = 0.0
    mode: str = "minor"


@dataclass(frozen=True)
class Piece:
    """One item of the set: a style at a notated tempo and sample rate."""

    name: str
    style: str
    bpm: float
    rate: int
    seconds: float = 30.0
    seed: int = 0
    tonic: str = "A"
    tags: tuple[str, ...] = field(default_factory=tuple)

    def render(self) -> np.ndarray:
        """Stereo float32 (2, frames); the first beat is at 0.1 s."""
        return render_style(STYLES[self.style], self.bpm, self.seconds, rate=self.rate,
                            seed=self.seed, tonic=self.tonic)


def _p(sound: str, pattern: str, steps: int = 4, gain: float = 1.0) -> Part:
    return Part(sound, pattern, steps, gain)


HATS_8 = "x.o.x.o.x.o.x.o."
HATS_16 = "xo-oxo-oxo-oxo-o"

STYLES: dict[str, Style] = {
    "halftime_hiphop": Style(
        parts=(_p("kick", "x.........o.....|x.....o...x....."),
               _p("snare", "........x.......|........x......."),
               _p("hat", HATS_8 * 2, gain=0.6)),
        tonal=(Tonal("bass", "x.........x.....", hold=8, octave=-1),
               Tonal("pad", "x...............", hold=16, gain=0.5)),
        human_ms=4.0),
    "trap": Style(
        parts=(_p("808", "x......x..x.....|x.........x..x.."),
               _p("clap", "........x.......|........x......."),
               # eighths of the grid tempo with rolls: sixteenths, triplets, thirty-seconds
               _p("hat", "x...x...x...x...x...x...x.x.x.x.|"
                         "x...x...x...x...x...x...xxxxxxxx", steps=8, gain=0.6),
               _p("hat", "............|............|............|......xxxxxx", steps=6,
                  gain=0.4)),
        tonal=(Tonal("pad", "x...............", hold=16, gain=0.35),),
        progression=("i", "i", "VI", "VII")),
    "dubstep": Style(
        parts=(_p("kick", "x.........x.....|x.......-.......", gain=1.0),
               _p("snare", "........x.......|........x......."),
               _p("hat", "x.o.x.o.x.o.x.o.|x.o.x.o.x.o.xoxo", gain=0.5)),
        tonal=(Tonal("wobble", "xxxxxxxxxxxxxxxx", hold=1, octave=-1, gain=0.6),),
        progression=("i", "i", "VI", "VII")),
    "dnb": Style(
        parts=(_p("kick", "x.........x.....|x.x.......x....."),
               _p("snare", "....x..o.o..x...|....x..o....x..o"),
               _p("hat", HATS_8 * 2, gain=0.5),
               _p("shaker", "-.-.-.-.-.-.-.-.", gain=0.5)),
        tonal=(Tonal("reese", "x...............|................", hold=32, octave=-1,
                     gain=0.6),
               Tonal("pad", "x...............", hold=16, gain=0.3)),
        bars_per_chord=2),
    "house": Style(
        parts=(_p("kick", "x...x...x...x..."),
               _p("clap", "....x.......x..."),
               _p("open_hat", "..x...x...x...x.", gain=0.7),
               _p("hat", "-o-o-o-o-o-o-o-o", gain=0.4)),
        tonal=(Tonal("bass", "..x...x...x...x.", hold=1.5, octave=-1),
               Tonal("chord", "x.....x.........|...x.....x......", hold=2, gain=0.4)),
        progression=("i", "VII", "VI", "VII")),
    "techno": Style(
        parts=(_p("kick", "x...x...x...x..."),
               _p("ride", "..x...x...x...x.", gain=0.5),
               _p("hat", "oooooooooooooooo", gain=0.35),
               _p("rim", "...x..x....x..x.", gain=0.4)),
        tonal=(Tonal("bass", ".xx..xx..xx..xx.", hold=0.8, octave=-1, gain=0.7),),
        progression=("i", "i", "i", "VI")),
    "one_drop": Style(
        parts=(_p("kick", "........x......."),
               _p("rim", "........x......."),
               _p("hat", "x.o.x.o.x.o.x.o.", gain=0.5)),
        tonal=(Tonal("chord", "....x.......x...", hold=1.2, gain=0.7),
               Tonal("bass", "........x.x...x.|x.......x..x....", hold=2, octave=-1)),
        progression=("i", "iv", "i", "VII"), human_ms=4.0),
    "rock": Style(
        parts=(_p("kick", "x.......x.x....."),
               _p("snare", "....x.......x..."),
               _p("hat", "x.o.x.o.x.o.x.o.", gain=0.6),
               _p("crash", "x...............|................|................|"
                           "................", gain=0.5)),
        tonal=(Tonal("power", "x.x.x.x.x.x.x.x.", hold=1.6, gain=0.6),
               Tonal("bass", "x.x.x.x.x.x.x.x.", hold=1.6, octave=-1, gain=0.7)),
        progression=("I", "V", "vi", "IV"), mode="major", human_ms=5.0),
    "ballad": Style(
        parts=(_p("kick", "x.......x.o....."),
               _p("rim", "....x.......x..."),
               _p("hat", "o-o-o-o-o-o-o-o-", gain=0.5)),
        tonal=(Tonal("piano", "x...x...x...x...", hold=4, gain=0.5),
               Tonal("bass", "x.......x.......", hold=8, octave=-1, gain=0.6),
               Tonal("pad", "x...............", hold=16, gain=0.3)),
        progression=("I", "vi", "IV", "V"), mode="major", human_ms=5.0, reverb_s=1.2),
    "swing": Style(
        parts=(_p("ride", "x..x.ox..x.o", steps=3, gain=0.6),
               _p("hat", "...x.....x..", steps=3, gain=0.5),
               _p("kick", "-.....-.....|-.....-.....", steps=3, gain=0.5)),
        tonal=(Tonal("walk", "x..x..x..x..", steps_per_beat=3, hold=2.8, octave=-1),
               Tonal("chord", "...x.....o..|.....x......", steps_per_beat=3, hold=1.5,
                     gain=0.4)),
        progression=("ii", "V", "I", "vi"), mode="major", human_ms=6.0, reverb_s=0.6),
    "shuffle": Style(
        parts=(_p("kick", "x.....x.....", steps=3),
               _p("snare", "...x.....x..", steps=3),
               _p("hat", "x.ox.ox.ox.o", steps=3, gain=0.6)),
        tonal=(Tonal("bass", "x.ox.ox.ox.o", steps_per_beat=3, hold=1.5, octave=-1,
                     gain=0.6),),
        progression=("I", "IV", "I", "V"), mode="major", human_ms=4.0),
    "ambient_pulse": Style(
        parts=(_p("soft_kick", "x...x...x...x...", gain=0.6),),
        tonal=(Tonal("pad", "x...............", hold=16, gain=0.8),
               Tonal("bell", "x.......x.......|........x.......", hold=6, octave=1,
                     gain=0.3)),
        progression=("I", "IV", "vi", "V"), mode="major", bars_per_chord=2, reverb_s=2.5),
    "pluck_pulse": Style(
        parts=(_p("shaker", "-.-.-.-.-.-.-.-.", gain=0.3),),
        tonal=(Tonal("pluck", "x...x...x...x...", hold=2, gain=0.7),
               Tonal("pad", "x...............", hold=16, gain=0.6)),
        progression=("i", "VI", "III", "VII"), reverb_s=1.8),
    "tresillo_pads": Style(
        parts=(_p("rim", "....x.......x...", gain=0.4),
               _p("shaker", "-o-o-o-o-o-o-o-o", gain=0.3)),
        tonal=(Tonal("bass", "x..x..x.x..x..x.", hold=2.5, octave=-1),
               Tonal("pad", "x...............", hold=16, gain=0.6)),
        progression=("i", "VI", "III", "VII"), human_ms=3.0, reverb_s=0.8),
    "boom_bap": Style(
        parts=(_p("kick", "x.....x.x.....o.|x.........x....."),
               _p("snare", "....x.......x...|....x.......x..o"),
               _p("hat", HATS_16, gain=0.45)),
        tonal=(Tonal("bass", "x.....x.x.......", hold=2, octave=-1, gain=0.7),
               Tonal("chord", "x.......x.......", hold=6, gain=0.35)),
        human_ms=5.0),
    "arpeggio": Style(
        parts=(),
        tonal=(Tonal("arp", "x-o-x-o-x-o-x-o-", hold=0.9, gain=0.8),
               Tonal("pad", "x...............", hold=16, gain=0.5)),
        progression=("i", "VI", "III", "VII")),
    "three_over_four": Style(
        parts=(_p("kick", "x...x...x...x..."),
               _p("hat", "..x...x...x...x.", gain=0.4)),
        tonal=(Tonal("pluck", "x..x..x..x..x..x..x..x..x..x..x..x..x..x..x..x..", hold=2,
                     gain=0.6),),
        progression=("i", "i", "VI", "VII")),
    "waltz": Style(
        parts=(_p("hat", "x.o.o.", steps=2, gain=0.3),),
        tonal=(Tonal("bass", "x...........", hold=4, octave=-1),
               Tonal("chord", "....x...x...", hold=3, gain=0.5)),
        progression=("I", "IV", "V", "I"), mode="major", beats_per_bar=3, human_ms=5.0,
        reverb_s=0.8),
    "clave": Style(
        parts=(_p("rim", "x..x..x...x.x...|"),
               _p("kick", "x...x...x...x...", gain=0.5),
               _p("shaker", "xoooxoooxoooxooo", gain=0.35),
               _p("conga", "...x..x....x..x.", gain=0.5)),
        tonal=(Tonal("bass", "...x..x....x..x.", hold=3, octave=-1, gain=0.7),
               Tonal("chord", "..x..x...x..x...", hold=1, gain=0.35)),
        progression=("I", "IV", "V", "IV"), mode="major", human_ms=3.0),
    "sixteenth_pluck": Style(
        parts=(_p("hat", "oxoxoxoxoxoxoxox", gain=0.35),
               _p("clap", "....x.......x...", gain=0.5)),
        tonal=(Tonal("pluck", "x...x...x...x...", hold=3, gain=0.7),
               Tonal("pad", "x...............", hold=16, gain=0.4)),
        progression=("I", "V", "vi", "IV"), mode="major"),
}


def evaluation_set() -> list[Piece]:
    """The set: 53 pieces of 30 s, 72-174 BPM, every style at 44.1 and 48 kHz (alternately)."""
    plan: list[tuple[str, Sequence[float], tuple[str, ...]]] = [
        ("halftime_hiphop", (72.0, 78.0, 84.0, 90.0), ("half-time",)),
        ("trap", (140.0, 145.0, 150.0, 160.0), ("half-time",)),
        ("dubstep", (140.0, 150.0), ("half-time",)),
        ("dnb", (170.0, 172.0, 174.0, 174.0), ("broken",)),
        ("house", (120.0, 124.0, 126.0), ("four-on-the-floor",)),
        ("techno", (128.0, 130.0), ("four-on-the-floor",)),
        ("one_drop", (72.0, 76.0, 80.0), ("half-time",)),
        ("rock", (100.0, 116.0, 132.0, 150.0), ("eighths",)),
        ("ballad", (72.0, 74.0, 76.0), ("sixteenths",)),
        ("swing", (120.0, 144.0, 160.0), ("triplets",)),
        ("shuffle", (96.0, 110.0), ("triplets",)),
        ("ambient_pulse", (76.0, 90.0), ("sparse",)),
        ("pluck_pulse", (100.0, 84.0), ("sparse",)),
        ("tresillo_pads", (100.0, 115.0, 122.0), ("syncopated",)),
        ("boom_bap", (88.0, 94.0), ("sixteenths",)),
        ("arpeggio", (128.0, 110.0), ("ambiguous",)),
        ("three_over_four", (108.0, 124.0), ("ambiguous",)),
        ("waltz", (100.0, 132.0), ("ambiguous",)),
        ("clave", (105.0, 98.0), ("ambiguous",)),
        ("sixteenth_pluck", (96.0, 118.0), ("ambiguous",)),
    ]
    pieces = []
    for style_index, (style, tempi, tags) in enumerate(plan):
        for index, bpm in enumerate(tempi):
            rate = (44100, 48000)[(style_index + index) % 2]
            pieces.append(Piece(
                name=f"{style}-{bpm:g}-{rate // 1000}k", style=style, bpm=bpm, rate=rate,
                seed=100 * style_index + index, tonic=NOTE_NAMES[(3 * style_index + index) % 12],
                tags=tags))
    return pieces


def render_style(style: Style, bpm: float, seconds: float, *, rate: int = 44100, seed: int = 0,
                 tonic: str = "A") -> np.ndarray:
    """Render ``style`` at ``bpm`` for ``seconds`` (stereo float32, peak 0.7, soft-clipped)."""
    rng = np.random.default_rng(seed)
    frames = round(seconds * rate)
    mono = np.zeros(frames)
    beat_s = 60.0 / bpm
    for part in style.parts:
        sound = _drum(part.sound, rate, seed)
        for time_s, velocity in _times(part.hits(), part.length_steps(), part.steps_per_beat,
                                       beat_s, seconds, style.human_ms, rng):
            accent = velocity * part.gain * (1.0 + 0.15 * rng.uniform(-1, 1) * (style.human_ms > 0))
            _add_at(mono, accent * sound, round(time_s * rate))
    tonal = np.zeros(frames)
    tonic_pc = NOTE_NAMES.index(tonic)
    bar_s = beat_s * style.beats_per_bar
    for line in style.tonal:
        steps = line.pattern.replace("|", "").replace(" ", "")
        hits = [(i, _VELOCITY[c]) for i, c in enumerate(steps) if c != "."]
        step_s = beat_s / line.steps_per_beat
        for count, (time_s, velocity) in enumerate(_times(hits, len(steps), line.steps_per_beat,
                                                          beat_s, seconds, style.human_ms,
                                                          rng)):
            bar = int((time_s - FIRST_BEAT_S + 0.02) // bar_s)
            numeral = style.progression[(bar // style.bars_per_chord) % len(style.progression)]
            chord = chord_pitches(numeral, tonic_pc, style.mode)
            note = _tonal_note(line, chord, count, line.hold * step_s, rate)
            _add_at(tonal, velocity * line.gain * note, round(time_s * rate))
    if np.any(tonal):
        mono += 0.6 * tonal / np.max(np.abs(tonal)) * max(0.3, float(np.max(np.abs(mono))))
    if style.reverb_s > 0.0:
        mono += 0.25 * _reverb(mono, style.reverb_s, rate, rng)
    scaled = (1.3 / max(1e-9, float(np.max(np.abs(mono))))) * mono.astype(np.float32)
    return np.tile(np.float32(0.7) * np.tanh(scaled), (2, 1))


def _times(hits: Sequence[tuple[int, float]], length: int, steps_per_beat: int, beat_s: float,
           seconds: float, human_ms: float,
           rng: np.random.Generator) -> list[tuple[float, float]]:
    """(time s, velocity) of every hit of a looped pattern, humanised by ``human_ms``."""
    step_s = beat_s / steps_per_beat
    loop_s = length * step_s
    out = []
    start = FIRST_BEAT_S
    while start < seconds:
        for step, velocity in hits:
            time_s = start + step * step_s
            if human_ms > 0.0:
                time_s += rng.normal(0.0, human_ms / 1000.0)
            if 0.0 <= time_s < seconds:
                out.append((time_s, velocity))
        start += loop_s
    return out


@functools.lru_cache(maxsize=256)
def _drum(name: str, rate: int, seed: int) -> np.ndarray:
    """The named one-shot at ``rate``, read-only."""
    maker: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
        "kick": lambda r, g: _kick(r, 50.0, 0.25),
        "soft_kick": lambda r, g: 0.7 * _lowpass(_kick(r, 45.0, 0.35), 300.0, r),
        "808": lambda r, g: _kick(r, 42.0, 0.9),
        "snare": snare,
        "clap": _clap,
        "rim": lambda r, g: _burst(r, 1700.0, 0.012, g, 0.3),
        "conga": lambda r, g: _burst(r, 330.0, 0.09, g, 0.05),
        "hat": lambda r, g: hihat(r, g, 0.04),
        "open_hat": lambda r, g: hihat(r, g, 0.15),
        "shaker": _shaker,
        "ride": _ride,
        "crash": lambda r, g: hihat(r, g, 0.6) * 0.8,
    }
    sound = np.asarray(maker[name](rate, np.random.default_rng([seed, zlib.crc32(name.encode())])))
    sound.setflags(write=False)
    return sound


def _kick(rate: int, end_hz: float, decay_s: float) -> np.ndarray:
    t = np.arange(round(min(1.5, 5 * decay_s) * rate)) / rate
    freq = end_hz + 2.0 * end_hz * np.exp(-t / 0.03)
    body = np.sin(2.0 * np.pi * np.cumsum(freq) / rate) * np.exp(-t / decay_s)
    click = np.where(t < 0.002, 0.4 * (1.0 - t / 0.002), 0.0)
    return body + click


def _clap(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round(0.3 * rate)) / rate
    noise = _bandpass(rng.standard_normal(t.size), 900.0, 2500.0, rate)
    envelope = np.exp(-t / 0.06)
    for delay in (0.0, 0.009, 0.018):
        envelope += np.where(t >= delay, np.exp(-(t - delay) / 0.006), 0.0)
    return 0.8 * noise * envelope / max(1e-9, float(np.max(np.abs(noise))))


def _burst(rate: int, freq: float, decay_s: float, rng: np.random.Generator,
           noise: float) -> np.ndarray:
    t = np.arange(round(6 * decay_s * rate)) / rate
    body = np.sin(2.0 * np.pi * freq * t) + noise * rng.standard_normal(t.size)
    return 0.8 * body * np.exp(-t / decay_s)


def _shaker(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round(0.08 * rate)) / rate
    noise = _bandpass(rng.standard_normal(t.size), 4000.0, 9000.0, rate)
    envelope = np.minimum(1.0, t / 0.012) * np.exp(-t / 0.025)
    return 0.5 * noise * envelope / max(1e-9, float(np.max(np.abs(noise))))


def _ride(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round(1.2 * rate)) / rate
    bell = sum(np.sin(2.0 * np.pi * f * t) for f in (3150.0, 4720.0, 5870.0, 7300.0))
    wash = np.diff(rng.standard_normal(t.size + 1)) * 0.5
    return 0.3 * (0.4 * np.asarray(bell) + wash) * np.exp(-t / 0.35)


def _bandpass(x: np.ndarray, low: float, high: float, rate: int) -> np.ndarray:
    sos = signal.butter(2, [low, min(high, 0.45 * rate)], "bandpass", fs=rate, output="sos")
    return signal.sosfilt(sos, x)


def _lowpass(x: np.ndarray, cutoff: float, rate: int) -> np.ndarray:
    return signal.sosfilt(signal.butter(2, cutoff, fs=rate, output="sos"), x)


def _tonal_note(line: Tonal, chord: Sequence[int], count: int, length_s: float,
                rate: int) -> np.ndarray:
    """One note or chord of a tonal line (read-only arrays are copied by the scaling)."""
    root = chord[0]
    base = 48 + 12 * line.octave
    if line.kind in ("bass", "walk", "reese", "wobble"):
        pc = root if line.kind != "walk" else chord[count % 3]
        midi = 36 + 12 * (line.octave + 1) + (pc - 36) % 12
        if line.kind == "reese":
            return 0.5 * (tone(midi, length_s, rate, partials=8, attack_s=0.05)
                          + tone(midi + 0.12, length_s, rate, partials=8, attack_s=0.05))
        if line.kind == "wobble":
            return tone(midi, length_s, rate, partials=8, attack_s=0.02, release_s=0.03)
        return tone(midi, length_s, rate, partials=4, decay_s=0.5)
    if line.kind == "arp":
        pc = chord[count % 3]
        return tone(60 + (pc - 60) % 12, length_s, rate, partials=5, decay_s=0.25)
    if line.kind == "bell":
        return tone(72 + (root - 72) % 12, length_s, rate, partials=2, attack_s=0.005,
                    decay_s=1.0)
    pitches = [base + 7 + (pc - base - 7) % 12 for pc in chord]
    if line.kind == "pad":
        return _chord(pitches, length_s, rate, 0.4)
    if line.kind == "power":
        return _chord([pitches[0] - 12, pitches[0] - 5], length_s, rate, 0.003, decay_s=0.3)
    decay = {"piano": 1.2, "pluck": 0.3}.get(line.kind, 0.4)
    return _chord(pitches, length_s, rate, 0.004, decay_s=decay)


def _chord(midis: Sequence[int], length_s: float, rate: int, attack_s: float,
           decay_s: float | None = None) -> np.ndarray:
    notes = [tone(m, length_s, rate, attack_s=attack_s, release_s=min(0.3, 0.3 * length_s),
                  decay_s=decay_s) for m in midis]
    return np.sum(notes, axis=0) / len(notes)


def _reverb(mono: np.ndarray, decay_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Exponentially decaying noise tail (RT60 about ``decay_s``), low-passed at 6 kHz."""
    t = np.arange(round(decay_s * rate)) / rate
    impulse = rng.standard_normal(t.size) * np.exp(-6.9 * t / decay_s)
    impulse = _lowpass(impulse, 6000.0, rate)
    wet = signal.oaconvolve(mono, impulse)[:mono.size]
    return wet * (np.max(np.abs(mono)) / max(1e-9, float(np.max(np.abs(wet)))))
