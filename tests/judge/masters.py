"""An evaluation set of real-style masters, built by construction.

Each song has an arrangement a producer would recognise: an intro without drums, full
sections, a break, a fade-out and a reverb tail after the last hit; the stereo image is a
mono low end with decorrelated pads and room above 300 Hz; the master is balanced to the
genre's tonal curve (as a mastering engineer would), brought to the genre's loudness and
limited under a true-peak ceiling. Controls have no defect; each defect case plants one
known problem in an otherwise clean master. Every case lists the issue codes that must
fire (``expected``) and the codes that must not (``forbidden``).

The set is the yardstick for false alarms: fades, tails, breaks and silence must never
decide a verdict. ``python -m tests.judge.masters`` prints the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import signal

from tests.mixes import RATE, analysed, at_loudness, equalised, limited, shaped_noise
from tests.music import render_drums, render_song
from zz_core.judge import genres
from zz_core.judge.models import AnalysisResult
from zz_core.measure.spectrum import (
    OCTAVE_CENTRES_HZ,
    analyse_frames,
    level_match_offset,
    octave_levels_re_1k,
)
from zz_core.vocab import ISSUE_CODES

DEFECT_CODES: frozenset[str] = frozenset(ISSUE_CODES) - {"silence", "too_dynamic", "mono"}
"""Codes a clean, well-made master must never get (silence at the edges, a dynamic
master and a mono file are matters of intent)."""


@dataclass(frozen=True)
class Style:
    """How a genre's song is arranged and mastered."""

    genre: str
    bpm: float
    pattern: str
    tonic: str
    mode: str
    progression: tuple[str, ...]
    ceiling_dbtp: float = -1.0
    drums_db: float = 0.0


STYLES: dict[str, Style] = {
    "electronic": Style("electronic", 126.0, "four_on_the_floor", "A", "minor",
                        ("i", "VI", "III", "VII")),
    "pop": Style("pop", 104.0, "backbeat", "C", "major", ("I", "V", "vi", "IV")),
    "rock": Style("rock", 132.0, "backbeat", "E", "minor", ("i", "VI", "VII", "i")),
    "hiphop": Style("hiphop", 88.0, "syncopated", "F", "minor", ("i", "iv", "VI", "V")),
    "jazz": Style("jazz", 120.0, "shuffle", "F", "major", ("ii", "V", "I", "vi"),
                  drums_db=-8.0),
    "classical": Style("classical", 72.0, "backbeat", "D", "major", ("I", "IV", "V", "I"),
                       drums_db=-14.0),
}


