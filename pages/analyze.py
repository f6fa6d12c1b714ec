"""Analyze: upload a track (and a reference), say what it is, see what is wrong with it.

Thin page: zz_core.services.jobs keeps the upload (its header and first seconds checked)
and queues its analysis; the page follows the job's record (progress, then the result or
the reason it failed, with a Retry while the upload is kept) and ui.views draws it.

Several tracks uploaded at once go into the chosen session as one job each (each compared
with the reference when there is one), with a progress bar per file; a file refused or
failing fails alone, with its reason, and the producer picks which analysis to view.

On the queue (``ZZ_QUEUE_URL``) the analysis runs on another machine: the page follows
the record in a fragment refreshed every second, and a new session (a reload, or another
replica answering) finds the job of the user's latest upload in the database, running or
finished a moment ago, and shows it.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from ui import conversation, job_status, reports, resources, versions, views
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
# (No bare strings at the top level of a page: Streamlit's magic would show them.)
RESUME_WITHIN_S = 600.0  # on the queue, a new session shows an analysis finished this recently
SHOWN = ("analyze_result", "analyze_track_id", "analyze_reference_id", "analyze_project_id",
         "auto_feedback", "analyze_shown_job")  # the analysis on show (a new file clears it)
BATCH = ("analyze_batch", "analyze_names", "analyze_refused", "analyze_pick")
# several files analysed at once: their jobs, the files' names by job, the files refused on
# upload (name, reason) and which analysis is picked for view

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
    context = columns[0].selectbox(
        "Track context", CONTEXTS, format_func=lambda c: context_rules(c).label,
        help="\n\n".join(f"**{context_rules(c).label}**: {context_rules(c).description}"
                          for c in CONTEXTS))
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
    st.caption(f"{context_rules(context).label}: {context_rules(context).description}")
    conversation.profile_picker("feedback_profile")
    return AnalysisOptions.model_validate({"context": context, "genre": genre,
                                           "subgenre": sub})


def identity(uploaded: list[UploadedFile]) -> tuple[tuple[str, str, int], ...] | None:
    """Which files the uploader holds (a new choice changes it)."""
    return tuple((u.file_id, u.name, u.size) for u in uploaded) or None


def forget_shown(note: str | None = None) -> None:
    """Stop showing the previous analysis (and its chat); ``note`` says why."""
    for key in (*SHOWN, *BATCH, "analyze_job_id"):
        st.session_state.pop(key, None)
    if note:
        st.session_state["analyze_note"] = note


def refusal(error: ZzError) -> str:
    """The sentence for an upload that was refused (nothing was stored)."""
    if isinstance(error, uploads.StorageFullError):
        return f"Nothing was stored: {error}."
    return f"This file could not be analysed: {error}. Nothing was stored."


def submit(uploaded: list[UploadedFile], reference: UploadedFile | None,
           project_id: int | None, options: AnalysisOptions) -> None:
    """Keep the upload(s) and queue one analysis per track; the jobs are followed below.
    Several tracks go into one session (the first one kept makes a new session) and a
    refused file is refused alone."""
    forget_shown()
    started: dict[int, str] = {}
    refused: list[tuple[str, str]] = []
    for upload in uploaded:
        try:
            job = jobs.start_analysis(
                workspace, runner, project_id, jobs.Upload(upload.getvalue(), upload.name),
                options, new_project_name=st.session_state.get("new_session_name", ""),
                reference=None if reference is None else jobs.Upload(reference.getvalue(),
                                                                     reference.name),
                previous_version_of=st.session_state.get(versions.PREVIOUS_KEY))
        except ZzError as error:
            refused.append((upload.name, refusal(error)))
            continue
        started[job.id] = upload.name
        project_id = job.project_id
        if job.project_created:
            st.session_state["analyze_created_session"] = job.project_id
    if len(uploaded) == 1:
        for _, reason in refused:
            st.error(reason, icon=":material/block:")
        if started:
            st.session_state["analyze_job_id"] = next(iter(started))
        return
    st.session_state["analyze_batch"] = list(started)
    st.session_state["analyze_names"] = started
    st.session_state["analyze_refused"] = refused


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
    st.session_state.pop("analyze_job_id", None)
    outcome = keep_shown(job)
    if outcome is not None and outcome.reused:
        st.write(job.stage)


def keep_shown(job: jobs.JobRecord) -> jobs.JobOutcome | None:
    """Put a done job's analysis on show (None when it has nothing to show)."""
    outcome = jobs.job_outcome(workspace, job)
    if outcome is None:
        return None
    st.session_state["analyze_result"] = (outcome.result, outcome.reference)
    st.session_state["analyze_track_id"] = job.track_id
    st.session_state["analyze_reference_id"] = job.reference_track_id
    st.session_state["analyze_project_id"] = job.project_id
    st.session_state["auto_feedback"] = job.track_id
    st.session_state["analyze_shown_job"] = job.id
    return outcome


