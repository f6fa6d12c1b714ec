"""Streamlit renderings shared by the pages: one analysis as a meter you listen through
(the headline cards, the waveform player with the located issues, the issue list whose
buttons loop each issue, the meter views in tabs, the platform table) and a reference
comparison. Everything shown comes from the stored analysis; nothing is measured here,
and every text from a user or a file is shown as text."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from ui import cards, listening, meters, player, plots
from ui.conversation import SEVERITY_BADGE
from zz_core.advise.figures import where
from zz_core.fmt import NOT_AVAILABLE, clock_span, figure
from zz_core.judge.judging import judging_rules
from zz_core.judge.models import AnalysisResult
from zz_core.text import escape_markdown

STATUS_COLOUR = {"good": "green", "warn": "orange", "bad": "red", "unknown": "gray"}
TABS = ("Loudness", "Spectrum", "Spectrogram", "Stereo", "Dynamics", "Waveform", "Platforms")
PLAYER_HINT = ("Click a coloured region or an issue's time to loop it; A/B switches at the "
               "same position; Ctrl + wheel or pinch to zoom.")
AUDIO_GONE = "The audio of this track has expired or was removed; its analysis is kept."


def metric_cards(result: AnalysisResult) -> None:
    """The eight headline figures, coloured against the context's and genre's targets."""
    shown = cards.headline_cards(result)
    for row in range(0, len(shown), 4):
        columns = st.columns(4)
        for column, card in zip(columns, shown[row:row + 4], strict=False):
            with column:
                shown_unit = "" if card.value_text == NOT_AVAILABLE else card.unit
                st.metric(escape_markdown(card.label), f"{card.value_text} {shown_unit}".strip(),
                          help=escape_markdown(card.help))
                st.badge(cards.badge_text(card.status),
                         color=STATUS_COLOUR[card.status])  # type: ignore[arg-type]


def player_key(audio_path: Path | None, result: AnalysisResult, scope: str = "") -> str:
    """A player's key: stable across reruns, new for another track (or page scope)."""
    seed = f"{scope}|{audio_path}|{result.file_name}|{result.duration_s}"
    return "player_" + hashlib.sha256(seed.encode()).hexdigest()[:12]


def track_sources(result: AnalysisResult, audio_path: Path | None,
                  reference: AnalysisResult | None = None,
                  ab_pair: tuple[Path, Path] | None = None) -> list[player.Source]:
    """What the player plays: the level-matched track and reference (A/B) when there is
    a pair, else the track as it is; none when its audio is gone."""
    if reference is not None and ab_pair is not None and all(p.exists() for p in ab_pair):
        return listening.ab_sources(result, reference, ab_pair)
    if audio_path is not None and audio_path.exists():
        return [listening.source("A · your track", audio_path, result)]
    return []


def listening_panel(result: AnalysisResult, sources: list[player.Source], key: str) -> None:
    """The waveform player (when there is audio) and the issue list, in one fragment: a
    click on an issue, a region or the A/B switch reruns only this part of the page."""
    _listening(result, tuple(sources), key)


@st.fragment
def _listening(result: AnalysisResult, sources: tuple[player.Source, ...], key: str) -> None:
    state = None
    if sources:
        regions = [*listening.section_regions(listening.result_sections(result)),
                   *listening.issue_regions(result)]
        state = player.waveform_player(sources, regions, key=key, hint=PLAYER_HINT)
    else:
        st.info(AUDIO_GONE, icon=":material/music_off:")
    issue_list(result, key if sources else None, state)


def issue_list(result: AnalysisResult, key: str | None = None,
               state: player.PlayerState | None = None) -> None:
    """One card per issue (one issue per code): severity, name, where it is heard, a
    button that plays and loops its worst stretch in the player ``key`` (highlighted
    while it loops), and the judge's message, as plain text."""
    st.subheader("Issues")
    if not result.issues:
        st.success("No issues found for this context and genre.")
        return
    looping = listening.active_stretch(state, result)
    for index, issue in enumerate(result.issues):
        name = listening.title(issue.code)
        heard = where(issue, result.duration_s)
        stretch = next(iter(listening.stretches(issue, result.duration_s)), None)
        with st.container(border=True):
            head, action = st.columns([5, 2], vertical_alignment="center")
            head.markdown(f"{SEVERITY_BADGE[issue.severity]} **{escape_markdown(name)}** · "
                          f"{escape_markdown(heard)}")
            if key is not None and stretch is not None:
                on = looping is not None and looping.issue.code == issue.code
                action.button(
                    clock_span(stretch.start_s, stretch.end_s), key=f"{key}_issue_{index}",
                    icon=":material/repeat:" if on else ":material/play_arrow:",
                    type="primary" if on else "secondary", width="stretch",
                    help=f"Play and loop {name} ({heard}) in the player",
                    on_click=player.ask,
                    args=(key, stretch.loop_start_s, stretch.loop_end_s))
            st.markdown(escape_markdown(issue.message))


