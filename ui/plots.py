"""Figures, tables and metric cards built from analysis results.

Pure functions: each takes ``AnalysisResult`` objects (or a ``Comparison``) and returns a
plotly ``Figure``, a pandas ``DataFrame`` or plain data; nothing here imports streamlit,
so the pages only lay the results out. Figures use the dark template, carry units in
axis titles and hover text, and log-frequency axes span 20 Hz-20 kHz.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from zz_core.fmt import clock
from zz_core.judge import genres
from zz_core.judge.comparison import METRICS, metric_value
from zz_core.judge.issues import Issue
from zz_core.judge.judging import (
    CORRELATION_BAD,
    CORRELATION_WARN,
    KEY_CONFIDENT,
    correlation_status,
    judging_rules,
    loudness_status,
    metric_status,
    plr_floor,
    plr_status,
    tempo_status,
    true_peak_status,
)
from zz_core.judge.models import AnalysisResult, Comparison
from zz_core.measure.series import TimeSeries
from zz_core.measure.spectrum import BAND_LABELS, LEVEL_MATCH_OCTAVES_HZ
from zz_core.vocab import Status

Levels = Sequence[float] | np.ndarray

TEMPLATE = "plotly_dark"
HEIGHT = 340
WAVEFORM_HEIGHT = 300
MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}
FREQ_MIN_HZ = 20.0
FREQ_MAX_HZ = 20000.0
LOG_FREQ_RANGE = [math.log10(FREQ_MIN_HZ), math.log10(FREQ_MAX_HZ)]
MATCH_LOW_HZ = LEVEL_MATCH_OCTAVES_HZ[0]
MATCH_HIGH_HZ = LEVEL_MATCH_OCTAVES_HZ[-1]
LOUDNESS_FLOOR_LUFS = -60.0
"""Loudness shown no lower than this: silence (-120 in the series) sits on the floor."""
SPECTRUM_FLOOR_DB = -100.0
"""Third-octave levels at or below this are empty bands (above Nyquist, silence): not drawn."""
SILENT_SHORT_TERM_LUFS = -70.0
"""PSR is undefined where the short-term loudness is below the absolute gate."""
FULL_SCALE_DBTP = 0.0
WHOLE_TRACK_TOLERANCE_S = 0.05
"""An issue spanning the track to within this at both ends is not located in time."""

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


def _layout(fig: go.Figure, title: str, *, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=title, height=height, margin=MARGIN,
                      hovermode="closest",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return fig


def _log_frequency_axis(fig: go.Figure) -> None:
    fig.update_xaxes(type="log", range=LOG_FREQ_RANGE, title_text="Frequency (Hz)")


def _floored(series: TimeSeries, floor: float) -> np.ndarray:
    """Series values raised to ``floor`` (undefined values sit on it too)."""
    return np.maximum(np.nan_to_num(series.as_array(), nan=floor), floor)


def _nullable(values: np.ndarray) -> list[float | None]:
    """Floats for plotly with NaN as None (a gap in the line)."""
    return [None if math.isnan(v) else float(v) for v in values]


def located_issues(result: AnalysisResult) -> list[Issue]:
    """Issues with a time span shorter than the whole track (drawn on the waveform)."""
    end = result.duration_s - WHOLE_TRACK_TOLERANCE_S
    return [issue for issue in result.issues if issue.end_s > issue.start_s
            and not (issue.start_s <= WHOLE_TRACK_TOLERANCE_S and issue.end_s >= end)]


def _track_name(result: AnalysisResult, fallback: str = "Track") -> str:
    return result.file_name or fallback


# --------------------------------------------------------------------------- waveform


def waveform_figure(result: AnalysisResult) -> go.Figure:
    """Min/max envelope over time with located issues shaded by severity, clipped
    samples and true-peak overs marked, and the full-scale and ceiling levels drawn."""
    wave = result.series.waveform
    times = wave.hop_s * np.arange(len(wave.maximum))
    fig = go.Figure()
    hover = "%{x:.2f} s: %{y:.3f} FS<extra></extra>"
    fig.add_trace(go.Scatter(x=times, y=wave.maximum, mode="lines", name="Envelope",
                             line={"color": TRACK_COLOUR, "width": 0.8}, hovertemplate=hover,
                             legendgroup="envelope"))
    fig.add_trace(go.Scatter(x=times, y=wave.minimum, mode="lines", name="Envelope",
                             line={"color": TRACK_COLOUR, "width": 0.8}, fill="tonexty",
                             fillcolor="rgba(79, 195, 247, 0.55)", hovertemplate=hover,
                             legendgroup="envelope", showlegend=False))
    _add_level_lines(fig, result)
    _add_clipping(fig, result)
    _add_true_peak_overs(fig, result)
    _add_issue_spans(fig, located_issues(result))
    fig.update_xaxes(title_text="Time (s)", range=[0.0, max(result.duration_s, wave.hop_s)])
    fig.update_yaxes(title_text="Amplitude (full scale = 1)", range=_waveform_range(result))
    return _layout(fig, "Waveform and located issues", height=WAVEFORM_HEIGHT)


def _waveform_range(result: AnalysisResult) -> list[float]:
    peak = result.loudness.true_peak_dbtp
    top = max(1.1, 1.05 * 10 ** (peak / 20) if peak is not None else 0.0)
    return [-top, top]


def _add_level_lines(fig: go.Figure, result: AnalysisResult) -> None:
    targets, rules = judging_rules(result)
    ceiling_db = rules.true_peak_limit(targets)
    ceiling = 10 ** (ceiling_db / 20)
    full_scale = {"color": "#bdbdbd", "width": 1, "dash": "dot"}
    ceiling_line = {"color": SEVERITY_COLOURS["warning"], "width": 1, "dash": "dash"}
    # plotly writes "new text" for an annotation given as None: label the top lines only
    fig.add_hline(y=1.0, line=full_scale, annotation_text="0 dBFS",
                  annotation_position="top right")
    fig.add_hline(y=-1.0, line=full_scale)
    fig.add_hline(y=ceiling, line=ceiling_line, annotation_text=f"{ceiling_db:g} dBTP ceiling",
                  annotation_position="bottom right")
    fig.add_hline(y=-ceiling, line=ceiling_line)


def _add_clipping(fig: go.Figure, result: AnalysisResult) -> None:
    """The engine's clipping issues, marked at full scale where each starts (the plot
    never decides on its own what counts as clipped)."""
    starts = [i.start_s for i in result.issues if i.code == "clipping"]
    if not starts:
        return
    fig.add_trace(go.Scatter(
        x=starts, y=[1.0] * len(starts), mode="markers", name="Clipping",
        marker={"color": SEVERITY_COLOURS["critical"], "symbol": "x", "size": 9},
        hovertemplate="Clipping from %{x:.2f} s<extra></extra>"))


def _add_true_peak_overs(fig: go.Figure, result: AnalysisResult) -> None:
    """True-peak readings above the ceiling, drawn at their linear height (above the
    envelope when the overs are between samples)."""
    targets, rules = judging_rules(result)
    limit = rules.true_peak_limit(targets)
    series = result.series.true_peak_dbtp
    values = series.as_array()
    over = np.flatnonzero(values > limit)
    if over.size == 0:
        return
    peaks = values[over]
    colours = [SEVERITY_COLOURS["critical"] if p > FULL_SCALE_DBTP
               else SEVERITY_COLOURS["warning"] for p in peaks]
    fig.add_trace(go.Scatter(
        x=series.times_s()[over], y=10 ** (peaks / 20), mode="markers",
        name=f"True peak over {limit:g} dBTP", customdata=peaks,
        marker={"color": colours, "symbol": "triangle-down", "size": 7},
        hovertemplate="True peak %{customdata:+.2f} dBTP at %{x:.1f} s<extra></extra>"))


def _add_issue_spans(fig: go.Figure, issues: list[Issue]) -> None:
    """One translucent vrect per issue, plus an invisible marker carrying its message."""
    for issue in issues:
        fig.add_vrect(x0=issue.start_s, x1=issue.end_s, line_width=0,
                      fillcolor=SEVERITY_COLOURS[issue.severity],
                      opacity=SEVERITY_FILL_OPACITY, layer="below",
                      annotation_text=issue.code, annotation_position="top left",
                      annotation_font_size=10)
    if not issues:
        return
    fig.add_trace(go.Scatter(
        x=[(i.start_s + i.end_s) / 2 for i in issues], y=[0.0] * len(issues),
        mode="markers", name="Issues", showlegend=False,
        marker={"color": [SEVERITY_COLOURS[i.severity] for i in issues], "size": 14,
                "opacity": 0.0},
        hovertext=[_issue_hover(i) for i in issues], hoverinfo="text"))


def _issue_hover(issue: Issue) -> str:
    span = f"{clock(issue.start_s)}-{clock(issue.end_s)}"
    return f"<b>{issue.code}</b> ({issue.severity}, {span})<br>{_wrap(issue.message)}"


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


def loudness_figure(result: AnalysisResult, target_lufs: float | None = None) -> go.Figure:
    """Momentary and short-term loudness over time, with the integrated value and target."""
    fig = go.Figure()
    series = result.series
    fig.add_trace(_loudness_trace(series.momentary_lufs, "Momentary (400 ms)",
                                  MOMENTARY_COLOUR, 1.0))
    fig.add_trace(_loudness_trace(series.short_term_lufs, "Short-term (3 s)", TRACK_COLOUR, 2.0))
    integrated = result.loudness.integrated_lufs
    if integrated is not None:
        fig.add_hline(y=integrated, line={"color": "#ffffff", "dash": "dash", "width": 1.5},
                      annotation_text=f"Integrated {integrated:.1f} LUFS",
                      annotation_position="bottom left")
    if target_lufs is not None:
        fig.add_hline(y=target_lufs, line={"color": TARGET_COLOUR, "dash": "dot", "width": 1.5},
                      annotation_text=f"Target {target_lufs:g} LUFS",
                      annotation_position="top left")
    fig.update_xaxes(title_text="Time (s)")
    fig.update_yaxes(title_text="Loudness (LUFS)",
                     range=[LOUDNESS_FLOOR_LUFS, _loudness_top(result, target_lufs)])
    return _layout(fig, "Loudness over time")


def _loudness_trace(series: TimeSeries, name: str, colour: str, width: float) -> go.Scatter:
    return go.Scatter(x=series.times_s(), y=_floored(series, LOUDNESS_FLOOR_LUFS), mode="lines",
                      name=name, line={"color": colour, "width": width},
                      hovertemplate=f"{name}<br>%{{x:.1f}} s: %{{y:.1f}} LUFS<extra></extra>")


def _loudness_top(result: AnalysisResult, target_lufs: float | None) -> float:
    candidates = [v for v in (result.loudness.momentary_max_lufs, target_lufs) if v is not None]
    return max([LOUDNESS_FLOOR_LUFS + 10.0, *candidates]) + 3.0


# --------------------------------------------------------------------------- spectrum


def _audible(values: Levels) -> np.ndarray:
    levels = np.asarray(values, dtype=float)
    return np.where(levels > SPECTRUM_FLOOR_DB, levels, np.nan)


def level_match_offset(centres_hz: Levels, anchor_db: Levels, other_db: Levels) -> float:
    """dB to add to ``other_db`` so it sits on ``anchor_db``: the median difference over
    63 Hz-8 kHz (a median, so the bands that differ do not drag the match)."""
    centres = np.asarray(centres_hz, dtype=float)
    difference = _audible(anchor_db) - _audible(other_db)
    usable = (centres >= MATCH_LOW_HZ) & (centres <= MATCH_HIGH_HZ) & ~np.isnan(difference)
    return float(np.median(difference[usable])) if usable.any() else 0.0


def _on_track_grid(result: AnalysisResult, other: AnalysisResult) -> np.ndarray:
    """``other``'s third-octave levels at ``result``'s centres (NaN where it has none)."""
    theirs = dict(zip(other.spectrum.third_octave_centres_hz, other.spectrum.third_octave_db,
                      strict=True))
    return np.array([theirs.get(c, np.nan) for c in result.spectrum.third_octave_centres_hz])


def genre_target_curve(result: AnalysisResult) -> tuple[np.ndarray, float]:
    """The genre's tonal target at the track's third-octave centres, level-matched to the
    track's spectrum, and the tolerance (dB) of the track's context."""
    targets, rules = judging_rules(result)
    centres = np.asarray(result.spectrum.third_octave_centres_hz, dtype=float)
    curve = genres.tonal_target_at(targets, centres)
    offset = level_match_offset(centres, result.spectrum.third_octave_db, curve)
    balance = result.spectrum.tonal_balance
    tolerance = balance.tolerance_db if balance is not None else rules.tonal_tolerance(targets)
    return curve + offset, tolerance


def spectrum_figure(result: AnalysisResult,
                    reference: AnalysisResult | None = None) -> go.Figure:
    """Third-octave long-term spectrum against the level-matched genre target (with its
    tolerance shaded) and, when given, the level-matched reference."""
    spectrum = result.spectrum
    centres = np.asarray(spectrum.third_octave_centres_hz, dtype=float)
    track = _audible(spectrum.third_octave_db)
    fig = go.Figure()
    if not np.all(np.isnan(track)):
        _add_target(fig, result, centres)
    fig.add_trace(go.Scatter(
        x=centres, y=_nullable(track), mode="lines+markers", name=_track_name(result),
        line={"color": TRACK_COLOUR, "width": 2.5}, marker={"size": 4},
        hovertemplate="%{x:.0f} Hz: %{y:.1f} dBFS<extra>track</extra>"))
    if reference is not None:
        fig.add_trace(_reference_trace(result, reference, centres))
    _log_frequency_axis(fig)
    fig.update_yaxes(title_text="Level (dBFS per 1/3 octave)")
    return _layout(fig, f"Spectrum vs {result.genre.display_label} target")


def _add_target(fig: go.Figure, result: AnalysisResult, centres: np.ndarray) -> None:
    curve, tolerance = genre_target_curve(result)
    label = result.genre.display_label
    fig.add_trace(go.Scatter(x=centres, y=curve + tolerance, mode="lines", line={"width": 0},
                             name=f"±{tolerance:g} dB tolerance", legendgroup="tolerance",
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=centres, y=curve - tolerance, mode="lines", line={"width": 0},
                             fill="tonexty", fillcolor=TARGET_BAND_FILL,
                             name=f"±{tolerance:g} dB tolerance", legendgroup="tolerance",
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=centres, y=curve, mode="lines", name=f"{label} target (level-matched)",
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
        hovertemplate=f"%{{x:.0f}} Hz: %{{y:.1f}} dB (±{tolerance:g} dB)<extra>target</extra>"))


def _reference_trace(result: AnalysisResult, reference: AnalysisResult,
                     centres: np.ndarray) -> go.Scatter:
    theirs = _audible(_on_track_grid(result, reference))
    offset = level_match_offset(centres, result.spectrum.third_octave_db, theirs)
    name = f"Reference: {_track_name(reference, 'reference')} (level-matched)"
    return go.Scatter(
        x=centres, y=_nullable(theirs + offset), mode="lines", name=name,
        line={"color": REFERENCE_COLOUR, "width": 2},
        hovertemplate=(f"%{{x:.0f}} Hz: %{{y:.1f}} dB (shifted {offset:+.1f} dB)"
                       "<extra>reference</extra>"))


def tonal_difference_figure(comparison: Comparison) -> go.Figure:
    """The EQ move (dB per third octave) that brings the track to the reference."""
    tonal = comparison.tonal_difference
    moves = np.array([np.nan if m is None else m for m in tonal.eq_move_db], dtype=float)
    words = ["boost" if m > 0 else "cut" for m in np.nan_to_num(moves)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=tonal.centres_hz, y=_nullable(moves), mode="lines+markers", name="EQ move",
        fill="tozeroy", line={"color": REFERENCE_COLOUR, "width": 2}, customdata=words,
        hovertemplate="%{x:.0f} Hz: %{customdata} %{y:+.1f} dB<extra></extra>"))
    fig.add_hline(y=0.0, line={"color": "#bdbdbd", "width": 1})
    _log_frequency_axis(fig)
    limit = max(6.0, float(np.nanmax(np.abs(moves))) + 1.0) if np.isfinite(moves).any() else 6.0
    fig.update_yaxes(title_text="EQ move (dB, + boost / - cut)", range=[-limit, limit])
    reference = comparison.reference_name or "the reference"
    offset = tonal.level_offset_db
    level = f"{abs(offset):.1f} dB {'louder' if offset >= 0 else 'quieter'}"
    return _layout(fig, f"EQ move towards {reference} (level-matched; the reference is {level})")


# --------------------------------------------------------------------------- bands


def band_figure(result: AnalysisResult, reference: AnalysisResult | None = None) -> go.Figure:
    """Energy share per band (bars), level in the hover; the reference side by side."""
    fig = go.Figure()
    fig.add_trace(_band_trace(result, _track_name(result), TRACK_COLOUR))
    if reference is not None:
        fig.add_trace(_band_trace(reference, f"Reference: {_track_name(reference, 'reference')}",
                                  REFERENCE_COLOUR))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="Band")
    fig.update_yaxes(title_text="Share of energy (%)", rangemode="tozero")
    return _layout(fig, "Energy per band")


def _band_trace(result: AnalysisResult, name: str, colour: str) -> go.Bar:
    levels = ["n/a" if b.level_db is None else f"{b.level_db:.1f} dBFS" for b in result.bands]
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
    fig.add_trace(go.Scatter(
        x=series.times_s(), y=_nullable(series.as_array()), mode="lines", name="Correlation",
        line={"color": TRACK_COLOUR, "width": 1.5},
        hovertemplate="%{x:.1f} s: correlation %{y:+.2f}<extra></extra>"))
    overall = result.stereo.correlation
    if overall is not None:
        fig.add_hline(y=overall, line={"color": "#ffffff", "dash": "dash", "width": 1},
                      annotation_text=f"Overall {overall:+.2f}", annotation_position="top left")
    fig.update_xaxes(title_text="Time (s)")
    fig.update_yaxes(title_text="Correlation (-1 to +1)", range=[-1.05, 1.05])
    return _layout(fig, "Stereo correlation over time (400 ms windows)")


def band_correlation_figure(result: AnalysisResult) -> go.Figure:
    """Correlation and width (side/mid energy) per band, as bars."""
    bands = result.stereo.bands
    labels = [BAND_LABELS.get(b.name, b.name) for b in bands]
    correlations = [b.correlation for b in bands]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("Correlation per band", "Width (side/mid) per band"))
    fig.add_trace(go.Bar(
        x=labels, y=correlations, name="Correlation",
        marker_color=[STATUS_COLOURS[correlation_status(c)] for c in correlations],
        hovertemplate="%{x}: correlation %{y:+.2f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(
        x=labels, y=[b.width for b in bands], name="Width", marker_color=TRACK_COLOUR,
        hovertemplate="%{x}: width %{y:.2f} (side/mid energy)<extra></extra>"), row=1, col=2)
    fig.update_yaxes(title_text="Correlation (-1 to +1)", range=[-1.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="Width (side/mid energy ratio)", rangemode="tozero",
                     row=1, col=2)
    fig.update_layout(showlegend=False)
    return _layout(fig, "Stereo per band")


# --------------------------------------------------------------------------- dynamics


def psr_floor_db(result: AnalysisResult) -> float:
    """PSR/PLR below which the track counts as squashed in its context and genre."""
    targets, rules = judging_rules(result)
    return targets.plr_db.min if rules.apply_genre_dynamics else rules.over_compressed_plr_db


def psr_figure(result: AnalysisResult) -> go.Figure:
    """Peak-to-short-term-loudness ratio over time, with the squashed zone shaded."""
    psr = result.series.psr_db
    values = psr.as_array()
    short_term = result.series.short_term_lufs.as_array()
    if short_term.size == values.size:
        values = np.where(short_term > SILENT_SHORT_TERM_LUFS, values, np.nan)
    floor = psr_floor_db(result)
    fig = go.Figure()
    fig.add_hrect(y0=0.0, y1=floor, fillcolor=NEGATIVE_ZONE_FILL, line_width=0, layer="below",
                  annotation_text=f"squashed (below {floor:g} dB)",
                  annotation_position="bottom left")
    fig.add_trace(go.Scatter(
        x=psr.times_s(), y=_nullable(values), mode="lines", name="PSR",
        line={"color": TRACK_COLOUR, "width": 1.5},
        hovertemplate="%{x:.1f} s: PSR %{y:.1f} dB<extra></extra>"))
    top = max(floor + 6.0, float(np.nanmax(values)) + 2.0) if np.isfinite(values).any() else 20.0
    fig.update_xaxes(title_text="Time (s)")
    fig.update_yaxes(title_text="PSR (dB, true peak - short-term loudness)", range=[0.0, top])
    return _layout(fig, "Peak-to-short-term-loudness ratio (PSR) over time")


# --------------------------------------------------------------------------- tables


def _round(value: float | None, digits: int = 1) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def platform_table(result: AnalysisResult) -> pd.DataFrame:
    """What each platform's loudness normalization does to the track, one row each."""
    rows = [{
        "Platform": p.platform,
        "Target (LUFS)": p.target_lufs,
        "Gain (dB)": _round(p.gain_db),
        "Output (LUFS)": _round(p.output_lufs),
        "Output true peak (dBTP)": _round(p.output_true_peak_dbtp),
        "Limited": p.limited,
        "Raise capped": p.raise_capped,
        "Peaks over": p.true_peak_over,
        "Uncertain": "?" if p.uncertain else "",
        "Note": p.note,
    } for p in result.platforms]
    return pd.DataFrame(rows)


