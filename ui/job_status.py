"""Following an analysis job on a page: its progress while it runs (read from the job's
record, so a reload or another session follows the same job), then the reason it failed
with a Retry while its upload is kept.

Two ways to follow: ``follow`` waits in the script run (the in-process pool: the server
holds the work anyway), ``follow_live`` returns at once and a fragment reads the record
every FOLLOW_EVERY_S, rerunning the page when the job ends (the queue: the work is on
another machine, and the page stays responsive however long the queue is).
``follow_many`` and ``follow_many_live`` do the same for several files uploaded at once
(one job each, one progress bar each); ``failure`` names the file when asked to."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

import streamlit as st

from ui import resources
from zz_core.errors import NotFoundError, ZzError
from zz_core.services import jobs
from zz_core.services.jobs import JobRecord
from zz_core.services.workspace import Workspace

FOLLOW_EVERY_S = 1.0
"""How often ``follow_live`` reads the job's record."""
FOLLOW_S = 3600.0
"""The longest a page waits on one job in one run (the record keeps going after)."""
POLL_S = 0.25


def follow(workspace: Workspace, job: JobRecord) -> JobRecord:
    """Show the job's progress in a status box until it is done or failed; the job as it
    ended (returned at once when it already has)."""
    if job.finished:
        return job
    with st.status("Analysing...", expanded=True) as status:
        bar = st.progress(job.progress, text=job.stage)

        def show(changed: JobRecord) -> None:
            bar.progress(changed.progress, text=changed.stage)

        job = jobs.wait(workspace, job.id, FOLLOW_S, on_change=show, poll_s=POLL_S)
        status.update(label={"done": "Analysis complete",
                             "failed": "The analysis failed"}.get(job.state, "Analysing"),
                      state="complete" if job.state == "done" else "error", expanded=False)
    return job


def follow_live(workspace: Workspace, job: JobRecord) -> None:
    """Show the unfinished job's progress in a status box, refreshed from its record by a
    fragment; the whole page reruns once the job is done or failed (or gone)."""
    with st.status("Analysing...", expanded=True):
        _live_progress(workspace, job.id)


@st.fragment(run_every=FOLLOW_EVERY_S)
def _live_progress(workspace: Workspace, job_id: int) -> None:
    try:
        job = jobs.get_job(workspace, job_id)
    except NotFoundError:
        st.rerun()
    if job.finished:
        st.rerun()
    st.progress(job.progress, text=job.stage)


def job_name(workspace: Workspace, job: JobRecord) -> str:
    """The file a job analyses, as it was uploaded ("a deleted track" once it is gone)."""
    try:
        return workspace.track(job.track_id).original_name
    except NotFoundError:
        return "a deleted track"


def _progress_text(name: str, job: JobRecord) -> str:
    state = {"queued": "waiting", "done": "done", "failed": "failed"}.get(job.state, job.stage)
    return f"{name}: {state or job.stage}"


def batch_label(batch: Sequence[JobRecord]) -> str:
    """The status line of several jobs: "Analysing 3 files (1 done)...", then how they
    ended ("3 analyses complete", "2 of 3 analyses complete, 1 failed")."""
    done = sum(j.state == "done" for j in batch)
    failed = sum(j.state == "failed" for j in batch)
    if done + failed < len(batch):
        return f"Analysing {len(batch)} files ({done + failed} finished)..."
    if not failed:
        return f"{done} analyses complete"
    return f"{done} of {len(batch)} analyses complete, {failed} failed"


def follow_many(workspace: Workspace, batch: Sequence[JobRecord],
                names: dict[int, str]) -> list[JobRecord]:
    """Several jobs (files uploaded at once) in one status box, a progress bar per file,
    until every one is done or failed; the jobs as they ended (at once when they have).
    ``names``: each job's file name by job id."""
    batch = list(batch)
    if all(j.finished for j in batch):
        return batch
    with st.status(batch_label(batch), expanded=True) as status:
        bars = {j.id: st.progress(j.progress, text=_progress_text(names[j.id], j))
                for j in batch}
        seen = {j.id: (j.state, j.progress, j.stage) for j in batch}
        deadline = time.monotonic() + FOLLOW_S
        while not all(j.finished for j in batch) and time.monotonic() < deadline:
            time.sleep(POLL_S)
            batch = [j if j.finished else _reread(workspace, j) for j in batch]
            for job in batch:
                if (now := (job.state, job.progress, job.stage)) != seen[job.id]:
                    seen[job.id] = now
                    bars[job.id].progress(1.0 if job.finished else job.progress,
                                          text=_progress_text(names[job.id], job))
        failed = any(j.state == "failed" for j in batch)
        status.update(label=batch_label(batch), state="error" if failed else "complete",
                      expanded=False)
    return batch


def _reread(workspace: Workspace, job: JobRecord) -> JobRecord:
    """The job's record now (a job deleted meanwhile reads as it was, marked failed)."""
    try:
        return jobs.get_job(workspace, job.id)
    except NotFoundError:
        return job.model_copy(update={"state": "failed", "reason": jobs.GONE})


def follow_many_live(workspace: Workspace, batch: Sequence[JobRecord],
                     names: dict[int, str]) -> None:
    """Several unfinished jobs in one status box, each file's progress refreshed from its
    record by a fragment; the page reruns once every one is done or failed."""
    with st.status(batch_label(batch), expanded=True):
        _live_batch(workspace, tuple(j.id for j in batch), names)


@st.fragment(run_every=FOLLOW_EVERY_S)
def _live_batch(workspace: Workspace, job_ids: tuple[int, ...], names: dict[int, str]) -> None:
    batch = []
    for job_id in job_ids:
        with contextlib.suppress(NotFoundError):
            batch.append(jobs.get_job(workspace, job_id))
    if all(j.finished for j in batch):
        st.rerun()
    for job in batch:
        st.progress(1.0 if job.finished else job.progress,
                    text=_progress_text(names[job.id], job))


def failure(workspace: Workspace, job: JobRecord, key: str, name: str = "") -> None:
    """The reason a job failed (shown, not folded away; prefixed with the file's ``name``
    when given), and a Retry while its upload is kept; a Retry queues the job again and
    reruns the page, which follows it."""
    reason = job.reason or "The analysis failed."
    st.error(f"{name}: {reason}" if name else reason, icon=":material/error:")
    if jobs.can_retry(job):
        st.button("Retry", key=key, type="primary", icon=":material/refresh:",
                  on_click=_retry, args=(workspace, job.id, key))
    if (note := st.session_state.pop(f"{key}_note", None)) is not None:
        st.warning(note)


def _retry(workspace: Workspace, job_id: int, key: str) -> None:
    try:
        jobs.retry(workspace, resources.job_runner(), job_id)
    except ZzError as error:
        st.session_state[f"{key}_note"] = str(error)
