"""Figures and tables built from analysis results (the metric cards are in ``ui.cards``,
re-exported here).

Pure functions: each takes ``AnalysisResult`` objects (or a ``Comparison``) and returns a
plotly ``Figure`` or a pandas ``DataFrame``; nothing here imports streamlit, so the pages
only lay the results out. What a figure draws comes from ``zz_core.output.chartdata``,
the same data the PDF's print charts draw; only the dark theme is decided here. Figures
carry units in axis titles and hover text, and log-frequency axes span 20 Hz-20 kHz.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.cards import Card, headline_cards
from zz_core.advise import figures
from zz_core.advise.figures import metric_number
from zz_core.fmt import (
    NOT_AVAILABLE,
    clock,
    clock_span,
    duration,
    figure,
    hz_label,
    number,
    value_range,
)
from zz_core.judge.comparison import METRICS, metric_value
from zz_core.judge.models import AnalysisResult, Comparison
from zz_core.measure.series import TimeSeries
from zz_core.output import chartdata
from zz_core.output.chartdata import (
    FREQ_MAX_HZ,
    FREQ_MIN_HZ,
    LOUDNESS_FLOOR_LUFS,
    key_text,
    located_issues,
    psr_floor_db,
    track_name,
)
from zz_core.vocab import Status

__all__ = [
    "LOUDNESS_FLOOR_LUFS", "Card", "band_correlation_figure", "band_figure", "headline_cards",
    "located_issues", "loudness_figure", "metrics_table", "overlay_loudness_figure",
    "overlay_spectrum_figure", "platform_table", "psr_figure", "psr_floor_db",
    "spectrum_figure", "stereo_figure", "tonal_difference_figure", "waveform_figure",
]

TEMPLATE = "plotly_dark"
HEIGHT = 340
WAVEFORM_HEIGHT = 300
MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}
LOG_FREQ_RANGE = [math.log10(FREQ_MIN_HZ), math.log10(FREQ_MAX_HZ)]

SEVERITY_COLOURS = {"critical": "#ef5350", "warning": "#ffb300", "info": "#42a5f5"}
SEVERITY_FILL_OPACITY = 0.22
STATUS_COLOURS: dict[Status, str] = {
    "good": "#66bb6a", "warn": "#ffb300", "bad": "#ef5350", "unknown": "#9e9e9e",
}
TRACK_COLOUR = "#4fc3f7"
REFERENCE_COLOUR = "#f48fb1"
TARGET_COLOUR = "#aed581"
TARGET_BAND_FILL = "rgba(174, 213, 129, 0.15)"
NEGATIVE_ZONE_FILL = "rgba(239, 83, 80, 0.12)"
MOMENTARY_COLOUR = "rgba(79, 195, 247, 0.45)"
OVERLAY_COLOURS = ("#4fc3f7", "#f48fb1", "#aed581", "#ffb74d", "#ba68c8", "#4db6ac",
                   "#e57373", "#fff176", "#90a4ae", "#a1887f")


# --------------------------------------------------------------------------- helpers


LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0, "xanchor": "left",
          "font": {"size": 11}}
"""Legends sit under the plot (below the x-axis title), never over the title: plotly
widens the bottom margin to fit them, however many rows they wrap to."""
TITLE = {"x": 0, "xanchor": "left", "y": 1, "yref": "paper", "yanchor": "bottom",
         "automargin": True, "pad": {"b": 12}, "font": {"size": 15}}
"""Titles sit above the plot, left-aligned, the top margin grown to fit a wrapped one."""


def _layout(fig: go.Figure, title: str, *, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title={**TITLE, "text": title}, height=height,
                      margin=MARGIN, hovermode="closest", legend=LEGEND)
    return fig


TIME_STEPS_S = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0,
                900.0, 1800.0, 3600.0)
TIME_TICKS = 8
"""Time axes carry m:ss labels at the first step giving at most this many ticks."""


def time_ticks(duration_s: float, most: int = TIME_TICKS) -> tuple[list[float], list[str]]:
    """Tick positions (s) and their m:ss labels ("1:30"; "0:01.5" between seconds) for a
    time axis spanning ``duration_s``."""
    span = max(float(duration_s), 0.1)
    step = next((s for s in TIME_STEPS_S if span / s <= most), TIME_STEPS_S[-1])
    values = [round(i * step, 3) for i in range(int(span / step + 1e-9) + 1)]
    labels = [duration(v) if step >= 1.0 else clock(v) for v in values]
    return values, labels


def time_axis(fig: go.Figure, duration_s: float, *, title: str = "Time (m:ss)",
              row: int | None = None, col: int | None = None,
              show_range: bool = True) -> None:
    """An x axis in m:ss (the position in the track, as the issue list and the player
    write it) over [0, duration]."""
    values, labels = time_ticks(duration_s)
    extra = {"range": [0.0, max(duration_s, 0.1)]} if show_range else {}
    fig.update_xaxes(tickmode="array", tickvals=values, ticktext=labels, title_text=title,
                     row=row, col=col, **extra)


def clocks(times: Sequence[float] | np.ndarray) -> list[str]:
    """Each time (s) as m:ss.s, for hover text."""
    return [clock(float(t)) for t in times]


FREQ_TICKS_HZ = (20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0)
"""Labelled frequencies of a log-frequency axis ("20" ... "1k" ... "20k")."""


def frequency_axis() -> dict[str, Any]:
    """A 20 Hz-20 kHz log axis labelled at FREQ_TICKS_HZ: ``update_xaxes`` (or
    ``update_yaxes``) arguments."""
    return {"type": "log", "range": LOG_FREQ_RANGE, "title_text": "Frequency (Hz)",
            "tickmode": "array", "tickvals": list(FREQ_TICKS_HZ),
            "ticktext": [hz_label(v) for v in FREQ_TICKS_HZ]}


def _log_frequency_axis(fig: go.Figure) -> None:
    fig.update_xaxes(**frequency_axis())


def _nullable(values: np.ndarray) -> list[float | None]:
    """Floats for plotly with NaN as None (a gap in the line)."""
    return [None if math.isnan(v) else float(v) for v in values]


# --------------------------------------------------------------------------- waveform


def waveform_figure(result: AnalysisResult) -> go.Figure:
    """Min/max envelope over time with located issues shaded by severity, clipped
    samples and true-peak overs marked, and the full-scale and ceiling levels drawn."""
    wave = result.series.waveform
    times = chartdata.waveform_times(result)
    fig = go.Figure()
    hover = "%{customdata}: %{y:.3f} FS<extra></extra>"
    at = clocks(times)
    fig.add_trace(go.Scatter(x=times, y=wave.maximum, mode="lines", name="Envelope",
                             line={"color": TRACK_COLOUR, "width": 0.8}, hovertemplate=hover,
                             customdata=at, legendgroup="envelope"))
    fig.add_trace(go.Scatter(x=times, y=wave.minimum, mode="lines", name="Envelope",
                             line={"color": TRACK_COLOUR, "width": 0.8}, fill="tonexty",
                             fillcolor="rgba(79, 195, 247, 0.55)", hovertemplate=hover,
                             customdata=at, legendgroup="envelope", showlegend=False))
    _add_level_lines(fig, result)
    _add_clipping(fig, result)
    _add_true_peak_overs(fig, result)
    _add_issue_spans(fig, chartdata.located_spans(result))
    time_axis(fig, max(result.duration_s, wave.hop_s))
    fig.update_yaxes(title_text="Amplitude (full scale = 1)",
                     range=list(chartdata.waveform_range(result)))
    return _layout(fig, "Waveform and located issues", height=WAVEFORM_HEIGHT)


def _add_level_lines(fig: go.Figure, result: AnalysisResult) -> None:
    ceiling = chartdata.peak_ceiling(result)
    full_scale = {"color": "#bdbdbd", "width": 1, "dash": "dot"}
    ceiling_line = {"color": SEVERITY_COLOURS["warning"], "width": 1, "dash": "dash"}
    # plotly writes "new text" for an annotation given as None: label the top lines only
    fig.add_hline(y=1.0, line=full_scale, annotation_text="0 dBFS",
                  annotation_position="top right")
    fig.add_hline(y=-1.0, line=full_scale)
    fig.add_hline(y=ceiling.linear, line=ceiling_line,
                  annotation_text=f"{figure(ceiling.dbtp, 'dBTP')} ceiling",
                  annotation_position="bottom right")
    fig.add_hline(y=-ceiling.linear, line=ceiling_line)


def _add_clipping(fig: go.Figure, result: AnalysisResult) -> None:
    """The engine's clipping issues, marked at full scale where each starts."""
    starts = chartdata.clipping_starts(result)
    if not starts:
        return
    fig.add_trace(go.Scatter(
        x=starts, y=[1.0] * len(starts), mode="markers", name="Clipping",
        marker={"color": SEVERITY_COLOURS["critical"], "symbol": "x", "size": 9},
        customdata=clocks(starts), hovertemplate="Clipping from %{customdata}<extra></extra>"))


