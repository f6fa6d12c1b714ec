"""Analysis jobs through the services with a real process pool, on real SQLite: progress
and results, a SIGKILLed worker failing only its own job, a file the full decode refuses,
a server killed mid-analysis and started again, and a full disk."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.store.helpers import make_user, sine_wav
from zz_core.errors import AudioDecodeError, NotFoundError
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_file
from zz_core.services import analyses, jobs, uploads
from zz_core.services.jobs import JobRecord, Upload
from zz_core.services.runner import PoolRunner, worker_context
from zz_core.services.workspace import Workspace
from zz_core.store import db
from zz_core.store.tables import Job

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = AnalysisOptions(context="mixdown")
POISON = AnalysisOptions(context="master")
HOLD_FLAG = "ZZ_TEST_HOLD_FLAG"


# --- what the workers run (module level: a spawned worker imports them) ------------------


def held_analyse(path: Path, options: AnalysisOptions) -> AnalysisResult:
    """``analyze_file``, after waiting (at most 60 s) while the flag file exists: the test
    holds the job in ``running`` until it kills the worker or lets it go."""
    flag = Path(os.environ.get(HOLD_FLAG, "/nonexistent"))
    deadline = time.monotonic() + 60
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return analyze_file(path, options)


def poison_analyse(path: Path, options: AnalysisOptions) -> AnalysisResult:
    """A codec that segfaults on "master" files: the worker dies (SIGKILL) each time."""
    if options.context == "master":
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(1.5)
    return analyze_file(path, options)


def refusing_analyse(path: Path, options: AnalysisOptions) -> AnalysisResult:
    """A file damaged past its first seconds: the full decode refuses it."""
    raise AudioDecodeError("the file is truncated or corrupt: decoding failed after 6.0 s")


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def workspace(sqlite_engine: Engine, tmp_data_dir: Path) -> Workspace:
    return Workspace(sqlite_engine, make_user(sqlite_engine, "ada"), tmp_data_dir)


@pytest.fixture
def hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A flag file holding ``held_analyse`` (the spawned workers inherit the variable)."""
    flag = tmp_path / "hold"
    flag.touch()
    monkeypatch.setenv(HOLD_FLAG, str(flag))
    return flag


def make_runner(workspace: Workspace, analyse: jobs.Analyse = analyze_file,
                workers: int = 1) -> PoolRunner:
    return PoolRunner(workspace.engine, workspace.data_dir, workers, analyse=analyse)


@pytest.fixture
def runners() -> Iterator[list[PoolRunner]]:
    made: list[PoolRunner] = []
    yield made
    for runner in made:
        runner.shutdown()


def start(workspace: Workspace, runner: jobs.JobRunner, name: str = "mix.wav",
          options: AnalysisOptions = OPTIONS, seconds: float = 3.0,
          project_id: int | None = None) -> JobRecord:
    return jobs.start_analysis(workspace, runner, project_id,
                               Upload(sine_wav(seconds, 330.0 + len(name)), name), options,
                               new_project_name="Album")


def wait_for(workspace: Workspace, job_id: int, state: str, timeout_s: float = 90) -> JobRecord:
    job = jobs.wait(workspace, job_id, timeout_s)
    deadline = time.monotonic() + timeout_s
    while job.state != state and time.monotonic() < deadline and not job.finished:
        job = jobs.wait(workspace, job_id, 1.0)
    assert job.state == state, job
    return job


def wait_running(workspace: Workspace, job_id: int, timeout_s: float = 60) -> JobRecord:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = jobs.get_job(workspace, job_id)
        if job.state == "running":
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never started")


def worker_pid(job: JobRecord) -> int:
    assert job.worker_id is not None and "/" in job.worker_id
    return int(job.worker_id.rsplit("/", 1)[1])


