"""Queue workers (``python -m zz_core worker``): the two tasks and the worker process.

``analyse_job`` runs one of the app's analysis jobs through ``jobs.run_job`` with the
worker's own settings (database, storage): a finished job is left alone, a job a live
worker holds is checked again later (a redelivered message waits rather than racing),
a job whose worker vanished is taken over (failed with ``WORKER_DIED`` once it was
started MAX_ATTEMPTS times: a file that kills its worker does not loop). While it runs,
the job's heartbeat is written every HEARTBEAT_S.

``analyse_file`` analyses one stored file for a batch and returns the analysis JSON (or
the plain reason it could not be analysed); named by content hash and options
(``queue.file_ticket``), its result is stored once however often it runs.

Both retry transient faults (storage, network, database briefly unreachable) with
exponential backoff; the soft time limit becomes a plain reason, the hard one kills the
worker process and fails the task. The worker imports and runs the engine once before
forking its processes, so none pays the import or numba compilation on a first job.
"""

from __future__ import annotations

import logging
import os
import socket
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from celery import Celery, Task, signals
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from zz_core.config import Settings, load_settings
from zz_core.errors import NotFoundError, ZzError
from zz_core.fmt import duration
from zz_core.judge.models import AnalysisOptions
from zz_core.judge.pipeline import analyze_file
from zz_core.services import jobs
from zz_core.services.analyses import OUT_OF_MEMORY
from zz_core.services.jobs import MAX_ATTEMPTS, WORKER_DIED, Analyse, JobRecord, JobTask
from zz_core.services.queue import ANALYSE_FILE, ANALYSE_JOB, celery_app
from zz_core.services.runner import HEARTBEAT_S, STALE_AFTER_S
from zz_core.services.workspace import Workspace
from zz_core.store import jobs as job_store
from zz_core.store.db import utcnow
from zz_core.store.objects import ObjectNotFoundError, StorageUnavailableError, locate
from zz_core.vocab import QUEUE_NAMES

__all__ = ["TRANSIENT", "AnalysisTimeoutError", "run_worker", "worker_app",
           "worker_settings"]

log = logging.getLogger(__name__)

