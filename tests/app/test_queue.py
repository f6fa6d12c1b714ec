"""The Analyze page on the queue, through AppTest with the real pages: Redis
(``redis-server``), a real worker process (``python -m zz_core worker``), moto's S3 and
PostgreSQL, as a deployment runs it. The page submits and follows the job from its record;
a new session (a reload, or another replica: the process-wide resources are dropped)
finds the job of the latest upload in the database; the analysis stored is the one the
in-process pool stores for the same file."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from tests.app.helpers import PASSWORD, analyse, login, wav
from tests.conftest import QueueWorker
from ui.auth import hash_password
from zz_core.store import analyses, db, projects, tracks, users
from zz_core.store.objects import S3Objects

TIMEOUT_S = 120
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_on_queue(data_dir: Path, postgres_url: str, queue_url: str, s3_storage: S3Objects,
                 monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The app configured as a deployment: PostgreSQL, S3, the queue (all in the
    environment the app and its workers read)."""
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("ZZ_QUEUE_URL", queue_url)
    engine = db.create_db_engine(postgres_url)
    db.upgrade_schema(engine)
    return engine


def make_user(engine: Engine, username: str) -> int:
    user = users.create_user(engine, username=username, name=username.title(),
                             email=f"{username}@example.com",
                             password_hash=hash_password(PASSWORD))
    return user.id


def until_shown(at: AppTest, timeout_s: float = TIMEOUT_S) -> AppTest:
    """Rerun the page (as the fragment's timer makes the browser do) until the result
    shows; the page never blocks on the queue."""
    deadline = time.monotonic() + timeout_s
    while not at.metric:
        assert not at.exception, at.exception
        assert time.monotonic() < deadline, "the analysis never showed"
        time.sleep(0.5)
        at.run()
    assert not at.exception, at.exception
    return at


def stored_result_json(engine: Engine, user_id: int) -> str:
    [project] = projects.list_projects(engine, user_id)
    [track] = tracks.list_tracks(engine, user_id, project.id)
    [row] = analyses.list_analyses(engine, user_id, track.id)
    return row.result_json


def test_analyze_through_the_queue_stores_what_in_process_stores(
        app_on_queue: Engine, queue_workers: Callable[..., QueueWorker],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    queue_workers(dict(os.environ)).wait_ready()
    engine = app_on_queue
    ada, bob = make_user(engine, "ada"), make_user(engine, "bob")
    track = wav(-16.0, seconds=12.0)

    at = analyse(login("ada"), track, "mix.wav")  # returns at once: the job is followed
    assert not at.exception, at.exception
    assert any(s.label.startswith("Analysing") for s in at.status) or at.metric

    st.cache_resource.clear()  # another replica answers the next request: a new session
    other = login("ada")
    other.switch_page("pages/analyze.py").run()
    until_shown(other)
    loudness = {m.label: m.value for m in other.metric}["Integrated loudness"]
    assert loudness.startswith("-16.0")
    until_shown(at)  # the first session shows it too
    assert {m.label: m.value for m in at.metric}["Integrated loudness"] == loudness
    queued = stored_result_json(engine, ada)

    monkeypatch.delenv("ZZ_QUEUE_URL")  # the same file in the in-process pool
    st.cache_resource.clear()
    in_process = analyse(login("bob"), track, "mix.wav")
    assert not in_process.exception, in_process.exception
    assert {m.label: m.value for m in in_process.metric}["Integrated loudness"] == loudness
    assert stored_result_json(engine, bob) == queued


# --- in a real browser, across two app replicas ------------------------------------------


@pytest.mark.slow
def test_another_replica_follows_the_job_to_its_result_in_a_browser(
        postgres_url: str, queue_url: str, s3_storage: S3Objects, tmp_path: Path,
        queue_workers: Callable[..., QueueWorker]) -> None:
    """Two ``streamlit run app.py`` replicas on the same PostgreSQL, Redis and S3, one
    worker. The upload is made on the first; the browser then opens the second (as a
    load balancer may send a reload): signed in from the cookie, it finds the job in the
    database, shows its progress and then the result, refreshed by the page's fragment
    with no click."""
    import os

    from tests.e2e.test_browser import (
        CHROMIUM,
        _free_port,
        _settle,
        _wait_healthy,
        field,
        launch,
        register_and_log_in,
        upload_and_analyse,
    )
    from tests.signals import sine, write_wav

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    engine = db.create_db_engine(postgres_url)
    db.upgrade_schema(engine)
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": postgres_url, "ZZ_QUEUE_URL": queue_url,
           "ZZ_COOKIE_KEY": "queue-e2e-key" * 4,
           # as deploy/compose.yaml: one XSRF secret for all replicas (the cookie is per
           # host, so a replica with its own secret refuses the others' uploads)
           "STREAMLIT_SERVER_COOKIE_SECRET": "queue-e2e-secret" * 4}
    queue_workers({**env, "ZZ_DATA_DIR": str(tmp_path / "worker")})
    replicas, urls = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = (tmp_path / f"replica-{name}.log").open("w")
            replicas.append((subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless",
                 "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                 "--server.fileWatcherType", "none"],
                cwd=ROOT, env={**env, "ZZ_DATA_DIR": str(tmp_path / f"replica-{name}")},
                stdout=log, stderr=subprocess.STDOUT), log))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_healthy(url, timeout_s=120)
        track = write_wav(tmp_path / "long-mix.wav", sine(-20.0, 300.0), subtype="PCM_16")
        with sync_playwright() as playwright:
            browser = launch(playwright)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page, other = context.new_page(), context.new_page()
            page.set_default_timeout(60_000)
            other.set_default_timeout(60_000)
            page.goto(urls[0])
            register_and_log_in(page, "ada", "Ada", "Lovelace")
            other.goto(urls[1])  # the second replica, signed in by the cookie
            expect(other.get_by_role("heading", name="Analyze a track")).to_be_visible(
                timeout=120_000)  # its first page: imports, then the script
            page.bring_to_front()
            field(page, "New session name").fill("Album one")
            field(page, "New session name").press("Enter")
            upload_and_analyse(page, page.locator("input[type=file]").first, track)
            expect(page.get_by_text("Analysing...")).to_be_visible(timeout=60_000)
            other.bring_to_front()
            other.reload()  # the other replica answers the next request: a new session
            expect(other.get_by_text("Analysing...")).to_be_visible(  # found in the DB
                timeout=60_000)
            expect(other.get_by_text("Integrated loudness", exact=True)).to_be_visible(
                timeout=180_000)  # no click: the fragment saw the job end
            expect(other.get_by_text("-20.0 LUFS", exact=True)).to_be_visible()
            _settle(other)
            browser.close()
    finally:
        for process, log in replicas:
            process.terminate()
            process.wait(30)
            log.close()
