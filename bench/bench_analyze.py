"""Benchmark: the whole zz_core analysis against ffmpeg's loudness + true-peak meter.

Renders ten 3-6 minute 48 kHz stereo tracks (once, cached in bench/out/), runs the engine
once on a short file so that numba's on-disk cache exists (reported: the one-time cost of
a fresh checkout), then times, side by side in one run:
  - one ``python -m zz_core analyze --json`` process over all ten files (cold start,
    imports and numba included);
  - ``ffmpeg -af ebur128=peak=true`` over the same files, one after the other;
and prints the ratio (target: at most 1.0); then, in this process, the time of the
section step against the whole analysis of a 5-minute song in sections (target: at
most 10 %). It then analyses one 20-minute file in a
fresh process and prints its peak resident memory (target: under 1 GB).

Run: python bench/bench_analyze.py   (needs ffmpeg on PATH)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

OUT = Path(__file__).resolve().parent / "out"
RATE = 48000
ROOT = Path(__file__).resolve().parent.parent


def render_track(path: Path, seconds: float, bpm: float, seed: int) -> None:
    """A mix-like track: kick, snare, hats, a bass line and chords over pink-ish noise,
    with a limiter-like soft clip so peaks sit near full scale like a master."""
    sf.write(str(path), _track_audio(seconds, bpm, seed).T.astype(np.float32), RATE,
             subtype="PCM_24")


def _track_audio(seconds: float, bpm: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    beat = 60.0 / bpm
    phase = (t % beat) / beat
    kick = np.sin(2 * np.pi * 55 * t * (1 + 2 * np.exp(-phase * 30))) * np.exp(-phase * 12)
    half = (t % (2 * beat)) / (2 * beat)
    snare = rng.standard_normal(n) * np.exp(-np.abs(half - 0.5) * 60) * 0.5
    hats = rng.standard_normal(n) * np.exp(-((t % (beat / 2)) / (beat / 2)) * 40) * 0.15
    root = 45.0 * 2 ** (rng.integers(0, 12) / 12)
    bass = 0.4 * np.sin(2 * np.pi * root * t)
    chords = sum(0.12 * np.sin(2 * np.pi * root * 4 * r * t) for r in (1.0, 1.26, 1.5))
    mono = kick * 0.8 + snare + hats + bass + chords
    wide = rng.standard_normal((2, n)) * 0.02
    audio = np.vstack([mono, mono]) + wide
    return np.tanh(audio * 1.5) * 0.95


SECTION_PLAN = "ABABCABBCA"
"""Ten 30 s parts (three materials at one tempo, louder and quieter): a 5-minute song."""


def render_song(path: Path) -> None:
    """A 5-minute track in sections: parts of three materials (SECTION_PLAN)."""
    gains = {"A": 0.5, "B": 1.0, "C": 0.3}
    parts = [gains[p] * _track_audio(30.0, 124.0, ord(p)) for p in SECTION_PLAN]
    sf.write(str(path), np.concatenate(parts, axis=1).T.astype(np.float32), RATE,
             subtype="PCM_24")


def section_share(path: Path, runs: int = 3) -> tuple[float, float, int]:
    """(seconds of the section step, seconds of the whole analysis, sections found) on
    one file, in this process, best of ``runs`` after a warm-up run: the section step
    (``judge.sections.sections_of``: segmentation and the per-section figures) is timed
    inside the real analysis."""
    sys.path.insert(0, str(ROOT))
    from zz_core.judge import pipeline

    spent: list[float] = []
    original = pipeline.sections_of

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    pipeline.sections_of = timed
    try:
        pipeline.analyze_file(path)  # warm-up: imports, first calls
        best: tuple[float, float, int] | None = None
        for _ in range(runs):
            spent.clear()
            start = time.perf_counter()
            result = pipeline.analyze_file(path)
            whole = time.perf_counter() - start
            if best is None or whole < best[1]:
                best = (spent[0], whole, len(result.sections))
    finally:
        pipeline.sections_of = original
    assert best is not None
    return best


def batch() -> list[Path]:
    OUT.mkdir(exist_ok=True)
    files = []
    rng = np.random.default_rng(7)
    for i in range(10):
        path = OUT / f"track{i:02d}.wav"
        if not path.exists():
            render_track(path, float(rng.uniform(180, 360)), float(rng.uniform(80, 175)), i)
        files.append(path)
    return files


def time_command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=ROOT)
    return time.perf_counter() - start


_MEASURE_RSS = (
    "import resource, runpy, sys\n"
    "sys.argv = ['zz_core', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('zz_core', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def peak_memory_mb(module_args: list[str]) -> float:
    """Peak RSS of ``python -m zz_core *module_args`` in a fresh process, MB."""
    done = subprocess.run([sys.executable, "-c", _MEASURE_RSS, *module_args], check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          cwd=ROOT)
    return int(done.stderr.strip().splitlines()[-1]) / 1024.0  # Linux: KiB


def main() -> int:
    if shutil.which("ffmpeg") is None:
        print("ffmpeg is not on PATH (apt-get install ffmpeg)", file=sys.stderr)
        return 2
    files = batch()
    minutes = sum(sf.info(str(f)).duration for f in files) / 60
    warm_up = OUT / "warmup.wav"
    if not warm_up.exists():
        render_track(warm_up, 5.0, 120.0, 1)
    first = time_command([sys.executable, "-m", "zz_core", "analyze", "--json", str(warm_up)])
    engine = time_command([sys.executable, "-m", "zz_core", "analyze", "--json",
                           *map(str, files)])
    ffmpeg = sum(time_command(["ffmpeg", "-nostats", "-hide_banner", "-i", str(f), "-af",
                               "ebur128=peak=true", "-f", "null", "-"]) for f in files)
    print(f"first run of this checkout on a 5 s file (numba compiles and caches): {first:.2f} s")
    print(f"batch: 10 tracks, {minutes:.1f} min of 48 kHz stereo")
    print(f"zz_core analyze (all metrics, one process): {engine:6.2f} s")
    print(f"ffmpeg ebur128=peak=true (loudness + TP):   {ffmpeg:6.2f} s")
    print(f"ratio zz_core / ffmpeg: {engine / ffmpeg:.2f} (target <= 1.0)")
    song = OUT / "sections5min.wav"
    if not song.exists():
        render_song(song)
    step, whole, count = section_share(song)
    print(f"sections on a 5-minute song ({count} found): {step * 1000:.0f} ms of "
          f"{whole:.2f} s analysis = {100 * step / whole:.1f} % (target <= 10 %)")
    long_file = OUT / "long20min.wav"
    if not long_file.exists():
        render_track(long_file, 20 * 60, 128.0, 99)
    memory = peak_memory_mb(["analyze", "--json", str(long_file)])
    print(f"peak memory, one 20-minute 48 kHz stereo file: {memory:.0f} MB (target < 1024)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
