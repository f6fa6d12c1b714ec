"""The analysis queue with real parts on loopback: Debian's redis-server, real worker
processes (``python -m zz_core worker``), moto's S3 server and PostgreSQL.

A worker SIGKILLed mid-job (the whole worker, so only Redis's visibility timeout brings
the task back) and a worker process killed on every run; results through the queue equal
the in-process ones figure for figure; a batch with a bad file; a batch never starves a
producer. The first part needs no worker: settings, tickets and what a task does with a
job it finds in each state.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import Engine, make_url

from tests.conftest import QueueWorker, _admin
from tests.s3server import make_bucket, s3_environment
from tests.services.test_jobs import _Absent
from tests.store.helpers import make_user, sine_wav
from zz_core.config import Settings, SettingsError, load_settings
from zz_core.errors import AudioDecodeError
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_file, with_reference
from zz_core.services import jobs
from zz_core.services.jobs import JobRecord, Upload
from zz_core.services.queue import (
    QUEUE_UNREACHABLE,
    AnalysisQueue,
    CeleryRunner,
    file_ticket,
    open_queue,
)
from zz_core.services.workspace import Workspace
from zz_core.store import analyses as analysis_store
from zz_core.store import db
from zz_core.store import jobs as job_store
from zz_core.store.objects import Objects

OPTIONS = AnalysisOptions(context="mixdown")
TECHNO = AnalysisOptions(context="master", genre="electronic", subgenre="techno")
NOBODY = _Absent("nowhere:1:x")
"""A runner that holds jobs and runs nothing (the test runs them)."""


# --- without workers -----------------------------------------------------------------------


def test_the_queue_settings_are_read_and_checked() -> None:
    settings = load_settings(environ={"ZZ_QUEUE_URL": "redis://cache:6379/0",
                                      "ZZ_QUEUE_SOFT_TIME_LIMIT_S": "60",
                                      "ZZ_QUEUE_TIME_LIMIT_S": "90"})
    assert settings.queue_url == "redis://cache:6379/0"
    assert (settings.queue_soft_time_limit_s, settings.queue_time_limit_s) == (60.0, 90.0)
    assert load_settings({"queue": {"url": "redis://from-secrets/1"}},
                         environ={}).queue_url == "redis://from-secrets/1"
    assert open_queue(load_settings(environ={})) is None  # in-process by default
    with pytest.raises(SettingsError, match="Redis URL"):
        load_settings(environ={"ZZ_QUEUE_URL": "amqp://rabbit"})
    with pytest.raises(SettingsError, match="queue_time_limit_s"):
        load_settings(environ={"ZZ_QUEUE_SOFT_TIME_LIMIT_S": "100",
                               "ZZ_QUEUE_TIME_LIMIT_S": "50"})


def test_a_file_ticket_is_its_content_and_options() -> None:
    sha = hashlib.sha256(b"audio").hexdigest()
    assert file_ticket(sha, OPTIONS) == file_ticket(sha, AnalysisOptions(context="mixdown"))
    assert file_ticket(sha, OPTIONS) != file_ticket(sha, TECHNO)
    assert file_ticket(sha, OPTIONS) != file_ticket(hashlib.sha256(b"other").hexdigest(),
                                                   OPTIONS)


@pytest.fixture
def workspace(sqlite_engine: Engine, tmp_data_dir: Path) -> Workspace:
    return Workspace(sqlite_engine, make_user(sqlite_engine, "ada"), tmp_data_dir)


def closed_port_settings(workspace: Workspace) -> Settings:
    from tests.conftest import _free_port

    return replace(load_settings(environ={"ZZ_DATA_DIR": str(workspace.data_dir)}),
                   queue_url=f"redis://127.0.0.1:{_free_port()}/0")


def test_a_job_fails_plainly_when_the_queue_is_unreachable(workspace: Workspace) -> None:
    runner = CeleryRunner(workspace.engine, closed_port_settings(workspace),
                          workspace.objects, sweep=False)
    try:
        job = jobs.start_analysis(workspace, runner, None, Upload(sine_wav(1.0), "a.wav"),
                                  OPTIONS, new_project_name="Album")
    finally:
        runner.shutdown()
    failed = jobs.get_job(workspace, job.id)
    assert failed.state == "failed" and jobs.can_retry(failed)
    assert failed.reason == QUEUE_UNREACHABLE.format(error="OperationalError")


def test_a_transient_fault_puts_the_job_back_in_the_queue(workspace: Workspace) -> None:
    job = jobs.start_analysis(workspace, NOBODY, None, Upload(sine_wav(1.0), "a.wav"),
                              OPTIONS, new_project_name="Album")

    def unreachable(path: Path, options: AnalysisOptions) -> object:
        raise ConnectionError("the store did not answer")

    task = jobs.task_for(workspace.engine, workspace.data_dir, workspace.user_id, job.id,
                         "vm:1:abc")
    with pytest.raises(ConnectionError):
        jobs.run_job(task, unreachable, hand_back=(ConnectionError,))  # type: ignore[arg-type]
    again = jobs.get_job(workspace, job.id)
    assert again.state == "queued" and again.attempts == 1 and again.worker_id == "vm:1:abc"
    assert jobs.run_job(task) is not None  # the retry claims and finishes it
    assert jobs.get_job(workspace, job.id).state == "done"


def test_an_analysis_finished_after_a_take_over_is_not_stored(workspace: Workspace) -> None:
    job = jobs.start_analysis(workspace, NOBODY, None, Upload(sine_wav(1.0), "a.wav"),
                              OPTIONS, new_project_name="Album")

    def taken_over_meanwhile(path: Path, options: AnalysisOptions) -> object:
        result = analyze_file(path, options)
        running = jobs.get_job(workspace, job.id)
        assert job_store.take_over(workspace.engine, running, "elsewhere:1:x") is not None
        return result

    task = jobs.task_for(workspace.engine, workspace.data_dir, workspace.user_id, job.id,
                         "vm:1:abc")
    assert jobs.run_job(task, taken_over_meanwhile) is None  # type: ignore[arg-type]
    assert analysis_store.list_analyses(workspace.engine, workspace.user_id,
                                        job.track_id) == []
    assert jobs.get_job(workspace, job.id).worker_id == "elsewhere:1:x"


def test_a_new_session_finds_the_latest_upload_s_job(workspace: Workspace) -> None:
    assert jobs.resumable_job(workspace, 600) is None
    job = jobs.start_analysis(workspace, NOBODY, None, Upload(sine_wav(1.0), "a.wav"),
                              OPTIONS, new_project_name="Album")
    assert jobs.resumable_job(workspace, 600) == job  # queued: followed
    task = jobs.task_for(workspace.engine, workspace.data_dir, workspace.user_id, job.id, "h")
    jobs.run_job(task)
    assert jobs.resumable_job(workspace, 600).state == "done"  # type: ignore[union-attr]
    assert jobs.resumable_job(workspace, 0) is None  # finished too long ago


def test_the_app_sends_again_a_job_whose_worker_went_silent(workspace: Workspace,
                                                           queue_url: str) -> None:
    """The sweep of an app replica: a running job whose heartbeat stopped goes back to the
    queue (one message in Redis); a queued one waiting its turn is left alone."""
    settings = replace(closed_port_settings(workspace), queue_url=queue_url)
    runner = CeleryRunner(workspace.engine, settings, workspace.objects, stale_after_s=0.5,
                          sweep=False)
    try:
        job = jobs.start_analysis(workspace, runner, None, Upload(sine_wav(1.0), "a.wav"),
                                  OPTIONS, new_project_name="Album")
        waiting = jobs.start_analysis(workspace, runner, job.project_id,
                                      Upload(sine_wav(1.0, 200.0), "b.wav"), OPTIONS)
        client = redis.Redis.from_url(queue_url)
        assert client.llen("interactive") == 2
        client.delete("interactive")
        assert job_store.claim_job(workspace.engine, workspace.user_id, job.id,
                                   "elsewhere:1:x/1") is not None
        time.sleep(0.6)
        [resent] = runner.recover()
        assert resent.id == job.id and resent.state == "queued"
        assert resent.worker_id == runner.runner_id and resent.attempts == 1
        assert client.llen("interactive") == 1
        assert jobs.get_job(workspace, waiting.id).state == "queued"
    finally:
        runner.shutdown()


def test_the_worker_command_refuses_a_bad_queue_and_a_missing_url(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import io

    from zz_core.cli import main

    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.delenv("ZZ_QUEUE_URL", raising=False)
    err = io.StringIO()
    assert main(["worker", "--queues", "interactive,nope"], stderr=err) == 2
    assert "unknown queue nope" in err.getvalue()
    err = io.StringIO()
    assert main(["worker"], stderr=err) == 2
    assert "ZZ_QUEUE_URL" in err.getvalue()


# --- the real parts ------------------------------------------------------------------------


@dataclass
class Cluster:
    """A PostgreSQL database, an S3 bucket and a Redis database shared by a module's
    tests, with the environment a worker needs to use them."""

    engine: Engine
    store: Objects
    env: dict[str, str]
    data_dir: Path

    def settings(self, queue_url: str) -> Settings:
        return load_settings(environ={**self.env, "ZZ_QUEUE_URL": queue_url})

    def workspace(self, username: str) -> Workspace:
        return Workspace(self.engine, make_user(self.engine, username), self.data_dir,
                         self.store)


@pytest.fixture(scope="module")
def cluster(postgres_admin_url: str, s3_endpoint: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    name = f"zz_queue_{uuid.uuid4().hex[:10]}"
    _admin(postgres_admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(postgres_admin_url).set(drivername="postgresql+psycopg", database=name)
    database_url = url.render_as_string(hide_password=False)
    engine = db.create_db_engine(database_url)
    db.upgrade_schema(engine)
    store = make_bucket(s3_endpoint)
    data_dir = tmp_path_factory.mktemp("queue-app")
    env = {"DATABASE_URL": database_url, "ZZ_DATA_DIR": str(data_dir),
           **s3_environment(s3_endpoint, store.url)}
    try:
        yield Cluster(engine, store, env, data_dir)
    finally:
        engine.dispose()
        _admin(postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def start_workers(cluster: Cluster, queue_url: str, tmp_path: Path,
                  queue_workers: Callable[..., QueueWorker]) -> Callable[..., list[QueueWorker]]:
    """Start ``count`` workers on this test's Redis database (settings in ``env``)."""
    def start(count: int = 1, concurrency: int = 1, queues: str = "interactive,batch",
              **env: str) -> list[QueueWorker]:
        settings = {**cluster.env, "ZZ_QUEUE_URL": queue_url,
                    "ZZ_DATA_DIR": str(tmp_path / f"worker-data-{uuid.uuid4().hex[:6]}"),
                    **env}
        workers = [queue_workers(settings, concurrency, queues) for _ in range(count)]
        return [w.wait_ready() for w in workers]

    return start