def follow_batch(job_ids: list[int]) -> None:
    """Follow several files' jobs (a progress bar each) until all have ended; then each
    failure with its file's name, reason and Retry, and a choice of the analysis to view
    (the first done one until the producer picks another)."""
    for name, reason in st.session_state.get("analyze_refused", []):
        st.error(f"{escape_markdown(name)}: {reason}", icon=":material/block:")
    batch = []
    for job_id in job_ids:
        try:
            batch.append(jobs.get_job(workspace, job_id))
        except NotFoundError:
            continue
    known = st.session_state.get("analyze_names", {})  # a failed file's track is gone
    names = {job.id: known.get(job.id) or job_status.job_name(workspace, job)
             for job in batch}
    if resources.queued() and not all(job.finished for job in batch):
        job_status.follow_many_live(workspace, batch, names)  # reruns once all have ended
        return
    batch = job_status.follow_many(workspace, batch, names)
    for job in batch:
        if job.state == "failed":
            job_status.failure(workspace, job, f"analyze_retry_{job.id}",
                               escape_markdown(names[job.id]))
    done = [job for job in batch if job.state == "done"]
    if not done:
        return
    shown = st.session_state.get("analyze_shown_job")
    picked = st.selectbox(
        "Show the analysis of", [job.id for job in done], key="analyze_pick",
        index=next((i for i, job in enumerate(done) if job.id == shown), 0),
        format_func=names.__getitem__,
        help=f"{len(done)} of {len(batch)} files analysed; each is kept in its session in "
             "History as well.")
    if picked != shown:
        keep_shown(next(job for job in done if job.id == picked))


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
    versions.versions_panel(workspace, track_id, result)
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
main_uploads = st.file_uploader(
    "Track (or several at once)", key="main_upload", type=list(UPLOAD_TYPES),
    accept_multiple_files=True,
    help="Several tracks go into the chosen session, each analysed on its own (and each "
         "compared with the reference when there is one).")
reference_upload = st.file_uploader("Reference track (optional)", key="reference_upload",
                                    type=list(UPLOAD_TYPES))
versions.previous_picker(workspace, project_id)
options = choose_options()

chosen = identity(main_uploads)
if chosen is not None and chosen != st.session_state.get("analyze_input", chosen):
    shown = st.session_state.get("analyze_result")
    previous = escape_markdown(shown[0].file_name or "the previous track") if shown else None
    forget_shown(None if previous is None else f"A new file is chosen: the analysis of "
                 f"{previous} is no longer shown here (History keeps it).")
if chosen is not None:
    st.session_state["analyze_input"] = chosen

clicked = st.button("Analyze", type="primary", disabled=not main_uploads)
# what the jobs say sits in one container, so the analysis below keeps its place in the
# page from run to run (a player that moved would be mounted again, losing its position)
with st.container():
    if clicked:
        submit(main_uploads, reference_upload, project_id, options)
    elif resources.queued() and not st.session_state.get("analyze_resumed"):
        st.session_state["analyze_resumed"] = True  # a new session: once, from the database
        if (latest := jobs.resumable_job(workspace, RESUME_WITHIN_S)) is not None:
            st.session_state["analyze_job_id"] = latest.id
    elif ("analyze_job_id" not in st.session_state
          and "analyze_result" not in st.session_state
          and "analyze_batch" not in st.session_state
          and (running := jobs.active_jobs(workspace))):  # a reload while analyses run
        if len(running) == 1:
            st.session_state["analyze_job_id"] = running[0].id
        else:
            st.session_state["analyze_batch"] = [job.id for job in reversed(running)]

    if note := st.session_state.pop("analyze_note", None):
        st.info(note, icon=":material/info:")
    if (job_id := st.session_state.get("analyze_job_id")) is not None:
        follow(job_id)
    if (batch := st.session_state.get("analyze_batch")) is not None:
        follow_batch(batch)
if "analyze_result" in st.session_state and shown_track_exists():
    show_result()
elif (note := st.session_state.pop("analyze_note", None)) is not None:
    st.info(note, icon=":material/info:")
