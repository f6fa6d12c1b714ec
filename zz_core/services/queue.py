"""The analysis queue: Celery 5 over Redis (broker and result backend), selected by
``ZZ_QUEUE_URL=redis://...`` (secrets ``[queue] url``). Without it nothing here is used:
analysis runs in the server's own process pool (``zz_core.services.runner``).

Two queues (``vocab.QUEUE_NAMES``): ``interactive`` for a producer waiting in the browser
(the app's jobs, ``CeleryRunner``) and ``batch`` for catalogue files (``AnalysisQueue``);
a worker consumes both by default, taking from each in turn (kombu's Redis transport
rotates the queues it pops), so a batch of 100,000 files delays a producer by one file's
analysis at most; workers started with ``--queues interactive`` keep capacity for them.

Delivery (the settings are in ``celery_app``): a task is acknowledged only once it ended
(``task_acks_late``), a worker reserves one task per process (prefetch 1), a task whose
worker process died is put back at once (``task_reject_on_worker_lost``) and one whose
whole worker vanished comes back after the Redis visibility timeout. Every task may
therefore run twice, and each is idempotent: a job's task does nothing for a finished
job, waits while a live worker holds it, takes it over from a dead one, and stores the
analysis once (``jobs.run_job``); a file's task is named by the file's content hash and
options, so its result is stored once under that name. Tasks carry ids, storage keys and
options, never audio bytes, and no database password (each worker has its own settings).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Celery
from celery.backends.redis import RedisBackend
from kombu import Exchange, Queue
from sqlalchemy.engine import Engine

from zz_core.config import Settings
from zz_core.errors import NotFoundError, ZzError
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.services.jobs import INTERRUPTED, MAX_ATTEMPTS, JobRecord, new_runner_id
from zz_core.services.runner import STALE_AFTER_S, WarmUp
from zz_core.services.workspace import Objects
from zz_core.store import jobs as job_store
from zz_core.store import tracks as track_store
from zz_core.store.db import utcnow
from zz_core.vocab import QUEUE_NAMES, QueueName

__all__ = ["ANALYSE_FILE", "ANALYSE_JOB", "AnalysisQueue", "CeleryRunner", "QueueError",
           "QueuedOutcome", "celery_app", "file_ticket", "open_queue"]

log = logging.getLogger(__name__)

ANALYSE_JOB = "zz.analyse_job"
"""The task running one of the app's analysis jobs (queue ``interactive``)."""
ANALYSE_FILE = "zz.analyse_file"
"""The task analysing one stored file for a batch (queue ``batch``)."""
QUEUE_UNREACHABLE = ("The analysis queue could not be reached ({error}). Your upload is "
                     "kept: Retry in a moment.")
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError, redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError, ConnectionError, TimeoutError)
"""What sending a task raises when Redis cannot be reached."""
FIRST_POLL_S = 0.01
"""How soon ``AnalysisQueue.results`` looks again after an outcome arrived."""
RESTORE_EVERY_S = 10.0
"""How often a worker looks for tasks of vanished workers past the visibility timeout."""


class QueueError(ZzError):
    """The queue cannot be reached, or a file's analysis did not come back in time."""


class PolledRedisBackend(RedisBackend):
    """Celery's Redis result backend, its results read by polling (``AnalysisQueue.
    results``: one MGET for many files) instead of a subscription per sent task, which a
    client sending 100,000 files cannot drain (and which retries for a minute when Redis
    is down, where sending should fail at once)."""

    def __init__(self, app: Celery, url: str | None = None, **kwargs: Any) -> None:
        super().__init__(app=app, url=url or app.conf.result_backend, **kwargs)

    def on_task_call(self, producer: Any, task_id: str) -> None:
        """Subscribe to nothing (see the class)."""


def celery_app(settings: Settings) -> Celery:
    """The Celery app on ``settings.queue_url`` (broker and result backend), configured for
    late acknowledgement, prefetch 1, redelivery after a lost worker, time limits and the
    two queues. The client side needs nothing more (tasks are sent by name); a worker
    registers the tasks (``zz_core.services.worker``)."""
    if not settings.queue_url:
        raise QueueError("no queue is configured (ZZ_QUEUE_URL)")
    visibility = settings.queue_visibility_timeout_s
    app = Celery("zoundzcope", broker=settings.queue_url, backend=PolledRedisBackend,
                 set_as_current=False)
    app.conf.update(
        result_backend=settings.queue_url,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.queue_soft_time_limit_s,
        task_time_limit=settings.queue_time_limit_s,
        task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUE_NAMES],
        task_default_queue="interactive",
        task_create_missing_queues=False,
        task_routes={ANALYSE_JOB: {"queue": "interactive"}, ANALYSE_FILE: {"queue": "batch"}},
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=int(settings.queue_result_expires_s),
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1.0, min(RESTORE_EVERY_S, visibility / 4)),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 5,
        },
        redis_socket_connect_timeout=5,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0,
                                   "interval_step": 0.5, "interval_max": 2},
        worker_send_task_events=False,
        worker_enable_remote_control=False,
    )
    return app


