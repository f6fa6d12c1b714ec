"""Analysis jobs: the record of each analysis from the moment its upload is kept until its
result is stored (or the reason it failed).

States: ``queued`` -> ``running`` (``progress`` 0..1, ``stage`` text, ``worker_id`` and its
``heartbeat_at``) -> ``done`` (``analysis_id``) | ``failed`` (``reason``). Every change
is one conditional UPDATE, so two workers (or two servers) never both take a job, and a
worker whose job was taken over (its heartbeat went stale) can no longer write to it.

Every function takes the acting user and scopes its query to them, except
``stale_jobs``: the recovery sweep a server runs at start and then periodically, which
looks across users for jobs whose worker stopped answering (it returns records; taking
one over, ``take_over``, is scoped to the job's user again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select, update

from zz_core.errors import NotFoundError
from zz_core.store.db import session, utcnow, valid_id
from zz_core.store.records import JobRecord
from zz_core.store.tables import JOB_REASON_MAX, JOB_STAGE_MAX, Job, Track, owned
from zz_core.text import one_line

ACTIVE_STATES = ("queued", "running")
"""States of a job that is not finished (a worker holds it, or should)."""


def _owned_job(db: Session, user_id: int, job_id: int | None) -> Job:
    found = None
    if valid_id(job_id) and valid_id(user_id):
        found = db.exec(select(Job).where(col(Job.id) == job_id,
                                          col(Job.user_id) == user_id)).first()
    if found is None:
        raise NotFoundError("job not found")
    return found


def _held_by(holder: str) -> Any:
    """The job's holder is ``holder`` or one of its workers (``holder/<pid>``)."""
    return or_(col(Job.worker_id) == holder,
               col(Job.worker_id).startswith(holder + "/", autoescape=True))


def _change(engine: Engine, user_id: int, job_id: int | None, values: dict[str, Any],
            *conditions: Any) -> bool:
    """One conditional UPDATE of the user's job; True if it matched (the change is made)."""
    if not (valid_id(job_id) and valid_id(user_id)):
        return False
    with session(engine) as db:
        outcome = db.exec(update(Job).where(
            col(Job.id) == job_id, col(Job.user_id) == user_id, *conditions)
            .values(updated_at=utcnow(), **values))
        db.commit()
        return bool(outcome.rowcount)


# --- creating and reading ----------------------------------------------------------------


def create_job(engine: Engine, user_id: int, track_id: int | None, options_json: str, *,
               reference_track_id: int | None = None, project_created: bool = False,
               worker_id: str | None = None) -> JobRecord:
    """A queued job analysing one of the user's tracks (and comparing it with one of their
    tracks as reference); ``worker_id``: the runner that will hold it."""
    with session(engine) as db:
        track = owned(db, Track, user_id, track_id)
        if reference_track_id is not None:
            owned(db, Track, user_id, reference_track_id)
        now = utcnow()
        job = Job(user_id=user_id, project_id=track.project_id, track_id=track.id,
                  project_created=project_created, reference_track_id=reference_track_id,
                  options_json=options_json, content_sha256=track.content_sha256,
                  state="queued", stage="Waiting for a free worker", worker_id=worker_id,
                  heartbeat_at=now if worker_id else None)
        db.add(job)
        db.commit()
        return JobRecord.of(job)


def get_job(engine: Engine, user_id: int, job_id: int | None) -> JobRecord:
    """One of the user's jobs (``NotFoundError`` when missing or not theirs)."""
    with session(engine) as db:
        return JobRecord.of(_owned_job(db, user_id, job_id))


def latest_job(engine: Engine, user_id: int, track_id: int | None) -> JobRecord | None:
    """The newest of the user's jobs analysing this track (as the track or its reference)."""
    if not valid_id(track_id):
        return None
    with session(engine) as db:
        found = db.exec(select(Job).where(
            Job.user_id == user_id,
            or_(col(Job.track_id) == track_id, col(Job.reference_track_id) == track_id))
            .order_by(col(Job.created_at).desc(), col(Job.id).desc())).first()
        return JobRecord.of(found) if found is not None else None


def newest_job(engine: Engine, user_id: int) -> JobRecord | None:
    """The user's newest job, whatever its state (a new session finds the analysis of the
    latest upload again)."""
    with session(engine) as db:
        found = db.exec(select(Job).where(Job.user_id == user_id)
                        .order_by(col(Job.created_at).desc(), col(Job.id).desc())).first()
        return JobRecord.of(found) if found is not None else None


def active_jobs(engine: Engine, user_id: int) -> list[JobRecord]:
    """The user's queued and running jobs, newest first."""
    with session(engine) as db:
        return [JobRecord.of(j) for j in db.exec(
            select(Job).where(Job.user_id == user_id, col(Job.state).in_(ACTIVE_STATES))
            .order_by(col(Job.created_at).desc(), col(Job.id).desc()))]


# --- a worker's changes ------------------------------------------------------------------


