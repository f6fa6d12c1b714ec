"""Level matching for A/B listening, checked with the loudness meter itself."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.signals import RATE, pink_noise, write_wav
from zz_core.measure.decoding import load_audio
from zz_core.measure.levelmatch import matched_gains_db, write_with_gain
from zz_core.measure.loudness import measure_loudness


def test_only_the_louder_track_is_turned_down() -> None:
    assert matched_gains_db(-8.0, -11.5) == (-3.5, 0.0)
    assert matched_gains_db(-14.0, -9.0) == (0.0, -5.0)
    assert matched_gains_db(None, -9.0) == (0.0, 0.0)


def test_matched_copies_measure_the_same_loudness(tmp_path: Path) -> None:
    loud = write_wav(tmp_path / "loud.wav", pink_noise(8.0, rms_dbfs=-12.0, seed=1))
    quiet = write_wav(tmp_path / "quiet.wav", pink_noise(8.0, rms_dbfs=-19.0, seed=2))
    lufs = [measure_loudness(load_audio(p).samples, RATE).integrated_lufs for p in (loud, quiet)]
    gain_loud, gain_quiet = matched_gains_db(lufs[0], lufs[1])
    out = write_with_gain(loud, tmp_path / "out" / "loud-matched.wav", gain_loud)
    matched = measure_loudness(load_audio(out).samples, RATE).integrated_lufs
    assert gain_quiet == 0.0
    assert matched == pytest.approx(lufs[1], abs=0.02)


def test_a_listening_copy_is_private_whatever_the_umask(tmp_path: Path) -> None:
    source = write_wav(tmp_path / "mix.wav", pink_noise(1.0, rms_dbfs=-12.0, seed=3))
    previous = os.umask(0)
    try:
        out = write_with_gain(source, tmp_path / "listening" / "7" / "mix.wav", -3.0)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
