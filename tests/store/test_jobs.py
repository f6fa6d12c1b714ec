"""Job records on each backend: the state machine, one holder at a time, the recovery
sweep, ownership, and what deleting a track or a session leaves of its jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.helpers import WAV, World, upload
from zz_core.errors import NotFoundError
from zz_core.store import jobs, projects, tracks
from zz_core.store.db import utcnow
from zz_core.store.tables import Job

OPTIONS = '{"context":"mixdown","genre":null,"subgenre":null}'


def test_a_job_goes_from_queued_to_running_to_done(world: World) -> None:
    job = jobs.create_job(world.engine, world.ada, world.track.id, OPTIONS, worker_id="r1")
    assert (job.state, job.progress, job.attempts, job.worker_id) == ("queued", 0.0, 0, "r1")
    assert job.content_sha256 == world.track.content_sha256
    assert job.project_id == world.project.id and not job.project_created
    claimed = jobs.claim_job(world.engine, world.ada, job.id, "r1/42")
    assert claimed is not None and claimed.state == "running" and claimed.attempts == 1
    assert claimed.started_at is not None and claimed.heartbeat_at is not None
    assert jobs.claim_job(world.engine, world.ada, job.id, "r2/7") is None  # taken once
    assert jobs.set_progress(world.engine, world.ada, job.id, "r1/42", 0.4, "Measuring\n")
    assert not jobs.set_progress(world.engine, world.ada, job.id, "r2/7", 0.9, "intruder")
    seen = jobs.get_job(world.engine, world.ada, job.id)
    assert (seen.progress, seen.stage) == (0.4, "Measuring")
    assert jobs.set_progress(world.engine, world.ada, job.id, "r1/42", 7.0, "x" * 900)
    seen = jobs.get_job(world.engine, world.ada, job.id)
    assert seen.progress == 1.0 and len(seen.stage) <= 200
    assert jobs.finish_job(world.engine, world.ada, job.id, "r1/42", world.analysis.id)
    done = jobs.get_job(world.engine, world.ada, job.id)
    assert done.state == "done" and done.finished and done.analysis_id == world.analysis.id
    assert done.finished_at is not None
    assert not jobs.fail_job(world.engine, world.ada, job.id, "too late")  # finished stays


def test_a_failed_job_keeps_its_reason_and_can_be_queued_again(world: World) -> None:
    job = jobs.create_job(world.engine, world.ada, world.track.id, OPTIONS)
    jobs.claim_job(world.engine, world.ada, job.id, "r1/1")
    assert not jobs.fail_job(world.engine, world.ada, job.id, "no", holder="other")
    assert jobs.fail_job(world.engine, world.ada, job.id, "The worker died.\nRetry.",
                         holder="r1")  # a runner speaks for its workers
    failed = jobs.get_job(world.engine, world.ada, job.id)
    assert (failed.state, failed.reason) == ("failed", "The worker died. Retry.")
    again = jobs.requeue_job(world.engine, world.ada, job.id, "r2")
    assert again is not None and (again.state, again.reason, again.worker_id) == (
        "queued", None, "r2")
    assert jobs.requeue_job(world.engine, world.ada, job.id, "r3") is None  # not failed
    assert jobs.active_jobs(world.engine, world.ada) == [again]
    assert jobs.active_jobs(world.engine, world.bob) == []


def test_another_users_job_is_not_found(world: World) -> None:
    job = jobs.create_job(world.engine, world.ada, world.track.id, OPTIONS)
    with pytest.raises(NotFoundError):
        jobs.get_job(world.engine, world.bob, job.id)
    with pytest.raises(NotFoundError):
        jobs.create_job(world.engine, world.bob, world.track.id, OPTIONS)
    assert jobs.claim_job(world.engine, world.bob, job.id, "r/1") is None
    assert not jobs.fail_job(world.engine, world.bob, job.id, "no")
    assert jobs.requeue_job(world.engine, world.bob, job.id, "r") is None
    assert jobs.latest_job(world.engine, world.bob, world.track.id) is None
    assert jobs.get_job(world.engine, world.ada, job.id).state == "queued"


def test_the_latest_job_of_a_track_includes_it_as_a_reference(world: World) -> None:
    reference = upload(world.engine, world.ada, world.project.id, WAV, "ref.wav", "reference",
                       world.data_dir, reference_of=world.track.id)
    first = jobs.create_job(world.engine, world.ada, world.track.id, OPTIONS)
    second = jobs.create_job(world.engine, world.ada, world.track.id, OPTIONS,
                             reference_track_id=reference.id)
    assert jobs.latest_job(world.engine, world.ada, world.track.id) == second
    assert jobs.latest_job(world.engine, world.ada, reference.id) == second
    assert first.id != second.id


def test_deleting_the_track_or_session_keeps_the_record_without_its_ids(world: World) -> None:
    job = jobs.create_job(world.engine, world.ada, world.track.id, OPTIONS,
                          project_created=True)
    jobs.claim_job(world.engine, world.ada, job.id, "r/1")
    jobs.finish_job(world.engine, world.ada, job.id, "r/1", world.analysis.id)
    tracks.delete_track(world.engine, world.ada, world.track.id, world.data_dir)
    kept = jobs.get_job(world.engine, world.ada, job.id)
    assert (kept.track_id, kept.analysis_id, kept.state) == (None, None, "done")
    assert jobs.requeue_job(world.engine, world.ada, job.id, "r",
                            from_states=("done",)) is None  # nothing left to analyse
    projects.delete_project(world.engine, world.ada, world.project.id, world.data_dir)
    assert jobs.get_job(world.engine, world.ada, job.id).project_id is None


def test_the_sweep_finds_silent_jobs_and_only_one_runner_takes_each(world: World) -> None:
    quiet = jobs.create_job(world.engine, world.ada, world.track.id, OPTIONS,
                            worker_id="deadhost:1:abc")
    jobs.claim_job(world.engine, world.ada, quiet.id, "deadhost:1:abc/9")
    fresh = jobs.create_job(world.engine, world.ada, world.track.id, OPTIONS, worker_id="live")
    with world.engine.begin() as connection:
        connection.execute(sa.update(Job).where(sa.column("id") == quiet.id).values(
            heartbeat_at=utcnow() - timedelta(minutes=10)))
    stale = jobs.stale_jobs(world.engine, utcnow() - timedelta(seconds=30))
    assert [j.id for j in stale] == [quiet.id]
    taken = jobs.take_over(world.engine, stale[0], "new-runner")
    assert taken is not None and (taken.state, taken.worker_id) == ("queued", "new-runner")
    assert jobs.take_over(world.engine, stale[0], "second-runner") is None  # already taken
    assert jobs.heartbeat(world.engine, world.ada, fresh.id, "live")
    assert not jobs.heartbeat(world.engine, world.ada, fresh.id, "liv")  # a prefix is not it
    assert [j.id for j in jobs.held_jobs(world.engine, "new-")] == [quiet.id]
