"""The first Analyze page, driven through Streamlit's AppTest with a real WAV upload."""

from __future__ import annotations

import io
from pathlib import Path

import soundfile as sf
from streamlit.testing.v1 import AppTest

from tests.signals import RATE, sine

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _wav_bytes(dbfs: float, seconds: float) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, sine(dbfs, seconds).T, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_upload_and_analyse_shows_the_loudness() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.file_uploader[0].set_value(("tone.wav", _wav_bytes(-23.0, 12.0), "audio/wav")).run()
    at.button[0].click().run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Integrated"] == "-23.0 LUFS"


def test_not_audio_gives_a_clear_message() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.file_uploader[0].set_value(("notes.wav", b"hello", "audio/wav")).run()
    at.button[0].click().run()
    assert not at.exception
    assert any("not an audio file" in e.value for e in at.error)
    assert not at.metric