def _reverb(mono: np.ndarray, seconds: float, rate: int, seed: int) -> np.ndarray:
    """A stereo reverb of ``mono``: two decorrelated exponentially decaying noise tails
    (RT60 = ``seconds``), low-passed at 6 kHz as a hall is."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    decay = np.exp(-6.9 * np.arange(n) / n)  # -60 dB over the tail
    sos = signal.butter(2, [150.0, 6000.0], btype="bandpass", fs=rate, output="sos")
    out = []
    for _ in range(2):
        ir = signal.sosfilt(sos, rng.standard_normal(n)) * decay
        ir /= np.sqrt(np.sum(ir**2))
        out.append(signal.fftconvolve(mono, ir)[: mono.size + n])
    return np.vstack(out)


def _widen(mono: np.ndarray, rate: int, delay_ms: float = 11.0) -> np.ndarray:
    """Stereo from mono: the same below 300 Hz, a short delay on one side above it."""
    sos = signal.butter(4, 300.0, btype="highpass", fs=rate, output="sos")
    highs = signal.sosfilt(sos, mono)
    lows = mono - highs
    shift = int(delay_ms * rate / 1000)
    delayed = np.concatenate([np.zeros(shift), highs[:-shift]])
    return np.vstack([lows + highs, lows + 0.8 * highs + 0.45 * delayed])


def _balance_to_genre(audio: np.ndarray, genre: str, rate: int) -> np.ndarray:
    """Master EQ: a 25 Hz high-pass (no DC, no rumble), then the long-term octave levels
    brought onto the genre's tonal curve, measured with the engine's own STFT pass and
    corrected twice (smooth gains between octave centres): balanced by construction."""
    targets = genres.resolve_targets(genre).targets
    sos = signal.butter(2, 25.0, btype="highpass", fs=rate, output="sos")
    audio = signal.sosfiltfilt(sos, audio, axis=1)
    centres = np.array(OCTAVE_CENTRES_HZ)
    wanted = np.array([targets.tonal_curve_db[c] for c in OCTAVE_CENTRES_HZ])
    freqs = np.fft.rfftfreq(audio.shape[1], 1.0 / rate)
    for _ in range(3):
        measured = octave_levels_re_1k(analyse_frames(audio.astype(np.float32), rate))
        offset = level_match_offset(centres, measured, wanted, floor_db=None)
        correction = np.nan_to_num((wanted + offset) - measured)
        correction = np.clip(correction, -12.0, 12.0)
        gain_db = np.interp(np.log2(np.maximum(freqs, 1.0)), np.log2(centres), correction)
        spectrum = np.fft.rfft(audio, axis=1) * 10 ** (gain_db / 20)
        spectrum[:, 0] = 0.0
        audio = np.fft.irfft(spectrum, n=audio.shape[1], axis=1)
    return audio


def _set_width(audio: np.ndarray, genre: str) -> np.ndarray:
    """Mid/side balance set so the stereo width (side/mid energy) sits in the middle of
    the genre's range, as a mastering engineer sets it."""
    wanted = genres.resolve_targets(genre).targets.stereo_width
    mid, side = (audio[0] + audio[1]) / 2, (audio[0] - audio[1]) / 2
    target = (wanted.min + wanted.max) / 2
    side *= np.sqrt(target * np.sum(mid**2) / max(np.sum(side**2), 1e-30))
    return np.vstack([mid + side, mid - side])


