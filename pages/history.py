"""History & Compare, two views behind one switch (kept in the URL, so a reload or a
shared link opens the same view):

- Sessions: sessions and their tracks (rename, move, delete) and any past track reviewed
  exactly as on Analyze (player, issues, views, feedback, presets, downloads);
- Compare: tracks from any sessions side by side (ui/compare.py), the selection kept while
  the producer is on other pages.
"""

from __future__ import annotations

import streamlit as st

from ui import conversation, job_status, reports, resources, versions, views
from ui.auth import require_user
from ui.compare import compare_view
from zz_core.errors import ZzError
from zz_core.judge.models import AnalysisResult
from zz_core.services import analyses, jobs

user = require_user()
workspace = resources.workspace(user.id)
st.title("History & Compare")
VIEWS = ("Sessions", "Compare")


@st.dialog("Delete for good?")
def confirm_delete(kind: str, item_id: int | None, label: str) -> None:
    st.text(f"Delete {kind} '{label}' and everything in it? This cannot be undone.")
    if st.button("Delete", type="primary"):
        if kind == "session":
            workspace.delete_project(item_id)
        else:
            workspace.delete_track(item_id)
        st.rerun()


def session_panel() -> int | None:
    projects = workspace.projects()
    if not projects:
        st.info("No sessions yet: analyse a track on the Analyze page to start one.")
    with st.expander("New session"):
        name = st.text_input("Name", max_chars=100, key="history_new_session")
        if st.button("Create", key="history_create") and name.strip():
            workspace.create_project(name)
            st.rerun()
    if not projects:
        return None
    names = {p.id: p.name for p in projects}
    project_id = st.selectbox("Session", list(names), format_func=names.__getitem__,
                              key="history_session")
    columns = st.columns([3, 1, 1])
    new_name = columns[0].text_input("Rename session", value=names[project_id],
                                     max_chars=100, key=f"rename_session_{project_id}")
    if columns[1].button("Rename", key="rename_session") and new_name.strip():
        workspace.rename_project(project_id, new_name)
        st.rerun()
    if columns[2].button("Delete session", key="delete_session"):
        confirm_delete("session", project_id, names[project_id])
    return project_id


def track_panel(project_id: int) -> None:
    tracks = workspace.tracks(project_id)
    if not tracks:
        st.info("This session has no tracks yet.")
        return
    labels = {t.id: f"{t.original_name} · {t.created_at:%Y-%m-%d} · {t.role}" for t in tracks}
    track_id = st.selectbox("Track", list(labels), format_func=labels.__getitem__,
                            key="history_track")
    track = next(t for t in tracks if t.id == track_id)
    manage_track(track_id, track.original_name, project_id)
    result = analyses.latest_analysis(workspace, track_id)
    if result is None:
        result = analysis_job(track_id)
    if result is None:
        return
    reference = analyses.reference_for(workspace, track_id) if result.comparison else None
    if reference is None:
        views.analysis_view(result, workspace.audio_path(track))
    else:
        reference_track, reference_result = reference
        pair = analyses.level_matched_pair(workspace, track_id, reference_track.id, result,
                                           reference_result)
        views.analysis_view(result, workspace.audio_path(track), reference_result, pair)
    versions.history_view(workspace, track_id, result)
    assert track_id is not None
    profile = conversation.profile_picker("history_profile")
    conversation.feedback_section(workspace, result, track_id=track_id,
                                  project_id=project_id, profile=profile,
                                  name=track.original_name,
                                  passages=conversation.knowledge_passages(user.id))
    with st.expander("Preset recommendations", icon=":material/tune:"):
        chain = reports.presets_view(result, "history")
    session_name = next((p.name for p in workspace.projects() if p.id == project_id), "")
    reports.track_report_button(workspace, result, track_id=track_id,
                                track_name=track.original_name, session_name=session_name,
                                profile=profile, chain=chain)


def analysis_job(track_id: int | None) -> AnalysisResult | None:
    """A track without an analysis: its job still running (followed here), or failed
    ("analysis failed" with its reason and a Retry while the upload is kept)."""
    job = jobs.latest_job(workspace, track_id)
    if job is None:
        st.warning("This track has no stored analysis.")
        return None
    job = job_status.follow(workspace, job)
    if job.state == "failed":
        st.warning("The analysis of this track failed.", icon=":material/warning:")
        job_status.failure(workspace, job, f"history_retry_{track_id}")
        return None
    return analyses.latest_analysis(workspace, track_id)


def manage_track(track_id: int | None, name: str, project_id: int | None) -> None:
    with st.expander("Rename, move or delete this track"):
        new_name = st.text_input("Name", value=name, max_chars=200, key=f"track_name_{track_id}")
        if st.button("Rename track") and new_name.strip():
            workspace.rename_track(track_id, new_name)
            st.rerun()
        others = {p.id: p.name for p in workspace.projects() if p.id != project_id}
        if others:
            target = st.selectbox("Move to session", list(others),
                                  format_func=others.__getitem__, key=f"move_{track_id}")
            if st.button("Move track"):
                workspace.move_track(track_id, target)
                st.rerun()
        if st.button("Delete track"):
            confirm_delete("track", track_id, name)


def chosen_view() -> str:
    """The view switch, restored from the ``view`` query parameter."""
    if "history_view" not in st.session_state:
        asked = str(st.query_params.get("view", "")).capitalize()
        st.session_state["history_view"] = asked if asked in VIEWS else VIEWS[0]
    view = st.segmented_control("View", VIEWS, key="history_view",
                                label_visibility="collapsed") or VIEWS[0]
    if view == VIEWS[0]:
        st.query_params.pop("view", None)
    else:
        st.query_params["view"] = view.lower()
    return view


try:
    if chosen_view() == "Compare":
        compare_view(workspace)
    else:
        selected = session_panel()
        if selected is not None:
            track_panel(selected)
except ZzError as error:
    st.error(str(error))
