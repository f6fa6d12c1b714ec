"""What the analysis refuses, and how the refusal reaches the user: the longest file
(``MAX_DURATION_S``, refused from the header before any audio is decoded), absurd finite
samples (one sentence, no numpy overflow warning), and damaged MP3s whose decoder
(libmpg123) talks on stderr: through the command line every bad file is exactly one line
on stderr, also with Python's warnings turned into errors."""

from __future__ import annotations

import ast
import inspect
import io
import json
import struct
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pydantic import BaseModel, ValidationError

import zz_core.measure
from zz_core import cli
from zz_core.errors import AudioDecodeError
from zz_core.judge import pipeline
from zz_core.judge.models import AnalysisOptions
from zz_core.judge.pipeline import analyze_audio, analyze_file
from zz_core.measure import MAX_DURATION_S
from zz_core.measure.decoding import Audio, limits, probe, stream

ROOT = Path(__file__).resolve().parents[2]
RATE = 44100
TOO_LONG = "the audio is longer than 3 h, the most we can analyse"


def _tone(seconds: float = 3.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    wave = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    return np.vstack([wave, 0.8 * wave]).astype(np.float32)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -W error -m zz_core ARGS``: every Python warning is an error."""
    return subprocess.run([sys.executable, "-W", "error", "-m", "zz_core", *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)


def _one_line(done: subprocess.CompletedProcess[str], path: Path) -> str:
    """The one stderr line about ``path`` (asserting there is no other), without the
    prefix naming the file."""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    prefix = f"zz_core: {path}: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix):]


# --- the longest file --------------------------------------------------------------------------


def test_the_longest_file_is_one_documented_constant() -> None:
    assert MAX_DURATION_S == 3 * 3600
    assert limits.MAX_DURATION_S is stream.MAX_DURATION_S is MAX_DURATION_S
    body = ast.parse(inspect.getsource(zz_core.measure)).body
    index = next(i for i, node in enumerate(body) if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", "") == "MAX_DURATION_S" for t in node.targets))
    docstring = body[index + 1]
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    text = str(docstring.value.value)
    assert "longest" in text and "seconds" in text


def test_the_refusal_states_the_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    assert str(limits.too_long()) == TOO_LONG
    monkeypatch.setattr(limits, "MAX_DURATION_S", 2 * 3600)
    assert str(limits.too_long()) == "the audio is longer than 2 h, the most we can analyse"


def _long_wav(path: Path, seconds: int) -> Path:
    """A WAV header stating ``seconds`` of 8 kHz mono 8-bit audio, the data a sparse hole."""
    rate, data_bytes = 8000, 8000 * seconds
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16,
                         1, 1, rate, rate, 1, 8, b"data", data_bytes)
    with path.open("wb") as fh:
        fh.write(header)
        fh.truncate(len(header) + data_bytes)
    return path


def _long_flac(path: Path, seconds: int) -> Path:
    """A 2-second FLAC whose STREAMINFO states ``seconds`` of audio."""
    sf.write(path, _tone(2.0).T, RATE, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO comes first
    packed = struct.unpack(">Q", data[18:26])[0]
    packed = (packed & ~(2**36 - 1)) | (seconds * RATE)
    data[18:26] = struct.pack(">Q", packed)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to decode audio fails the test: a refusal must come from the header."""
    def refuse(*_: object) -> int:
        raise AssertionError("audio was decoded")
    monkeypatch.setattr(stream._SoundfileDecoder, "read_into", refuse)


@pytest.mark.parametrize(("make", "name"), [(_long_wav, "long.wav"), (_long_flac, "long.flac")])
@pytest.mark.usefixtures("no_decoding")
def test_a_longer_file_is_refused_from_its_header(tmp_path: Path,
                                                  make: Callable[[Path, int], Path],
                                                  name: str) -> None:
    path = make(tmp_path / name, MAX_DURATION_S + 1)
    with pytest.raises(AudioDecodeError) as refused:
        analyze_file(path)
    assert str(refused.value) == TOO_LONG
    with pytest.raises(AudioDecodeError, match=TOO_LONG):
        probe(path)


@pytest.mark.usefixtures("no_decoding")
def test_the_longest_file_itself_passes_the_header_check(tmp_path: Path) -> None:
    info = probe(_long_wav(tmp_path / "long.wav", MAX_DURATION_S))
    assert info.length_exact and info.duration_s == MAX_DURATION_S


def test_a_longer_file_is_one_line_from_the_command_line(tmp_path: Path) -> None:
    path = _long_wav(tmp_path / "four-hours.wav", 4 * 3600)
    done = _cli("analyze", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert _one_line(done, path) == TOO_LONG


# --- absurd finite samples ---------------------------------------------------------------------

ABSURD = "the samples reach +600 dBFS; real audio stays under +60 dBFS, so this looks like a "\
         "damaged floating-point file, not a recording"


@pytest.mark.parametrize("value", [1e30, -1e30])
def test_absurd_samples_are_one_sentence_without_warnings(value: float) -> None:
    samples = _tone()
    samples[:, 5000:5010] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AudioDecodeError) as refused:
            analyze_audio(Audio(samples, RATE, "test"), AnalysisOptions())
    assert str(refused.value) == ABSURD


def test_samples_just_under_the_limit_are_measured_without_warnings() -> None:
    samples = _tone() * np.float32(999.0)  # +54 dBFS peaks: nothing may overflow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = analyze_audio(Audio(samples, RATE, "test"), AnalysisOptions())
    assert result.loudness.sample_peak_dbfs == pytest.approx(20 * np.log10(499.5), abs=0.01)
    assert result.loudness.integrated_lufs is not None and result.loudness.integrated_lufs > 50


@pytest.mark.parametrize("value", [1e30, -1e30])
def test_absurd_samples_in_a_file_are_one_line_from_the_command_line(tmp_path: Path,
                                                                     value: float) -> None:
    samples = _tone()
    samples[:, 70000:70010] = value  # in the middle: blocks before it are already measured
    path = tmp_path / "absurd.wav"
    sf.write(path, samples.T, RATE, subtype="FLOAT")
    done = _cli("analyze", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert _one_line(done, path) == ABSURD


# --- damaged MP3s: libmpg123 talks on stderr ---------------------------------------------------


def _mp3(tmp_path: Path) -> bytes:
    path = tmp_path / "good.mp3"
    sf.write(path, _tone().T, RATE, format="MP3", subtype="MPEG_LAYER_III")
    return path.read_bytes()


def _garbled(data: bytes) -> bytes:
    rng = np.random.default_rng(0)
    third = len(data) // 3
    return data[:third] + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes() + data[
        third + 4000:]


DAMAGE = {
    "garbled": _garbled,
    "cut in half": lambda data: data[:len(data) // 2],
    "header only": lambda data: data[:2000],
    "garbage": lambda data: np.random.default_rng(1).integers(
        0, 256, 50000, dtype=np.uint8).tobytes(),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_mp3_is_one_line_on_stderr(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "bad.mp3"
    path.write_bytes(DAMAGE[damage](_mp3(tmp_path)))
    done = _cli("analyze", str(path))
    assert done.returncode == 2 and done.stdout == ""
    reason = _one_line(done, path)
    assert "mpg123" not in reason and "Note:" not in reason
    assert reason.startswith(("the file is truncated", "this is not an audio file"))


def test_the_garbled_mp3_does_make_libmpg123_talk(tmp_path: Path) -> None:
    """Without the engine's quieting, libsndfile's MP3 decoder prints several lines on
    stderr for the garbled file: the one-line test above is about something real."""
    path = tmp_path / "bad.mp3"
    path.write_bytes(_garbled(_mp3(tmp_path)))
    script = (f"import soundfile\ntry:\n    soundfile.read({str(path)!r})\n"
              "except Exception:\n    pass\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert "mpg123" in done.stderr or "Note:" in done.stderr
    assert len(done.stderr.splitlines()) > 1


def test_a_bad_mp3_in_a_batch_fails_alone(tmp_path: Path) -> None:
    data = _mp3(tmp_path)
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(_garbled(data))
    good = tmp_path / "good.wav"
    sf.write(good, _tone().T, RATE, subtype="PCM_16")
    done = _cli("analyze", "--json", str(bad), str(good))
    assert done.returncode == 2
    assert _one_line(done, bad).startswith("the file is truncated")
    assert json.loads(done.stdout)["file_name"] == "good.wav"


# --- pydantic's reports ------------------------------------------------------------------------


class _Figure(BaseModel):
    value: float


def test_a_figure_the_models_refuse_is_one_line(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object) -> None:
        _Figure.model_validate({"value": "loud"})  # pydantic's multi-line report

    with pytest.raises(ValidationError):
        refused()
    monkeypatch.setattr(pipeline, "_judged", refused)
    path = tmp_path / "tone.wav"
    sf.write(path, _tone().T, RATE, subtype="PCM_16")
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["analyze", str(path)], out, err) == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"zz_core: {path}: the measurements of "
                                                   "this audio cannot be reported (")
    assert out.getvalue() == ""
