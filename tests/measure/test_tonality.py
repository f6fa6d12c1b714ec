"""Key detection on chord progressions rendered by construction (tests/music.py).

MIREX weighted score (measurement.md): same key 1.0, fifth 0.5, relative 0.3, parallel 0.2.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.music import NOTE_NAMES, chord_pitches, render_drums, render_song, tone
from zz_core.measure.features import compute_music_features
from zz_core.measure.tonality import (
    CLEAR_MARGIN,
    KeyResult,
    camelot_code,
    estimate_key,
    key_label,
)

PROGRESSIONS = {
    "major": (("I", "vi", "IV", "V"), ("I", "V", "vi", "IV")),
    # natural minor loop, and i-iv-V-i with harmonic minor's raised 7th in the V chord
    "minor": (("i", "VI", "III", "VII"), ("i", "iv", "V", "i")),
}

# The standard Camelot wheel.
CAMELOT_WHEEL = {
    "1B": "B major", "2B": "F# major", "3B": "Db major", "4B": "Ab major", "5B": "Eb major",
    "6B": "Bb major", "7B": "F major", "8B": "C major", "9B": "G major", "10B": "D major",
    "11B": "A major", "12B": "E major",
    "1A": "Ab minor", "2A": "Eb minor", "3A": "Bb minor", "4A": "F minor", "5A": "C minor",
    "6A": "G minor", "7A": "D minor", "8A": "A minor", "9A": "E minor", "10A": "B minor",
    "11A": "F# minor", "12A": "Db minor",
}


def mirex_score(estimate: tuple[str | None, str | None], truth: tuple[str, str]) -> float:
    """MIREX key score of ``estimate`` (tonic, mode) against ``truth``."""
    (tonic, mode), (true_tonic, true_mode) = estimate, truth
    if tonic is None or mode is None:
        return 0.0
    interval = (NOTE_NAMES.index(tonic) - NOTE_NAMES.index(true_tonic)) % 12
    if mode == true_mode:
        return {0: 1.0, 5: 0.5, 7: 0.5}.get(interval, 0.0)
    if interval == 0:
        return 0.2
    relative = 9 if true_mode == "major" else 3
    return 0.3 if interval == relative else 0.0


@pytest.mark.parametrize(("code", "key"), sorted(CAMELOT_WHEEL.items()))
def test_camelot_codes_follow_the_standard_wheel(code: str, key: str) -> None:
    tonic, mode = key.split()
    assert camelot_code(tonic, mode) == code


def test_camelot_accepts_sharps_and_flats_alike() -> None:
    assert camelot_code("C#", "major") == camelot_code("Db", "major") == "3B"
    assert camelot_code("G#", "minor") == camelot_code("Ab", "minor") == "1A"
    assert camelot_code("A#", "minor") == "3A"
    with pytest.raises(ValueError):
        camelot_code("H", "major")


def test_labels_use_the_conventional_spelling() -> None:
    assert key_label("C#", "major") == "Db major"
    assert key_label("C#", "minor") == "C# minor"
    assert key_label("A#", "major") == "Bb major"
    assert key_label("G#", "minor") == "G# minor"
    assert key_label("F#", "major") == "F# major"


def test_key_of_chord_progressions_in_every_key() -> None:
    scores, misses = [], []
    for index, tonic in enumerate(NOTE_NAMES):
        for mode, progressions in PROGRESSIONS.items():
            for variant, progression in enumerate(progressions):
                bpm = 96.0 + 2 * index + 5 * variant
                seconds = 9 * 4 * 60.0 / bpm  # two passes of four bars, then the tonic
                audio = render_song(tonic, mode, progression, seconds=seconds, bpm=bpm,
                                    rate=22050, seed=10 * index + variant)
                result = estimate_key(compute_music_features(audio, 22050))
                scores.append(mirex_score((result.tonic, result.mode), (tonic, mode)))
                if (result.tonic, result.mode) != (tonic, mode):
                    misses.append(f"{tonic} {mode} {'-'.join(progression)} -> {result.label}")
                else:
                    assert result.camelot == camelot_code(tonic, mode)
                    assert result.label == key_label(tonic, mode)
                    assert result.confidence >= 0.5, result
                    _assert_runner_up_consistent(result)
    message = (f"MIREX weighted score {np.mean(scores):.3f} over {len(scores)} songs; "
               f"correct {scores.count(1.0)}; misses: {misses}")
    assert np.mean(scores) >= 0.9, message
    assert not misses, message


@pytest.mark.parametrize(("tonic", "mode", "rate"), [
    ("F#", "minor", 44100), ("Bb", "major", 48000), ("C#", "minor", 96000),
])
def test_key_with_drums_at_full_rates(tonic: str, mode: str, rate: int) -> None:
    sharp = {"Bb": "A#"}.get(tonic, tonic)
    progression = PROGRESSIONS[mode][0]
    audio = render_song(sharp, mode, progression, seconds=9 * 4 * 60.0 / 124.0, bpm=124.0,
                        rate=rate, drums=True, seed=7)
    result = estimate_key(compute_music_features(audio, rate))
    assert (result.tonic, result.mode) == (sharp, mode), result
    assert result.alternatives and len(result.alternatives) == 3


def test_key_of_music_tuned_to_a432() -> None:
    """A render at 22050 Hz read as 21649 Hz sounds 31.7 cents flat: A4 = 432 Hz."""
    audio = render_song("E", "minor", PROGRESSIONS["minor"][1], seconds=20.0, rate=22050)
    features = compute_music_features(audio, 21649)
    result = estimate_key(features)
    assert (result.tonic, result.mode) == ("E", "minor"), result
    assert features.tuning_cents == pytest.approx(-31.7, abs=3.0)


def test_drums_alone_have_no_reliable_key() -> None:
    for pattern in ("backbeat", "four_on_the_floor", "two_step"):
        drums = render_drums(126.0, 15.0, rate=44100, pattern=pattern)
        result = estimate_key(compute_music_features(drums.audio, 44100))
        assert result.confidence < 0.2, (pattern, result)


@pytest.mark.parametrize("kind", ["silence", "white noise"])
def test_silence_and_noise_have_no_key(kind: str) -> None:
    rng = np.random.default_rng(2)
    audio = (np.zeros((2, 220500), dtype=np.float32) if kind == "silence"
             else (0.1 * rng.standard_normal((2, 220500))).astype(np.float32))
    result = estimate_key(compute_music_features(audio, 22050))
    assert result.tonic is None and result.mode is None and result.camelot is None
    assert result.label is None and result.confidence == 0.0 and result.alternatives == []
    assert result.second_label is None and result.second_camelot is None
    assert result.margin == 0.0 and result.close is False


def _assert_runner_up_consistent(result: KeyResult) -> None:
    assert result.second_label == result.alternatives[0]
    assert result.second_camelot is not None and result.second_label is not None
    tonic, mode = result.second_label.split()
    assert result.second_camelot == camelot_code(tonic, mode)
    assert result.margin >= 0.0
    assert result.close == (result.margin < CLEAR_MARGIN)


def _chord_loop(numerals: tuple[str, ...], rate: int = 22050) -> np.ndarray:
    """Held triads (C3-B3 roots an octave up), two seconds each, three times round: no
    melody, no cadence, every chord as long and loud as the others."""
    chords = []
    for _ in range(3):
        for numeral in numerals:
            pitches = chord_pitches(numeral, 0, "major")
            chords.append(sum(np.asarray(tone(60 + (pc - 60) % 12, 2.0, rate))
                              for pc in pitches))
    mono = np.concatenate(chords)
    return np.tile(0.5 * mono / np.max(np.abs(mono)), (2, 1)).astype(np.float32)


def test_relative_keys_of_a_bare_chord_loop_are_close() -> None:
    """Am F C G (and C Am F G) as bare held chords: the same notes in C major and A minor;
    nothing but the template's tonic weight separates them, so the runner-up is the
    relative key, on the same Camelot number, and the result says it is close."""
    for numerals in (("vi", "IV", "I", "V"), ("I", "vi", "IV", "V")):
        result = estimate_key(compute_music_features(_chord_loop(numerals), 22050))
        assert {result.label, result.second_label} == {"C major", "A minor"}, result
        assert result.camelot is not None and result.second_camelot is not None
        assert result.camelot[:-1] == result.second_camelot[:-1] == "8", result
        assert result.close and 0.0 <= result.margin < CLEAR_MARGIN, result
        assert result.confidence < 0.85, result  # halved towards a tie
        _assert_runner_up_consistent(result)


def test_clear_key_is_not_close() -> None:
    audio = render_song("A", "minor", PROGRESSIONS["minor"][1], seconds=20.0, rate=22050)
    result = estimate_key(compute_music_features(audio, 22050))
    assert (result.tonic, result.mode) == ("A", "minor"), result
    assert not result.close and result.margin >= CLEAR_MARGIN, result
    _assert_runner_up_consistent(result)


def test_runner_up_in_the_json_and_old_results_still_load() -> None:
    audio = render_song("D", "major", PROGRESSIONS["major"][0], seconds=12.0, rate=22050)
    result = estimate_key(compute_music_features(audio, 22050))
    dumped = result.model_dump(mode="json")
    assert {"second_label", "second_camelot", "margin", "close"} <= set(dumped)
    assert KeyResult.model_validate_json(result.model_dump_json()) == result
    stored_before = {"tonic": "D", "mode": "major", "camelot": "10B", "label": "D major",
                     "confidence": 0.9, "alternatives": ["A major"]}
    old = KeyResult.model_validate(stored_before)
    assert old.second_label is None and old.margin == 0.0 and old.close is False