TRANSIENT: tuple[type[BaseException], ...] = (
    StorageUnavailableError, ConnectionError, TimeoutError,
    sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
"""Faults worth retrying: the storage, the network or the database briefly unreachable."""
RETRIES = 5
BACKOFF_S = 2
BACKOFF_MAX_S = 60
SECRETS_FILE = Path(".streamlit") / "secrets.toml"
TIMED_OUT = "the analysis took longer than {limit}, the most a worker gives one file"
UNREACHABLE = ("the audio store or the database could not be reached in {count} tries "
               "({kind})")
DIED_ON_FILE = ("the worker analysing this file stopped abruptly {count} times (it may run "
                "out of memory on it, or the decoder crashed)")


class AnalysisTimeoutError(ZzError):
    """The analysis passed the queue's soft time limit (the message says how long)."""


# --- the worker's state ---------------------------------------------------------------------


@dataclass
class _Worker:
    """What a worker process knows: its settings, and (in each forked process) the
    holder id written on the jobs it runs (``host:pid:token``, so a worker on the same
    host can tell this process is gone)."""

    settings: Settings
    holder: str = field(default_factory=jobs.new_runner_id)


_STATE: dict[str, _Worker] = {}


def _worker() -> _Worker:
    if "worker" not in _STATE:  # a task run outside run_worker (tests): read the settings
        _STATE["worker"] = _Worker(worker_settings())
    return _STATE["worker"]


def worker_settings(secrets_file: Path | None = None) -> Settings:
    """The project's settings for a worker: ``.streamlit/secrets.toml`` when there is one
    (the same file the app reads), else the environment, else the defaults."""
    path = SECRETS_FILE if secrets_file is None else secrets_file
    secrets: Mapping[str, Any] | None = None
    if path.is_file():
        with path.open("rb") as handle:
            secrets = tomllib.load(handle)
    return load_settings(secrets)


def _child_started(**_: Any) -> None:
    """A forked worker process: its own holder id and its own database connections."""
    jobs.forget_engines()
    if "worker" in _STATE:
        _STATE["worker"].holder = jobs.new_runner_id()


def _warm(**_: Any) -> None:
    """Import and run the engine once in the main worker process, before it forks."""
    try:
        jobs.warm_worker()
    except Exception:  # the first job pays instead
        log.exception("engine warm-up failed")


# --- the tasks ------------------------------------------------------------------------------


class _JobTaskBase(Task):
    """Fails the job when its task fails for good: retries exhausted (in the worker
    process) or the hard time limit (in the main process, which killed it)."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any,
                   einfo: Any) -> None:
        try:
            _fail_unfinished(kwargs, exc)
        except Exception:
            log.exception("could not record the failure of task %s", task_id)


def _fail_unfinished(kwargs: Mapping[str, Any], exc: BaseException) -> None:
    state = _worker()
    engine = jobs.engine_for(state.settings.database_url)
    user_id, job_id = kwargs.get("user_id"), kwargs.get("job_id")
    if isinstance(exc, TimeLimitExceeded):  # the main process killed the analysis
        reason = jobs.kept_reason(TIMED_OUT.format(
            limit=duration(state.settings.queue_time_limit_s)))
        job_store.fail_job(engine, int(user_id or 0), job_id, reason)
        return
    if isinstance(exc, TRANSIENT):  # retried RETRIES times with backoff: give up
        reason = jobs.kept_reason(UNREACHABLE.format(count=RETRIES + 1,
                                                     kind=type(exc).__name__))
    else:
        reason = jobs.UNEXPECTED.format(kind=type(exc).__name__)
    job_store.fail_job(engine, int(user_id or 0), job_id, reason, holder=state.holder)


def _vanished(job: JobRecord, holder: str, stale_after_s: float) -> bool:
    """True when the worker holding a running job is gone: this very process (it runs
    nothing else now), a dead process on this host, or one silent for ``stale_after_s``."""
    if job.worker_id is None or job.worker_id.split("/", 1)[0] == holder:
        return True
    if jobs.dead_holder(job.worker_id, holder):
        return True
    heard = job.heartbeat_at or job.updated_at
    return (utcnow() - heard).total_seconds() > stale_after_s


def _within_limit(run: Analyse, limit_s: float) -> Analyse:
    """``run``, the soft time limit turned into a plain reason."""
    def limited(path: Path, options: AnalysisOptions) -> Any:
        try:
            return run(path, options)
        except SoftTimeLimitExceeded:
            raise AnalysisTimeoutError(TIMED_OUT.format(limit=duration(limit_s))) from None

    return limited


def analyse_job(task: Task, job_id: int, user_id: int, storage_url: str = "",
                **message: Any) -> str:
    """Run one of the app's jobs (see the module's docstring); the job's state after."""
    state = _worker()
    settings, holder = state.settings, state.holder
    engine = jobs.engine_for(settings.database_url)
    try:
        job = job_store.get_job(engine, user_id, job_id)
    except NotFoundError:
        return "gone"
    if job.finished:
        return job.state
    if job.state == "running":
        if not _vanished(job, holder, STALE_AFTER_S):
            raise task.retry(countdown=STALE_AFTER_S / 2)  # a live worker has it: later
        taken = job_store.take_over(engine, job, holder)
        if taken is None:  # changed under us: look again
            raise task.retry(countdown=1)
        if taken.attempts >= MAX_ATTEMPTS:
            job_store.fail_job(engine, user_id, job_id, WORKER_DIED, holder=holder)
            return "failed"
    workspace = Workspace(engine, user_id, settings.data_dir)
    run = _within_limit(analyze_file, settings.queue_soft_time_limit_s)
    with jobs.beating(workspace, job_id, holder, HEARTBEAT_S):
        jobs.run_job(JobTask(settings.database_url, str(settings.data_dir), user_id, job_id,
                             holder, storage_url), run, hand_back=TRANSIENT)
    return job_store.get_job(engine, user_id, job_id).state