OVER_COLOURS: dict[Status, str] = {"warn": SEVERITY_COLOURS["warning"],
                                   "bad": SEVERITY_COLOURS["critical"]}
"""True-peak overs up to 0 dBTP are warnings, above it they clip on playback."""


def _add_true_peak_overs(fig: go.Figure, result: AnalysisResult) -> None:
    """True-peak readings above the ceiling, drawn at their linear height (above the
    envelope when the overs are between samples)."""
    overs = chartdata.true_peak_overs(result)
    if overs.peaks_dbtp.size == 0:
        return
    limit = chartdata.peak_ceiling(result).dbtp
    fig.add_trace(go.Scatter(
        x=overs.times_s, y=overs.heights, mode="markers",
        name=f"True peak over {figure(limit, 'dBTP')}", customdata=overs.peaks_dbtp,
        text=clocks(overs.times_s),
        marker={"color": [OVER_COLOURS.get(s, SEVERITY_COLOURS["warning"])
                          for s in overs.statuses],
                "symbol": "triangle-down", "size": 7},
        hovertemplate="True peak %{customdata:+.2f} dBTP at %{text}<extra></extra>"))


def _add_issue_spans(fig: go.Figure, spans: list[chartdata.LocatedSpan]) -> None:
    """One translucent vrect per located stretch of an issue (its code labels the worst
    one), plus an invisible marker per stretch carrying the issue's message."""
    for span in spans:
        fig.add_vrect(x0=span.start_s, x1=span.end_s, line_width=0,
                      fillcolor=SEVERITY_COLOURS[span.issue.severity],
                      opacity=SEVERITY_FILL_OPACITY, layer="below",
                      annotation_text=span.issue.code if span.worst else "",
                      annotation_position="top left", annotation_font_size=10)
    if not spans:
        return
    fig.add_trace(go.Scatter(
        x=[(s.start_s + s.end_s) / 2 for s in spans], y=[0.0] * len(spans),
        mode="markers", name="Issues", showlegend=False,
        marker={"color": [SEVERITY_COLOURS[s.issue.severity] for s in spans], "size": 14,
                "opacity": 0.0},
        hovertext=[_issue_hover(s) for s in spans], hoverinfo="text"))