@pytest.fixture
def runner(cluster: Cluster, queue_url: str) -> Iterator[CeleryRunner]:
    made = CeleryRunner(cluster.engine, cluster.settings(queue_url), cluster.store,
                        sweep=False)
    yield made
    made.shutdown()


def wait_state(workspace: Workspace, job_id: int, state: str,
               timeout_s: float = 120) -> JobRecord:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = jobs.get_job(workspace, job_id)
        if job.state == state:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never {state}: {jobs.get_job(workspace, job_id)}")


def holder_pid(job: JobRecord) -> int:
    assert job.worker_id is not None and "/" in job.worker_id
    return int(job.worker_id.rsplit("/", 1)[1])


def write(tmp_path: Path, data: bytes, name: str) -> Path:
    path = tmp_path / "in-process" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def in_process(tmp_path: Path, data: bytes, name: str,
               options: AnalysisOptions = OPTIONS) -> AnalysisResult:
    return analyze_file(write(tmp_path, data, name), options)


def test_results_through_the_queue_equal_the_in_process_ones(
        cluster: Cluster, runner: CeleryRunner, start_workers: Callable[..., list[QueueWorker]],
        queue_url: str, tmp_path: Path) -> None:
    start_workers(1)
    workspace = cluster.workspace("ada")
    mix, ref = sine_wav(8.0, 330.0), sine_wav(8.0, 220.0)
    job = jobs.start_analysis(workspace, runner, None, Upload(mix, "mix.wav"), TECHNO,
                              reference=Upload(ref, "ref.wav"), new_project_name="Album")
    done = jobs.wait(workspace, job.id, 120)
    assert done.state == "done", done
    outcome = jobs.job_outcome(workspace, done)
    assert outcome is not None and outcome.reference is not None
    main, reference = in_process(tmp_path, mix, "mix.wav", TECHNO), in_process(
        tmp_path, ref, "ref.wav", TECHNO)
    assert outcome.reference.model_dump_json() == reference.model_dump_json()
    assert outcome.result.model_dump_json() == with_reference(
        main, reference).model_dump_json()
    assert done.worker_id is not None and not done.worker_id.startswith("queue:")

    queue = AnalysisQueue(cluster.settings(queue_url))  # a batch file, by its S3 key
    try:
        cluster.store.put_bytes("batch/mix.wav", mix)
        ticket = queue.submit_file("batch/mix.wav", TECHNO,
                                   sha256=hashlib.sha256(mix).hexdigest(), name="mix.wav")
        [got] = list(queue.results([ticket], timeout_s=120))
    finally:
        queue.close()
    assert got.error is None and got.result is not None
    assert got.result.model_dump_json() == main.model_dump_json()


