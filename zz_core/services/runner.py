"""The in-process ``JobRunner``: analysis jobs in a pool of local worker processes, and
the warm-up that readies it (and anything else slow to load) in the background.

``PoolRunner`` keeps at most one job per worker in the pool, so a job handed to the pool is
one that starts; a dispatcher thread feeds it in order, a monitor thread writes the
heartbeat of every job it holds and sweeps for jobs other servers left behind.

When a worker process dies (SIGKILL, the OOM killer, a segfault in a codec), the pool is
broken for every job in it: the runner rebuilds it and sorts the jobs out so that only
the one that killed its worker fails. A job that never started goes back in the queue; a
job that was running is the culprit when it was the only one running, otherwise each
running job is run again alone (one at a time in the new pool): the one that breaks the
pool alone fails, the others complete.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import multiprocessing.context
import socket
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing import popen_spawn_posix
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from zz_core.errors import NotFoundError
from zz_core.judge.pipeline import analyze_file
from zz_core.services.jobs import (
    INTERRUPTED,
    MAX_ATTEMPTS,
    UNEXPECTED,
    WORKER_DIED,
    Analyse,
    dead_holder,
    new_runner_id,
    run_job,
    task_for,
    warm_worker,
)
from zz_core.services.workspace import Objects
from zz_core.store import jobs as job_store
from zz_core.store.db import utcnow
from zz_core.store.records import JobRecord

log = logging.getLogger(__name__)

ANALYSIS_WORKERS = 2
HEARTBEAT_S = 2.0
"""How often a runner tells the store it still holds its jobs."""
STALE_AFTER_S = 30.0
"""A job whose holder has been silent this long is taken over by a sweeping runner."""


# --- worker processes -------------------------------------------------------------------

_LAUNCH_LOCK = threading.Lock()


class _Popen(popen_spawn_posix.Popen):
    """'spawn', without running the parent's ``__main__`` in the child.

    Streamlit runs each page as a module named ``__main__``; a plain spawn child imports
    that file again to rebuild the parent's main module, running the whole page in bare
    mode (the "missing ScriptRunContext" warnings) and, with a page that starts a pool,
    trying to start processes from a process still bootstrapping. The workers need nothing
    from ``__main__`` (the jobs are functions of zz_core), so their preparation data
    leaves it out.
    """

    def _launch(self, process_obj: Any) -> None:
        from multiprocessing import spawn
        with _LAUNCH_LOCK:
            original = spawn.get_preparation_data

            def without_main(name: str) -> dict[str, Any]:
                data: dict[str, Any] = original(name)
                data.pop("init_main_from_path", None)
                data.pop("init_main_from_name", None)
                return data

            spawn.get_preparation_data = without_main
            try:
                super()._launch(process_obj)  # type: ignore[misc]
            finally:
                spawn.get_preparation_data = original


class _Process(multiprocessing.context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _Popen(process_obj)


class _Context(multiprocessing.context.SpawnContext):
    Process = _Process


def worker_context() -> multiprocessing.context.SpawnContext:
    """The 'spawn' context of the analysis workers (a fork would copy the server's
    threads' locks mid-use; a plain spawn would re-run the page script)."""
    return _Context()


# --- warm-up ---------------------------------------------------------------------------


@dataclass
class WarmStep:
    """One thing being readied: what it is, how far (0..1), and how it ended."""

    label: str
    progress: float = 0.0
    done: bool = False
    error: str | None = None


class WarmUp:
    """Slow things readied in background threads, with their progress for a status line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: dict[str, WarmStep] = {}
        self._done: dict[str, threading.Event] = {}

    def start(self, key: str, label: str, work: Callable[[Callable[[float], None]], Any]
              ) -> None:
        """Run ``work(report)`` on a daemon thread, ``report(fraction)`` telling how far it
        is; once per key, unless the earlier run of that key has ended (then again)."""
        with self._lock:
            if key in self._steps and not self._steps[key].done:
                return
            self._steps[key] = WarmStep(label)
            self._done[key] = threading.Event()
        threading.Thread(target=self._run, args=(key, work), name=f"zz-warm-{key}",
                         daemon=True).start()

    def _run(self, key: str, work: Callable[[Callable[[float], None]], Any]) -> None:
        def report(fraction: float) -> None:
            with self._lock:
                self._steps[key].progress = max(0.0, min(1.0, fraction))
        try:
            work(report)
            with self._lock:
                self._steps[key].progress, self._steps[key].done = 1.0, True
        except Exception as error:  # shown in the status; the first real use says more
            log.warning("warm-up of %s failed: %s", key, error)
            with self._lock:
                self._steps[key].error = str(error) or type(error).__name__
                self._steps[key].done = True
        finally:
            self._done[key].set()

    def steps(self) -> list[WarmStep]:
        """A copy of every step, in the order they started."""
        with self._lock:
            return [WarmStep(s.label, s.progress, s.done, s.error) for s in self._steps.values()]

    @property
    def ready(self) -> bool:
        """True once every step has ended."""
        return all(step.done for step in self.steps())

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for every step started so far; True if all ended in time."""
        with self._lock:
            events = list(self._done.values())
        return all(event.wait(timeout_s) for event in events)


# --- the pool runner ---------------------------------------------------------------------


@dataclass
class _Entry:
    user_id: int
    job_id: int
    solo: bool = False


@dataclass
class _Flight:
    entry: _Entry
    generation: int
    future: Future[int | None] = field(repr=False)


class PoolRunner:
    """Runs jobs in ``workers`` local processes ('spawn': the server is multi-threaded, and
    fork would copy locks mid-use). Thread-safe; one per server process."""

    def __init__(self, engine: Engine, data_dir: str | Path, workers: int = ANALYSIS_WORKERS,
                 *, analyse: Analyse = analyze_file, objects: Objects | None = None,
                 runner_id: str | None = None,
                 heartbeat_s: float = HEARTBEAT_S, stale_after_s: float = STALE_AFTER_S,
                 warm_up: WarmUp | None = None) -> None:
        self._engine, self._data_dir = engine, Path(data_dir)
        self._storage_url = objects.url if objects is not None else ""
        self._workers, self._analyse = max(1, workers), analyse
        self._id = runner_id or new_runner_id()
        self._heartbeat_s, self._stale_after_s = heartbeat_s, stale_after_s
        self.warm_up = warm_up or WarmUp()
        self._cv = threading.Condition()
        self._waiting: deque[_Entry] = deque()
        self._flights: dict[int, _Flight] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0
        self._suspects: dict[int, set[int]] = {}
        self._stopping = False
        self._handler = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zz-jobs-done")
        self._threads = [threading.Thread(target=loop, name=name, daemon=True) for loop, name
                         in ((self._dispatch_loop, "zz-jobs-dispatch"),
                             (self._monitor_loop, "zz-jobs-monitor"))]
        for thread in self._threads:
            thread.start()

    @property
    def runner_id(self) -> str:
        return self._id

    @property
    def generation(self) -> int:
        """How many times the pool was rebuilt after a worker died."""
        return self._generation

    # --- the JobRunner protocol ----------------------------------------------------------

    def submit(self, job: JobRecord) -> None:
        self._enqueue(_Entry(job.user_id, job.id))

    def recover(self) -> list[JobRecord]:
        """Take over the unfinished jobs of dead runners on this host at once, and those
        silent for ``stale_after_s`` anywhere; resume each (a job started MAX_ATTEMPTS
        times fails instead, its upload kept for a Retry). The jobs resumed."""
        engine = self._engine
        found = {j.id: j for j in job_store.held_jobs(engine, socket.gethostname() + ":")
                 if dead_holder(j.worker_id, self._id)}
        stale_before = utcnow() - timedelta(seconds=self._stale_after_s)
        found.update({j.id: j for j in job_store.stale_jobs(engine, stale_before)})
        with self._cv:
            held = set(self._flights) | {e.job_id for e in self._waiting}
        resumed = []
        for job in sorted(found.values(), key=lambda j: (j.created_at, j.id)):
            if job.id in held:
                continue
            taken = job_store.take_over(engine, job, self._id)
            if taken is None:
                continue
            if taken.attempts >= MAX_ATTEMPTS:
                job_store.fail_job(engine, taken.user_id, taken.id,
                                   INTERRUPTED.format(count=taken.attempts), holder=self._id)
                continue
            self.submit(taken)
            resumed.append(taken)
        return resumed

    def shutdown(self) -> None:
        with self._cv:
            self._stopping = True
            pool, self._pool = self._pool, None
            self._cv.notify_all()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self._handler.shutdown(wait=False, cancel_futures=True)

    # --- warming -------------------------------------------------------------------------

    def warm(self) -> None:
        """Start the worker processes and run the engine once in each, in the background
        (a step of ``warm_up``)."""
        self.warm_up.start("pool", "Analysis workers", self._warm_pool)

    def _warm_pool(self, report: Callable[[float], None]) -> None:
        ready: set[int] = set()
        for _round in range(3):  # a fast worker may take two tasks: ask again for the rest
            pool = self._current_pool()[1]
            futures = [pool.submit(warm_worker) for _ in range(self._workers - len(ready))]
            for future in futures:
                ready.add(future.result())
                report(min(len(ready), self._workers) / self._workers)
            if len(ready) >= self._workers:
                return

    # --- the dispatcher ------------------------------------------------------------------

    def _enqueue(self, entry: _Entry, front: bool = False) -> None:
        with self._cv:
            if any(e.job_id == entry.job_id for e in self._waiting) or (
                    entry.job_id in self._flights):
                return
            (self._waiting.appendleft if front else self._waiting.append)(entry)
            self._cv.notify_all()

    def _can_start(self) -> bool:
        if not self._waiting or any(f.entry.solo for f in self._flights.values()):
            return False
        if self._waiting[0].solo:
            return not self._flights
        return len(self._flights) < self._workers

    def _current_pool(self) -> tuple[int, ProcessPoolExecutor]:
        with self._cv:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self._workers,
                                                 mp_context=worker_context())
            return self._generation, self._pool

    def _dispatch_loop(self) -> None:
        while True:
            with self._cv:
                while not self._stopping and not self._can_start():
                    self._cv.wait(timeout=1.0)
                if self._stopping:
                    return
                entry = self._waiting.popleft()
            generation, pool = self._current_pool()
            task = task_for(self._engine, self._data_dir, entry.user_id, entry.job_id,
                            self._id, self._storage_url)
            try:
                future = pool.submit(run_job, task, self._analyse)
            except (BrokenProcessPool, RuntimeError):  # broke before we learnt it did
                self._replace_pool(generation)
                self._enqueue(entry, front=True)
                continue
            with self._cv:
                self._flights[entry.job_id] = _Flight(entry, generation, future)
            future.add_done_callback(functools.partial(self._on_done, entry.job_id))

    def _on_done(self, job_id: int, _future: object = None) -> None:
        with contextlib.suppress(RuntimeError):  # shutting down: the record stays
            self._handler.submit(self._settle, job_id)

    def _settle(self, job_id: int) -> None:
        """A future ended: sort out its job if the worker could not (a dead worker)."""
        with self._cv:
            flight = self._flights.get(job_id)
        if flight is None:
            return
        again = None
        try:
            again = self._settle_flight(flight)
        except Exception:
            log.exception("could not settle analysis job %s", job_id)
        finally:
            with self._cv:
                self._flights.pop(job_id, None)
                self._cv.notify_all()
        if again is not None:
            self._enqueue(again, front=True)

    def _settle_flight(self, flight: _Flight) -> _Entry | None:
        """What to run again, if anything, once a flight ended: a job the broken pool never
        started, or one of several running when it broke (alone, to find the culprit)."""
        entry, engine = flight.entry, self._engine
        try:
            error = flight.future.exception()
        except CancelledError:
            error = None if self._stopping else BrokenProcessPool("cancelled")
        if error is None:
            return None
        if not isinstance(error, BrokenProcessPool):
            job_store.fail_job(engine, entry.user_id, entry.job_id,
                               UNEXPECTED.format(kind=type(error).__name__), holder=self._id)
            return None
        suspects = self._suspects_of(flight.generation)
        self._replace_pool(flight.generation)
        if self._stopping:
            return None
        try:
            job = job_store.get_job(engine, entry.user_id, entry.job_id)
        except NotFoundError:
            return None
        if job.state == "queued":  # never started: an innocent bystander
            return entry
        if job.state != "running":  # it finished before the pool broke
            return None
        if entry.solo or suspects == {job.id}:
            job_store.fail_job(engine, entry.user_id, entry.job_id, WORKER_DIED,
                               holder=self._id)
            log.warning("analysis job %s failed: its worker process died", job.id)
            return None
        if job_store.requeue_job(engine, entry.user_id, entry.job_id, self._id,
                                 from_states=("running",)) is None:
            return None
        return _Entry(entry.user_id, entry.job_id, solo=True)

    def _suspects_of(self, generation: int) -> set[int]:
        """The jobs running in a worker of this pool when it broke (read once per pool)."""
        with self._cv:
            if generation in self._suspects:
                return self._suspects[generation]
            flights = [f.entry for f in self._flights.values() if f.generation == generation]
        running = set()
        for entry in flights:
            try:
                job = job_store.get_job(self._engine, entry.user_id, entry.job_id)
            except NotFoundError:
                continue
            if job.state == "running" and (job.worker_id or "").startswith(self._id + "/"):
                running.add(job.id)
        with self._cv:
            return self._suspects.setdefault(generation, running)

    def _replace_pool(self, generation: int) -> None:
        """Drop a broken pool (once) and warm a new one in the background."""
        with self._cv:
            if generation != self._generation or self._stopping:
                return
            old, self._pool = self._pool, None
            self._generation += 1
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        log.warning("an analysis worker process died: the pool was rebuilt")
        self.warm()

    # --- the monitor ---------------------------------------------------------------------

    def _monitor_loop(self) -> None:
        sweep_every = max(1, round(self._stale_after_s / 2 / self._heartbeat_s))
        beats = 0
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._stopping, timeout=self._heartbeat_s)
                if self._stopping:
                    return
                held = [f.entry for f in self._flights.values()] + list(self._waiting)
            try:
                for entry in held:
                    job_store.heartbeat(self._engine, entry.user_id, entry.job_id, self._id)
                beats += 1
                if beats % sweep_every == 0:
                    self.recover()
            except Exception:  # the database may be briefly unavailable: try next beat
                log.exception("job heartbeat failed")
