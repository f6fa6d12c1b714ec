"""Analysis jobs: a page submits one and follows its record; a runner does the work.

``start_analysis`` keeps the upload(s) (header and first seconds checked, nothing decoded
in full), records a ``queued`` job and hands it to a ``JobRunner``. The runner's worker
runs ``run_job``: it claims the job (``running``), reuses or runs the analysis with its
progress written to the record, keeps the result and marks the job ``done`` with the
analysis id, or ``failed`` with one plain sentence. A page reads the record
(``get_job``/``wait``) and never holds the work itself, so a reload, a dead worker or a
restarted server loses nothing:

- a worker process that dies (the OOM killer, a codec segfault) fails only the job it was
  running; the pool is rebuilt and the upload is kept for a Retry (``retry``);
- a file refused by the full decode is discarded (its tracks, audio and the session made
  for it): nothing half-made stays;
- on start a runner resumes the jobs a dead server left queued or running (``recover``).

``JobRunner`` is the interface; ``PoolRunner`` (``zz_core.services.runner``) runs jobs in
a local process pool. A queue backend (Celery, the scale-out issue) implements the same
protocol: its tasks carry a ``JobTask`` (ids and where the storage is, never audio bytes)
and call ``run_job``, which is idempotent (a redelivered job finds it is no longer queued,
and a resumed one finds the analyses its earlier attempt kept).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy.engine import Engine

from zz_core.errors import AudioDecodeError, NotFoundError, UnknownOptionError, ZzError
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_file
from zz_core.services import analyses, uploads
from zz_core.services.workspace import Workspace, storage_at
from zz_core.store import db
from zz_core.store import jobs as job_store
from zz_core.store.db import utcnow
from zz_core.store.records import JobRecord

__all__ = [
    "INTERRUPTED",
    "WORKER_DIED",
    "JobLostError",
    "JobOutcome",
    "JobRecord",
    "JobRunner",
    "JobTask",
    "Upload",
    "get_job",
    "job_outcome",
    "latest_job",
    "resumable_job",
    "retry",
    "run_job",
    "start_analysis",
    "wait",
]

log = logging.getLogger(__name__)

WORKER_DIED = ("The analysis stopped because its worker process ended abruptly (it may "
               "have run out of memory, or the decoder crashed on this file). Your upload "
               "is kept: Retry, or try a shorter or re-exported file.")
INTERRUPTED = ("The analysis was interrupted {count} times (the server restarted while it "
               "ran). Your upload is kept: Retry.")
UNEXPECTED = "The analysis failed unexpectedly ({kind}). Your upload is kept: Retry."
GONE = "The track was deleted before its analysis finished."
MAX_ATTEMPTS = 3
"""Runs a job may start before a restart gives up on resuming it (Retry still can)."""
PROGRESS_EVERY_S = 0.5  # a worker writes its progress at most this often


# --- the interface -------------------------------------------------------------------------


class JobRunner(Protocol):
    """Runs analysis jobs recorded in the store. ``runner_id`` names the holder written on
    the jobs it holds (a queue backend: its worker names)."""

    @property
    def runner_id(self) -> str: ...

    def submit(self, job: JobRecord) -> None:
        """Run a ``queued`` job (returns at once; the record tells how it goes)."""

    def recover(self) -> list[JobRecord]:
        """Take over the jobs a dead server or worker left unfinished, and run them."""

    def shutdown(self) -> None:
        """Stop taking jobs (the unfinished ones stay in the store for the next start)."""


def new_runner_id() -> str:
    """``host:pid:token``: unique per runner, telling on which host and in which process
    the jobs it holds live (a later start on that host sees that process is gone)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class JobTask:
    """What a worker runs: where the database and the data folder are, whose job, which
    job, the runner holding it, and the audio store (``Objects.url``; empty: the one
    configured for the data folder), reached with the worker's own credentials. Never
    audio bytes."""

    database_url: str
    data_dir: str
    user_id: int
    job_id: int
    holder: str
    storage_url: str = ""


def task_for(engine: Engine, data_dir: Path, user_id: int, job_id: int,
             holder: str, storage_url: str = "") -> JobTask:
    """The task running one of a user's jobs against this database, data folder and
    audio store."""
    return JobTask(engine.url.render_as_string(hide_password=False), str(data_dir),
                   user_id, job_id, holder, storage_url)


# --- starting and following a job (the pages) ---------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An upload as a page has it: the bytes and the name it came with."""

    data: bytes
    name: str


