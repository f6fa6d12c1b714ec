"""The views a meter has, as plotly figures on the dark theme: spectrogram (log
frequency), vectorscope density, correlation and width over time, the short-term
loudness histogram and the fine (1/12-octave) spectrum analyser against the genre target
and the reference.

Pure functions (no streamlit), like ``ui.plots``. Each view reads its data from the
stored analysis through a small decoder (``spectrogram_of``, ``vectorscope_of``,
``fine_spectrum_of``, ``width_of``) that returns None for an analysis made before the
measurement existed; the page then says it was not measured for that analysis. Times are
m:ss on every axis and in every hover, frequencies on 20 Hz-20 kHz log axes.
"""

from __future__ import annotations

import base64
import html
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.plots import (
    NEGATIVE_ZONE_FILL,
    REFERENCE_COLOUR,
    TARGET_BAND_FILL,
    TARGET_COLOUR,
    TRACK_COLOUR,
    _layout,
    _nullable,
    clocks,
    frequency_axis,
    time_axis,
    time_ticks,
)
from zz_core.advise import figures
from zz_core.fmt import figure, number, value_range
from zz_core.judge import genres
from zz_core.judge.judging import judging_rules, tonal_tolerance
from zz_core.judge.models import AnalysisResult
from zz_core.measure.series import TimeSeries
from zz_core.measure.spectrum import audible_levels, level_match_offset
from zz_core.output.chartdata import track_name

NOT_MEASURED = "Not measured for this older analysis: analyse the track again to see it."
SQUARE = 420
SPECTROGRAM_HEIGHT = 380
SPECTROGRAM_RANGE_DB = 90.0
"""The spectrogram's colours span this many dB below its loudest cell."""
HISTOGRAM_FLOOR_LUFS = -70.0
"""Short-term values at or below this (silence) stay out of the histogram."""
WIDTH_COLOUR = "#ffb74d"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SpectrogramData:
    """Levels (dBFS, rows x columns) at each column's time (s) and row's frequency (Hz)."""

    times_s: np.ndarray
    frequencies_hz: np.ndarray
    levels_db: np.ndarray


@dataclass(frozen=True)
class VectorscopeData:
    """Density of (side, mid) over the programme, 0..1 (1 = the densest cell), rows from
    mid = +1 (top) down, columns from side = -1; both axes normalised to ``scale``."""

    density: np.ndarray
    scale: float


@dataclass(frozen=True)
class FineSpectrumData:
    """Long-term level (dBFS, NaN for empty bands) per fractional-octave band."""

    centres_hz: np.ndarray
    levels_db: np.ndarray
    bands_per_octave: int


def _codes(text: str) -> np.ndarray | None:
    """Base64 text as uint8 codes; None when it is not valid base64."""
    try:
        return np.frombuffer(base64.b64decode(text, validate=True), dtype=np.uint8)
    except (ValueError, TypeError):
        return None


