"""Musical key from the chroma: template matching (Krumhansl & Schmuckler 1990).

The duration-weighted mean chroma of the non-silent frames is correlated (Pearson) with the
24 rotations of a major and a minor key profile: the EDM-derived 'edma' profiles of Faraldo,
Gómez, Jordà & Herrera (ECIR 2016, as shipped in Essentia), learnt from audio chroma, which
confuse relative and parallel keys less than Krumhansl-Kessler's probe-tone ratings.
Confidence comes from how well the best template fits and its margin over the runner-up;
the runner-up is reported too (``second_label``), flagged ``close`` when the margin is under
CLEAR_MARGIN, which is where a relative major/minor or a neighbouring key could be meant.

Limitation of any pitch-distribution method: a loop of the same chords read from another
starting point (Am F C G versus C Am F G) has the same chroma; only the melody's and the
ending's weight on the tonic tells A minor from C major (the relative key, same Camelot
number).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from zz_core.measure.features import MusicFeatures
from zz_core.measure.rhythm import active_frames

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Conventional spelling of each key (fewest accidentals; ties as commonly written).
_MAJOR_SPELLING = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_SPELLING = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")

# Key profiles ('edma', Faraldo et al. 2016), tonic first.
MAJOR_PROFILE = np.array([0.16519551, 0.04749026, 0.08293076, 0.06687112, 0.09994645,
                          0.09274123, 0.05294487, 0.13159476, 0.05218986, 0.07443653,
                          0.06940723, 0.0642515])
MINOR_PROFILE = np.array([0.17235348, 0.05336489, 0.0761009, 0.10043649, 0.05621498,
                          0.08527853, 0.0497915, 0.13451001, 0.07458916, 0.05003023,
                          0.09187879, 0.05545106])

MIN_TONAL_CONTRAST = 0.25
"""Mean chroma flatter than this (std / mean of the 12 bins) has no key (noise reads ~0.1-0.2)."""
FIT_LOW = 0.5
"""Best correlation below this: the chroma looks like no key (drums read ~0.45); no key."""
FIT_HIGH = 0.85
"""Best correlation from which the chroma fits a key template fully."""
CLEAR_MARGIN = 0.05
"""Correlation margin over the runner-up from which the key is unambiguous."""
ALTERNATIVES = 3

Mode = Literal["major", "minor"]


class KeyResult(BaseModel):
    """Estimated key. ``tonic`` is spelt with sharps, ``label`` with the usual spelling.

    ``confidence`` (0..1): the best template's fit (0 at a correlation of 0.5, 1 from 0.85),
    halved when the runner-up fits as well and whole from a margin of 0.05.
    ``second_label`` / ``second_camelot``: the runner-up key (the second-best correlating
    template), None when there is no key. ``margin``: the best key's Pearson correlation
    with its template minus the runner-up's (0..2; 0 = a tie). ``close``: the margin is
    under 0.05 (CLEAR_MARGIN), so the second key is as plausible as the first: typically
    the relative major/minor (same Camelot number), whose chords are the same notes.
    """

    model_config = ConfigDict(frozen=True)

    tonic: str | None
    mode: Mode | None
    camelot: str | None
    label: str | None
    confidence: float
    alternatives: list[str]
    second_label: str | None = None
    second_camelot: str | None = None
    margin: float = 0.0
    close: bool = False


def key_templates() -> np.ndarray:
    """The 24 key profiles, shape (24, 12): rows 0-11 C..B major, 12-23 C..B minor."""
    major = [np.roll(MAJOR_PROFILE, tonic) for tonic in range(12)]
    minor = [np.roll(MINOR_PROFILE, tonic) for tonic in range(12)]
    return np.array(major + minor)


def estimate_key(features: MusicFeatures) -> KeyResult:
    """Key, Camelot code and confidence (0..1) of the music; all None for silence or noise."""
    profile = mean_chroma(features)
    if profile is None:
        return _no_key()
    contrast = float(profile.std() / profile.mean())
    if contrast < MIN_TONAL_CONTRAST:
        return _no_key()
    scores = _correlations(profile)
    order = np.argsort(scores)[::-1]
    best = int(order[0])
    if scores[best] < FIT_LOW:
        return _no_key()
    second = int(order[1])
    margin = float(scores[best] - scores[second])
    confidence = _confidence(float(scores[best]), margin)
    tonic, mode = PITCH_CLASSES[best % 12], _mode(best)
    second_tonic, second_mode = PITCH_CLASSES[second % 12], _mode(second)
    return KeyResult(
        tonic=tonic,
        mode=mode,
        camelot=camelot_code(tonic, mode),
        label=key_label(tonic, mode),
        confidence=round(confidence, 3),
        alternatives=[key_label(PITCH_CLASSES[int(k) % 12], _mode(int(k)))
                      for k in order[1:1 + ALTERNATIVES]],
        second_label=key_label(second_tonic, second_mode),
        second_camelot=camelot_code(second_tonic, second_mode),
        margin=round(margin, 3),
        close=margin < CLEAR_MARGIN,
    )


def _confidence(best: float, margin: float) -> float:
    """How well the best template fits (0 at FIT_LOW, 1 at FIT_HIGH), halved when the
    runner-up is as good (margin 0) and kept whole from a CLEAR_MARGIN lead."""
    fit = float(np.clip((best - FIT_LOW) / (FIT_HIGH - FIT_LOW), 0.0, 1.0))
    separation = float(np.clip(margin / CLEAR_MARGIN, 0.0, 1.0))
    return fit * (0.5 + 0.5 * separation)


def _no_key() -> KeyResult:
    return KeyResult(tonic=None, mode=None, camelot=None, label=None, confidence=0.0,
                     alternatives=[])


def _mode(index: int) -> Mode:
    return "major" if index < 12 else "minor"


def mean_chroma(features: MusicFeatures) -> np.ndarray | None:
    """Mean of the per-frame chroma over non-silent frames; None if there are none."""
    active = active_frames(features)
    chroma = np.asarray(features.chroma)
    if chroma.shape[1] != active.size or not active.any():
        return None
    # one pitch class at a time: a float64 copy of one row, not of the whole chroma
    profile = np.array([np.asarray(row, dtype=float)[active].mean() for row in chroma])
    return profile if profile.sum() > 0.0 else None


def _correlations(profile: np.ndarray) -> np.ndarray:
    """Pearson correlation of ``profile`` with each of the 24 key templates."""
    templates = key_templates()
    centred = templates - templates.mean(axis=1, keepdims=True)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    observed = profile - profile.mean()
    norm = np.linalg.norm(observed)
    return centred @ (observed / norm) if norm > 0.0 else np.zeros(24)


def camelot_code(tonic: str, mode: str) -> str:
    """Camelot wheel code: "8B" = C major, "8A" = A minor; one step = a fifth."""
    pc = _pitch_class(tonic)
    if mode == "minor":
        pc = (pc + 3) % 12  # the relative major shares the number
    elif mode != "major":
        raise ValueError(f"mode must be 'major' or 'minor', not {mode!r}")
    number = (7 * pc + 7) % 12 + 1
    return f"{number}{'A' if mode == 'minor' else 'B'}"


def key_label(tonic: str, mode: str) -> str:
    """Human label with the conventional spelling, e.g. "Db major", "F# minor"."""
    pc = _pitch_class(tonic)
    spelling = _MAJOR_SPELLING if mode == "major" else _MINOR_SPELLING
    return f"{spelling[pc]} {mode}"


_FLATS = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#", "Cb": "B", "Fb": "E",
          "E#": "F", "B#": "C"}


def _pitch_class(tonic: str) -> int:
    name = tonic.strip()
    name = name[:1].upper() + name[1:]
    name = _FLATS.get(name, name)
    if name not in PITCH_CLASSES:
        raise ValueError(f"unknown tonic {tonic!r}")
    return PITCH_CLASSES.index(name)