def test_a_worker_killed_mid_job_leaves_it_to_another_exactly_once(
        cluster: Cluster, runner: CeleryRunner,
        start_workers: Callable[..., list[QueueWorker]]) -> None:
    """The whole worker is SIGKILLed (nothing acknowledges or rejects its task): Redis
    hands the task to the other worker after the visibility timeout, which takes the
    job over from the dead process; one job, done once, one analysis."""
    first, second = start_workers(2, ZZ_QUEUE_VISIBILITY_TIMEOUT_S="6")
    workspace = cluster.workspace("bob")
    job = jobs.start_analysis(workspace, runner, None, Upload(sine_wav(150.0), "long.wav"),
                              OPTIONS, new_project_name="Album")
    running = wait_state(workspace, job.id, "running")
    victim = first if holder_pid(running) in first.children() else second
    survivor = second if victim is first else first
    victim.kill()
    done = wait_state(workspace, job.id, "done", timeout_s=180)
    assert done.attempts == 2 and done.reason is None
    assert holder_pid(done) in survivor.children()
    rows = analysis_store.list_analyses(workspace.engine, workspace.user_id, done.track_id)
    assert [r.id for r in rows] == [done.analysis_id]
    assert [j.id for j in job_store.active_jobs(workspace.engine, workspace.user_id)] == []