def _dynamics(music: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """An orchestral shape: pp opening, crescendo to ff, a quiet middle, ff close (about
    18 dB between the softest and the loudest passage)."""
    points_s = np.array([0.0, 0.25, 0.45, 0.55, 0.8, 1.0]) * seconds
    points_db = np.array([-18.0, -4.0, 0.0, -14.0, 0.0, -2.0])
    t = np.arange(music.shape[-1]) / rate
    return music * 10 ** (np.interp(t, points_s, points_db) / 20)


def control_lufs(style: Style) -> float:
    """The control's loudness: inside the genre's loudness range, with its PLR (peaks at
    the ceiling) inside the genre's PLR range."""
    targets = genres.resolve_targets(style.genre).targets
    low = max(targets.integrated_lufs.min, style.ceiling_dbtp - targets.plr_db.max)
    high = min(targets.integrated_lufs.max, style.ceiling_dbtp - targets.plr_db.min)
    return round((low + high) / 2, 1)


@lru_cache(maxsize=16)
def mix(style_name: str, seconds: float = 48.0, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """The unmastered stereo mix of a song in ``style_name``: intro (no drums), verse,
    break (music only), chorus, an ending on the last hit with a reverb tail."""
    style = STYLES[style_name]
    tail_s = 4.0 if style.genre != "classical" else 6.0
    body_s = seconds - tail_s
    music = render_song(style.tonic, style.mode, style.progression, seconds=body_s,
                        bpm=style.bpm, rate=rate, channels=1, seed=seed)[0].astype(float)
    drums = render_drums(style.bpm, body_s, rate=rate, pattern=style.pattern, channels=1,
                         seed=seed, level=0.6).audio[0].astype(float)
    drums *= 10 ** (style.drums_db / 20)
    t = np.arange(music.size) / rate
    intro, brk = (t < body_s * 0.18), (t > body_s * 0.5) & (t < body_s * 0.62)
    drums[intro | brk] = 0.0
    music[intro] *= 0.5
    texture = shaped_noise(body_s, style.genre, seed=seed + 11, rate=rate)
    body = _widen(music, rate) + np.vstack([drums, drums]) + 0.05 * texture[:, : music.size]
    if style.genre == "classical":
        body = _dynamics(body, rate, body_s)
    wet = _reverb(np.mean(body, axis=0), tail_s, rate, seed + 3)
    out = np.zeros((2, body.shape[1] + wet.shape[1] - body.shape[1]))
    out[:, : body.shape[1]] += body
    out += 0.25 * wet
    out = _set_width(_balance_to_genre(out, style.genre, rate), style.genre)
    return (out / np.max(np.abs(out)) * 0.5).astype(np.float32)


def master(style_name: str, *, lufs: float | None = None, ceiling_dbtp: float | None = None,
           fade_out_s: float = 0.0, seconds: float = 48.0, seed: int = 0,
           pre: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """The mastered song: optional processing ``pre`` on the mix, then loudness and
    limiting to the style's targets (or the given ones), then an optional fade-out."""
    style = STYLES[style_name]
    audio = mix(style_name, seconds, seed).astype(float)
    if pre is not None:
        audio = pre(audio)
    out = limited(audio.astype(np.float32), control_lufs(style) if lufs is None else lufs,
                  style.ceiling_dbtp if ceiling_dbtp is None else ceiling_dbtp)
    if fade_out_s > 0:
        n = int(fade_out_s * RATE)
        end = out.shape[1] - int(4.0 * RATE)  # fade the music, then the tail rings out
        ramp = np.linspace(1.0, 0.0, n) ** 2
        out[:, end - n:end] *= ramp
        out[:, end:] *= 0.0
        out[:, end:] += 0.0
    return out.astype(np.float32)


# --------------------------------------------------------------------------- defects


def hard_clipped(audio: np.ndarray, start_s: float, end_s: float, over_db: float = 4.0
                 ) -> np.ndarray:
    """A stretch pushed ``over_db`` into a hard clip at full scale."""
    out = audio.copy()
    a, b = int(start_s * RATE), int(end_s * RATE)
    peak = float(np.max(np.abs(out)))
    out[:, a:b] = np.clip(out[:, a:b] / peak * 10 ** (over_db / 20), -1.0, 1.0)
    return out


def polarity_section(audio: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    out = audio.copy()
    out[1, int(start_s * RATE):int(end_s * RATE)] *= -1
    return out


def dead_channel(audio: np.ndarray, gain_db: float = -12.0) -> np.ndarray:
    out = audio.copy()
    out[1] *= 10 ** (gain_db / 20)
    return out


def with_dc(audio: np.ndarray, dbfs: float = -30.0) -> np.ndarray:
    return (audio + 10 ** (dbfs / 20)).astype(np.float32)


@dataclass(frozen=True)
class Case:
    """One master of the set with the codes it must and must not get."""

    name: str
    build: Callable[[], np.ndarray]
    context: str
    genre: str
    expected: frozenset[str] = frozenset()
    forbidden: frozenset[str] = field(default_factory=lambda: DEFECT_CODES)


def _tonal(style: str, low: float, high: float, gain: float) -> Callable[[np.ndarray],
                                                                          np.ndarray]:
    return lambda audio: equalised(audio.astype(np.float32), low, high, gain)


def cases() -> list[Case]:
    """Controls (every style, with and without a fade-out) and planted defects."""
    out: list[Case] = []
    for name, style in STYLES.items():
        out.append(Case(f"control-{name}", lambda n=name: master(n), "master", style.genre))
        out.append(Case(f"control-{name}-fade", lambda n=name: master(n, fade_out_s=8.0),
                        "master", style.genre))
    out.append(Case("control-pop-streaming-14", lambda: master("pop", lufs=-14.0), "master",
                    "pop", forbidden=DEFECT_CODES - {"too_quiet"}))
    out.append(Case("control-electronic-mixdown",
                    lambda: at_loudness(mix("electronic"), -21.0), "mixdown", "electronic"))
    defects: list[tuple[str, str, Callable[[], np.ndarray], frozenset[str]]] = [
        ("clipped", "pop", lambda: hard_clipped(master("pop"), 20.0, 24.0),
         frozenset({"clipping"})),
        ("true-peak-over", "electronic", lambda: master("electronic", ceiling_dbtp=0.6),
         frozenset({"true_peak_over"})),
        ("polarity-flip", "rock", lambda: polarity_section(master("rock"), 12.0, 20.0),
         frozenset({"phase_cancellation"})),
        ("dead-channel", "pop", lambda: dead_channel(master("pop")),
         frozenset({"channel_imbalance"})),
        ("dc-offset", "hiphop", lambda: with_dc(master("hiphop")), frozenset({"dc_offset"})),
        ("muddy", "pop", lambda: master("pop", pre=_tonal("pop", 200.0, 550.0, 9.0)),
         frozenset({"low_mid_excess"})),
        ("harsh", "rock", lambda: master("rock", pre=_tonal("rock", 1800.0, 4500.0, 9.0)),
         frozenset({"harshness"})),
        ("dull", "electronic",
         lambda: master("electronic", pre=_tonal("electronic", 7000.0, 20000.0, -14.0)),
         frozenset({"dull_highs"})),
        ("boomy", "hiphop", lambda: master("hiphop", pre=_tonal("hiphop", 25.0, 140.0, 10.0)),
         frozenset({"low_end_excess"})),
        ("too-quiet", "electronic", lambda: master("electronic", lufs=-17.0),
         frozenset({"too_quiet"})),
        ("over-compressed", "jazz", lambda: master("jazz", lufs=-6.5, ceiling_dbtp=-1.0),
         frozenset({"over_compressed", "too_loud"})),
    ]
    for name, genre, build, expected in defects:
        out.append(Case(f"defect-{name}", build, "master", genre, expected,
                        DEFECT_CODES - expected - _companions(expected)))
    return out


def _companions(expected: frozenset[str]) -> frozenset[str]:
    """Codes a defect legitimately brings with it (a squashed master is also loud)."""
    extra: set[str] = set()
    if "over_compressed" in expected:
        extra |= {"too_loud"}
    if "clipping" in expected:
        extra |= {"true_peak_over"}
    if "channel_imbalance" in expected:  # one channel down: quieter, and the image moves
        extra |= {"narrow_image", "wide_image", "too_quiet"}
    if "phase_cancellation" in expected:  # an inverted channel inverts its low end too
        extra |= {"wide_low_end"}
    return frozenset(extra)


def analyse(case: Case) -> AnalysisResult:
    return analysed(case.build(), context=case.context, genre=case.genre, name=case.name)


@dataclass(frozen=True)
class Outcome:
    case: Case
    codes: tuple[str, ...]  # every code that fired, once each

    @property
    def false_alarms(self) -> frozenset[str]:
        return frozenset(self.codes) & self.case.forbidden

    @property
    def missed(self) -> frozenset[str]:
        return self.case.expected - frozenset(self.codes)


def evaluate() -> list[Outcome]:
    outcomes = []
    for case in cases():
        result = analyse(case)
        outcomes.append(Outcome(case, tuple(sorted({i.code for i in result.issues}))))
    return outcomes


if __name__ == "__main__":
    total_forbidden = total_fired = 0
    for outcome in evaluate():
        total_forbidden += len(outcome.case.forbidden)
        total_fired += len(outcome.false_alarms)
        flag = "FALSE ALARM " + ",".join(sorted(outcome.false_alarms)) if outcome.false_alarms \
            else ""
        miss = "MISSED " + ",".join(sorted(outcome.missed)) if outcome.missed else ""
        print(f"{outcome.case.name:34s} {','.join(outcome.codes) or '-':60s} {flag} {miss}")
    print(f"forbidden verdicts fired: {total_fired} of {total_forbidden}")