# --- the app's jobs ------------------------------------------------------------------------


def job_message(job: JobRecord, storage_url: str,
                keys: Sequence[str | None]) -> dict[str, Any]:
    """A job's task arguments: its ids, the audio store (``Objects.url``, no credentials)
    and the keys of its audio there (track, then reference), its options and content
    hash. Never bytes, never a database URL."""
    return {"job_id": job.id, "user_id": job.user_id, "storage_url": storage_url,
            "track_key": keys[0], "reference_key": keys[1] if len(keys) > 1 else None,
            "options_json": job.options_json, "content_sha256": job.content_sha256}


class CeleryRunner:
    """The ``JobRunner`` of an app replica on the queue: ``submit`` sends the job to the
    ``interactive`` queue; the workers claim it, write its progress to the record and
    finish it. A sweep (every ``stale_after_s / 2``) sends again the jobs whose worker
    stopped answering, so a vanished worker costs a producer ``stale_after_s`` rather than
    the visibility timeout. Thread-safe; one per server process."""

    def __init__(self, engine: Engine, settings: Settings, objects: Objects, *,
                 runner_id: str | None = None, stale_after_s: float = STALE_AFTER_S,
                 sweep: bool = True) -> None:
        self._engine, self._settings, self._objects = engine, settings, objects
        self._app = celery_app(settings)
        self._id = runner_id or f"queue:{new_runner_id()}"
        self._stale_after_s = stale_after_s
        self.warm_up = WarmUp()  # the workers warm themselves; this stays empty
        self._stop = threading.Event()
        self._sweeper = None
        if sweep:
            self._sweeper = threading.Thread(target=self._sweep_loop, name="zz-queue-sweep",
                                             daemon=True)
            self._sweeper.start()

    @property
    def runner_id(self) -> str:
        return self._id

    def warm(self) -> None:
        """Nothing to warm here: each worker warms its engine when it starts."""

    def submit(self, job: JobRecord) -> None:
        """Send the job to the ``interactive`` queue; when Redis cannot be reached the job
        fails at once with a plain reason (its upload is kept for a Retry)."""
        try:
            keys = [self._key_of(job.user_id, t) for t in (job.track_id,
                                                           job.reference_track_id)]
            self._app.send_task(ANALYSE_JOB, kwargs=job_message(job, self._objects.url, keys),
                                queue="interactive", retry=True, ignore_result=True)
        except BROKER_ERRORS as error:
            log.warning("could not queue analysis job %s: %s", job.id, error)
            job_store.fail_job(self._engine, job.user_id, job.id,
                               QUEUE_UNREACHABLE.format(error=type(error).__name__))

    def _key_of(self, user_id: int, track_id: int | None) -> str | None:
        """Where a track's audio is stored (None: no such track)."""
        if track_id is None:
            return None
        try:
            track = track_store.get_track(self._engine, user_id, track_id)
        except NotFoundError:
            return None
        return track_store.stored_audio_key(user_id, track, self._objects)

    def recover(self) -> list[JobRecord]:
        """Send again the jobs a vanished worker left running (silent for
        ``stale_after_s``) and those queued so long ago that their message must be lost
        (silent for the visibility timeout); a job started MAX_ATTEMPTS times fails
        instead. The jobs sent again."""
        now = utcnow()
        stale = job_store.stale_jobs(self._engine, now - timedelta(seconds=self._stale_after_s))
        lost_before = now - timedelta(seconds=self._settings.queue_visibility_timeout_s)
        resent = []
        for job in stale:
            heard = job.heartbeat_at or job.updated_at
            if job.state == "queued" and heard >= lost_before:
                continue  # waiting in Redis: its message is there
            taken = job_store.take_over(self._engine, job, self._id)
            if taken is None:
                continue
            if taken.attempts >= MAX_ATTEMPTS:
                job_store.fail_job(self._engine, taken.user_id, taken.id,
                                   INTERRUPTED.format(count=taken.attempts), holder=self._id)
                continue
            self.submit(taken)
            resent.append(taken)
        return resent

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self._stale_after_s / 2):
            try:
                self.recover()
            except Exception:  # the database may be briefly unavailable: next sweep
                log.exception("queue sweep failed")

    def shutdown(self) -> None:
        self._stop.set()
        self._app.close()