def _issue_hover(span: chartdata.LocatedSpan) -> str:
    issue = span.issue
    here = clock_span(span.start_s, span.end_s)
    count = f"; {issue.span_count} places" if issue.span_count > 1 else ""
    return (f"<b>{issue.code}</b> ({issue.severity}, {here}{count})<br>"
            f"{_wrap(html.escape(issue.message))}")


def _wrap(text: str, width: int = 70) -> str:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return "<br>".join([*lines, current])


# --------------------------------------------------------------------------- loudness


def loudness_figure(result: AnalysisResult, target_lufs: float | None = None,
                    target_range: tuple[float, float] | None = None) -> go.Figure:
    """Momentary and short-term loudness over time, with the integrated value, the target
    and (``target_range``, LUFS) the target band shaded."""
    fig = go.Figure()
    if target_range is not None:
        low, high = target_range
        fig.add_hrect(y0=low, y1=high, fillcolor=TARGET_BAND_FILL, line_width=0,
                      layer="below", annotation_text=f"target {value_range(low, high, 'LUFS')}",
                      annotation_position="top right", annotation_font_size=10)
    series = result.series
    fig.add_trace(_loudness_trace(series.momentary_lufs, "Momentary (400 ms)",
                                  MOMENTARY_COLOUR, 1.0))
    fig.add_trace(_loudness_trace(series.short_term_lufs, "Short-term (3 s)", TRACK_COLOUR, 2.0))
    integrated = result.loudness.integrated_lufs
    if integrated is not None:
        fig.add_hline(y=integrated, line={"color": "#ffffff", "dash": "dash", "width": 1.5},
                      annotation_text=f"Integrated {figure(integrated, 'LUFS')}",
                      annotation_position="bottom left")
    if target_lufs is not None:
        fig.add_hline(y=target_lufs, line={"color": TARGET_COLOUR, "dash": "dot", "width": 1.5},
                      annotation_text=f"Target {figure(target_lufs, 'LUFS')}",
                      annotation_position="top left")
    time_axis(fig, result.duration_s)
    fig.update_yaxes(title_text="Loudness (LUFS)",
                     range=[LOUDNESS_FLOOR_LUFS, chartdata.loudness_top(result, target_lufs)])
    return _layout(fig, "Loudness over time")


