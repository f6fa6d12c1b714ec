"""Song sections: where the structure changes, which parts repeat and, best effort, what
each part is (intro, verse, chorus, breakdown, bridge, outro).

Read only from what the one streamed pass already keeps (no second decode): the feature
pass's per-frame chroma and onset envelope (``features.MusicFeatures``, ~11 ms hop), the
STFT pass's per-frame band powers (``spectrum.SpectralFrames``) and the K-weighted 100 ms
mean squares (``loudness``). Memory grows only with the number of beats.

1. Grid: the beat grid of the tempo estimate (``rhythm.estimate_tempo``), continued at
   its period to both ends of the file; without a tempo, steps of ``FALLBACK_STEP_S``.
2. Beat-synchronous features (``librosa.util.sync`` for the feature-pass frames, means
   of the mean squares for the others), each group in physical units and scaled by what
   counts as a clear change (``SCALES``): loudness (LUFS of the step), spectral shape (the
   seven named bands relative to their sum, dB), onset strength (mean log-mel flux, dB)
   and chroma (pitch-class distribution). Fixed scales, not per-file standardisation, so
   a track of one texture shows no structure.
3. Boundaries: Foote's checkerboard novelty on the self-distance matrix of squared
   Euclidean distances, with windows of ``WINDOW_BEATS`` steps either side. With squared
   distances, the cross-block mean minus the mean of the two within-block means is
   exactly the squared distance of the two windows' mean vectors, so it is computed from
   cumulative sums in O(beats) instead of from the matrix (Foote 2000; the same
   novelty as ``librosa.segment.recurrence_matrix`` followed by a checkerboard kernel,
   at a few milliseconds per 5-minute track). Peaks that are the largest within half a
   window and reach ``NOVELTY_MIN`` (one clear change) are boundaries.
4. Labels: the segments' mean feature vectors clustered bottom-up (average linkage,
   ``scipy.cluster.hierarchy``) with a cut at ``SAME_PART`` clear changes; the repeats
   of a part share a letter (A, B, ... in order of first appearance); neighbours with
   the same letter are joined.
5. Kinds, from position, repetition and loudness (``_kinds``), each with a confidence
   (0..1): the loudest repeated part is the chorus, quieter repeated parts verses, a
   quieter first or last part that does not come back the intro or outro, a part that
   does not come back a breakdown (clearly quieter than the chorus) or a bridge.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import librosa.util
import numpy as np
from scipy import ndimage
from scipy.cluster import hierarchy

from zz_core.measure.features import MusicFeatures
from zz_core.measure.loudness import loudness_lufs
from zz_core.measure.spectrum import SpectralFrames
from zz_core.vocab import SectionKind

WINDOW_BEATS = 16
"""Steps on each side of a candidate boundary (four bars of 4/4)."""
MIN_SECTION_BEATS = 8
"""The shortest section (two bars); also the peaks' neighbourhood either side."""
FALLBACK_STEP_S = 0.5
"""The grid step without a tempo (s)."""
MIN_STEP_S, MAX_STEP_S = 0.25, 1.5
"""A beat grid whose period lies outside these (s) is replaced by the fixed steps."""
MIN_DURATION_S = 16.0
"""Shorter audible spans have no sections."""
SILENT_LUFS = -70.0
"""A step at or below this loudness is silence (the BS.1770 absolute gate)."""
SCALES = {"loudness": 4.0, "shape": 6.0, "onset": 1.0, "chroma": 0.25}
"""What counts as one clear change: 4 LU of loudness, 6 dB in one band of the spectral
shape, 1 dB of mean onset strength, 0.25 of pitch-class distribution (L2)."""
SHAPE_FLOOR_DB = -30.0
"""A band this far below the step's total counts as empty (dB)."""
NOVELTY_MIN = 1.0
"""A boundary needs at least one clear change between the windows' means."""
SAME_PART = 0.7
"""Segments whose mean features lie closer than this (clear changes) are the same part."""


