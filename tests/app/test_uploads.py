"""Several tracks uploaded at once on Analyze (AppTest, the real page, a real process pool
and real SQLite): one job each into the chosen session, each compared with the reference,
a file refused on upload and one the full decode refuses failing alone with their
reasons, and a choice of which analysis to view."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from tests.app.helpers import engine_for, login, make_user, wav
from tests.signals import sine
from ui import resources
from zz_core.errors import AudioDecodeError
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_file
from zz_core.services.runner import PoolRunner
from zz_core.store import projects
from zz_core.store import tracks as track_store
from zz_core.text import escape_markdown

DAMAGED_RATE = 32000
"""The tests' damaged file is the one at this sample rate (its stored name is generated)."""


def damaged_analyse(path: Path, options: AnalysisOptions) -> AnalysisResult:
    """``analyze_file``, except that the full decode refuses the file at DAMAGED_RATE
    (module level: a spawned worker imports it)."""
    if sf.info(str(path)).samplerate == DAMAGED_RATE:
        raise AudioDecodeError("the file is truncated or corrupt: decoding failed after 2.0 s")
    return analyze_file(path, options)


def damaged_wav() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, sine(-20.0, 3.0, rate=DAMAGED_RATE).T, DAMAGED_RATE, format="WAV",
             subtype="PCM_16")
    return buffer.getvalue()


@pytest.fixture
def damaging(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(resources, "PoolRunner",
                        functools.partial(PoolRunner, analyse=damaged_analyse))
    return data_dir


def upload_several(at: AppTest, files: list[tuple[str, bytes]],
                   reference: tuple[str, bytes] | None = None) -> AppTest:
    next(t for t in at.text_input if t.label == "New session name").input("Album")
    uploader = at.file_uploader(key="main_upload")
    assert uploader.accept_multiple_files
    uploader.set_value([(name, data, "audio/wav") for name, data in files])
    if reference is not None:
        at.file_uploader(key="reference_upload").set_value((*reference, "audio/wav"))
    at.run()
    next(b for b in at.button if b.label == "Analyze").click()
    return at.run()


def loudness(at: AppTest) -> str:
    return str({m.label: m.value for m in at.metric}["Integrated loudness"])


def test_several_tracks_are_analysed_each_alone_and_one_is_picked_to_view(
        damaging: Path) -> None:
    user_id = make_user(damaging, "ada")
    at = upload_several(login("ada"), [("loud.wav", wav(-14.0)), ("notes.wav", b"not audio"),
                                       ("damaged.wav", damaged_wav()),
                                       ("quiet.wav", wav(-20.0))],
                        reference=("ref.wav", wav(-16.0)))
    assert not at.exception, at.exception

    errors = [e.value for e in at.error]
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"{escape_markdown('notes.wav')}: ")
    assert "not an audio file" in errors[0] and "Nothing was stored" in errors[0]
    assert errors[1].startswith(f"{escape_markdown('damaged.wav')}: ")
    assert "decoding failed after 2.0 s" in errors[1]
    assert not any(b.label == "Retry" for b in at.button)  # nothing of it was kept

    [status] = at.get("status")  # one progress bar per file, then how they ended
    assert getattr(status, "label", "") == "2 of 3 analyses complete, 1 failed"
    assert [p.proto.text for p in status.get("progress")] == [
        "loud.wav: done", "damaged.wav: failed", "quiet.wav: done"]

    picker = at.selectbox(key="analyze_pick")
    assert picker.options == ["loud.wav", "quiet.wav"]
    assert picker.value == at.session_state["analyze_batch"][0]
    assert loudness(at).startswith("-14.0")
    assert any(s.value == "Against the reference" for s in at.subheader)

    picker.select_index(1)
    at.run()
    assert not at.exception, at.exception
    assert loudness(at).startswith("-20.0")
    assert any(s.value == "Against the reference" for s in at.subheader)
    assert len(at.error) == 2  # the failures stay in sight while the batch is on show

    engine = engine_for(damaging)
    [project] = projects.list_projects(engine, user_id)  # one session for all of them
    assert project.name == "Album"
    stored = track_store.list_tracks(engine, user_id, project.id)
    mains = sorted(t.original_name for t in stored if t.role == "main")
    assert mains == ["loud.wav", "quiet.wav"]

    at.file_uploader(key="main_upload").set_value(("again.wav", wav(-18.0), "audio/wav"))
    at.run()  # a new choice clears the batch
    assert not at.exception, at.exception
    assert not at.error and not at.metric
    assert not [s for s in at.selectbox if s.key == "analyze_pick"]