def _loudness_trace(series: TimeSeries, name: str, colour: str, width: float) -> go.Scatter:
    times = series.times_s()
    return go.Scatter(x=times, y=chartdata.floored(series, LOUDNESS_FLOOR_LUFS),
                      mode="lines", name=name, line={"color": colour, "width": width},
                      customdata=clocks(times),
                      hovertemplate=f"{name}<br>%{{customdata}}: %{{y:.1f}} LUFS<extra></extra>")


# --------------------------------------------------------------------------- spectrum


def spectrum_figure(result: AnalysisResult,
                    reference: AnalysisResult | None = None) -> go.Figure:
    """Third-octave long-term spectrum against the level-matched genre target (with its
    tolerance shaded) and, when given, the level-matched reference."""
    data = chartdata.spectrum_data(result, reference)
    fig = go.Figure()
    if data.target is not None:
        _add_target(fig, result, data.centres_hz, data.target)
    fig.add_trace(go.Scatter(
        x=data.centres_hz, y=_nullable(data.track_db), mode="lines+markers",
        name=html.escape(track_name(result)), line={"color": TRACK_COLOUR, "width": 2.5},
        marker={"size": 4}, hovertemplate="%{x:.0f} Hz: %{y:.1f} dBFS<extra>track</extra>"))
    if data.reference is not None:
        fig.add_trace(_reference_trace(data.centres_hz, data.reference))
    _log_frequency_axis(fig)
    fig.update_yaxes(title_text="Level (dBFS per 1/3 octave)")
    return _layout(fig, f"Spectrum vs {html.escape(result.genre.display_label)} target")


