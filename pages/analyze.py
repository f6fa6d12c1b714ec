"""Analyze: upload a track (and a reference), say what it is, see what is wrong with it.

Thin page: zz_core.services.jobs keeps the upload (its header and first seconds checked)
and queues its analysis; the page follows the job's record (progress, then the result or
the reason it failed, with a Retry while the upload is kept) and ui.views draws it.

On the queue (``ZZ_QUEUE_URL``) the analysis runs on another machine: the page follows
the record in a fragment refreshed every second, and a new session (a reload, or another
replica answering) finds the job of the user's latest upload in the database, running or
finished a moment ago, and shows it.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from ui import conversation, job_status, reports, resources, views
from ui.auth import require_user
from zz_core.errors import NotFoundError, ZzError
from zz_core.judge.genres import context_rules, list_genres
from zz_core.judge.models import AnalysisOptions
from zz_core.services import analyses, jobs, uploads
from zz_core.text import escape_markdown
from zz_core.vocab import CONTEXTS, UPLOAD_TYPES

OTHER_SUBGENRE = "Other (type it)"
GENERIC_GENRE = "Generic (no genre)"
NEW_SESSION = "+ New session"
RESUME_WITHIN_S = 600.0
"""On the queue, a new session shows the latest upload's analysis finished this recently."""
SHOWN = ("analyze_result", "analyze_track_id", "analyze_reference_id", "analyze_project_id",
         "auto_feedback")
"""Session keys of the analysis on show (cleared when a new file is chosen)."""

user = require_user()
workspace = resources.workspace(user.id)
runner = resources.job_runner()
st.title("Analyze a track")


@st.fragment(run_every=1.0)
def warm_panel() -> None:
    """What is still loading after a fresh start (nothing once all is ready)."""
    for step in resources.warm_status():
        if step.error:
            st.caption(f"{step.label}: could not be loaded in advance ({step.error})")
        else:
            st.progress(step.progress, text=f"Loading: {step.label}...")


def choose_project() -> int | None:
    """The chosen session's id, or None for a new one (named in ``new_session_name``)."""
    projects = workspace.project_names()
    if (created := st.session_state.pop("analyze_created_session", None)) in projects:
        st.session_state["analyze_session"] = created  # select the session just made
    choice = st.selectbox("Session", [*projects, None], key="analyze_session",
                          format_func=lambda i: NEW_SESSION if i is None else projects[i])
    if choice is None:
        st.text_input("New session name", value=f"Session {date.today():%Y-%m-%d}",
                      max_chars=100, key="new_session_name")
    return choice


def choose_options() -> AnalysisOptions:
    columns = st.columns(3)
    context = columns[0].selectbox("Track context", CONTEXTS,
                                   format_func=lambda c: context_rules(c).label)
    genres = {g.slug: g for g in list_genres()}
    choice = columns[1].selectbox("Genre", [*genres, GENERIC_GENRE],
                                  format_func=lambda g: genres[g].label if g in genres else g)
    genre = choice if choice in genres else None  # None: judged against the defaults
    subgenres = {s.slug: s.label for s in genres[genre].subgenres} if genre else {}
    sub_options = [None, *subgenres, OTHER_SUBGENRE] if genre else [None]
    sub = columns[2].selectbox("Subgenre", sub_options,
                               format_func=lambda s: "Any" if s is None
                               else subgenres.get(s, OTHER_SUBGENRE))
    if sub == OTHER_SUBGENRE:
        sub = st.text_input("Your subgenre", max_chars=60) or None
    conversation.profile_picker("feedback_profile")
    return AnalysisOptions.model_validate({"context": context, "genre": genre,
                                           "subgenre": sub})


def identity(upload: UploadedFile | None) -> tuple[str, str, int] | None:
    """Which file the uploader holds (a new choice changes it)."""
    return None if upload is None else (upload.file_id, upload.name, upload.size)


def forget_shown(note: str | None = None) -> None:
    """Stop showing the previous analysis (and its chat); ``note`` says why."""
    for key in (*SHOWN, "analyze_job_id"):
        st.session_state.pop(key, None)
    if note:
        st.session_state["analyze_note"] = note


def refusal(error: ZzError) -> str:
    """The sentence for an upload that was refused (nothing was stored)."""
    if isinstance(error, uploads.StorageFullError):
        return f"Nothing was stored: {error}."
    return f"This file could not be analysed: {error}. Nothing was stored."


def submit(upload: UploadedFile, reference: UploadedFile | None, project_id: int | None,
           options: AnalysisOptions) -> None:
    """Keep the upload(s) and queue the analysis; the job is followed below."""
    forget_shown()
    try:
        job = jobs.start_analysis(
            workspace, runner, project_id, jobs.Upload(upload.getvalue(), upload.name),
            options, new_project_name=st.session_state.get("new_session_name", ""),
            reference=None if reference is None else jobs.Upload(reference.getvalue(),
                                                                 reference.name))
    except ZzError as error:
        st.error(refusal(error), icon=":material/block:")
        return
    st.session_state["analyze_job_id"] = job.id
    if job.project_created:
        st.session_state["analyze_created_session"] = job.project_id


