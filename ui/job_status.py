"""Following an analysis job on a page: its progress while it runs (read from the job's
record, so a reload or another session follows the same job), then the reason it failed
with a Retry while its upload is kept.

Two ways to follow: ``follow`` waits in the script run (the in-process pool: the server
holds the work anyway), ``follow_live`` returns at once and a fragment reads the record
every FOLLOW_EVERY_S, rerunning the page when the job ends (the queue: the work is on
another machine, and the page stays responsive however long the queue is)."""

from __future__ import annotations

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


def failure(workspace: Workspace, job: JobRecord, key: str) -> None:
    """The reason a job failed (shown, not folded away), and a Retry while its upload is
    kept; a Retry queues the job again and reruns the page, which follows it."""
    st.error(job.reason or "The analysis failed.", icon=":material/error:")
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
