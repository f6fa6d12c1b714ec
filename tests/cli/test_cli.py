"""The command line, run as a user runs it: a real process on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from tests.llm_server import API_KEY, LLMServer
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


# --------------------------------------------------------------------------- feedback, ask, report


def run_offline(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``run`` with no language model configured unless ``env`` names one."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("ZZ_LLM_") and k != "OPENAI_API_KEY"}
    return subprocess.run([sys.executable, "-m", "zz_core", *args], capture_output=True,
                          text=True, timeout=600, cwd=Path(__file__).resolve().parents[2],
                          env={**clean, **env})


@pytest.fixture
def model_server(llm_server: LLMServer) -> LLMServer:
    return llm_server


def test_feedback_json_from_the_offline_engine(files: dict[str, Path]) -> None:
    clipped = np.clip(sine(-1.0, 8.0) * 1.6, -1.0, 1.0)
    path = write_wav(files["mix"].parent / "clipped.wav", clipped, RATE, "PCM_16")
    done = run_offline("feedback", str(path), "--context", "master", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["provider"], answer["model"]) == ("offline", "zz-offline-1")
    codes = [item["issue_code"] for item in answer["items"]]
    assert "clipping" in codes
    assert set(answer["items"][0]) >= {"insight", "suggestion", "issue_code", "severity"}
    assert answer["usage"]["prompt_tokens"] == 0 and answer["usage"]["cost_usd"] == 0.0
    assert answer["usage"]["would_cost_usd"] > 0


def test_feedback_text_from_a_compatible_endpoint(files: dict[str, Path],
                                                  model_server: LLMServer) -> None:
    model_server.answer("INSIGHT [harshness, warning]: Bright.\nSUGGESTION: Cut 3 kHz 2 dB.",
                        prompt_tokens=1234)
    done = run_offline("feedback", str(files["bright"]), "--provider", "compatible",
                       "--base-url", model_server.base_url, "--model", "gpt-4o-mini",
                       ZZ_LLM_API_KEY=API_KEY)
    assert done.returncode == 0, done.stderr
    assert "1. Bright.  [warning, harshness]" in done.stdout
    assert "-> Cut 3 kHz 2 dB." in done.stdout
    assert "Tokens: 1234 prompt" in done.stdout
    prompt = model_server.requests[-1]["messages"][1]["content"]
    assert "TRACK\nname: \"bright.wav\"" in prompt


def test_feedback_failures_exit_2_with_one_line(files: dict[str, Path],
                                                model_server: LLMServer) -> None:
    done = run_offline("feedback", str(files["bad"]))
    assert done.returncode == 2 and "notes.wav" in done.stderr
    for _ in range(3):
        model_server.fail(401, "invalid_api_key")
    refused = run_offline("feedback", str(files["tone"]), "--provider", "compatible",
                          "--base-url", model_server.base_url, ZZ_LLM_API_KEY="wrong")
    assert refused.returncode == 2 and "refused the API key" in refused.stderr
    assert "Traceback" not in refused.stderr
    no_key = run_offline("feedback", str(files["tone"]), "--provider", "openai")
    assert no_key.returncode == 2 and "No OpenAI API key" in no_key.stderr


def test_ask_answers_with_cited_sources() -> None:
    done = run_offline("ask", "why does spotify turn my track down", "--json", "--top-k", "3")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["provider"] == "offline" and answer["covered"]
    assert len(answer["sources"]) == 3
    assert set(answer["sources"][0]) >= {"document", "heading", "score", "text"}
    assert any("streaming" in s["document"] or "platform" in s["document"]
               for s in answer["sources"])
    assert "[1]" in answer["answer"]


def test_ask_says_when_the_knowledge_base_does_not_cover_it() -> None:
    done = run_offline("ask", "how long should I proof sourdough bread")
    assert done.returncode == 0, done.stderr
    assert "does not cover" in done.stdout and "Sources:" not in done.stdout
    empty = run_offline("ask", "   ")
    assert empty.returncode == 2 and "type a question" in empty.stderr


def test_report_for_one_track_and_for_an_album(files: dict[str, Path],
                                               tmp_path: Path) -> None:
    single = tmp_path / "mix.pdf"
    done = run_offline("report", str(files["mix"]), "--reference", str(files["bright"]),
                       "--context", "mixdown", "--out", str(single))
    assert done.returncode == 0, done.stderr
    text = "".join(page.extract_text() for page in PdfReader(single).pages)
    assert "mix.wav" in text and "INSIGHT" in text.upper() and "Page 1 of" in text
    album = tmp_path / "album.pdf"
    done = run_offline("report", str(files["mix"]), str(files["bright"]), str(files["tone"]),
                       "--out", str(album))
    assert done.returncode == 0, done.stderr
    text = "".join(page.extract_text() for page in PdfReader(album).pages)
    assert all(name in text for name in ("mix.wav", "bright.wav", "tone.wav"))
    failed = run_offline("report", str(files["bad"]), "--out", str(tmp_path / "x.pdf"))
    assert failed.returncode == 2 and not (tmp_path / "x.pdf").exists()


# --------------------------------------------------------------------------- chat


@pytest.fixture(scope="module")
def dc_file(files: dict[str, Path]) -> Path:
    audio = clean_mixdown(8.0, seed=3)
    audio[0] += 0.02  # DC offset on the left channel only
    return write_wav(files["mix"].parent / "dc.wav", audio, RATE)


def test_chat_json_answers_from_the_track(dc_file: Path) -> None:
    done = run_offline("chat", str(dc_file), "--question",
                       "Is the DC offset on both channels or just one?", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) == {"answer", "sources", "usage"}
    assert "Only the left channel carries DC offset" in answer["answer"].split("\n\n")[0]
    assert answer["usage"]["prompt_tokens"] == 0 and answer["usage"]["would_cost_usd"] > 0
    for source in answer["sources"]:  # as `ask --json` lists them, and about the question
        assert set(source) >= {"document", "title", "heading", "score", "text"}
        assert "dc" in (source["heading"] + source["text"]).lower()


def test_chat_text_declines_what_it_cannot_measure(files: dict[str, Path]) -> None:
    done = run_offline("chat", str(files["mix"]), "-q", "which instrument is the low end at "
                       "0:05?", "--context", "mixdown", "--genre", "pop", "--profile", "pro")
    assert done.returncode == 0, done.stderr
    assert "cannot say which instrument" in done.stdout and "0:05.0" in done.stdout
    assert "Low 60-250 Hz" in done.stdout
    unrelated = run_offline("chat", str(files["mix"]), "-q", "tell me a joke")
    assert unrelated.returncode == 0 and "Sources:" not in unrelated.stdout
    empty = run_offline("chat", str(files["mix"]), "-q", "  ")
    assert empty.returncode == 2 and "type a question" in empty.stderr


def test_chat_through_a_compatible_endpoint(dc_file: Path, model_server: LLMServer) -> None:
    model_server.answer("Only the left channel carries DC.", prompt_tokens=900)
    done = run_offline("chat", str(dc_file), "-q", "Is the DC offset on one channel?",
                       "--provider", "compatible", "--base-url", model_server.base_url,
                       "--model", "gpt-4o-mini", "--json", ZZ_LLM_API_KEY=API_KEY)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["answer"] == "Only the left channel carries DC."
    assert answer["usage"]["prompt_tokens"] == 900
    question = model_server.requests[-1]["messages"][-1]["content"]
    assert question == "<user_text>Is the DC offset on one channel?</user_text>"


def test_chat_with_a_malformed_endpoint_reply_is_one_line(dc_file: Path,
                                                          model_server: LLMServer) -> None:
    model_server.answer(raw_events=(b"not-json",))
    done = run_offline("chat", str(dc_file), "-q", "how loud?", "--provider", "compatible",
                       "--base-url", model_server.base_url, ZZ_LLM_API_KEY=API_KEY)
    assert done.returncode == 2 and "is not JSON" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_file_name_too_long_fails_alone(files: dict[str, Path]) -> None:
    long_name = files["mix"].parent / ("x" * 300 + ".wav")
    done = run("analyze", str(files["tone"]), str(long_name), str(files["mix"]), "--json")
    assert done.returncode == 2
    assert [json.loads(line)["file_name"] for line in done.stdout.splitlines()] == [
        "tone.wav", "mix.wav"]
    [error] = done.stderr.strip().splitlines()
    assert "x" * 300 in error and "File name too long" in error
    assert "Traceback" not in done.stderr