def start_analysis(workspace: Workspace, runner: JobRunner, project_id: int | None,
                   main: Upload, options: AnalysisOptions, *,
                   reference: Upload | None = None, new_project_name: str = "",
                   previous_version_of: int | None = None) -> JobRecord:
    """Keep the upload (and its reference) and queue their analysis; the queued job.

    ``project_id`` None makes a session named ``new_project_name``. ``previous_version_of``:
    one of the user's tracks the upload is a new version of (its analysis then says what
    changed since; another user's track is refused with ``NotFoundError``). The uploads are checked
    first (``uploads.store_upload``); any refusal (``ZzError``; ``StorageFullError`` for a
    full disk) removes what this call stored, the new session included, and is raised.
    """
    created: int | None = None
    kept: list[int] = []
    try:
        if project_id is None:
            with uploads.storage_errors():
                created = project_id = workspace.create_project(new_project_name).id
        track = uploads.store_upload(workspace, project_id, main.data, main.name,
                                     previous_version_of=previous_version_of).track
        kept.append(track.id)
        reference_id = None
        if reference is not None:
            reference_id = uploads.store_upload(
                workspace, project_id, reference.data, reference.name, "reference",
                reference_of=track.id).track.id
            kept.append(reference_id)
        with uploads.storage_errors():
            job = job_store.create_job(
                workspace.engine, workspace.user_id, track.id, options.model_dump_json(),
                reference_track_id=reference_id, project_created=created is not None,
                worker_id=runner.runner_id)
    except BaseException:
        _remove(workspace, kept, created)
        raise
    runner.submit(job)
    return job


def _remove(workspace: Workspace, track_ids: list[int], project_id: int | None) -> None:
    """Delete what a refused submission or job stored (best effort: never hides the error
    that brought us here)."""
    try:
        if project_id is not None and not _others_in(workspace, project_id, track_ids):
            workspace.delete_project(project_id)
            return
        for track_id in track_ids:
            with contextlib.suppress(NotFoundError):
                workspace.delete_track(track_id)
    except Exception:  # the first error matters more; the sweep logs this one
        log.exception("could not remove a refused upload")


def _others_in(workspace: Workspace, project_id: int, track_ids: list[int]) -> bool:
    try:
        return any(t.id not in track_ids for t in workspace.tracks(project_id))
    except NotFoundError:
        return False


def get_job(workspace: Workspace, job_id: int | None) -> JobRecord:
    """One of the user's jobs (``NotFoundError`` if missing or not theirs)."""
    return job_store.get_job(workspace.engine, workspace.user_id, job_id)


def latest_job(workspace: Workspace, track_id: int | None) -> JobRecord | None:
    """The newest job that analysed (or tries to analyse) one of the user's tracks."""
    return job_store.latest_job(workspace.engine, workspace.user_id, track_id)


def active_jobs(workspace: Workspace) -> list[JobRecord]:
    """The user's queued and running jobs, newest first (a reloaded page follows them)."""
    return job_store.active_jobs(workspace.engine, workspace.user_id)


def resumable_job(workspace: Workspace, finished_within_s: float) -> JobRecord | None:
    """The job of the user's latest upload, when a new session should pick it up: still
    queued or running, or finished less than ``finished_within_s`` ago (a reload, or
    another replica answering, while it ran); None otherwise."""
    job = job_store.newest_job(workspace.engine, workspace.user_id)
    if job is None or not job.finished:
        return job
    finished = job.finished_at or job.updated_at
    if (utcnow() - finished).total_seconds() > finished_within_s:
        return None
    return job


def can_retry(job: JobRecord) -> bool:
    """True for a failed job whose upload is still kept."""
    return job.state == "failed" and job.track_id is not None


def retry(workspace: Workspace, runner: JobRunner, job_id: int | None) -> JobRecord:
    """Queue a failed job again (its upload is kept); ``NotFoundError`` when it cannot be."""
    job = job_store.requeue_job(workspace.engine, workspace.user_id, job_id, runner.runner_id)
    if job is None:
        raise NotFoundError("this analysis can no longer be retried")
    runner.submit(job)
    return job


def wait(workspace: Workspace, job_id: int | None, timeout_s: float,
         on_change: Callable[[JobRecord], None] | None = None,
         poll_s: float = 0.25) -> JobRecord:
    """Follow a job until it is finished or ``timeout_s`` passed; ``on_change`` sees each
    new progress. The job as last read."""
    deadline = time.monotonic() + timeout_s
    seen: tuple[str, float, str] | None = None
    while True:
        job = get_job(workspace, job_id)
        if on_change is not None and (job.state, job.progress, job.stage) != seen:
            seen = (job.state, job.progress, job.stage)
            on_change(job)
        if job.finished or time.monotonic() >= deadline:
            return job
        time.sleep(poll_s)