def _add_target(fig: go.Figure, result: AnalysisResult, centres: np.ndarray,
                target: chartdata.TargetBand) -> None:
    tolerance = target.tolerance_db
    band = f"{figures.tolerance_text(tolerance)} tolerance"
    label = html.escape(result.genre.display_label)
    fig.add_trace(go.Scatter(x=centres, y=target.upper, mode="lines", line={"width": 0},
                             name=band, legendgroup="tolerance",
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=centres, y=target.lower, mode="lines", line={"width": 0},
                             fill="tonexty", fillcolor=TARGET_BAND_FILL,
                             name=band, legendgroup="tolerance",
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=centres, y=target.levels_db, mode="lines", name=f"{label} target (level-matched)",
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
        hovertemplate=(f"%{{x:.0f}} Hz: %{{y:.1f}} dB ({figures.tolerance_text(tolerance)})"
                       "<extra>target</extra>")))


def _reference_trace(centres: np.ndarray, reference: chartdata.Curve) -> go.Scatter:
    return go.Scatter(
        x=centres, y=_nullable(reference.levels_db), mode="lines",
        name=f"Reference: {html.escape(reference.name)} (level-matched)",
        line={"color": REFERENCE_COLOUR, "width": 2},
        hovertemplate=(f"%{{x:.0f}} Hz: %{{y:.1f}} dB (shifted "
                       f"{number(reference.offset_db, sign=True)} dB)<extra>reference</extra>"))


def tonal_difference_figure(comparison: Comparison) -> go.Figure:
    """The EQ move (dB per third octave) that brings the track to the reference."""
    moves = chartdata.eq_moves(comparison)[1]
    words = ["boost" if m > 0 else "cut" for m in np.nan_to_num(moves)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=comparison.tonal_difference.centres_hz, y=_nullable(moves), mode="lines+markers",
        name="EQ move", fill="tozeroy", line={"color": REFERENCE_COLOUR, "width": 2},
        customdata=words, hovertemplate="%{x:.0f} Hz: %{customdata} %{y:+.1f} dB<extra></extra>"))
    fig.add_hline(y=0.0, line={"color": "#bdbdbd", "width": 1})
    _log_frequency_axis(fig)
    limit = chartdata.eq_move_limit(moves)
    fig.update_yaxes(title_text="EQ move (dB)", range=[-limit, limit])
    reference = html.escape(comparison.reference_name or "the reference")
    return _layout(fig, f"EQ move towards {reference} (spectra level-matched for comparison; "
                        f"{figures.loudness_sentence(comparison)})")


# --------------------------------------------------------------------------- bands


def band_figure(result: AnalysisResult, reference: AnalysisResult | None = None) -> go.Figure:
    """Energy share per band (bars), level in the hover; the reference side by side."""
    fig = go.Figure()
    fig.add_trace(_band_trace(result, html.escape(track_name(result)), TRACK_COLOUR))
    if reference is not None:
        name = html.escape(track_name(reference, "reference"))
        fig.add_trace(_band_trace(reference, f"Reference: {name}", REFERENCE_COLOUR))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="Band")
    fig.update_yaxes(title_text="Share of energy (%)", rangemode="tozero")
    return _layout(fig, "Energy per band")


def _band_trace(result: AnalysisResult, name: str, colour: str) -> go.Bar:
    levels = [figure(b.level_db, "dBFS") for b in result.bands]
    return go.Bar(x=[b.label for b in result.bands], y=[b.share_pct for b in result.bands],
                  name=name, marker_color=colour, customdata=levels,
                  hovertemplate="%{x}: %{y:.1f} % of the energy, %{customdata}"
                                f"<extra>{name}</extra>")


# --------------------------------------------------------------------------- stereo


