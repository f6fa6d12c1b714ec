"""Streamlit renderings shared by the pages: one analysis (cards, issues, plots, platform
table) and a reference comparison. Everything shown comes from the stored analysis;
nothing is measured here, and every text from a user or a file is shown as text."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import cards, plots
from zz_core.fmt import clock_span, figure, number
from zz_core.judge.judging import judging_rules
from zz_core.judge.models import AnalysisResult
from zz_core.measure.levelmatch import matched_gains_db

STATUS_COLOUR = {"good": "green", "warn": "orange", "bad": "red", "unknown": "gray"}
SEVERITY_LABEL = {"critical": "CRITICAL", "warning": "WARNING", "info": "INFO"}


def metric_cards(result: AnalysisResult) -> None:
    """The eight headline figures, coloured against the context's and genre's targets."""
    shown = cards.headline_cards(result)
    for row in range(0, len(shown), 4):
        columns = st.columns(4)
        for column, card in zip(columns, shown[row:row + 4], strict=False):
            with column:
                st.metric(card.label, f"{card.value_text} {card.unit}".strip(), help=card.help)
                st.badge(card.status.upper(), color=STATUS_COLOUR[card.status])  # type: ignore[arg-type]


def issue_list(result: AnalysisResult) -> None:
    st.subheader("Issues")
    if not result.issues:
        st.success("No issues found for this context and genre.")
        return
    for issue in result.issues:
        where = clock_span(issue.start_s, issue.end_s)
        st.text(f"{SEVERITY_LABEL[issue.severity]} · {issue.code} [{where}]: {issue.message}")


def analysis_view(result: AnalysisResult, audio_path: Path | None,
                  reference: AnalysisResult | None = None,
                  ab_pair: tuple[Path, Path] | None = None) -> None:
    """Everything about one analysed track; with a reference, the comparison too."""
    st.caption(f"{result.file_name or 'track'} · {figure(result.duration_s, 's')} · "
               f"{result.sample_rate_hz} Hz · {result.channels} ch · "
               f"{result.context} · {result.genre.display_label}")
    if audio_path is not None and audio_path.exists():
        st.audio(str(audio_path))
    elif audio_path is None:
        st.info("The audio of this track has expired or was removed; its analysis is kept.")
    metric_cards(result)
    issue_list(result)
    tabs = st.tabs(["Waveform", "Loudness", "Spectrum", "Stereo", "Dynamics", "Platforms"])
    with tabs[0]:
        st.plotly_chart(plots.waveform_figure(result), width="stretch")
    with tabs[1]:
        targets, rules = judging_rules(result)
        st.plotly_chart(plots.loudness_figure(result, rules.loudness_range(targets).mid),
                        width="stretch")
    with tabs[2]:
        st.plotly_chart(plots.spectrum_figure(result, reference), width="stretch")
        st.plotly_chart(plots.band_figure(result, reference), width="stretch")
    with tabs[3]:
        st.plotly_chart(plots.stereo_figure(result), width="stretch")
        st.plotly_chart(plots.band_correlation_figure(result), width="stretch")
    with tabs[4]:
        st.plotly_chart(plots.psr_figure(result), width="stretch")
    with tabs[5]:
        if not judging_rules(result)[1].check_platforms:
            st.caption("For information only: a mixdown is not judged on what the platforms "
                       "do; its master will be.")
        st.dataframe(plots.platform_table(result), hide_index=True, width="stretch")
    if result.comparison is not None and reference is not None:
        comparison_view(result, reference, ab_pair)


def comparison_view(result: AnalysisResult, reference: AnalysisResult,
                    ab_pair: tuple[Path, Path] | None) -> None:
    comparison = result.comparison
    assert comparison is not None
    st.subheader("Against the reference")
    st.text(f"Reference: {reference.file_name or 'reference'}")
    if ab_pair is not None:
        turned_down = -min(matched_gains_db(result.loudness.integrated_lufs,
                                            reference.loudness.integrated_lufs))
        st.caption(f"A/B at equal integrated loudness (the louder one turned down "
                   f"{number(turned_down)} dB), so you hear balance, not level.")
        columns = st.columns(2)
        columns[0].text("A: your track")
        columns[0].audio(str(ab_pair[0]))
        columns[1].text("B: reference")
        columns[1].audio(str(ab_pair[1]))
    st.dataframe(plots.metrics_table([("Track", result), ("Reference", reference)]),
                 width="stretch")
    st.plotly_chart(plots.tonal_difference_figure(comparison), width="stretch")
    for issue in comparison.issues:
        st.text(f"{SEVERITY_LABEL[issue.severity]} · {issue.code}: {issue.message}")