@dataclass(frozen=True)
class FoundSection:
    """One section: [start_s, end_s) in seconds, its letter (the repeats of a part share
    it), its kind (None when no kind fits) with a confidence 0..1, and its loudness (LUFS,
    ungated mean of its 100 ms mean squares)."""

    start_s: float
    end_s: float
    label: str
    kind: SectionKind | None
    confidence: float
    loudness_lufs: float


@dataclass(frozen=True)
class _Grid:
    edges_s: np.ndarray  # (steps + 1,) step edges, seconds
    features: np.ndarray  # (steps, dims) scaled features
    loudness: np.ndarray  # (steps,) LUFS (-inf in silence)


def find_sections(music: MusicFeatures, segments: np.ndarray, segment_s: float,
                  frames: SpectralFrames, beat_times_s: list[float] | np.ndarray,
                  duration_s: float) -> list[FoundSection]:
    """The sections of a track (empty for silence and for less than MIN_DURATION_S of
    sound); one section for a track of one texture."""
    edges = _edges(np.asarray(beat_times_s, dtype=float), duration_s)
    if edges.size < 2:
        return []
    grid = _grid(edges, music, np.asarray(segments, dtype=float), segment_s, frames)
    audible = np.flatnonzero(grid.loudness > SILENT_LUFS)
    if audible.size == 0:
        return []
    first, last = int(audible[0]), int(audible[-1]) + 1
    if edges[last] - edges[first] < MIN_DURATION_S:
        return []
    features = grid.features[first:last]
    cuts = [first + c for c in _boundaries(features)]
    bounds = [first, *cuts, last]
    labels = _labels(grid.features, bounds)
    bounds, labels = _joined(bounds, labels)
    loud = [_mean_lufs(grid, a, b) for a, b in itertools.pairwise(bounds)]
    kinds = _kinds(labels, loud)
    return [FoundSection(start_s=round(float(edges[a]), 3), end_s=round(float(edges[b]), 3),
                         label=label, kind=kind, confidence=round(confidence, 2),
                         loudness_lufs=round(level, 2))
            for a, b, label, (kind, confidence), level
            in zip(bounds[:-1], bounds[1:], labels, kinds, loud, strict=True)]


def _edges(beats: np.ndarray, duration_s: float) -> np.ndarray:
    """Step edges from 0 to the end: the beat grid continued at its period both ways,
    or FALLBACK_STEP_S steps."""
    if duration_s <= 0.0:
        return np.zeros(0)
    period = float(np.median(np.diff(beats))) if beats.size >= 8 else 0.0
    if not MIN_STEP_S <= period <= MAX_STEP_S:
        count = max(1, math.ceil(duration_s / FALLBACK_STEP_S - 1e-9))
        return np.minimum(np.arange(count + 1) * FALLBACK_STEP_S, duration_s)
    before = np.arange(beats[0] - period, 0.0, -period)[::-1]
    after = np.arange(beats[-1] + period, duration_s, period)
    inner = np.concatenate((before, beats, after))
    inner = inner[(inner > 0.0) & (inner < duration_s)]
    # a sliver shorter than a quarter beat at either end joins its neighbour
    if inner.size and inner[0] < 0.25 * period:
        inner = inner[1:]
    if inner.size and duration_s - inner[-1] < 0.25 * period:
        inner = inner[:-1]
    return np.concatenate(([0.0], inner, [duration_s]))


