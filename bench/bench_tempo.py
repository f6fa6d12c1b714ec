"""Benchmark: tempo accuracy on the rendered evaluation set, zz_core against references.

Renders the set of tests/tempo_set.py (grooves that invite octave errors, 72-174 BPM, 44.1
and 48 kHz, ground truth = the notated tempo) and prints Accuracy1 (within 4 %) and
Accuracy2 (also x2, x3, x1/2, x1/3), no genre given, for:
  - zz_core's estimate_tempo (the working tree);
  - with ``--git-rev REV``, the estimator of that revision (e.g. the one before a change);
  - librosa's default tempo estimate (``feature.tempo``: autocorrelation of its onset
    strength under a log-normal prior at 120 BPM) and its beat tracker's tempo
    (``beat.beat_track``), both on librosa's own onset strength at the file's rate;
  - aubio's ``tempo`` (onset detection and Davies & Plumbley beat tracking), if the aubio
    package is installed (it is GPL and no dependency of the project: pip install aubio).
None of them downloads anything. Also prints the milliseconds per 30 s piece (estimation
after decoding; zz_core includes its feature pass) and each method's misses.

Run: python bench/bench_tempo.py [--git-rev REV] [--set heldout] [--seed N]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tempo_set import NOTE_NAMES, STYLES, Piece, evaluation_set  # noqa: E402
from zz_core.measure import features, rhythm  # noqa: E402

Estimator = Callable[[np.ndarray, int], "float | None"]
HELDOUT_RANGES = {
    "halftime_hiphop": (70, 92), "trap": (135, 165), "dubstep": (138, 152), "dnb": (165, 176),
    "house": (118, 128), "techno": (125, 135), "one_drop": (70, 84), "rock": (95, 155),
    "ballad": (70, 78), "swing": (110, 170), "shuffle": (90, 120), "ambient_pulse": (72, 95),
    "pluck_pulse": (80, 105), "tresillo_pads": (95, 125), "boom_bap": (84, 98),
    "arpeggio": (100, 135), "three_over_four": (100, 130), "waltz": (95, 140),
    "clave": (95, 110), "sixteenth_pluck": (90, 125),
}


def heldout_set(seed: int) -> list[Piece]:
    """Other renders of the same styles: three random tempi per style in its usual range,
    random rates, seeds and keys, 25 s each (the estimator's weights never saw these)."""
    rng = np.random.default_rng(seed)
    pieces = []
    for style, (low, high) in HELDOUT_RANGES.items():
        assert style in STYLES
        for index in range(3):
            bpm = float(np.round(rng.uniform(low, high), 1))
            rate = int(rng.choice([44100, 48000]))
            pieces.append(Piece(f"{style}-{bpm:g}-{index}", style, bpm, rate, seconds=25.0,
                                seed=int(rng.integers(1_000_000)),
                                tonic=NOTE_NAMES[int(rng.integers(12))]))
    return pieces


def zz_core_estimator(audio: np.ndarray, rate: int) -> float | None:
    return rhythm.estimate_tempo(features.compute_music_features(audio, rate)).bpm


def revision_estimator(rev: str) -> Estimator:
    """estimate_tempo and compute_music_features as they were at git revision ``rev``."""
    folder = Path(tempfile.mkdtemp(prefix="zz-bench-tempo-"))

    def load(module: str) -> ModuleType:
        source = subprocess.run(["git", "show", f"{rev}:zz_core/measure/{module}.py"],
                                cwd=ROOT, check=True, capture_output=True, text=True).stdout
        path = folder / f"rev_{module}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(f"rev_{module}", path)
        assert spec is not None and spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = loaded
        spec.loader.exec_module(loaded)
        return loaded

    old_features, old_rhythm = load("features"), load("rhythm")

    def estimate(audio: np.ndarray, rate: int) -> float | None:
        bpm = old_rhythm.estimate_tempo(old_features.compute_music_features(audio, rate)).bpm
        return None if bpm is None else float(bpm)

    return estimate


def librosa_estimators() -> dict[str, Estimator]:
    import librosa

    def onset(audio: np.ndarray, rate: int) -> np.ndarray:
        return librosa.onset.onset_strength(y=audio.mean(axis=0), sr=rate)

    def tempo(audio: np.ndarray, rate: int) -> float | None:
        return float(librosa.feature.tempo(onset_envelope=onset(audio, rate), sr=rate)[0])

    def beat_track(audio: np.ndarray, rate: int) -> float | None:
        bpm, _ = librosa.beat.beat_track(onset_envelope=onset(audio, rate), sr=rate)
        return float(np.atleast_1d(bpm)[0])

    return {"librosa feature.tempo": tempo, "librosa beat_track": beat_track}


def aubio_estimator() -> dict[str, Estimator]:
    try:
        import aubio
    except ImportError:
        return {}

    def estimate(audio: np.ndarray, rate: int) -> float | None:
        hop = 512
        tracker = aubio.tempo("default", 1024, hop, rate)
        mono = np.ascontiguousarray(audio.mean(axis=0), dtype=np.float32)
        beats = []
        for start in range(0, mono.size - hop, hop):
            if tracker(mono[start:start + hop])[0]:
                beats.append(tracker.get_last_s())
        if len(beats) < 4:
            return None
        return float(60.0 / np.median(np.diff(beats)))

    return {"aubio tempo": estimate}


def accuracy(estimate: float | None, truth: float, factors: tuple[float, ...]) -> bool:
    return estimate is not None and any(abs(estimate / (truth * f) - 1.0) <= 0.04
                                        for f in factors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-rev", help="also run the estimator of this git revision")
    parser.add_argument("--set", choices=("evaluation", "heldout"), default="evaluation")
    parser.add_argument("--seed", type=int, default=777, help="seed of the held-out set")
    args = parser.parse_args()
    methods: dict[str, Estimator] = {"zz_core (working tree)": zz_core_estimator}
    if args.git_rev:
        methods[f"zz_core @ {args.git_rev}"] = revision_estimator(args.git_rev)
    methods.update(librosa_estimators())
    methods.update(aubio_estimator())
    pieces = evaluation_set() if args.set == "evaluation" else heldout_set(args.seed)
    results: dict[str, list[tuple[Piece, float | None]]] = {name: [] for name in methods}
    seconds = dict.fromkeys(methods, 0.0)
    for piece in pieces:
        audio = piece.render()
        for name, estimate in methods.items():
            start = time.perf_counter()
            bpm = estimate(audio, piece.rate)
            seconds[name] += time.perf_counter() - start
            results[name].append((piece, bpm))
    print(f"{args.set} set: {len(pieces)} pieces, {min(p.bpm for p in pieces):g}-"
          f"{max(p.bpm for p in pieces):g} BPM, 44.1 and 48 kHz, no genre given")
    print(f"{'method':28s} {'Acc1':>6s} {'Acc2':>6s} {'ms/piece':>9s}")
    for name, rows in results.items():
        acc1 = np.mean([accuracy(bpm, p.bpm, (1.0,)) for p, bpm in rows])
        acc2 = np.mean([accuracy(bpm, p.bpm, (1.0, 2.0, 3.0, 0.5, 1.0 / 3.0))
                        for p, bpm in rows])
        ms = 1000.0 * seconds[name] / len(rows)
        print(f"{name:28s} {acc1:6.3f} {acc2:6.3f} {ms:9.0f}")
    for name, rows in results.items():
        misses = [f"{p.name}->{'none' if bpm is None else f'{bpm:.1f}'}" for p, bpm in rows
                  if not accuracy(bpm, p.bpm, (1.0,))]
        print(f"\n{name} misses ({len(misses)}): {', '.join(misses) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