def analyse_file(task: Task, key: str, options_json: str, sha256: str,
                 name: str) -> dict[str, str | None]:
    """Analyse one stored file for a batch: ``{"result": analysis JSON}`` or
    ``{"error": one sentence}``."""
    state = _worker()
    died = _redeliveries(task)
    if died >= MAX_ATTEMPTS:
        return {"result": None, "error": DIED_ON_FILE.format(count=died)}
    options = AnalysisOptions.model_validate_json(options_json)
    run = _within_limit(analyze_file, state.settings.queue_soft_time_limit_s)
    try:
        store, name_in_store = locate(key, state.settings)
        with store.local_copy(name_in_store) as path:
            result = run(path, options)
    except TRANSIENT:
        raise
    except SoftTimeLimitExceeded:  # past the limit outside the analysis (the download)
        limit = duration(state.settings.queue_soft_time_limit_s)
        return {"result": None, "error": TIMED_OUT.format(limit=limit)}
    except ObjectNotFoundError:
        return {"result": None, "error": f"the file {key} is not in the store"}
    except ZzError as error:
        return {"result": None, "error": str(error)}
    except MemoryError:
        return {"result": None, "error": OUT_OF_MEMORY}
    result = result.model_copy(update={"file_name": name})
    return {"result": result.model_dump_json(), "error": None}


def _redeliveries(task: Task) -> int:
    """How many times this file's message came back after its worker vanished (counted
    in Redis under the task id, kept as long as results)."""
    if not (task.request.delivery_info or {}).get("redelivered"):
        return 0
    client = task.backend.client
    key = f"zz-redelivered-{task.request.id}"
    count = int(client.incr(key))
    client.expire(key, int(_worker().settings.queue_result_expires_s))
    return count


# --- the worker -----------------------------------------------------------------------------


def worker_app(settings: Settings) -> Celery:
    """The Celery app with the tasks registered (what a worker runs)."""
    app = celery_app(settings)
    retrying = {"bind": True, "autoretry_for": TRANSIENT, "retry_backoff": BACKOFF_S,
                "retry_backoff_max": BACKOFF_MAX_S, "retry_jitter": True,
                "retry_kwargs": {"max_retries": RETRIES}}
    app.task(name=ANALYSE_JOB, base=_JobTaskBase, max_retries=None, ignore_result=True,
             **retrying)(analyse_job)
    app.task(name=ANALYSE_FILE, **retrying)(analyse_file)
    return app


def run_worker(settings: Settings, concurrency: int, queues: Sequence[str],
               loglevel: str = "INFO") -> None:
    """Start a worker on ``queues`` with ``concurrency`` processes (blocks until it is
    stopped: SIGTERM finishes the running tasks first, a second one stops at once)."""
    unknown = [q for q in queues if q not in QUEUE_NAMES]
    if unknown or not queues:
        raise ZzError(f"unknown queue {', '.join(unknown) or '(none)'}: the queues are "
                      f"{', '.join(QUEUE_NAMES)}")
    if not settings.queue_url:
        raise ZzError("no queue is configured: set ZZ_QUEUE_URL (redis://host:port/db)")
    _STATE["worker"] = _Worker(settings)
    app = worker_app(settings)
    signals.worker_init.connect(_warm, weak=False)
    signals.worker_process_init.connect(_child_started, weak=False)
    app.worker_main(argv=[
        "worker", f"--concurrency={max(1, concurrency)}", f"--queues={','.join(queues)}",
        f"--hostname=zz{os.getpid()}@{socket.gethostname()}", f"--loglevel={loglevel}",
        "--pool=prefork", "--without-mingle", "--without-gossip", "--without-heartbeat"])