def follow(job_id: int) -> None:
    """Follow the job's record until it ends, then keep its result on show (or say why it
    failed, with a Retry while the upload is kept)."""
    try:
        job = jobs.get_job(workspace, job_id)
        if resources.queued() and not job.finished:
            job_status.follow_live(workspace, job)  # reruns the page once the job ends
            return
        job = job_status.follow(workspace, job)
    except NotFoundError:
        st.session_state.pop("analyze_job_id", None)
        return
    if job.state == "failed":
        job_status.failure(workspace, job, "analyze_retry")
        return
    outcome = jobs.job_outcome(workspace, job)
    st.session_state.pop("analyze_job_id", None)
    if outcome is None:
        return
    if outcome.reused:
        st.write(job.stage)
    st.session_state["analyze_result"] = (outcome.result, outcome.reference)
    st.session_state["analyze_track_id"] = job.track_id
    st.session_state["analyze_reference_id"] = job.reference_track_id
    st.session_state["analyze_project_id"] = job.project_id
    st.session_state["auto_feedback"] = job.track_id


def shown_track_exists() -> bool:
    """False (with a note) when the track on show was deleted meanwhile (in History)."""
    track_id = st.session_state.get("analyze_track_id")
    if track_id is None:
        return "analyze_result" in st.session_state
    try:
        workspace.track(track_id)
    except NotFoundError:
        forget_shown("The track shown here was deleted (in History), so its analysis is "
                     "no longer shown.")
        return False
    return True


def show_result() -> None:
    result, reference = st.session_state["analyze_result"]
    track_id = st.session_state.get("analyze_track_id")
    pair = None
    if reference is not None:
        pair = analyses.level_matched_pair(
            workspace, track_id, st.session_state.get("analyze_reference_id"), result,
            reference)
    views.analysis_view(result, workspace.audio_path_of(track_id), reference, pair)
    if track_id is None:
        return
    auto = st.session_state.pop("auto_feedback", None) == track_id
    project_id = st.session_state["analyze_project_id"]
    conversation.feedback_section(
        workspace, result, track_id=track_id, project_id=project_id,
        profile=st.session_state.get("feedback_profile", "detailed"),
        name=result.file_name or "track", auto=auto,
        passages=conversation.knowledge_passages(user.id))
    with st.expander("Preset recommendations", icon=":material/tune:"):
        chain = reports.presets_view(result, "analyze")
    reports.track_report_button(
        workspace, result, track_id=track_id, track_name=result.file_name or "track",
        session_name=workspace.project_names().get(project_id, ""),
        profile=st.session_state.get("feedback_profile", "detailed"), chain=chain)


if resources.warm_status():  # a fresh server: show what still loads until it is ready
    with st.sidebar:
        warm_panel()

project_id = choose_project()
main_upload = st.file_uploader("Track", key="main_upload", type=list(UPLOAD_TYPES))
reference_upload = st.file_uploader("Reference track (optional)", key="reference_upload",
                                    type=list(UPLOAD_TYPES))
options = choose_options()

chosen = identity(main_upload)
if chosen is not None and chosen != st.session_state.get("analyze_input", chosen):
    shown = st.session_state.get("analyze_result")
    previous = escape_markdown(shown[0].file_name or "the previous track") if shown else None
    forget_shown(None if previous is None else f"A new file is chosen: the analysis of "
                 f"{previous} is no longer shown here (History keeps it).")
if chosen is not None:
    st.session_state["analyze_input"] = chosen

if st.button("Analyze", type="primary", disabled=main_upload is None):
    assert main_upload is not None
    submit(main_upload, reference_upload, project_id, options)
elif resources.queued() and not st.session_state.get("analyze_resumed"):
    st.session_state["analyze_resumed"] = True  # a new session: once, from the database
    if (latest := jobs.resumable_job(workspace, RESUME_WITHIN_S)) is not None:
        st.session_state["analyze_job_id"] = latest.id
elif ("analyze_job_id" not in st.session_state and "analyze_result" not in st.session_state
      and (running := jobs.active_jobs(workspace))):  # a reload while an analysis runs
    st.session_state["analyze_job_id"] = running[0].id

if note := st.session_state.pop("analyze_note", None):
    st.info(note, icon=":material/info:")
if (job_id := st.session_state.get("analyze_job_id")) is not None:
    follow(job_id)
if "analyze_result" in st.session_state and shown_track_exists():
    show_result()
elif (note := st.session_state.pop("analyze_note", None)) is not None:
    st.info(note, icon=":material/info:")