def assert_nothing_half_made(workspace: Workspace) -> None:
    """Every session holds a track; every track has an analysis, or a failed job that can
    be retried (its upload kept); every file on disk belongs to a track."""
    kept_files = set()
    for project in workspace.projects():
        project_tracks = workspace.tracks(project.id)
        assert project_tracks, f"empty session {project.name}"
        for track in project_tracks:
            path = workspace.audio_path(track)
            assert path is not None
            kept_files.add(path)
            if analyses.latest_analysis(workspace, track.id) is None:
                job = jobs.latest_job(workspace, track.id)
                assert job is not None and jobs.can_retry(job), track
    on_disk = {p for p in (workspace.data_dir / "audio").rglob("*") if p.is_file()}
    assert on_disk == kept_files


# --- the normal path -----------------------------------------------------------------------


def test_a_job_records_its_progress_and_result(workspace: Workspace,
                                               runners: list[PoolRunner]) -> None:
    runners.append(runner := make_runner(workspace))
    seen: list[tuple[str, str]] = []
    job = jobs.start_analysis(workspace, runner, None, Upload(sine_wav(3.0), "mix.wav"),
                              OPTIONS, reference=Upload(sine_wav(3.0, 220.0), "ref.wav"),
                              new_project_name="Album")
    assert job.state == "queued" and job.project_created and job.reference_track_id
    done = jobs.wait(workspace, job.id, 90, on_change=lambda j: seen.append((j.state, j.stage)))
    assert done.state == "done" and done.progress == 1.0 and done.attempts == 1
    assert ("running", "Analysing the reference") in seen or done.state == "done"
    outcome = jobs.job_outcome(workspace, done)
    assert outcome is not None and not outcome.reused
    assert outcome.result.comparison is not None and outcome.reference is not None
    assert outcome.result.file_name == "mix.wav"
    assert analyses.latest_analysis(workspace, done.track_id) == outcome.result
    assert_nothing_half_made(workspace)
    again = jobs.wait(workspace, jobs.start_analysis(
        workspace, runner, done.project_id, Upload(sine_wav(3.0), "again.wav"),
        OPTIONS).id, 90)
    outcome = jobs.job_outcome(workspace, again)
    assert outcome is not None and outcome.reused and again.stage == analyses.REUSED


