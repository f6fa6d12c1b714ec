"""The Compare view of the History & Compare page: two or more of the user's tracks
from any sessions side by side: a player with every track level-matched (A/B/C/D,
switching keeps the position), the album view (headline figures, short-term loudness and
level-matched spectra) and the cohesion summary with its narrative and PDF.

The selection survives leaving the page (session state) and a reload or a shared link
(the ``tracks`` query parameter: track ids, checked against the user's own tracks).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui import conversation, listening, player, plots, reports
from ui.views import AUDIO_GONE, PLAYER_HINT
from zz_core.judge.album import cohesion_summary
from zz_core.judge.models import AnalysisResult
from zz_core.measure.levelmatch import matched_gains_db
from zz_core.services import analyses
from zz_core.services.workspace import Workspace

SELECTION = "compare_selection"  # the picked track ids, kept while on other pages
PICKER = "compare_picker"
QUERY = "tracks"
MAX_HEARD = 4  # the player takes the first this many picked tracks (A-D)

@dataclass(frozen=True)
class Choice:
    """A track the user may pick: its session, name, role and when it was uploaded."""

    track_id: int
    project_id: int
    label: str
    name: str


def choices(workspace: Workspace) -> dict[int, Choice]:
    """Every track of every session of the user, newest session first."""
    found: dict[int, Choice] = {}
    for project in workspace.projects():
        for track in workspace.tracks(project.id):
            assert track.id is not None
            found[track.id] = Choice(
                track.id, track.project_id,
                f"{project.name} · {track.original_name} · {track.created_at:%Y-%m-%d} · "
                f"{track.role}", track.original_name)
    return found


def from_query(known: dict[int, Choice]) -> list[int]:
    """The ids in the ``tracks`` query parameter that are the user's own tracks."""
    wanted = []
    for part in str(st.query_params.get(QUERY, "")).split(","):
        if part.strip().isdigit() and int(part) in known and int(part) not in wanted:
            wanted.append(int(part))
    return wanted


def remember() -> None:
    """Keep the picker's choice for other pages (session state) and reloads (the URL)."""
    picked = list(st.session_state.get(PICKER, []))
    st.session_state[SELECTION] = picked
    if picked:
        st.query_params[QUERY] = ",".join(map(str, picked))
    else:
        st.query_params.pop(QUERY, None)


def pick(known: dict[int, Choice]) -> list[int]:
    """The picker, restored from this session's selection or else the URL."""
    if SELECTION not in st.session_state:
        st.session_state[SELECTION] = from_query(known)
    kept = [i for i in st.session_state[SELECTION] if i in known]
    if PICKER not in st.session_state:
        st.session_state[PICKER] = kept
    picked: list[int] = st.multiselect(
        "Tracks to compare (any sessions)", list(known), key=PICKER,
        format_func=lambda i: known[i].label,
        help="Session · track · upload date · role. The first four are on the player.")
    remember()
    return picked


def names(workspace: Workspace, picked: list[int], known: dict[int, Choice]) -> dict[int, str]:
    """A short name per track for legends and columns (the session added when two
    tracks share a name)."""
    counts: dict[str, int] = {}
    for i in picked:
        counts[known[i].name] = counts.get(known[i].name, 0) + 1
    projects = workspace.project_names()
    return {i: known[i].name if counts[known[i].name] == 1
            else f"{known[i].name} ({projects.get(known[i].project_id, '')})" for i in picked}


def matched(workspace: Workspace,
            heard: list[tuple[int, str, AnalysisResult]]) -> list[player.Source]:
    """The tracks on the player, each level-matched to the quietest (its copy turned
    down); tracks whose audio is gone are left out."""
    if not heard:
        return []
    quietest = min(heard, key=lambda h: h[2].loudness.integrated_lufs
                   if h[2].loudness.integrated_lufs is not None else float("inf"))
    tracks: list[tuple[str, Path, AnalysisResult, float]] = []
    for track_id, name, result in heard:
        if track_id == quietest[0]:
            path = workspace.audio_path_of(track_id)
            gain = 0.0
        else:
            pair = analyses.level_matched_pair(workspace, track_id, quietest[0], result,
                                               quietest[2])
            path = None if pair is None else pair[0]
            gain = matched_gains_db(result.loudness.integrated_lufs,
                                    quietest[2].loudness.integrated_lufs)[0]
        if path is not None:
            tracks.append((name, path, result, gain))
    return listening.compared_sources(tracks)


def listen(workspace: Workspace, heard: list[tuple[int, str, AnalysisResult]]) -> None:
    st.subheader("Listen")
    with st.spinner("Preparing level-matched copies..."):
        sources = matched(workspace, heard)
    if not sources:
        st.info(AUDIO_GONE, icon=":material/music_off:")
        return
    key = "compare_" + hashlib.sha256(",".join(str(h[0]) for h in heard).encode()).hexdigest()[:12]
    st.caption("Every track at the quietest one's integrated loudness, so you hear balance, "
               "not level; each shows its own issues.")
    player.waveform_player(sources, [], key=key, hint=PLAYER_HINT)


def album_view(results: list[tuple[str, AnalysisResult]]) -> None:
    st.subheader("Side by side")
    st.dataframe(plots.metrics_table(results), hide_index=True, width="stretch")
    st.plotly_chart(plots.overlay_loudness_figure(results), width="stretch",
                    key="compare_loudness")
    st.plotly_chart(plots.overlay_spectrum_figure(results), width="stretch",
                    key="compare_spectra")


def cohesion(workspace: Workspace, results: list[tuple[str, AnalysisResult]],
             picked: list[int], known: dict[int, Choice]) -> None:
    summary = cohesion_summary(results)
    st.subheader("Cohesion")
    for observation in summary.observations:
        st.markdown(f"- {conversation.plain(observation)}")
    st.subheader("Album narrative")
    profile = conversation.profile_picker("album_profile", "Narrative profile")
    narrative = conversation.album_section(workspace, results, summary, profile,
                                           known[picked[0]].project_id, tuple(picked))
    reports.album_report_button(results, summary, narrative, "-".join(map(str, picked)))


def compare_view(workspace: Workspace) -> None:
    """The picker, then the player, the side-by-side figures and the cohesion summary."""
    known = choices(workspace)
    if len(known) < 2:
        st.info("Compare needs two analysed tracks: analyse them on the Analyze page (any "
                "sessions).")
        return
    picked = pick(known)
    if len(picked) < 2:
        st.caption("Pick two or more tracks: an album's songs, a mix's versions, your track "
                   "and a reference.")
        return
    short = names(workspace, picked, known)
    analysed = [(i, short[i], r) for i in picked
                if (r := analyses.latest_analysis(workspace, i)) is not None]
    if len(analysed) < 2:
        st.warning("Fewer than two of these tracks have an analysis yet.")
        return
    listen(workspace, analysed[:MAX_HEARD])
    results = [(name, result) for _, name, result in analysed]
    album_view(results)
    cohesion(workspace, results, [i for i, _, _ in analysed], known)
