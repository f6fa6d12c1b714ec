"""Versions of a song on the pages: the "New version of ..." choice on upload, what changed
since the previous version (Analyze and History), a song's versions over time (History)
and the level-matched A/B between a version and the one before it on the player.

Everything shown comes from the stored analyses (``AnalysisResult.changes``,
``zz_core.services.versions``); figures are written through ``zz_core.advise.figures``
and ``zz_core.fmt``; every name from a user is shown as text.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from ui import listening, player
from zz_core.advise.changes import change_facts, codes_text
from zz_core.advise.figures import SIGNED_METRICS, difference_unit, metric_text
from zz_core.judge.comparison import METRICS, metric_value
from zz_core.judge.models import AnalysisResult, Changes
from zz_core.services import versions
from zz_core.services.workspace import Workspace
from zz_core.text import escape_markdown

PREVIOUS_KEY = "analyze_previous"
"""Session key of the track the next upload is a new version of (None: a new song)."""
TREND_WORDS = {"improved": "improved", "regressed": "worse", "unchanged": "within margin",
               "changed": "moved"}
VERSION_FIGURES = (("loudness.integrated_lufs", "Integrated"), ("loudness.true_peak_dbtp",
                   "True peak"), ("loudness.plr_db", "PLR"), ("loudness.lra_lu", "LRA"),
                   ("stereo.width", "Width"), ("stereo.correlation", "Correlation"))
"""The figures of the versions table: (metric path, column)."""
AB_HINT = ("A is this version, B the previous one, both at equal integrated loudness (the "
           "louder turned down): you hear what the change did, not a level difference.")


def previous_picker(workspace: Workspace, project_id: int | None) -> int | None:
    """The "New version of ..." choice of the upload form: one of the user's tracks in
    the chosen session, or none (a new song)."""
    candidates = versions.version_candidates(workspace, project_id)
    if st.session_state.get(PREVIOUS_KEY) not in (None, *candidates):
        st.session_state.pop(PREVIOUS_KEY)  # another session was chosen
    chosen: int | None = st.selectbox(
        "New version of ...", [None, *candidates], key=PREVIOUS_KEY,
        format_func=lambda i: "Nothing: a new song" if i is None else candidates[i],
        help="Pick the earlier version of this song: the analysis then says what your "
             "changes fixed, what is new and what is left, and A/B plays both versions "
             "level-matched.")
    return chosen


def changes_rows(changes: Changes) -> pd.DataFrame:
    """Every headline figure before and after, its change and its trend, as text with
    the figure's precision."""
    return pd.DataFrame([{
        "Figure": c.label,
        "Previous": metric_text(c.before, c.unit, sign=c.metric in SIGNED_METRICS),
        "This version": metric_text(c.after, c.unit, sign=c.metric in SIGNED_METRICS),
        "Change": metric_text(c.delta, difference_unit(c.unit), sign=True),
        "Verdict": TREND_WORDS[c.trend],
    } for c in changes.deltas.values()])


def versions_rows(found: list[versions.Version]) -> pd.DataFrame:
    """A song's versions over time: one row each with its headline figures and issues."""
    rows = []
    for version in found:
        result = version.result
        row = {"Version": f"v{version.number}", "Track": version.track.original_name,
               "Uploaded": f"{version.track.created_at:%Y-%m-%d %H:%M}"}
        for path, column in VERSION_FIGURES:
            row[column] = _figure(result, path)
        row["Issues"] = ("not analysed" if result is None
                         else codes_text([i.code for i in result.issues]) or "none")
        rows.append(row)
    return pd.DataFrame(rows)


def _figure(result: AnalysisResult | None, path: str) -> str:
    if result is None:
        return ""
    verdict = result.verdict(path)
    value, unit = _value(result, path)
    shown = metric_text(value, unit, sign=path in SIGNED_METRICS)
    return shown if verdict is None or verdict.status in ("good", "unknown") else \
        f"{shown} ({verdict.status})"


def _value(result: AnalysisResult, path: str) -> tuple[float | None, str]:
    unit = next((u for p, _, u in METRICS if p == path), "")
    return metric_value(result, path), unit


def changes_view(result: AnalysisResult) -> None:
    """What changed since the previous version (nothing when the track follows none)."""
    changes = result.changes
    if changes is None:
        return
    st.subheader("Since the previous version")
    for line in change_facts(changes):
        st.markdown(f"- {escape_markdown(line)}")
    st.dataframe(changes_rows(changes), hide_index=True, width="stretch")


def previous_ab(workspace: Workspace, track_id: int | None, result: AnalysisResult) -> None:
    """This version and the previous one on the player, level-matched (nothing when the
    track follows no analysed version; a note when either's audio is gone)."""
    if track_id is None:
        return
    previous = versions.previous_version(workspace, track_id, result)
    if previous is None:
        return
    st.subheader("A/B with the previous version")
    if previous.pair is None:
        st.caption("The audio of one of the two versions is no longer kept: A/B needs both.")
        return
    key = "versions_" + hashlib.sha256(f"{track_id}|{previous.track.id}".encode()).hexdigest()[:12]
    sources = listening.ab_sources(result, previous.result, previous.pair)
    player.waveform_player(sources, listening.issue_regions(result), key=key, hint=AB_HINT)


def versions_panel(workspace: Workspace, track_id: int | None, result: AnalysisResult) -> None:
    """Analyze and History: what changed since the previous version, then A/B with it."""
    changes_view(result)
    previous_ab(workspace, track_id, result)


def history_view(workspace: Workspace, track_id: int | None, result: AnalysisResult) -> None:
    """History: the song's versions over time (figures and issues of each), then what
    changed since the previous version and A/B with it."""
    found = versions.song_versions(workspace, track_id)
    if len(found) > 1:
        st.subheader("Versions of this song")
        st.dataframe(versions_rows(found), hide_index=True, width="stretch")
    versions_panel(workspace, track_id, result)
