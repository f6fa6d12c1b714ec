"""``analyze v2.wav --previous v1.wav`` end to end: what changed, printed and in --json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli.test_cli import run
from tests.mixes import RATE, clean_mixdown
from tests.signals import write_wav


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("versions")
    mix = clean_mixdown(8.0, seed=4)
    clipped = mix.copy()
    for k in range(12):
        start = int((1.0 + 0.5 * k) * RATE)
        clipped[:, start:start + 200] = np.sign(clipped[:, start:start + 200])
    return (write_wav(folder / "v1.wav", clipped, RATE), write_wav(folder / "v2.wav", mix, RATE))


def test_previous_puts_the_changes_in_json(versions: tuple[Path, Path]) -> None:
    v1, v2 = versions
    done = run("analyze", str(v2), "--previous", str(v1), "--json", "--genre", "pop")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    changes = result["changes"]
    assert result["file_name"] == "v2.wav" and changes["previous_name"] == "v1.wav"
    assert "clipping" in changes["fixed"] and changes["new"] == []
    peak = changes["deltas"]["loudness.true_peak_dbtp"]
    assert peak["delta"] == pytest.approx(peak["after"] - peak["before"], abs=1e-3)
    assert peak["trend"] == "improved"
    assert set(changes["tonal_difference"]) >= {"centres_hz", "eq_move_db"}


def test_previous_prints_what_improved(versions: tuple[Path, Path]) -> None:
    v1, v2 = versions
    done = run("analyze", str(v2), "--previous", str(v1))
    assert done.returncode == 0, done.stderr
    assert "Since the previous version (v1.wav): fixed: " in done.stdout
    assert "clipping" in done.stdout.split("Since the previous version")[-1]


def test_a_previous_version_that_cannot_be_read_is_one_line(
        versions: tuple[Path, Path], tmp_path: Path) -> None:
    missing = tmp_path / "gone.wav"
    done = run("analyze", str(versions[1]), "--previous", str(missing))
    assert done.returncode == 2 and done.stdout == ""
    assert "gone.wav" in done.stderr and "Traceback" not in done.stderr