def stereo_figure(result: AnalysisResult) -> go.Figure:
    """Phase correlation over time (-1..+1), the out-of-phase zone shaded."""
    series = result.series.correlation
    fig = go.Figure()
    fig.add_hrect(y0=-1.0, y1=0.0, fillcolor=NEGATIVE_ZONE_FILL, line_width=0, layer="below",
                  annotation_text="out of phase", annotation_position="bottom left")
    fig.add_hline(y=0.0, line={"color": "#bdbdbd", "width": 1})
    times = series.times_s()
    fig.add_trace(go.Scatter(
        x=times, y=_nullable(series.as_array()), mode="lines", name="Correlation",
        line={"color": TRACK_COLOUR, "width": 1.5}, customdata=clocks(times),
        hovertemplate="%{customdata}: correlation %{y:+.2f}<extra></extra>"))
    overall = result.stereo.correlation
    if overall is not None:
        fig.add_hline(y=overall, line={"color": "#ffffff", "dash": "dash", "width": 1},
                      annotation_text=f"Overall {number(overall, 2, sign=True)}",
                      annotation_position="top left")
    time_axis(fig, result.duration_s)
    fig.update_yaxes(title_text="Correlation (-1 to +1)", range=[-1.05, 1.05])
    return _layout(fig, "Stereo correlation over time (400 ms windows)")


