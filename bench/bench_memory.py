"""Benchmark: peak memory of one command-line analysis against the length of the file.

Synthesizes into a temporary folder (deleted after) a 20-minute 48 kHz 24-bit stereo WAV
and a 2-hour 48 kHz 24-bit stereo FLAC (a mix-like track: kick, snare, hats, bass and
chords over noise, soft-clipped like a master, written a minute at a time so the
benchmark itself stays small), then runs ``python -m zz_core analyze --json FILE`` on
each in a fresh process and prints its peak resident memory (ru_maxrss) and wall time
next to the target (under 600 MB for both: memory must not grow with the length).

With ``--before DIR`` (a checkout of earlier code, e.g. made by
``git worktree add /tmp/zz_before HEAD``) the same files are analysed by that code too and
its figures printed alongside.

Run: python bench/bench_memory.py [--before DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000
TARGET_MB = 600.0
CHUNK_S = 60

_MEASURE_RSS = (
    "import resource, runpy, sys\n"
    "sys.argv = ['zz_core', *sys.argv[1:]]\n"
    "code = 0\n"
    "try:\n"
    "    runpy.run_module('zz_core', run_name='__main__')\n"
    "except SystemExit as done:\n"
    "    code = done.code or 0\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code, file=sys.stderr)\n"
)


def render_chunk(index: int, seconds: int, bpm: float = 126.0) -> np.ndarray:
    """One stretch of a mix-like track, (frames, 2) float32; the arrangement changes a
    little from stretch to stretch (level, root note)."""
    rng = np.random.default_rng(1000 + index)
    n = seconds * RATE
    t = (index * n + np.arange(n)) / RATE
    beat = 60.0 / bpm
    phase = (t % beat) / beat
    kick = np.sin(2 * np.pi * 55 * t * (1 + 2 * np.exp(-phase * 30))) * np.exp(-phase * 12)
    half = (t % (2 * beat)) / (2 * beat)
    snare = rng.standard_normal(n) * np.exp(-np.abs(half - 0.5) * 60) * 0.5
    hats = rng.standard_normal(n) * np.exp(-((t % (beat / 2)) / (beat / 2)) * 40) * 0.15
    root = 45.0 * 2 ** (int(rng.integers(0, 12)) / 12)
    bass = 0.4 * np.sin(2 * np.pi * root * t)
    chords = sum(0.12 * np.sin(2 * np.pi * root * 4 * r * t) for r in (1.0, 1.26, 1.5))
    mono = (kick * 0.8 + snare + hats + bass + chords) * rng.uniform(0.7, 1.0)
    audio = np.vstack([mono, mono]) + rng.standard_normal((2, n)) * 0.02
    return (np.tanh(audio * 1.5) * 0.95).T.astype(np.float32)


def synthesize(path: Path, seconds: int, fmt: str) -> None:
    """Write ``seconds`` of the track to ``path`` a minute at a time (24-bit)."""
    with sf.SoundFile(str(path), "w", RATE, 2, subtype="PCM_24", format=fmt) as out:
        for index in range(-(-seconds // CHUNK_S)):
            out.write(render_chunk(index, min(CHUNK_S, seconds - index * CHUNK_S)))


def peak_memory(root: Path, path: Path) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of ``python -m zz_core analyze --json path`` run
    from the code in ``root``, in a fresh process."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE_RSS, "analyze", "--json", str(path)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          cwd=root, check=False)
    elapsed = time.perf_counter() - began
    last = done.stderr.strip().splitlines()[-1].split() if done.stderr.strip() else []
    if len(last) != 2 or last[1] != "0":
        raise SystemExit(f"the analysis of {path.name} failed:\n{done.stderr[-2000:]}")
    return int(last[0]) / 1024.0, elapsed  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="zz-bench-memory-"))
    folder.mkdir(parents=True, exist_ok=True)
    cases = [("20-minute 48 kHz 24-bit stereo WAV", folder / "twenty_minutes.wav", 20 * 60,
              "WAV"),
             ("2-hour 48 kHz 24-bit stereo FLAC", folder / "two_hours.flac", 2 * 3600, "FLAC")]
    try:
        rows = []
        for label, path, seconds, fmt in cases:
            if not path.exists():
                began = time.perf_counter()
                synthesize(path, seconds, fmt)
                print(f"synthesized {label} ({path.stat().st_size / 2**20:.0f} MB on disk) in "
                      f"{time.perf_counter() - began:.0f} s", flush=True)
            now = peak_memory(ROOT, path)
            before = peak_memory(args.before, path) if args.before else None
            rows.append((label, seconds, now, before))
        print(f"\npeak memory of one `python -m zz_core analyze --json FILE` process "
              f"(target: under {TARGET_MB:.0f} MB, whatever the length)")
        head = f"{'file':36} {'length':>8} {'this code':>20}"
        print(head + (f" {'before':>20}" if args.before else ""))
        for label, seconds, (mb, wall), before in rows:
            line = f"{label:36} {seconds / 60:6.0f} min {mb:8.0f} MB {wall:7.1f} s"
            if before is not None:
                line += f" {before[0]:8.0f} MB {before[1]:7.1f} s"
            mark = "ok" if mb < TARGET_MB else "OVER TARGET"
            print(f"{line}  {mark}")
        if args.before:
            print(f"(before: {args.before})")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
