"""The command line, run as a user runs it: a real process on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.mixes import RATE, clean_mixdown, equalised
from tests.signals import sine, write_wav

REQUIRED = {
    "duration_s", "sample_rate_hz", "channels", "loudness", "tempo", "key", "stereo", "bands",
    "platforms", "issues",
}
LOUDNESS_KEYS = {
    "integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "lra_lu", "true_peak_dbtp",
    "sample_peak_dbfs", "rms_dbfs", "plr_db", "psr_db", "crest_db", "dr",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zz_core", *args], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    mix = clean_mixdown(12.0)
    return {
        "mix": write_wav(folder / "mix.wav", mix, RATE, "PCM_24"),
        "bright": write_wav(folder / "bright.wav", equalised(mix, 2000, 8000, 6.0), RATE),
        "tone": write_wav(folder / "tone.wav", sine(-23.0, 20.0), RATE, "PCM_16"),
        "bad": _write(folder / "notes.wav", b"this is not audio at all"),
        "empty": _write(folder / "empty.flac", b""),
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_json_for_one_file(files: dict[str, Path]) -> None:
    done = run("analyze", str(files["tone"]), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) >= REQUIRED
    assert set(result["loudness"]) >= LOUDNESS_KEYS
    assert {"bpm", "confidence"} <= set(result["tempo"])
    assert {"tonic", "mode", "camelot", "confidence"} <= set(result["key"])
    assert {"correlation", "width", "balance_db", "low_end_correlation"} <= set(result["stereo"])
    assert result["loudness"]["integrated_lufs"] == pytest.approx(-23.0, abs=0.05)
    assert result["sample_rate_hz"] == RATE and result["channels"] == 2


def test_batch_prints_one_line_per_file_and_reports_bad_ones(files: dict[str, Path]) -> None:
    done = run("analyze", str(files["mix"]), str(files["bad"]), str(files["tone"]),
               str(files["empty"]), "--json")
    assert done.returncode == 2
    lines = done.stdout.strip().splitlines()
    assert [json.loads(line)["file_name"] for line in lines] == ["mix.wav", "tone.wav"]
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 2
    assert "notes.wav" in errors[0] and "not an audio file" in errors[0]
    assert "empty.flac" in errors[1] and "empty" in errors[1]
    assert "Traceback" not in done.stderr


def test_reference_comparison(files: dict[str, Path]) -> None:
    done = run("analyze", str(files["bright"]), "--reference", str(files["mix"]), "--json",
               "--genre", "pop")
    assert done.returncode == 0, done.stderr
    comparison = json.loads(done.stdout)["comparison"]
    assert comparison["reference_name"] == "mix.wav"
    moves = dict(zip(comparison["tonal_difference"]["centres_hz"],
                     comparison["tonal_difference"]["eq_move_db"], strict=True))
    assert moves[3174.8] == pytest.approx(-6.0, abs=1.0)  # cut the 6 dB the bright mix added
    assert "harshness" in {i["code"] for i in comparison["issues"]}


def test_readable_report(files: dict[str, Path]) -> None:
    done = run("analyze", str(files["tone"]), "--context", "master", "--genre", "electronic",
               "--subgenre", "techno")
    assert done.returncode == 0, done.stderr
    assert "Integrated -23.0 LUFS" in done.stdout
    assert "Techno" in done.stdout
    assert "too_quiet" in done.stdout


def test_unknown_genre_is_one_clear_line(files: dict[str, Path]) -> None:
    done = run("analyze", str(files["tone"]), "--genre", "polka")
    assert done.returncode == 2
    assert "polka" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_missing_file(tmp_path: Path) -> None:
    done = run("analyze", str(tmp_path / "nope.wav"))
    assert done.returncode == 2
    assert "nope.wav" in done.stderr and "not found" in done.stderr


def test_nan_audio_is_refused(tmp_path: Path) -> None:
    audio = sine(-20.0, 3.0)
    audio[:, 100] = np.nan
    path = write_wav(tmp_path / "nan.wav", audio)
    done = run("analyze", str(path))
    assert done.returncode == 2 and "NaN" in done.stderr