def test_a_file_that_kills_its_worker_every_time_fails_after_three_runs(
        cluster: Cluster, runner: CeleryRunner,
        start_workers: Callable[..., list[QueueWorker]]) -> None:
    """Each run's worker process dies (SIGKILL: an OOM kill, a codec crash): the task comes
    back at once (reject on worker lost), and the third death fails the job plainly; the
    worker serves the next job."""
    [worker] = start_workers(1)
    workspace = cluster.workspace("cy")
    job = jobs.start_analysis(workspace, runner, None, Upload(sine_wav(150.0), "bad.wav"),
                              OPTIONS, new_project_name="Album")
    killed: set[int] = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        current = jobs.get_job(workspace, job.id)
        if current.finished:
            break
        if current.state == "running" and current.worker_id and "/" in current.worker_id:
            pid = holder_pid(current)
            if pid not in killed:
                killed.add(pid)
                import os
                import signal

                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    failed = jobs.get_job(workspace, job.id)
    assert failed.state == "failed" and failed.reason == jobs.WORKER_DIED
    assert len(killed) == 3 and failed.attempts == 3 and jobs.can_retry(failed)
    nxt = jobs.start_analysis(workspace, runner, failed.project_id,
                              Upload(sine_wav(2.0), "next.wav"), OPTIONS)
    assert wait_state(workspace, nxt.id, "done").analysis_id is not None
    assert worker.process.poll() is None


def test_an_analysis_past_the_soft_time_limit_fails_plainly(
        cluster: Cluster, runner: CeleryRunner,
        start_workers: Callable[..., list[QueueWorker]]) -> None:
    start_workers(1, ZZ_QUEUE_SOFT_TIME_LIMIT_S="1", ZZ_QUEUE_TIME_LIMIT_S="60")
    workspace = cluster.workspace("eve")
    job = jobs.start_analysis(workspace, runner, None, Upload(sine_wav(240.0), "long.wav"),
                              OPTIONS, new_project_name="Album")
    failed = wait_state(workspace, job.id, "failed")
    assert failed.reason == ("The analysis took longer than 0:01, the most a worker gives "
                             "one file. Your upload is kept: Retry.")
    assert jobs.can_retry(failed)