def claim_job(engine: Engine, user_id: int, job_id: int | None,
              worker_id: str) -> JobRecord | None:
    """Take a queued job to run it (``running``, one more attempt); None if it is not
    queued any more (already taken, finished, or deleted): the caller then does nothing."""
    now = utcnow()
    with session(engine) as db:
        outcome = db.exec(update(Job).where(
            col(Job.id) == job_id, col(Job.user_id) == user_id, col(Job.state) == "queued")
            .values(state="running", worker_id=worker_id, attempts=col(Job.attempts) + 1,
                    progress=0.0, stage="Starting", reason=None, started_at=now,
                    heartbeat_at=now, updated_at=now))
        db.commit()
        if not outcome.rowcount:
            return None
        return JobRecord.of(_owned_job(db, user_id, job_id))


def set_progress(engine: Engine, user_id: int, job_id: int | None, worker_id: str,
                 progress: float, stage: str) -> bool:
    """Record a running job's progress (0..1, clipped) and stage text (its heartbeat too);
    False when this worker no longer holds the job (it should stop)."""
    progress = min(1.0, max(0.0, float(progress))) if progress == progress else 0.0
    return _change(engine, user_id, job_id,
                   {"progress": progress, "stage": one_line(stage, JOB_STAGE_MAX),
                    "heartbeat_at": utcnow()},
                   col(Job.state) == "running", col(Job.worker_id) == worker_id)


def heartbeat(engine: Engine, user_id: int, job_id: int | None, holder: str) -> bool:
    """Say the holder (a runner, or one of its workers: ids starting with the runner's)
    still has this unfinished job; False when it no longer does."""
    return _change(engine, user_id, job_id, {"heartbeat_at": utcnow()},
                   col(Job.state).in_(ACTIVE_STATES),
                   _held_by(holder))


def finish_job(engine: Engine, user_id: int, job_id: int | None, worker_id: str,
               analysis_id: int, stage: str = "Done") -> bool:
    """Mark the worker's running job done with the analysis it stored (``stage``: a last
    word about it, such as that an earlier identical analysis was reused)."""
    return _change(engine, user_id, job_id,
                   {"state": "done", "analysis_id": analysis_id, "progress": 1.0,
                    "stage": one_line(stage, JOB_STAGE_MAX), "finished_at": utcnow()},
                   col(Job.state) == "running", col(Job.worker_id) == worker_id)


def fail_job(engine: Engine, user_id: int, job_id: int | None, reason: str, *,
             holder: str | None = None) -> bool:
    """Mark an unfinished job failed with one plain sentence; with ``holder``, only if
    that worker or runner still holds it."""
    conditions: list[Any] = [col(Job.state).in_(ACTIVE_STATES)]
    if holder is not None:
        conditions.append(_held_by(holder))
    return _change(engine, user_id, job_id,
                   {"state": "failed", "reason": one_line(reason, JOB_REASON_MAX),
                    "stage": "Failed", "finished_at": utcnow()}, *conditions)


def requeue_job(engine: Engine, user_id: int, job_id: int | None, holder: str, *,
                from_states: tuple[str, ...] = ("failed",)) -> JobRecord | None:
    """Put a job back in the queue, held by ``holder`` (Retry: a failed job whose track is
    still kept; a runner also requeues a job its broken pool never started). None when
    the job is in none of ``from_states`` or its track is gone."""
    now = utcnow()
    ok = _change(engine, user_id, job_id,
                 {"state": "queued", "worker_id": holder, "heartbeat_at": now, "progress": 0.0,
                  "stage": "Waiting for a free worker", "reason": None, "finished_at": None},
                 col(Job.state).in_(from_states), col(Job.track_id).is_not(None))
    return get_job(engine, user_id, job_id) if ok else None


# --- recovery ----------------------------------------------------------------------------


def stale_jobs(engine: Engine, before: datetime) -> list[JobRecord]:
    """Every user's unfinished jobs whose holder has not answered since ``before`` (or
    never had one): the recovery sweep's one query across users. Oldest first."""
    heard = sa.func.coalesce(col(Job.heartbeat_at), col(Job.updated_at))
    with session(engine) as db:
        return [JobRecord.of(j) for j in db.exec(
            select(Job).where(col(Job.state).in_(ACTIVE_STATES), heard < before)
            .order_by(col(Job.created_at), col(Job.id)))]


def held_jobs(engine: Engine, holder_prefix: str) -> list[JobRecord]:
    """Every user's unfinished jobs held by runners whose id starts with ``holder_prefix``
    (a dead server's jobs, found at the next start on the same host). Oldest first."""
    with session(engine) as db:
        return [JobRecord.of(j) for j in db.exec(
            select(Job).where(col(Job.state).in_(ACTIVE_STATES),
                              col(Job.worker_id).startswith(holder_prefix, autoescape=True))
            .order_by(col(Job.created_at), col(Job.id)))]


def take_over(engine: Engine, job: JobRecord, holder: str) -> JobRecord | None:
    """Requeue an unfinished job for ``holder`` if it is still exactly as ``job`` saw it
    (same worker, same heartbeat): two servers sweeping at once never both take it."""
    conditions: list[Any] = [col(Job.state).in_(ACTIVE_STATES),
                             col(Job.updated_at) == job.updated_at]
    conditions.append(col(Job.worker_id) == job.worker_id if job.worker_id is not None
                      else col(Job.worker_id).is_(None))
    now = utcnow()
    ok = _change(engine, job.user_id, job.id,
                 {"state": "queued", "worker_id": holder, "heartbeat_at": now,
                  "stage": "Resumed after an interruption", "progress": 0.0}, *conditions)
    return get_job(engine, job.user_id, job.id) if ok else None