def band_correlation_figure(result: AnalysisResult) -> go.Figure:
    """Correlation and width (side/mid energy) per band, as bars."""
    bands = chartdata.band_correlations(result)
    labels = [b.label for b in bands]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("Correlation per band", "Width (side/mid) per band"))
    fig.add_trace(go.Bar(
        x=labels, y=[b.correlation for b in bands], name="Correlation",
        marker_color=[STATUS_COLOURS[b.status] for b in bands],
        hovertemplate="%{x}: correlation %{y:+.2f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(
        x=labels, y=[b.width for b in bands], name="Width", marker_color=TRACK_COLOUR,
        hovertemplate="%{x}: width %{y:.2f} (side/mid energy)<extra></extra>"), row=1, col=2)
    fig.update_yaxes(title_text="Correlation", range=[-1.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="Width (side/mid)", rangemode="tozero",
                     row=1, col=2)
    fig.update_layout(showlegend=False)
    return _layout(fig, "Stereo per band")


# --------------------------------------------------------------------------- dynamics


def psr_figure(result: AnalysisResult) -> go.Figure:
    """Peak-to-short-term-loudness ratio over time, with the squashed zone shaded."""
    values = chartdata.psr_values(result)
    floor = psr_floor_db(result)
    fig = go.Figure()
    fig.add_hrect(y0=0.0, y1=floor, fillcolor=NEGATIVE_ZONE_FILL, line_width=0, layer="below",
                  annotation_text=f"squashed (below {figure(floor, 'dB')})",
                  annotation_position="bottom left")
    times = result.series.psr_db.times_s()
    fig.add_trace(go.Scatter(
        x=times, y=_nullable(values), mode="lines", name="PSR",
        line={"color": TRACK_COLOUR, "width": 1.5}, customdata=clocks(times),
        hovertemplate="%{customdata}: PSR %{y:.1f} dB<extra></extra>"))
    time_axis(fig, result.duration_s)
    fig.update_yaxes(title_text="PSR (dB)",
                     range=[0.0, chartdata.psr_top(values, floor)])
    return _layout(fig, "Peak-to-short-term-loudness ratio (PSR) over time")


# --------------------------------------------------------------------------- tables


def platform_table(result: AnalysisResult) -> pd.DataFrame:
    """What each platform's loudness normalization does to the track, one row each. Every
    column holds one type: figures as text written by ``zz_core.fmt`` (one decimal, "n/a"
    when unmeasured), flags as booleans."""
    rows = [{
        "Platform": p.platform,
        "Target (LUFS)": number(p.target_lufs),
        "Gain (dB)": number(p.gain_db, sign=True),
        "Output (LUFS)": number(p.output_lufs),
        "Output true peak (dBTP)": number(p.output_true_peak_dbtp, sign=True),
        "Limited": bool(p.limited),
        "Raise capped": bool(p.raise_capped),
        "Peaks over": bool(p.true_peak_over),
        "Uncertain": bool(p.uncertain),
        "Note": p.note or "",
    } for p in result.platforms]
    return pd.DataFrame(rows, columns=list(PLATFORM_COLUMNS))


PLATFORM_COLUMNS = ("Platform", "Target (LUFS)", "Gain (dB)", "Output (LUFS)",
                    "Output true peak (dBTP)", "Limited", "Raise capped", "Peaks over",
                    "Uncertain", "Note")


def _unique_names(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def metrics_table(results: list[tuple[str, AnalysisResult]]) -> pd.DataFrame:
    """Every headline metric side by side: one row per metric, one column per track. Every
    column is text (one type, so the page's table never mixes numbers and words): figures
    written by ``zz_core.fmt`` with the decimals of their unit (two for a ratio or a
    correlation, none for DR), the unit in its own column, "n/a" when unmeasured."""
    names = _unique_names([name for name, _ in results])
    rows: list[dict[str, str]] = [{"Metric": "Duration", "Unit": "m:ss",
                                   **{name: duration(result.duration_s)
                                      for name, (_, result) in zip(names, results, strict=True)}}]
    for path, label, unit in METRICS:
        row = {"Metric": label, "Unit": unit}
        for name, (_, result) in zip(names, results, strict=True):
            row[name] = metric_number(metric_value(result, path), unit)
        rows.append(row)
    rows.append({"Metric": "Key", "Unit": "Camelot",
                 **{name: key_text(result) or NOT_AVAILABLE
                    for name, (_, result) in zip(names, results, strict=True)}})
    return pd.DataFrame(rows, columns=["Metric", "Unit", *names])


# --------------------------------------------------------------------------- overlays


def _colour(index: int) -> str:
    return OVERLAY_COLOURS[index % len(OVERLAY_COLOURS)]


def overlay_loudness_figure(results: list[tuple[str, AnalysisResult]]) -> go.Figure:
    """Short-term loudness of several tracks on one time axis; legend = track names."""
    fig = go.Figure()
    for index, (raw_name, result) in enumerate(results):
        name = html.escape(raw_name)
        series = result.series.short_term_lufs
        integrated = result.loudness.integrated_lufs
        summary = "silent" if integrated is None else f"integrated {figure(integrated, 'LUFS')}"
        times = series.times_s()
        fig.add_trace(go.Scatter(
            x=times, y=chartdata.floored(series, LOUDNESS_FLOOR_LUFS), mode="lines",
            name=name, line={"color": _colour(index), "width": 1.8}, customdata=clocks(times),
            hovertemplate=f"{name} ({summary})<br>%{{customdata}}: %{{y:.1f}} LUFS"
                          "<extra></extra>"))
    time_axis(fig, max([r.duration_s for _, r in results] or [0.0]))
    fig.update_yaxes(title_text="Short-term loudness (LUFS)",
                     range=[LOUDNESS_FLOOR_LUFS, chartdata.overlay_loudness_top(results)])
    return _layout(fig, "Short-term loudness, all tracks")


def overlay_spectrum_figure(results: list[tuple[str, AnalysisResult]]) -> go.Figure:
    """Third-octave spectra of several tracks, each level-matched to the first so the
    tonal shapes compare; legend = track names."""
    fig = go.Figure()
    centres, curves = chartdata.overlay_spectra(results)
    for index, curve in enumerate(curves):
        fig.add_trace(go.Scatter(
            x=centres, y=_nullable(curve.levels_db), mode="lines", name=html.escape(curve.name),
            line={"color": _colour(index), "width": 2},
            hovertemplate=(f"%{{x:.0f}} Hz: %{{y:.1f}} dB (shifted "
                           f"{number(curve.offset_db, sign=True)} dB)"
                           f"<extra>{html.escape(curve.name)}</extra>")))
    _log_frequency_axis(fig)
    fig.update_yaxes(title_text="Level (dB, 1/3 octave)")
    return _layout(fig, "Spectra, level-matched to the first track")
