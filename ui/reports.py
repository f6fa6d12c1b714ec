"""Preset recommendations on the page and the downloads of an analysis: the PDF report,
its JSON (exactly ``analyze --json``) and CSVs (headline figures, issues), each built on
click."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from zz_core.advise.feedback import Feedback
from zz_core.advise.presets import PresetChain, recommend_presets
from zz_core.judge.album import CohesionSummary
from zz_core.judge.models import AnalysisResult
from zz_core.output.report import setting_value
from zz_core.services import exports, reports
from zz_core.services.workspace import Workspace
from zz_core.text import escape_markdown
from zz_core.vocab import Naming, Profile

NAMINGS: tuple[Naming, ...] = ("generic", "ableton")
NAMING_LABELS = {"generic": "Generic (any DAW)", "ableton": "Ableton Live devices"}


def presets_view(result: AnalysisResult, key: str) -> PresetChain:
    """The preset chain for the track, device by device, in the chosen naming."""
    naming: Naming = st.radio("Device names", NAMINGS, format_func=NAMING_LABELS.__getitem__,
                              horizontal=True, key=f"naming_{key}")
    chain = recommend_presets(result, naming)
    for device in chain.devices:
        st.markdown(f"**{escape_markdown(device.device)}** · {device.kind}")
        st.caption(escape_markdown(device.purpose))
        st.table(pd.DataFrame([{"Setting": s.name, "Value": setting_value(s),
                               "Why": s.note} for s in device.settings]),
                 hide_index=True)
    for note in chain.notes:
        st.text(f"• {note}")
    return chain


def track_report_button(workspace: Workspace, result: AnalysisResult, *, track_id: int,
                        track_name: str, session_name: str, profile: Profile,
                        chain: PresetChain) -> None:
    def build() -> bytes:
        return reports.stored_track_report(workspace, result, track_id=track_id,
                                           track_name=track_name, session_name=session_name,
                                           profile=profile, presets=chain)

    stem = _stem(track_name)
    columns = st.columns(4)
    columns[0].download_button("PDF report", data=build, file_name=f"zoundzcope-{stem}.pdf",
                               mime="application/pdf", icon=":material/picture_as_pdf:",
                               key=f"report_{track_id}", width="stretch",
                               help="The whole review as a document to share")
    columns[1].download_button("Analysis (JSON)", data=lambda: exports.analysis_json(result),
                               file_name=f"zoundzcope-{stem}.json", mime="application/json",
                               icon=":material/data_object:", key=f"json_{track_id}",
                               width="stretch",
                               help="Every figure and series, exactly as `analyze --json`")
    columns[2].download_button("Figures (CSV)", data=lambda: exports.figures_csv(result),
                               file_name=f"zoundzcope-{stem}-figures.csv", mime="text/csv",
                               icon=":material/table_chart:", key=f"csv_{track_id}",
                               width="stretch",
                               help="The headline figures, one row (the batch CSV's columns)")
    columns[3].download_button("Issues (CSV)", data=lambda: exports.issues_csv(result),
                               file_name=f"zoundzcope-{stem}-issues.csv", mime="text/csv",
                               icon=":material/table_rows:", key=f"issues_csv_{track_id}",
                               width="stretch",
                               help="One row per located stretch of each issue, in m:ss and s")


def album_report_button(named: list[tuple[str, AnalysisResult]], cohesion: CohesionSummary,
                        narrative: Feedback | None, key: str) -> None:
    def build() -> bytes:
        return reports.album_report(named, cohesion, narrative,
                                    session_name="Multi-track comparison",
                                    created_at=datetime.now(UTC))

    st.download_button("Download the comparison as PDF", data=build,
                       file_name="zoundzcope-comparison.pdf", mime="application/pdf",
                       icon=":material/picture_as_pdf:", key=f"album_report_{key}")


def _stem(track_name: str) -> str:
    """A file-name stem from a track's name: letters, digits, - and _ only."""
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in track_name.rsplit(".", 1)[0])
    return stem.strip("-")[:60] or "track"