@dataclass(frozen=True)
class JobOutcome:
    """A done job as the pages show it: the track's analysis (compared when there is a
    reference), the reference's, and whether the track's came from earlier identical
    audio."""

    job: JobRecord
    result: AnalysisResult
    reference: AnalysisResult | None
    reused: bool


def job_outcome(workspace: Workspace, job: JobRecord) -> JobOutcome | None:
    """What a done job stored; None when it is not done or its track is gone."""
    if job.state != "done" or job.analysis_id is None or job.track_id is None:
        return None
    try:
        result = analyses.stored_analysis(workspace, job.analysis_id)
        reference = (analyses.latest_analysis(workspace, job.reference_track_id)
                     if job.reference_track_id is not None else None)
    except NotFoundError:
        return None
    return JobOutcome(job, result, reference, job.stage == analyses.REUSED)


# --- the work (in a worker process) ---------------------------------------------------------


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine_for(url: str) -> Engine:
    """One engine per database per worker process (the schema is the server's business)."""
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = db.create_db_engine(url)
        return _ENGINES[url]


def engine_for(url: str) -> Engine:
    """This process's engine on the database at ``url`` (one per database; a queue
    worker's tasks share it)."""
    return _engine_for(url)


def forget_engines() -> None:
    """Drop this process's engines without closing their connections: a forked worker
    process calls it first, so it never uses a connection of its parent."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose(close=False)
        _ENGINES.clear()


def worker_name(holder: str) -> str:
    """The id a worker process writes on the job it runs: its runner's id and its pid."""
    return f"{holder}/{os.getpid()}"


Analyse = Callable[[Path, AnalysisOptions], AnalysisResult]


class JobLostError(Exception):
    """The job was taken over while this worker analysed it (its heartbeat went stale):
    the worker stores nothing and leaves the job to its new holder."""


def run_job(task: JobTask, run: Analyse = analyze_file, *,
            hand_back: tuple[type[BaseException], ...] = ()) -> int | None:
    """Run one job to its end (the entry point a worker process or a queue task calls).

    Claims the job (does nothing, returning None, if it is not queued any more: another
    worker has it, or it finished), reuses or runs the analysis writing its progress, and
    marks it done (returns the analysis id) or failed. A file the full decode refuses is
    discarded with its session if that was made for it; anything else that fails keeps
    the upload for a Retry. An analysis whose job was taken over meanwhile is not stored.

    ``hand_back``: faults the caller retries itself (a queue task: storage or network
    briefly unavailable): the job goes back to ``queued`` and the error is raised.
    """
    engine = _engine_for(task.database_url)
    workspace = Workspace(engine, task.user_id, Path(task.data_dir),
                          storage_at(task.storage_url, task.data_dir))
    me = worker_name(task.holder)
    job = job_store.claim_job(engine, task.user_id, task.job_id, me)
    if job is None:
        return None
    progress = _Reporter(workspace, job.id, me)
    try:
        if job.track_id is None:
            raise NotFoundError(GONE)
        options = AnalysisOptions.model_validate_json(job.options_json)
        done = analyses.run_job_analysis(workspace, job.track_id, job.reference_track_id,
                                         options, progress, _held(run, workspace, job.id, me))
    except JobLostError:
        log.warning("analysis job %s was taken over: its result is left to the new holder",
                    job.id)
        return None
    except hand_back:
        job_store.requeue_job(engine, task.user_id, job.id, task.holder,
                              from_states=("running",))
        raise
    except NotFoundError as error:  # the track went (deleted), or its audio (retention)
        reason = GONE if _track_gone(workspace, job) else f"The analysis could not run: {error}."
        job_store.fail_job(engine, task.user_id, job.id, reason, holder=me)
        return None
    except (AudioDecodeError, UnknownOptionError) as error:  # refused: keep nothing of it
        _discard(workspace, job, me, error)
        return None
    except ZzError as error:
        job_store.fail_job(engine, task.user_id, job.id, kept_reason(str(error)), holder=me)
        return None
    except MemoryError:
        job_store.fail_job(engine, task.user_id, job.id, kept_reason(
            analyses.OUT_OF_MEMORY, "Retry when the server is less busy."), holder=me)
        return None
    except Exception as error:  # a bug or the store failing: keep the upload, say so
        log.exception("analysis job %s failed", job.id)
        reason = (kept_reason(uploads.DISK_FULL) if uploads.is_disk_full(error)
                  else UNEXPECTED.format(kind=type(error).__name__))
        job_store.fail_job(engine, task.user_id, job.id, reason, holder=me)
        return None
    job_store.finish_job(engine, task.user_id, job.id, me, done.analysis_id,
                         analyses.REUSED if done.reused else "Done")
    return done.analysis_id


