"""Analyze and History following analysis jobs, through AppTest with the real pages, a
real process pool and real SQLite: a killed worker's message and Retry, a refused upload's
reason in plain sight, a new file clearing the previous results, a track deleted in
History, a full disk."""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.helpers import analyse, engine_for, login, make_user, visible_text, wav
from tests.services.test_jobs import HOLD_FLAG, held_analyse, small_file_system
from ui import resources
from zz_core.services.jobs import WORKER_DIED
from zz_core.services.runner import PoolRunner
from zz_core.services.workspace import Workspace
from zz_core.store import jobs as job_store
from zz_core.store import projects
from zz_core.store import tracks as track_store


@pytest.fixture
def held(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's runner analyses with ``held_analyse``: jobs wait while the flag exists."""
    flag = tmp_path / "hold"
    flag.touch()
    monkeypatch.setenv(HOLD_FLAG, str(flag))
    monkeypatch.setattr(resources, "PoolRunner",
                        functools.partial(PoolRunner, analyse=held_analyse))
    return flag


def kill_worker_when_running(data_dir: Path, user_id: int) -> threading.Thread:
    """SIGKILL the worker process of the user's job once it runs (a background thread)."""
    def watch() -> None:
        engine = engine_for(data_dir)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            running = [j for j in job_store.active_jobs(engine, user_id)
                       if j.state == "running" and j.worker_id and "/" in j.worker_id]
            if running:
                os.kill(int(str(running[0].worker_id).rsplit("/", 1)[1]), signal.SIGKILL)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_killed_worker_shows_a_plain_message_and_retry_analyses(data_dir: Path,
                                                                  held: Path) -> None:
    user_id = make_user(data_dir, "ada")
    watcher = kill_worker_when_running(data_dir, user_id)
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    watcher.join(10)
    assert not at.exception, at.exception
    assert any(e.value == WORKER_DIED for e in at.error)
    assert not at.metric
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    [track] = track_store.list_tracks(engine, user_id, project.id)  # the upload is kept
    assert track_store.audio_path(user_id, track, data_dir) is not None

    history = login("ada")
    history.switch_page("pages/history.py").run()
    assert not history.exception, history.exception
    assert any("analysis of this track failed" in w.value for w in history.warning)
    assert any(b.label == "Retry" for b in history.button)

    held.unlink()
    next(b for b in at.button if b.label == "Retry").click()
    at.run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Integrated loudness"].startswith("-20.0")
    assert not at.error


def test_a_refused_upload_shows_its_reason_without_a_click(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = analyse(login("ada"), b"just some text, not audio", "notes.wav")
    assert not at.exception
    [error] = at.error
    assert "not an audio file" in error.value and "Nothing was stored" in error.value
    assert not any("not an audio file" in visible_text(e) for e in at.expander)


def test_a_new_file_clears_the_previous_results_and_chat(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0), "first.wav")
    assert at.metric and any(s.value == "Feedback" for s in at.subheader)
    at.file_uploader(key="main_upload").set_value(("second.wav", wav(-14.0), "audio/wav"))
    at.run()
    assert not at.exception, at.exception
    assert not at.metric and not any(s.value == "Feedback" for s in at.subheader)
    assert any("first" in i.value and "is no longer shown" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Analyze").click()
    at.run()
    assert {m.label: m.value for m in at.metric}["Integrated loudness"].startswith("-14.0")


def test_deleting_in_history_the_track_analyze_shows_leaves_a_note(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0), "mix.wav")
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    [track] = track_store.list_tracks(engine, user_id, project.id)
    at.switch_page("pages/history.py").run()
    assert not at.exception, at.exception
    # History's delete dialog calls this (AppTest cannot click inside a dialog)
    Workspace(engine, user_id, data_dir).delete_track(track.id)
    at.switch_page("pages/analyze.py").run()
    assert not at.exception, at.exception
    assert any("was deleted" in i.value for i in at.info)
    assert not at.metric
    at.run()  # and on every run after
    assert not at.exception, at.exception


@pytest.fixture
def small_data_dir(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The data folder on a real 1 MB file system."""
    with small_file_system(data_dir / "small") as folder:
        monkeypatch.setenv("ZZ_DATA_DIR", str(folder))
        yield folder


def test_a_full_disk_says_so_and_stores_nothing(small_data_dir: Path) -> None:
    user_id = make_user(small_data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0, seconds=20.0), "mix.wav")  # 3.8 MB on 1 MB
    assert not at.exception, at.exception
    [error] = at.error
    assert "disk is full" in error.value and "Nothing was stored" in error.value
    assert projects.list_projects(engine_for(small_data_dir), user_id) == []
    assert not any(p.is_file() for p in (small_data_dir / "audio").rglob("*"))