# --- catalogue files (the batch command) ---------------------------------------------------


def file_ticket(sha256: str, options: AnalysisOptions) -> str:
    """The task id of a file's analysis: its content hash and options, so the same audio
    with the same options is one result in the backend however often it is sent."""
    digest = hashlib.sha256(f"{sha256}\n{options.model_dump_json()}".encode()).hexdigest()
    return f"zz-file-{digest[:40]}"


@dataclass(frozen=True)
class QueuedOutcome:
    """One file's outcome from the queue: its analysis, or one plain sentence."""

    ticket: str
    result: AnalysisResult | None = None
    error: str | None = None


class AnalysisQueue:
    """Catalogue files through the queue: ``submit_file`` returns a ticket at once,
    ``results`` yields each outcome as it arrives (and removes it from Redis). Identical
    files (same content and options) submitted while one is out are sent once, and their
    outcome is yielded once per ``submit_file``. One per thread."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app = celery_app(settings)
        self._out: Counter[str] = Counter()

    def submit_file(self, key: str, options: AnalysisOptions, *, sha256: str, name: str,
                    queue: QueueName = "batch") -> str:
        """Queue the analysis of the stored audio at ``key`` (a key of the configured store
        or an ``s3://`` URL); ``sha256`` its content hash, ``name`` the file name the
        result carries. The ticket (``QueueError`` when Redis cannot be reached)."""
        ticket = file_ticket(sha256, options)
        if not self._out[ticket]:
            try:
                self._app.send_task(
                    ANALYSE_FILE, task_id=ticket, queue=queue, retry=True,
                    kwargs={"key": key, "options_json": options.model_dump_json(),
                            "sha256": sha256, "name": name})
            except BROKER_ERRORS as error:
                raise QueueError(f"the analysis queue could not be reached ({error})") from None
        self._out[ticket] += 1
        return ticket

    def results(self, tickets: Iterable[str], timeout_s: float | None = None,
                poll_s: float = 0.25) -> Iterator[QueuedOutcome]:
        """The outcomes of ``tickets`` as they complete (any order): each once per
        ``submit_file`` that returned it (once for a ticket of another client).
        ``QueueError`` after ``timeout_s`` with outcomes still missing (0: one look at
        what is ready). Redis is asked again after 10 ms, then less and less often while
        nothing arrives (at most every ``poll_s``)."""
        waiting = dict.fromkeys(tickets, 0)
        backend = self._app.backend
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        pause = FIRST_POLL_S
        while waiting:
            ready = 0
            ids = list(waiting)
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                metas = backend.mget([backend.get_key_for_task(t) for t in chunk])
                for ticket, raw in zip(chunk, metas, strict=True):
                    if raw is None:
                        continue
                    meta = backend.decode_result(raw)
                    if meta.get("status") not in ("SUCCESS", "FAILURE"):
                        continue
                    outcome = _outcome(ticket, meta)
                    del waiting[ticket]
                    backend.forget(ticket)
                    for _ in range(self._out.pop(ticket, 0) or 1):
                        yield outcome
                    ready += 1
            if not waiting:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise QueueError(f"{len(waiting)} files had no outcome after "
                                 f"{timeout_s:.0f} s")
            pause = FIRST_POLL_S if ready else min(poll_s, pause * 2)
            time.sleep(pause)

    def close(self) -> None:
        self._app.close()


def _outcome(ticket: str, meta: dict[str, Any]) -> QueuedOutcome:
    """A stored task result as an outcome: the task's own answer, or why it failed."""
    value = meta.get("result")
    if meta.get("status") == "SUCCESS" and isinstance(value, dict):
        if value.get("result") is not None:
            return QueuedOutcome(ticket, AnalysisResult.model_validate_json(value["result"]))
        return QueuedOutcome(ticket, error=str(value.get("error") or "no result"))
    kind = value.get("exc_type") if isinstance(value, dict) else type(value).__name__
    message = value.get("exc_message") if isinstance(value, dict) else str(value)
    if kind == "TimeLimitExceeded":
        return QueuedOutcome(ticket, error="the analysis took longer than the worker's "
                             "time limit")
    return QueuedOutcome(ticket, error=f"the analysis failed on the worker ({kind}: "
                         f"{message})")


def open_queue(settings: Settings) -> AnalysisQueue | None:
    """The queue for catalogue files, or None when none is configured (in-process)."""
    return AnalysisQueue(settings) if settings.queue_url else None
