"""Analyze: upload a track (and a reference), say what it is, see what is wrong with it.

Thin page: the upload is checked and stored by zz_core.services.uploads, the engine runs
in a worker process, zz_core.services.analyses reuses or keeps the result, ui.views draws it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from ui import conversation, reports, resources, views
from ui.auth import require_user
from zz_core.errors import ZzError
from zz_core.judge.genres import context_rules, list_genres
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_file
from zz_core.services import analyses, uploads
from zz_core.services.workspace import Workspace
from zz_core.vocab import CONTEXTS, UPLOAD_TYPES

OTHER_SUBGENRE = "Other (type it)"
GENERIC_GENRE = "Generic (no genre)"
NEW_SESSION = "+ New session"

user = require_user()
workspace = Workspace(resources.engine(), user.id, resources.settings().data_dir)
st.title("Analyze a track")


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


def analyse(track_id_key: str, upload: st.runtime.uploaded_file_manager.UploadedFile,
            project_id: int | None, role: str, options: AnalysisOptions,
            reference_of: int | None = None) -> AnalysisResult:
    """Store the upload (checked as audio first), reuse or run the analysis, keep it."""
    track = uploads.store_upload(workspace, project_id, upload.getvalue(), upload.name, role,
                                 reference_of=reference_of).track
    st.session_state[track_id_key] = track.id
    analysed = analyses.analyse_track(workspace, track, options, run=in_worker)
    if analysed.reused:
        st.write("Same audio analysed before with these options: reusing that analysis.")
    return analysed.result


def in_worker(path: Path, options: AnalysisOptions) -> AnalysisResult:
    """Analyse in the shared worker process pool (never blocking other sessions)."""
    return resources.analysis_pool().submit(analyze_file, path, options).result()


project_id = choose_project()
main_upload = st.file_uploader("Track", key="main_upload",
                               type=list(UPLOAD_TYPES))
reference_upload = st.file_uploader("Reference track (optional)", key="reference_upload",
                                    type=list(UPLOAD_TYPES))
options = choose_options()

if st.button("Analyze", type="primary", disabled=main_upload is None):
    assert main_upload is not None
    with st.status("Analysing...", expanded=True) as status:
        created = None
        try:
            if project_id is None:
                created = project_id = workspace.create_project(
                    st.session_state.get("new_session_name", "")).id
            st.write("Checking and storing the upload...")
            result = analyse("analyze_track_id", main_upload, project_id, "main", options)
            reference = None
            if reference_upload is not None:
                st.write("Analysing the reference...")
                main_id = st.session_state["analyze_track_id"]
                reference = analyse("analyze_reference_id", reference_upload, project_id,
                                    "reference", options, reference_of=main_id)
                # History shows the comparison
                result = analyses.compare_and_save(workspace, main_id, result, reference)
            st.session_state["analyze_result"] = (result, reference)
            st.session_state["analyze_project_id"] = project_id
            st.session_state["auto_feedback"] = st.session_state.get("analyze_track_id")
            if created is not None:
                st.session_state["analyze_created_session"] = created
            status.update(label="Analysis complete", state="complete", expanded=False)
        except ZzError as error:
            if created is not None:  # a failed first upload leaves no empty session behind
                workspace.delete_project(created)
            status.update(label="This file could not be analysed", state="error")
            st.error(f"Nothing was stored. {error}")

if "analyze_result" in st.session_state:
    result, reference = st.session_state["analyze_result"]
    track_id = st.session_state.get("analyze_track_id")
    pair = None
    if reference is not None:
        pair = analyses.level_matched_pair(workspace, track_id,
                                           st.session_state.get("analyze_reference_id"),
                                           result, reference)
    views.analysis_view(result, workspace.audio_path_of(track_id), reference, pair)
    if track_id is not None:
        auto = st.session_state.pop("auto_feedback", None) == track_id
        conversation.feedback_section(
            workspace, result, track_id=track_id,
            project_id=st.session_state["analyze_project_id"],
            profile=st.session_state.get("feedback_profile", "detailed"),
            name=result.file_name or "track", auto=auto,
            passages=conversation.knowledge_passages(user.id))
        with st.expander("Preset recommendations", icon=":material/tune:"):
            chain = reports.presets_view(result, "analyze")
        project_names = workspace.project_names()
        reports.track_report_button(
            workspace, result, track_id=track_id, track_name=result.file_name or "track",
            session_name=project_names.get(st.session_state["analyze_project_id"], ""),
            profile=st.session_state.get("feedback_profile", "detailed"), chain=chain)