def _grid(edges: np.ndarray, music: MusicFeatures, segments: np.ndarray, segment_s: float,
          frames: SpectralFrames) -> _Grid:
    """Scaled beat-synchronous features and the loudness of each step."""
    steps = edges.size - 1
    loudness = loudness_lufs(_step_means(segments[np.newaxis, :],
                                         (np.arange(segments.size) + 0.5) * segment_s,
                                         edges)[0])
    level = np.maximum(np.nan_to_num(loudness, nan=-120.0, neginf=-120.0), SILENT_LUFS)
    band_power = (frames.frame_left + frames.frame_right).T / 2.0  # (bands, frames)
    window_s = (frames.freqs_hz.size - 1) * 2 / max(1, frames.sample_rate_hz)
    centres = window_s / 2.0 + frames.hop_s * np.arange(frames.frames)
    power = _step_means(band_power, centres, edges)
    total = power.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = 10.0 * np.log10(np.maximum(power, 1e-12) / np.maximum(total, 1e-12))
    shape = np.maximum(shape, SHAPE_FLOOR_DB)
    onset, chroma = _music_steps(music, edges)
    sums = chroma.sum(axis=0, keepdims=True)
    chroma = np.divide(chroma, sums, out=np.full_like(chroma, 1.0 / 12), where=sums > 0)
    features = np.vstack((level[np.newaxis] / SCALES["loudness"],
                          shape / SCALES["shape"],
                          onset[np.newaxis] / SCALES["onset"],
                          chroma / SCALES["chroma"])).T
    assert features.shape[0] == steps
    return _Grid(edges_s=edges, features=features, loudness=loudness)