def meter_views(result: AnalysisResult, reference: AnalysisResult | None, key: str) -> None:
    """The meter's views in tabs: loudness, spectrum analyser, spectrogram, stereo,
    dynamics, waveform and the platforms."""
    tabs = st.tabs(list(TABS))
    target = meters.loudness_target(result)
    with tabs[0]:
        st.plotly_chart(plots.loudness_figure(result, None, target),
                        width="stretch", key=f"{key}_loudness")
        st.plotly_chart(meters.loudness_histogram_figure(result, target), width="stretch",
                        key=f"{key}_histogram")
    with tabs[1]:
        fine = meters.fine_spectrum_of(result)
        if fine is not None:
            st.plotly_chart(meters.fine_spectrum_figure(result, fine, reference),
                            width="stretch", key=f"{key}_fine")
        else:
            st.caption(f"Fine spectrum analyser: {meters.NOT_MEASURED}")
        st.plotly_chart(plots.spectrum_figure(result, reference), width="stretch",
                        key=f"{key}_spectrum")
        st.plotly_chart(plots.band_figure(result, reference), width="stretch",
                        key=f"{key}_bands")
    with tabs[2]:
        spectrogram = meters.spectrogram_of(result)
        if spectrogram is not None:
            st.plotly_chart(meters.spectrogram_figure(spectrogram, result.duration_s),
                            width="stretch", key=f"{key}_spectrogram")
        else:
            st.caption(f"Spectrogram: {meters.NOT_MEASURED}")
    with tabs[3]:
        scope = meters.vectorscope_of(result)
        if scope is not None:
            st.plotly_chart(meters.vectorscope_figure(scope), width="stretch",
                            key=f"{key}_vectorscope")
        elif result.channels > 1:
            st.caption(f"Vectorscope: {meters.NOT_MEASURED}")
        st.plotly_chart(meters.stereo_time_figure(result), width="stretch",
                        key=f"{key}_stereo_time")
        st.plotly_chart(plots.band_correlation_figure(result), width="stretch",
                        key=f"{key}_stereo_bands")
    with tabs[4]:
        st.plotly_chart(plots.psr_figure(result), width="stretch", key=f"{key}_psr")
    with tabs[5]:
        st.plotly_chart(plots.waveform_figure(result), width="stretch", key=f"{key}_waveform")
    with tabs[6]:
        platform_view(result)


def platform_view(result: AnalysisResult) -> None:
    """What each platform's normalisation does, as a table whose notes wrap."""
    if not judging_rules(result)[1].check_platforms:
        st.caption("For information only: a mixdown is not judged on what the platforms "
                   "do; its master will be.")
    st.table(readable_table(plots.platform_table(result)), hide_index=True)


def readable_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table for ``st.table`` (static, text wraps): flags as "yes" or blank."""
    shown = table.copy()
    for column in shown.columns:
        if shown[column].dtype == bool:
            shown[column] = shown[column].map({True: "yes", False: ""})
    return shown


def analysis_view(result: AnalysisResult, audio_path: Path | None,
                  reference: AnalysisResult | None = None,
                  ab_pair: tuple[Path, Path] | None = None, *, scope: str = "") -> None:
    """Everything about one analysed track; with a reference, A/B in the player and the
    comparison too."""
    st.caption(escape_markdown(
        f"{result.file_name or 'track'} · {figure(result.duration_s, 's')} · "
        f"{result.sample_rate_hz} Hz · {result.channels} ch · "
        f"{result.context} · {result.genre.display_label}"))
    metric_cards(result)
    key = player_key(audio_path, result, scope)
    listening_panel(result, track_sources(result, audio_path, reference, ab_pair), key)
    meter_views(result, reference, key)
    if result.comparison is not None and reference is not None:
        comparison_view(result, reference, ab_pair is not None)


def comparison_view(result: AnalysisResult, reference: AnalysisResult,
                    with_ab: bool = False) -> None:
    comparison = result.comparison
    assert comparison is not None
    st.subheader("Against the reference")
    st.text(f"Reference: {reference.file_name or 'reference'}")
    if with_ab:
        st.caption("A/B in the player above: both at equal integrated loudness (the louder "
                   "one turned down), so you hear balance, not level; switching keeps the "
                   "position.")
    st.dataframe(plots.metrics_table([("Track", result), ("Reference", reference)]),
                 hide_index=True, width="stretch")
    st.plotly_chart(plots.tonal_difference_figure(comparison), width="stretch")
    for line in cards.comparison_lines(result):
        st.text(line)