def test_a_batch_with_a_bad_file_reports_it_and_finishes(
        cluster: Cluster, start_workers: Callable[..., list[QueueWorker]],
        queue_url: str, tmp_path: Path) -> None:
    start_workers(1, concurrency=2)
    good, bad = sine_wav(3.0, 500.0), b"RIFF\x00\x00\x00\x00WAVEthis is no audio" * 10
    cluster.store.put_bytes("batch/good.wav", good)
    cluster.store.put_bytes("batch/bad.wav", bad)
    queue = AnalysisQueue(cluster.settings(queue_url))
    try:
        tickets = {queue.submit_file(key, OPTIONS, sha256=hashlib.sha256(data).hexdigest(),
                                     name=name): name
                   for key, data, name in (("batch/good.wav", good, "good.wav"),
                                           ("batch/bad.wav", bad, "bad.wav"),
                                           ("batch/gone.wav", b"gone", "gone.wav"),
                                           ("batch/good.wav", good, "good.wav"))}
        sent = redis.Redis.from_url(queue_url).llen("batch")
        answers = list(queue.results(tickets, timeout_s=120))
    finally:
        queue.close()
    assert sent <= 3  # the same content and options twice: sent once, answered twice
    assert sorted(tickets[o.ticket] for o in answers) == ["bad.wav", "gone.wav", "good.wav",
                                                           "good.wav"]
    outcomes = {tickets[o.ticket]: o for o in answers}
    assert outcomes["good.wav"].result is not None and outcomes["good.wav"].error is None
    assert outcomes["good.wav"].result.file_name == "good.wav"
    assert outcomes["bad.wav"].result is None
    with pytest.raises(AudioDecodeError) as refused:
        analyze_file(write(tmp_path, bad, "bad.wav"), OPTIONS)
    assert outcomes["bad.wav"].error == str(refused.value)  # the decoder's own reason
    assert outcomes["gone.wav"].result is None
    assert outcomes["gone.wav"].error == "the file batch/gone.wav is not in the store"
    assert not redis.Redis.from_url(queue_url).keys("celery-task-meta-*")  # collected


@pytest.mark.slow
def test_a_store_that_is_down_is_retried_with_backoff_until_it_answers(
        tmp_path: Path, queue_url: str, queue_workers: Callable[..., QueueWorker]) -> None:
    """The worker's S3 endpoint answers nothing at first: the file's task is retried
    (exponential backoff) and succeeds once the store is up, with one outcome."""
    from moto.server import ThreadedMotoServer

    from tests.conftest import _free_port
    from tests.s3server import S3_KEY_ID, S3_REGION, S3_SECRET

    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"zz-late-{uuid.uuid4().hex[:8]}"
    env = {**s3_environment(endpoint, f"s3://{bucket}/zz"), "ZZ_QUEUE_URL": queue_url,
           "ZZ_DATA_DIR": str(tmp_path / "worker")}
    worker = queue_workers(env).wait_ready()
    data = sine_wav(2.0, 600.0)
    queue = AnalysisQueue(load_settings(environ=env))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        ticket = queue.submit_file("batch/late.wav", OPTIONS,
                                   sha256=hashlib.sha256(data).hexdigest(), name="late.wav")
        deadline = time.monotonic() + 60
        while "Retry in" not in worker.output():
            assert time.monotonic() < deadline, worker.output()[-2000:]
            time.sleep(0.2)
        server.start()
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint, region_name=S3_REGION,
                              aws_access_key_id=S3_KEY_ID, aws_secret_access_key=S3_SECRET)
        client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key="zz/batch/late.wav", Body=data)
        [outcome] = list(queue.results([ticket], timeout_s=150))
    finally:
        queue.close()
        server.stop()
    assert outcome.error is None and outcome.result is not None
    assert outcome.result.file_name == "late.wav"
    assert "StorageUnavailableError" in worker.output()


def test_a_batch_never_starves_a_producer(
        cluster: Cluster, runner: CeleryRunner, queue_url: str,
        start_workers: Callable[..., list[QueueWorker]]) -> None:
    """One worker process, twelve batch files queued first: the producer's job, sent
    after them, is taken within a file or two, not after the batch."""
    start_workers(1)
    queue = AnalysisQueue(cluster.settings(queue_url))
    try:
        tickets = []
        for index in range(12):
            data = sine_wav(20.0, 300.0 + index)
            cluster.store.put_bytes(f"batch/{index}.wav", data)
            tickets.append(queue.submit_file(f"batch/{index}.wav", OPTIONS,
                                             sha256=hashlib.sha256(data).hexdigest(),
                                             name=f"{index}.wav"))
        workspace = cluster.workspace("dee")
        job = jobs.start_analysis(workspace, runner, None, Upload(sine_wav(2.0), "mine.wav"),
                                  OPTIONS, new_project_name="Album")
        wait_state(workspace, job.id, "done", timeout_s=120)
        finished_before = sum(1 for t in tickets if queue._app.AsyncResult(t).ready())
        assert finished_before <= 3, finished_before
        assert len(list(queue.results(tickets, timeout_s=180))) == 12
    finally:
        queue.close()