def _music_steps(music: MusicFeatures, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean onset strength (dB) and mean chroma (12,) of each step, from the feature
    pass's frames (``librosa.util.sync`` on the frames of the step edges)."""
    steps = edges.size - 1
    count = int(music.onset_envelope.size)
    if count == 0:
        return np.zeros(steps), np.zeros((12, steps))
    data = np.vstack((np.asarray(music.onset_envelope, dtype=float)[np.newaxis],
                      np.asarray(music.chroma, dtype=float)[:, :count]))
    index = np.clip(np.rint(edges / music.hop_s).astype(int), 0, count)
    slices = [slice(int(a), int(max(b, a + 1))) for a, b in itertools.pairwise(index)]
    synced = librosa.util.sync(data, slices, aggregate=np.mean, pad=False)
    synced = np.nan_to_num(np.asarray(synced, dtype=float))
    return synced[0], synced[1:]


def _step_means(values: np.ndarray, times_s: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Mean of the columns of ``values`` (rows, n) whose times fall in each step; a step
    with none takes the column nearest its centre."""
    steps = edges.size - 1
    rows = values.shape[0]
    if values.shape[1] == 0:
        return np.zeros((rows, steps))
    which = np.searchsorted(edges, times_s, side="right") - 1
    inside = (which >= 0) & (which < steps)
    counts = np.bincount(which[inside], minlength=steps)
    sums = np.vstack([np.bincount(which[inside], weights=row[inside], minlength=steps)
                      for row in values])
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        centres = (edges[empty] + edges[empty + 1]) / 2.0
        nearest = np.clip(np.searchsorted(times_s, centres), 0, times_s.size - 1)
        means[:, empty] = values[:, nearest]
    return means


def novelty(features: np.ndarray, window: int = WINDOW_BEATS) -> np.ndarray:
    """Checkerboard novelty at each step edge 0..steps: the squared distance between the
    mean feature vectors of the ``window`` steps before and after (fewer at the ends; 0
    where either side has fewer than MIN_SECTION_BEATS steps)."""
    steps = features.shape[0]
    cumulative = np.vstack((np.zeros((1, features.shape[1])), np.cumsum(features, axis=0)))
    at = np.arange(steps + 1)
    left, right = np.maximum(at - window, 0), np.minimum(at + window, steps)
    n_left, n_right = at - left, right - at
    valid = (n_left >= MIN_SECTION_BEATS) & (n_right >= MIN_SECTION_BEATS)
    safe_left, safe_right = np.maximum(n_left, 1), np.maximum(n_right, 1)
    before = (cumulative[at] - cumulative[left]) / safe_left[:, np.newaxis]
    after = (cumulative[right] - cumulative[at]) / safe_right[:, np.newaxis]
    return np.where(valid, np.sum((after - before) ** 2, axis=1), 0.0)


def _boundaries(features: np.ndarray) -> list[int]:
    """Step edges (1..steps-1) where the novelty reaches NOVELTY_MIN and is the largest
    within MIN_SECTION_BEATS either side (the first of equal maxima)."""
    curve = novelty(features)
    reach = 2 * MIN_SECTION_BEATS + 1
    peaks = ndimage.maximum_filter1d(curve, reach, mode="constant", cval=-1.0)
    chosen: list[int] = []
    for edge in np.flatnonzero((curve >= NOVELTY_MIN ** 2) & (curve >= peaks)):
        if not chosen or edge - chosen[-1] >= MIN_SECTION_BEATS:
            chosen.append(int(edge))
    return chosen


def _labels(features: np.ndarray, bounds: list[int]) -> list[str]:
    """A letter per segment: segments whose means lie within SAME_PART share one."""
    means = np.array([features[a:b].mean(axis=0)
                      for a, b in itertools.pairwise(bounds)])
    if len(means) == 1:
        return ["A"]
    tree = hierarchy.linkage(means, method="average", metric="euclidean")
    clusters = hierarchy.fcluster(tree, t=SAME_PART, criterion="distance")
    letters: dict[int, str] = {}
    for cluster in clusters:
        letters.setdefault(int(cluster), _letter(len(letters)))
    return [letters[int(c)] for c in clusters]


def _letter(index: int) -> str:
    """A, B, ... Z, then A2, B2, ..."""
    return chr(ord("A") + index % 26) + (str(index // 26 + 1) if index >= 26 else "")


def _joined(bounds: list[int], labels: list[str]) -> tuple[list[int], list[str]]:
    """Neighbouring segments with the same letter joined; letters renamed in order of
    first appearance."""
    kept_bounds, kept_labels = [bounds[0]], list[str]()
    for end, label in zip(bounds[1:], labels, strict=True):
        if kept_labels and kept_labels[-1] == label:
            kept_bounds[-1] = end
        else:
            kept_labels.append(label)
            kept_bounds.append(end)
    rename: dict[str, str] = {}
    for label in kept_labels:
        rename.setdefault(label, _letter(len(rename)))
    return kept_bounds, [rename[label] for label in kept_labels]


def _mean_lufs(grid: _Grid, first: int, last: int) -> float:
    levels = grid.loudness[first:last]
    audible = levels[np.isfinite(levels)]
    if audible.size == 0:
        return -120.0
    return float(10.0 * np.log10(np.mean(10.0 ** (audible / 10.0))))


def _kinds(labels: list[str], loudness: list[float]) -> list[tuple[SectionKind | None, float]]:
    """Best-effort kind and confidence of each section (see the module docstring)."""
    count = len(labels)
    if count < 2:
        return [(None, 0.0) for _ in labels]
    level = np.array(loudness)
    occurrences = {label: labels.count(label) for label in labels}
    repeated = [label for label in occurrences if occurrences[label] > 1]
    means = {label: float(np.mean(level[[i for i, x in enumerate(labels) if x == label]]))
             for label in occurrences}
    if repeated:
        chorus = max(repeated, key=lambda label: means[label])
    else:
        chorus = labels[int(np.argmax(level))]
    others = [means[label] for label in occurrences if label != chorus]
    gap = means[chorus] - float(np.median(others)) if others else 0.0
    kinds: list[tuple[SectionKind | None, float]] = []
    for index, label in enumerate(labels):
        below = means[chorus] - level[index]
        edge = index in (0, count - 1)
        if label == chorus:
            base = 0.45 if occurrences[label] > 1 else 0.25
            kinds.append(("chorus", _clip(base + gap / 12.0)))
        elif edge and below > 1.0 and all(i in (0, count - 1)
                                          for i, x in enumerate(labels) if x == label):
            kinds.append(("intro" if index == 0 else "outro", _clip(0.4 + below / 15.0)))
        elif occurrences[label] > 1:
            kinds.append(("verse", _clip(0.35 + below / 20.0)))
        elif below >= 4.0:
            kinds.append(("breakdown", _clip(0.3 + below / 20.0)))
        else:
            kinds.append(("bridge", 0.3))
    return kinds


def _clip(value: float) -> float:
    return float(min(0.9, max(0.1, value)))