def test_a_spawned_worker_never_runs_the_parents_main_script(tmp_path: Path) -> None:
    """Streamlit runs each page as ``__main__``: a plain spawn re-runs it in the worker."""
    bomb = tmp_path / "page.py"
    bomb.write_text("raise SystemExit('the page ran in the worker')\n")
    code = textwrap.dedent(f"""
        import os, sys, types
        from concurrent.futures import ProcessPoolExecutor
        from zz_core.services.runner import worker_context
        page = types.ModuleType("__main__"); page.__file__ = {str(bomb)!r}
        sys.modules["__main__"] = page
        with ProcessPoolExecutor(1, mp_context=worker_context()) as pool:
            print(pool.submit(os.getpid).result() > 0)
        """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr
    assert worker_context().get_start_method() == "spawn"


# --- a dead worker -------------------------------------------------------------------------


def test_a_killed_worker_fails_its_job_alone_and_the_next_analysis_works(
        workspace: Workspace, runners: list[PoolRunner], hold: Path) -> None:
    runners.append(runner := make_runner(workspace, held_analyse))
    job = start(workspace, runner)
    running = wait_running(workspace, job.id)
    os.kill(worker_pid(running), signal.SIGKILL)
    failed = wait_for(workspace, job.id, "failed")
    assert failed.reason == jobs.WORKER_DIED and jobs.can_retry(failed)
    assert runner.generation == 1
    assert workspace.audio_path(workspace.track(failed.track_id)) is not None  # kept
    assert_nothing_half_made(workspace)
    hold.unlink()
    second = start(workspace, runner, "next.wav", project_id=failed.project_id)
    assert wait_for(workspace, second.id, "done").analysis_id is not None
    retried = jobs.retry(workspace, runner, job.id)
    assert retried.state == "queued"
    done = wait_for(workspace, job.id, "done")
    assert done.attempts == 2 and done.reason is None
    assert_nothing_half_made(workspace)
    assert {t.original_name for t in workspace.tracks(done.project_id)} == {"mix.wav",
                                                                             "next.wav"}


def test_with_two_jobs_running_only_the_one_that_kills_its_worker_fails(
        workspace: Workspace, runners: list[PoolRunner]) -> None:
    runners.append(runner := make_runner(workspace, poison_analyse, workers=2))
    innocent = start(workspace, runner, "innocent.wav")
    poison = start(workspace, runner, "poison.wav", POISON, project_id=innocent.project_id)
    assert wait_for(workspace, poison.id, "failed").reason == jobs.WORKER_DIED
    assert wait_for(workspace, innocent.id, "done").analysis_id is not None
    assert_nothing_half_made(workspace)


def test_a_file_the_full_decode_refuses_is_discarded_with_its_session(
        workspace: Workspace, runners: list[PoolRunner]) -> None:
    runners.append(runner := make_runner(workspace, refusing_analyse))
    job = start(workspace, runner, "damaged.wav")
    failed = wait_for(workspace, job.id, "failed")
    assert failed.reason is not None and "decoding failed after 6.0 s" in failed.reason
    assert "Nothing was kept" in failed.reason and not jobs.can_retry(failed)
    assert (failed.track_id, failed.project_id) == (None, None)
    assert workspace.projects() == []
    assert not any(p.is_file() for p in (workspace.data_dir / "audio").rglob("*"))
    with pytest.raises(NotFoundError):
        jobs.retry(workspace, runner, job.id)


# --- a restart -----------------------------------------------------------------------------


SERVER = """
import sys, time
from pathlib import Path
from zz_core.store import db
from zz_core.services import jobs
from zz_core.services.runner import PoolRunner
from zz_core.services.workspace import Workspace
from zz_core.judge.models import AnalysisOptions
from tests.services.test_jobs import held_analyse
from tests.store.helpers import sine_wav

url, data_dir, user_id = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
engine = db.create_db_engine(url)
workspace = Workspace(engine, user_id, data_dir)
runner = PoolRunner(engine, data_dir, 1, analyse=held_analyse)
job = jobs.start_analysis(workspace, runner, None, jobs.Upload(sine_wav(3.0), "mix.wav"),
                          AnalysisOptions(context="mixdown"), new_project_name="Album")
print(job.id, flush=True)
time.sleep(600)
"""


def test_a_server_killed_mid_analysis_resumes_the_job_on_restart(
        workspace: Workspace, runners: list[PoolRunner], hold: Path) -> None:
    url = workspace.engine.url.render_as_string(hide_password=False)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, url, str(workspace.data_dir), str(workspace.user_id)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert server.stdout is not None
        job_id = int(server.stdout.readline())
        running = wait_running(workspace, job_id)
        assert running.worker_id is not None
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # the server and its worker, mid-analysis
        server.wait(30)
    assert jobs.get_job(workspace, job_id).state == "running"  # as the dead server left it
    hold.unlink()
    runners.append(runner := make_runner(workspace))
    resumed = runner.recover()
    assert [j.id for j in resumed] == [job_id]
    done = wait_for(workspace, job_id, "done")
    assert done.attempts == 2 and done.worker_id is not None
    assert done.worker_id.startswith(runner.runner_id + "/")
    assert_nothing_half_made(workspace)


def test_a_job_silent_on_another_host_is_taken_over_and_one_started_too_often_fails(
        workspace: Workspace, runners: list[PoolRunner]) -> None:
    runners.append(runner := make_runner(workspace))
    elsewhere = start(workspace, _Absent("otherhost:1:abcd"))
    given_up = start(workspace, _Absent("otherhost:1:abcd"), "old.wav",
                     project_id=elsewhere.project_id)
    long_ago = db.utcnow() - timedelta(minutes=5)
    with workspace.engine.begin() as connection:
        connection.execute(sa.update(Job).values(heartbeat_at=long_ago))
        connection.execute(sa.update(Job).where(sa.column("id") == given_up.id).values(
            attempts=jobs.MAX_ATTEMPTS, state="running"))
    assert [j.id for j in runner.recover()] == [elsewhere.id]
    assert runner.recover() == []  # each job is taken over once
    assert wait_for(workspace, elsewhere.id, "done").analysis_id is not None
    failed = wait_for(workspace, given_up.id, "failed")
    assert failed.reason == jobs.INTERRUPTED.format(count=jobs.MAX_ATTEMPTS)
    assert jobs.can_retry(failed)
    jobs.retry(workspace, runner, given_up.id)
    assert wait_for(workspace, given_up.id, "done").attempts == jobs.MAX_ATTEMPTS + 1


def test_a_fresh_job_of_a_live_runner_is_left_alone(workspace: Workspace,
                                                    runners: list[PoolRunner]) -> None:
    runners.append(runner := make_runner(workspace))
    other = _Absent(f"{socket.gethostname()}:{os.getppid()}:other")  # alive, this host
    job = start(workspace, other)
    assert runner.recover() == []
    assert jobs.get_job(workspace, job.id).state == "queued"


class _Absent:
    """A runner somewhere else that never runs anything (its jobs wait in the store)."""

    def __init__(self, runner_id: str) -> None:
        self.runner_id = runner_id

    def submit(self, job: JobRecord) -> None:
        pass

    def recover(self) -> list[JobRecord]:
        return []

    def shutdown(self) -> None:
        pass


# --- a full disk ---------------------------------------------------------------------------


@contextmanager
def small_file_system(folder: Path, size: str = "1m") -> Iterator[Path]:
    """A real small file system (tmpfs, mounted as root) on ``folder``; the test is
    skipped where mounting is not allowed (test_uploads' injected ENOSPC still covers the
    store's write there)."""
    folder.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB file system."""
    with small_file_system(tmp_path / "small") as folder:
        yield folder


def test_a_full_disk_stores_nothing_and_says_so(sqlite_engine: Engine, small_disk: Path,
                                                runners: list[PoolRunner]) -> None:
    workspace = Workspace(sqlite_engine, make_user(sqlite_engine, "ada"), small_disk)
    runners.append(runner := make_runner(workspace))
    with pytest.raises(uploads.StorageFullError, match="disk is full"):
        start(workspace, runner, seconds=8.0)  # 3 MB of WAV on a 1 MB disk
    assert workspace.projects() == []
    assert not any(p.is_file() for p in small_disk.rglob("*"))
    with sqlite_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM track")).scalar() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM job")).scalar() == 0


def test_a_full_database_disk_stores_nothing_and_says_so(small_disk: Path,
                                                         runners: list[PoolRunner]) -> None:
    engine = db.create_db_engine(f"sqlite:///{small_disk / 'zz.db'}")
    db.upgrade_schema(engine)
    try:
        workspace = Workspace(engine, make_user(engine, "ada"), small_disk)
        runners.append(runner := make_runner(workspace))
        filler = small_disk / "filler"
        handle = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with pytest.raises(OSError):
                while True:  # the disk is full: the database cannot even start a session
                    os.write(handle, b"\0" * 4096)
        finally:
            os.close(handle)
        with pytest.raises(uploads.StorageFullError, match="disk is full"):
            start(workspace, runner, seconds=1.5)
        assert workspace.projects() == []
        filler.unlink()  # room again: the same upload goes through
        assert wait_for(workspace, start(workspace, runner, seconds=1.5).id, "done")
        assert_nothing_half_made(workspace)
    finally:
        engine.dispose()