def spectrogram_of(result: AnalysisResult) -> SpectrogramData | None:
    """The analysis' spectrogram (``series.spectrogram``), decoded: level = floor + code x
    step dB, code 0 (at or below the floor) undefined; None when it has none."""
    model = getattr(result.series, "spectrogram", None)
    if model is None:
        return None
    rows = len(model.frequencies_hz)
    codes = _codes(model.codes)
    if codes is None or rows == 0 or codes.size == 0 or codes.size % rows:
        return None
    grid = codes.reshape(codes.size // rows, rows).T  # rows x columns
    levels = np.where(grid > 0, model.floor_db + model.step_db * grid.astype(float), np.nan)
    times = model.start_s + model.hop_s * np.arange(grid.shape[1])
    return SpectrogramData(times, np.asarray(model.frequencies_hz, dtype=float), levels)


def vectorscope_of(result: AnalysisResult) -> VectorscopeData | None:
    """The analysis' vectorscope density (``vectorscope``), decoded; None without one."""
    model = getattr(result, "vectorscope", None)
    if model is None:
        return None
    codes = _codes(model.codes)
    if codes is None or codes.size != model.size * model.size:
        return None
    return VectorscopeData(codes.reshape(model.size, model.size) / 255.0, float(model.scale))


def fine_spectrum_of(result: AnalysisResult) -> FineSpectrumData | None:
    """The analysis' fine spectrum (``fine_spectrum``); None without one."""
    model = getattr(result, "fine_spectrum", None)
    if model is None:
        return None
    return FineSpectrumData(np.asarray(model.centres_hz, dtype=float),
                            audible_levels(model.levels_db), int(model.bands_per_octave))


def width_of(result: AnalysisResult) -> TimeSeries | None:
    """The analysis' width over time (``series.width``); None without it."""
    series = getattr(result.series, "width", None)
    return series if isinstance(series, TimeSeries) else None


# --------------------------------------------------------------------------- spectrogram


def spectrogram_figure(data: SpectrogramData, duration_s: float) -> go.Figure:
    """Level over time and log frequency as a heatmap: m:ss across, 20 Hz-20 kHz up,
    colours over the loudest SPECTROGRAM_RANGE_DB."""
    top = float(np.nanmax(data.levels_db)) if np.isfinite(data.levels_db).any() else 0.0
    fig = go.Figure(go.Heatmap(
        x=clocks(data.times_s), y=data.frequencies_hz, z=data.levels_db,
        zmin=top - SPECTROGRAM_RANGE_DB, zmax=top, colorscale="Inferno",
        colorbar={"title": {"text": "dBFS", "side": "right"}, "thickness": 12},
        hovertemplate="%{x}, %{y:.0f} Hz: %{z:.0f} dBFS<extra></extra>", hoverongaps=False))
    fig.update_yaxes(**frequency_axis())
    fig.update_xaxes(type="category", title_text="Time (m:ss)",
                     **column_ticks(data.times_s, duration_s))
    return _layout(fig, "Spectrogram", height=SPECTROGRAM_HEIGHT)


def column_ticks(times_s: np.ndarray, duration_s: float) -> dict[str, object]:
    """Ticks of a spectrogram's time axis (its columns are categories named m:ss.s): the
    column nearest each of ``time_ticks``' round times, labelled with that time."""
    if not len(times_s):
        return {}
    columns = clocks(times_s)
    values, labels = time_ticks(duration_s)
    nearest = [int(np.argmin(np.abs(times_s - value))) for value in values]
    return {"tickmode": "array", "tickvals": [columns[i] for i in nearest],
            "ticktext": labels}


# --------------------------------------------------------------------------- vectorscope


def vectorscope_figure(data: VectorscopeData) -> go.Figure:
    """Where the samples sit in the stereo field (density of side across, mid up): a
    vertical line is mono, a circle wide, a horizontal line out of phase; the diagonals
    are the left and right channels alone."""
    size = data.density.shape[0]
    axis = np.linspace(-1.0, 1.0, size)
    shown = np.where(data.density > 0, data.density, np.nan)
    fig = go.Figure(go.Heatmap(
        x=axis, y=axis[::-1], z=shown, colorscale="Viridis", zmin=0.0, zmax=1.0,
        showscale=False, hoverongaps=False,
        hovertemplate="side %{x:+.2f}, mid %{y:+.2f}: density %{z:.2f}<extra></extra>"))
    guide = {"color": "rgba(255, 255, 255, 0.35)", "width": 1, "dash": "dot"}
    for x0, y0, x1, y1 in ((-1, -1, 1, 1), (-1, 1, 1, -1), (0, -1, 0, 1), (-1, 0, 1, 0)):
        fig.add_shape(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=guide)
    for text, x, y in (("L", -0.92, 0.92), ("R", 0.92, 0.92), ("M", 0.0, 1.04),
                       ("S", 1.04, 0.0), ("-S", -1.06, 0.0)):
        fig.add_annotation(x=x, y=y, text=text, showarrow=False,
                           font={"size": 12, "color": "#bdbdbd"})
    fig.update_xaxes(range=[-1.12, 1.12], title_text="Side (L-R)", zeroline=False,
                     showticklabels=False, showgrid=False)
    fig.update_yaxes(range=[-1.12, 1.12], title_text="Mid (L+R)", zeroline=False,
                     showticklabels=False, showgrid=False, scaleanchor="x", scaleratio=1)
    return _layout(fig, f"Vectorscope (programme, scaled to {figure(_dbfs(data.scale), 'dBFS')})",
                   height=SQUARE)


def _dbfs(linear: float) -> float | None:
    return 20.0 * math.log10(linear) if linear > 0 else None


# --------------------------------------------------------------------------- stereo over time


def stereo_time_figure(result: AnalysisResult) -> go.Figure:
    """Phase correlation (top) and width (side/mid energy, bottom) over time on one m:ss
    axis; the out-of-phase zone shaded."""
    width = width_of(result)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.55, 0.45])
    correlation = result.series.correlation
    times = correlation.times_s()
    fig.add_hrect(y0=-1.0, y1=0.0, fillcolor=NEGATIVE_ZONE_FILL, line_width=0, layer="below",
                  row=1, col=1)
    fig.add_trace(go.Scatter(
        x=times, y=_nullable(correlation.as_array()), mode="lines", name="Correlation",
        line={"color": TRACK_COLOUR, "width": 1.5}, customdata=clocks(times),
        hovertemplate="%{customdata}: correlation %{y:+.2f}<extra></extra>"), row=1, col=1)
    if width is None:
        fig.add_annotation(text="Width over time: " + NOT_MEASURED, xref="x2 domain",
                           yref="y2 domain", x=0.5, y=0.5, showarrow=False,
                           font={"color": "#bdbdbd"})
    else:
        width_times = width.times_s()
        fig.add_trace(go.Scatter(
            x=width_times, y=_nullable(width.as_array()), mode="lines", name="Width",
            line={"color": WIDTH_COLOUR, "width": 1.5}, customdata=clocks(width_times),
            hovertemplate="%{customdata}: width %{y:.2f} (side/mid)<extra></extra>"),
            row=2, col=1)
    fig.update_yaxes(title_text="Correlation", range=[-1.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="Width (S/M)", range=[0.0, width_top(width)], row=2, col=1)
    time_axis(fig, result.duration_s, title="", row=1, col=1)
    time_axis(fig, result.duration_s, row=2, col=1)
    return _layout(fig, "Correlation and width over time (400 ms windows)", height=420)


def width_top(width: TimeSeries | None) -> float:
    """The top of the width axis: the widest window, at least 0.5 (so a narrow track does
    not look wide) and at most WIDTH_TOP (an out-of-phase stretch, whose mid nearly
    vanishes, would reach hundreds and flatten everything else; its hover keeps the value)."""
    values = np.array([]) if width is None else width.as_array()
    values = values[np.isfinite(values)]
    widest = float(values.max()) * 1.05 if values.size else 0.0
    return round(min(WIDTH_TOP, max(0.5, widest)), 2)


WIDTH_TOP = 2.0


# --------------------------------------------------------------------------- loudness


def loudness_histogram_figure(result: AnalysisResult,
                              target: tuple[float, float] | None = None) -> go.Figure:
    """How much of the track sits at each short-term loudness (1 LU bins, % of the
    programme's time), with the integrated loudness and the target range."""
    values = result.series.short_term_lufs.as_array()
    values = values[np.isfinite(values) & (values > HISTOGRAM_FLOOR_LUFS)]
    fig = go.Figure()
    if target is not None:
        fig.add_vrect(x0=target[0], x1=target[1], fillcolor=TARGET_BAND_FILL, line_width=0,
                      layer="below", annotation_text=f"target {value_range(*target, 'LUFS')}",
                      annotation_position="top left", annotation_font_size=10)
    if values.size:
        low, high = math.floor(values.min()), math.ceil(values.max()) + 1
        counts, edges = np.histogram(values, bins=np.arange(low, high + 1, 1.0))
        shares = 100.0 * counts / values.size
        fig.add_trace(go.Bar(
            x=(edges[:-1] + 0.5), y=shares, width=0.9, name="Short-term loudness",
            marker_color=TRACK_COLOUR,
            customdata=[value_range(a, b, "LUFS") for a, b in itertools.pairwise(edges)],
            hovertemplate="%{customdata}: %{y:.1f} % of the time<extra></extra>"))
    integrated = result.loudness.integrated_lufs
    if integrated is not None:
        fig.add_vline(x=integrated, line={"color": "#ffffff", "dash": "dash", "width": 1.5},
                      annotation_text=f"integrated {figure(integrated, 'LUFS')}",
                      annotation_position="top right")
    fig.update_xaxes(title_text="Short-term loudness (LUFS, 3 s)")
    fig.update_yaxes(title_text="Share of the time (%)", rangemode="tozero")
    fig.update_layout(showlegend=False, bargap=0.05)
    return _layout(fig, "Short-term loudness distribution")


def loudness_target(result: AnalysisResult) -> tuple[float, float]:
    """The integrated-loudness range the track is judged against (LUFS): the genre's for
    a master, the context's own otherwise."""
    targets, rules = judging_rules(result)
    band = rules.loudness_range(targets)
    return band.min, band.max


# --------------------------------------------------------------------------- fine spectrum


def fine_spectrum_figure(result: AnalysisResult, data: FineSpectrumData,
                         reference: AnalysisResult | None = None) -> go.Figure:
    """The fine spectrum analyser: the track's 1/12-octave (or 1/6) levels against the
    genre's tonal target (level-matched, its tolerance shaded) and the level-matched
    reference's fine spectrum when it has one."""
    fig = go.Figure()
    centres = data.centres_hz
    audible = np.isfinite(data.levels_db)
    if audible.any():
        curve = genres.tonal_target_at(judging_rules(result)[0], centres)
        offset = level_match_offset(centres, _listed(data.levels_db), curve)
        target = curve + offset
        tolerance = tonal_tolerance(result)
        band = f"{figures.tolerance_text(tolerance)} tolerance"
        fig.add_trace(go.Scatter(x=centres, y=target + tolerance, mode="lines",
                                 line={"width": 0}, legendgroup="tolerance", name=band,
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=centres, y=target - tolerance, mode="lines",
                                 line={"width": 0}, fill="tonexty", fillcolor=TARGET_BAND_FILL,
                                 legendgroup="tolerance", name=band, hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=centres, y=target, mode="lines", line={"color": TARGET_COLOUR, "dash": "dash",
                                                     "width": 1.5},
            name=f"{html.escape(result.genre.display_label)} target (level-matched)",
            hovertemplate="%{x:.0f} Hz: %{y:.1f} dB<extra>target</extra>"))
    fig.add_trace(go.Scatter(
        x=centres, y=_nullable(data.levels_db), mode="lines",
        name=html.escape(track_name(result)), line={"color": TRACK_COLOUR, "width": 2},
        hovertemplate="%{x:.0f} Hz: %{y:.1f} dBFS<extra>track</extra>"))
    theirs = fine_spectrum_of(reference) if reference is not None else None
    if theirs is not None and reference is not None:
        levels = np.interp(np.log(centres), np.log(theirs.centres_hz), theirs.levels_db,
                           left=np.nan, right=np.nan)
        shift = level_match_offset(centres, _listed(data.levels_db), levels)
        fig.add_trace(go.Scatter(
            x=centres, y=_nullable(levels + shift), mode="lines",
            name=f"Reference: {html.escape(track_name(reference, 'reference'))} "
                 "(level-matched)",
            line={"color": REFERENCE_COLOUR, "width": 1.5},
            hovertemplate=(f"%{{x:.0f}} Hz: %{{y:.1f}} dB (shifted {number(shift, sign=True)}"
                           " dB)<extra>reference</extra>")))
    fig.update_xaxes(**frequency_axis())
    fig.update_yaxes(title_text=f"Level (dBFS per 1/{data.bands_per_octave} octave)")
    return _layout(fig, f"Spectrum analyser, 1/{data.bands_per_octave} octave, vs the "
                        f"{html.escape(result.genre.display_label)} target")


def _listed(values: np.ndarray) -> Sequence[float]:
    return [float(v) for v in values]
