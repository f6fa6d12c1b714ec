"""Analyze page (first cut): upload a track, run the engine, show the headline figures.

The full page (accounts, sessions, plots, feedback) grows here; it never measures
anything itself, it only shows what zz_core returns.
"""

from __future__ import annotations

import streamlit as st

from zz_core.analysis import AnalysisOptions, AnalysisResult, analyze_audio
from zz_core.decoding import decode_bytes
from zz_core.errors import ZzError
from zz_core.genres import CONTEXTS, context_rules, list_genres

st.title("Analyze a track")

upload = st.file_uploader("Track (WAV, AIFF, FLAC, OGG, MP3; M4A/OPUS with ffmpeg)")
columns = st.columns(3)
context = columns[0].selectbox("Track context", CONTEXTS,
                               format_func=lambda c: context_rules(c).label)
genres = {g.slug: g for g in list_genres()}
genre = columns[1].selectbox("Genre", [None, *genres],
                             format_func=lambda g: "Generic" if g is None else genres[g].label)
subgenre = columns[2].text_input("Subgenre (optional)")


def fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f} {unit}".rstrip()


def show(result: AnalysisResult) -> None:
    lo = result.loudness
    cards = st.columns(4)
    cards[0].metric("Integrated", fmt(lo.integrated_lufs, "LUFS"))
    cards[1].metric("True peak", fmt(lo.true_peak_dbtp, "dBTP"))
    cards[2].metric("LRA", fmt(lo.lra_lu, "LU"))
    cards[3].metric("PLR", fmt(lo.plr_db, "dB"))
    cards = st.columns(4)
    cards[0].metric("Tempo", fmt(result.tempo.bpm, "BPM"))
    cards[1].metric("Key", result.key.label or "n/a")
    cards[2].metric("Width", fmt(result.stereo.width, digits=2))
    cards[3].metric("Correlation", fmt(result.stereo.correlation, digits=2))
    st.subheader("Issues")
    if not result.issues:
        st.success("No issues found.")
    for issue in result.issues:
        st.text(f"[{issue.severity}] {issue.code}: {issue.message}")


if upload is not None and st.button("Analyze", type="primary"):
    with st.status("Analysing...") as status:
        try:
            audio = decode_bytes(upload.getvalue(), upload.name)
            options = AnalysisOptions(context=context, genre=genre, subgenre=subgenre or None)
            st.session_state["result"] = analyze_audio(audio, options, file_name=upload.name)
            status.update(label="Done", state="complete")
        except ZzError as error:
            status.update(label="Could not analyse this file", state="error")
            st.error(f"{upload.name}: {error}")

if "result" in st.session_state:
    show(st.session_state["result"])