def _unique_names(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _key_text(result: AnalysisResult) -> str | None:
    key = result.key
    if key.label is None:
        return None
    return f"{key.label} ({key.camelot})" if key.camelot else key.label


def metrics_table(results: list[tuple[str, AnalysisResult]]) -> pd.DataFrame:
    """Every headline metric side by side: one row per metric, one column per track."""
    names = _unique_names([name for name, _ in results])
    rows: list[dict[str, object]] = []
    for path, label, unit in METRICS:
        row: dict[str, object] = {"Metric": label, "Unit": unit}
        for name, (_, result) in zip(names, results, strict=True):
            row[name] = _round(metric_value(result, path), 2)
        rows.append(row)
    key_row: dict[str, object] = {"Metric": "Key", "Unit": "Camelot"}
    duration_row: dict[str, object] = {"Metric": "Duration", "Unit": "s"}
    for name, (_, result) in zip(names, results, strict=True):
        key_row[name] = _key_text(result)
        duration_row[name] = result.duration_s
    return pd.DataFrame([duration_row, *rows, key_row], columns=["Metric", "Unit", *names])


# --------------------------------------------------------------------------- overlays


def _colour(index: int) -> str:
    return OVERLAY_COLOURS[index % len(OVERLAY_COLOURS)]


def overlay_loudness_figure(results: list[tuple[str, AnalysisResult]]) -> go.Figure:
    """Short-term loudness of several tracks on one time axis; legend = track names."""
    fig = go.Figure()
    for index, (name, result) in enumerate(results):
        series = result.series.short_term_lufs
        integrated = result.loudness.integrated_lufs
        summary = "silent" if integrated is None else f"integrated {integrated:.1f} LUFS"
        fig.add_trace(go.Scatter(
            x=series.times_s(), y=_floored(series, LOUDNESS_FLOOR_LUFS), mode="lines", name=name,
            line={"color": _colour(index), "width": 1.8},
            hovertemplate=f"{name} ({summary})<br>%{{x:.1f}} s: %{{y:.1f}} LUFS<extra></extra>"))
    tops = [r.loudness.short_term_max_lufs for _, r in results
            if r.loudness.short_term_max_lufs is not None]
    fig.update_xaxes(title_text="Time (s)")
    fig.update_yaxes(title_text="Short-term loudness (LUFS)",
                     range=[LOUDNESS_FLOOR_LUFS, max([LOUDNESS_FLOOR_LUFS + 10.0, *tops]) + 3.0])
    return _layout(fig, "Short-term loudness, all tracks")


def overlay_spectrum_figure(results: list[tuple[str, AnalysisResult]]) -> go.Figure:
    """Third-octave spectra of several tracks, each level-matched to the first so the
    tonal shapes compare; legend = track names."""
    fig = go.Figure()
    if results:
        anchor = results[0][1]
        centres = np.asarray(anchor.spectrum.third_octave_centres_hz, dtype=float)
        for index, (name, result) in enumerate(results):
            levels = _audible(_on_track_grid(anchor, result))
            offset = level_match_offset(centres, anchor.spectrum.third_octave_db, levels)
            fig.add_trace(go.Scatter(
                x=centres, y=_nullable(levels + offset), mode="lines", name=name,
                line={"color": _colour(index), "width": 2},
                hovertemplate=(f"%{{x:.0f}} Hz: %{{y:.1f}} dB (shifted {offset:+.1f} dB)"
                               f"<extra>{name}</extra>")))
    _log_frequency_axis(fig)
    fig.update_yaxes(title_text="Level (dB per 1/3 octave, matched to the first track)")
    return _layout(fig, "Spectra, level-matched to the first track")


# --------------------------------------------------------------------------- metric cards


@dataclass(frozen=True)
class Card:
    """One headline figure as a page shows it, coloured by ``status``."""

    label: str
    value_text: str
    unit: str
    status: Status
    help: str


def _fmt(value: float | None, digits: int = 1, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _range_text(r: genres.Range, digits: int = 0) -> str:
    return f"{r.min:.{digits}f} to {r.max:.{digits}f}"


def headline_cards(result: AnalysisResult) -> list[Card]:
    """Integrated loudness, true peak, LRA, PLR, tempo, key, width and correlation, each
    judged against the track's context and genre."""
    targets, rules = judging_rules(result)
    label = result.genre.display_label
    return [
        _loudness_card(result, targets, rules, label),
        _true_peak_card(result, targets, rules),
        _lra_card(result, targets, rules, label),
        _plr_card(result, targets, rules, label),
        _tempo_card(result, targets, label),
        _key_card(result),
        _width_card(result, targets, label),
        _correlation_card(result),
    ]


def _loudness_card(result: AnalysisResult, targets: genres.GenreTargets,
                   rules: genres.ContextRules, label: str) -> Card:
    wanted = rules.loudness_range(targets)
    value = result.loudness.integrated_lufs
    if rules.apply_genre_loudness:
        why = f"{label} masters sit at {_range_text(wanted)} LUFS"
    else:
        why = (f"a {rules.label.lower()} should sit at {_range_text(wanted)} LUFS; "
               "loudness is set at mastering")
    return Card("Integrated loudness", _fmt(value), "LUFS", loudness_status(result),
                f"ITU-R BS.1770 / EBU R128 integrated loudness; {why}.")


def _true_peak_card(result: AnalysisResult, targets: genres.GenreTargets,
                    rules: genres.ContextRules) -> Card:
    limit = rules.true_peak_limit(targets)
    value = result.loudness.true_peak_dbtp
    return Card("True peak", _fmt(value, sign=True), "dBTP", true_peak_status(result),
                f"ITU-R BS.1770 true peak (oversampled); keep it at or below {limit:g} dBTP "
                f"for a {rules.label.lower()}. Above 0 dBTP it clips on playback.")


def _lra_card(result: AnalysisResult, targets: genres.GenreTargets,
              rules: genres.ContextRules, label: str) -> Card:
    value = result.loudness.lra_lu
    if not rules.apply_genre_dynamics:
        return Card("Loudness range", _fmt(value), "LU", "unknown",
                    f"EBU Tech 3342 loudness range; not judged for a {rules.label.lower()}.")
    return Card("Loudness range", _fmt(value), "LU",
                metric_status(value, targets.lra_lu, warn_within=math.inf),
                f"EBU Tech 3342 loudness range; {label} masters measure "
                f"{_range_text(targets.lra_lu)} LU.")


def _plr_card(result: AnalysisResult, targets: genres.GenreTargets,
              rules: genres.ContextRules, label: str) -> Card:
    value = result.loudness.plr_db
    floor = plr_floor(result)
    status = plr_status(result)
    if rules.apply_genre_dynamics:
        why = f"{label} masters measure {_range_text(targets.plr_db)} dB"
    else:
        why = f"a {rules.label.lower()} below {floor:g} dB is already squashed"
    return Card("PLR", _fmt(value), "dB", status,
                f"Peak-to-loudness ratio (true peak - integrated loudness); {why}.")


def _tempo_card(result: AnalysisResult, targets: genres.GenreTargets, label: str) -> Card:
    bpm = result.tempo.bpm
    return Card("Tempo", _fmt(bpm), "BPM", tempo_status(result),
                f"{label} tempos run {_range_text(targets.bpm)} BPM (half or double time "
                f"accepted); detection confidence {result.tempo.confidence:.0%}.")


def _key_card(result: AnalysisResult) -> Card:
    key = result.key
    text = _key_text(result)
    if text is None:
        return Card("Key", "n/a", "", "unknown", "No clear key: atonal, noisy or drums only.")
    status: Status = "good" if key.confidence >= KEY_CONFIDENT else "warn"
    others = f"; also possible: {', '.join(key.alternatives)}" if key.alternatives else ""
    return Card("Key", text, "", status,
                f"Estimated key with its Camelot code, confidence {key.confidence:.0%}"
                f"{others}.")


def _width_card(result: AnalysisResult, targets: genres.GenreTargets, label: str) -> Card:
    value = result.stereo.width
    if result.channels == 1:
        return Card("Width", "mono", "S/M", "unknown", "A mono file has no stereo width.")
    return Card("Width", _fmt(value, 2), "S/M",
                metric_status(value, targets.stereo_width, warn_within=math.inf),
                f"Side/mid energy ratio (0 = mono); {label} mixes measure "
                f"{_range_text(targets.stereo_width, 2)}.")


def _correlation_card(result: AnalysisResult) -> Card:
    value = result.stereo.correlation
    return Card("Correlation", _fmt(value, 2, sign=True), "", correlation_status(value),
                f"Phase correlation (+1 mono, 0 unrelated, -1 out of phase); below "
                f"{CORRELATION_WARN:+.1f} the mix loses level in mono, below "
                f"{CORRELATION_BAD:+.1f} parts cancel.")