def _held(run: Analyse, workspace: Workspace, job_id: int, me: str) -> Analyse:
    """``run``, then a check that this worker still holds the job (``JobLostError`` if
    not), so an analysis finished after a take-over is never stored twice."""
    def held_run(path: Path, options: AnalysisOptions) -> AnalysisResult:
        result = run(path, options)
        job = job_store.get_job(workspace.engine, workspace.user_id, job_id)
        if job.state != "running" or job.worker_id != me:
            raise JobLostError(f"job {job_id} is now held by {job.worker_id}")
        return result

    return held_run


def kept_reason(sentence: str, then: str = "Retry.") -> str:
    """A failure's reason for a job whose upload is kept: the sentence, then what to do."""
    return f"{sentence[:1].upper()}{sentence[1:]}. Your upload is kept: {then}"


def _track_gone(workspace: Workspace, job: JobRecord) -> bool:
    try:
        workspace.track(job.track_id)
        if job.reference_track_id is not None:
            workspace.track(job.reference_track_id)
    except NotFoundError:
        return True
    return False


def _discard(workspace: Workspace, job: JobRecord, holder: str, error: ZzError) -> None:
    """A refused file: its job fails with the reason, and its uploads (with the session
    made for them, if it holds nothing else) are removed."""
    kept = [i for i in (job.track_id, job.reference_track_id) if i is not None]
    created = job.project_id if job.project_created else None
    _remove(workspace, kept, created)  # first: a failed job never shows a Retry for it
    reason = f"This file could not be analysed: {error}. Nothing was kept."
    job_store.fail_job(workspace.engine, workspace.user_id, job.id, reason, holder=holder)


@contextlib.contextmanager
def beating(workspace: Workspace, job_id: int, holder: str,
            every_s: float) -> Iterator[None]:
    """Write the job's heartbeat every ``every_s`` while the block runs (a queue worker's
    job: nobody else says it is alive). A failed beat is logged and tried again."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_s):
            try:
                job_store.heartbeat(workspace.engine, workspace.user_id, job_id, holder)
            except Exception:  # the database may be briefly unavailable: next beat
                log.exception("job heartbeat failed")

    thread = threading.Thread(target=beat, name=f"zz-beat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class _Reporter:
    """The ``Progress`` a job's analysis reports to: written to the record at most every
    PROGRESS_EVERY_S (a stage change always)."""

    def __init__(self, workspace: Workspace, job_id: int, holder: str) -> None:
        self._workspace, self._job_id, self._holder = workspace, job_id, holder
        self._last, self._text = 0.0, ""

    def __call__(self, fraction: float, text: str) -> None:
        now = time.monotonic()
        if text == self._text and now - self._last < PROGRESS_EVERY_S:
            return
        self._last, self._text = now, text
        job_store.set_progress(self._workspace.engine, self._workspace.user_id,
                               self._job_id, self._holder, fraction, text)


def warm_worker(seconds: float = 1.0) -> int:
    """Import the engine and run it once on a short quiet noise, so the first real
    analysis pays no import or compilation (numba) cost; the worker's pid."""
    from zz_core.judge.pipeline import analyze_audio
    from zz_core.measure.decoding import Audio

    rate = 44100
    noise = np.random.default_rng(0).standard_normal((2, round(seconds * rate)))
    analyze_audio(Audio(samples=(0.01 * noise).astype(np.float32), sample_rate_hz=rate,
                        source_format="warm-up"))
    return os.getpid()


def is_alive(pid: int) -> bool:
    """True if a process with this id runs on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_holder(worker_id: str | None, me: str) -> bool:
    """True when ``worker_id`` names a runner on this host whose process is gone (or an
    earlier runner of this very process)."""
    if not worker_id:
        return True
    host, _, rest = worker_id.partition(":")
    pid_text, _, token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    runner = worker_id.split("/", 1)[0]
    if int(pid_text) == os.getpid():
        return runner != me
    return not is_alive(int(pid_text)) and bool(token)
