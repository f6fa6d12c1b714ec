"""Charts for print (the PDF reports): matplotlib figures rendered off-screen to PNG bytes,
and the fonts print uses.

No pyplot: every chart builds its own ``Figure`` on an Agg canvas and sets its styles
explicitly, so charts leave no pyplot state behind. Light, print-friendly colours; units in
the axis labels; log-frequency axes span 20 Hz-20 kHz. Undefined values (silence, None) are
gaps, never errors.

Fonts: DejaVu Sans (matplotlib ships it) for everything, with an installed CJK font as
fallback (Debian ``fonts-wqy-microhei``, or one of ``CJK_FONTS``): the report prints with
the same files. Names from users are cleaned first: a character no font covers becomes a
white square. The one global change is registering that CJK font with matplotlib's font
manager, once, so chart text can fall back to it.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from zz_core.advise import figures
from zz_core.fmt import figure as figure_text
from zz_core.fmt import hz_label, number
from zz_core.judge.models import AnalysisResult, Comparison
from zz_core.measure.spectrum import BAND_LABELS
from zz_core.output import chartdata
from zz_core.output.chartdata import FREQ_MAX_HZ, FREQ_MIN_HZ, Results

DPI = 200
WIDTH_IN = 7.0  # about the text width of an A4 page with 15 mm margins
HEIGHT_IN = 2.5
FONT_SIZE = 7.5
TITLE_SIZE = 9.0

TRACK = "#1565c0"
MOMENTARY = "#90caf9"
REFERENCE = "#c2185b"
TARGET = "#558b2f"
TARGET_FILL = "#dcedc8"
INTEGRATED = "#263238"
GRID = "#e0e0e0"
TEXT = "#37474f"
SEVERITY = {"critical": "#d32f2f", "warning": "#f9a825", "info": "#1e88e5"}
STATUS = {"good": "#43a047", "warn": "#f9a825", "bad": "#e53935", "unknown": "#9e9e9e"}
OVERLAY = ("#1565c0", "#c2185b", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457",
           "#9e9d24", "#4e342e", "#546e7a")

FREQ_TICKS_HZ = (31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)

DEJAVU_DIRS = (Path(matplotlib.get_data_path()) / "fonts" / "ttf",
               Path("/usr/share/fonts/truetype/dejavu"))
CJK_FONTS: tuple[tuple[Path, int], ...] = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),  # Debian fonts-wqy-microhei
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),  # fonts-wqy-zenhei
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 0),  # fonts-noto-cjk
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), 0),  # fonts-droid-fallback
)
"""CJK fallback fonts, used when installed (first found wins): (path, face in collection)."""
MISSING_GLYPH = "□"
"""Printed for a character no available font covers (emoji without an emoji font, ...)."""


# --------------------------------------------------------------------------- fonts and text


def dejavu_font(name: str) -> Path:
    """A DejaVu font file by name ("DejaVuSans.ttf"): matplotlib's copy, else Debian's."""
    for folder in DEJAVU_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name} not found (matplotlib ships it in mpl-data/fonts/ttf)")


def cjk_font() -> tuple[Path, int] | None:
    """The installed CJK fallback font (path, face number), or None."""
    return next(((p, n) for p, n in CJK_FONTS if p.is_file()), None)


@lru_cache(maxsize=8)
def font_coverage(path: str, number: int = 0) -> frozenset[int]:
    """Code points a font file (or one face of a collection) has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=number, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def plain_text(text: str, covered: Callable[[str], bool]) -> str:
    """Text safe to print: NFC, newlines kept, tabs as spaces, control and format characters
    dropped, unusual spaces as plain spaces, and each run of characters for which
    ``covered`` is False replaced by one MISSING_GLYPH."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for ch in text.replace("\t", "    "):
        category = unicodedata.category(ch)
        if ch == "\n" or category in ("Zl", "Zp"):
            out.append("\n")
        elif category in ("Cc", "Cf"):
            continue
        elif category.startswith("Z"):
            out.append(" ")
        elif category not in ("Cs", "Co", "Cn") and covered(ch):
            out.append(ch)
        elif category.startswith("M"):
            continue  # a mark the fonts lack: the base letter alone reads better than a box
        elif not out or out[-1] != MISSING_GLYPH:
            out.append(MISSING_GLYPH)
    return "".join(out)


@lru_cache(maxsize=1)
def _chart_fonts() -> tuple[str | None, frozenset[int], frozenset[int]]:
    """The CJK fallback family for chart text (registered with matplotlib once; None when
    no CJK font is installed), and the code points DejaVu Sans and that font cover."""
    dejavu = font_coverage(str(dejavu_font("DejaVuSans.ttf")))
    found = cjk_font()
    if found is None:
        return None, dejavu, frozenset()
    path = str(found[0])
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    names = [e.name for e in font_manager.fontManager.ttflist if e.fname == path]
    if not names:
        return None, dejavu, frozenset()
    return names[0], dejavu, font_coverage(path, found[1])


def chart_text(text: str) -> str:
    """User text (a track name, a free-text subgenre) as chart fonts can draw it, one line."""
    _, dejavu, fallback = _chart_fonts()
    covered = dejavu | fallback
    return " ".join(plain_text(text, lambda ch: ord(ch) in covered).split())


def _font(size: float, bold: bool = False, text: str = "") -> FontProperties:
    """DejaVu Sans; with the CJK fallback (which has no bold) when ``text`` needs it."""
    family, dejavu, _ = _chart_fonts()
    if family is not None and any(ord(ch) not in dejavu for ch in text):
        return FontProperties(family=["DejaVu Sans", family], size=size)
    return FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")


# --------------------------------------------------------------------------- plumbing


def _figure(height_in: float = HEIGHT_IN, width_in: float = WIDTH_IN) -> Figure:
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor="white",
                    layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _style(ax: Axes, title: str, xlabel: str, ylabel: str) -> None:
    title = chart_text(title)
    ax.set_title(title, fontproperties=_font(TITLE_SIZE, bold=True, text=title), color=TEXT,
                 loc="left")
    ax.set_xlabel(xlabel, fontsize=FONT_SIZE, color=TEXT)
    ax.set_ylabel(ylabel, fontsize=FONT_SIZE, color=TEXT)
    ax.tick_params(labelsize=FONT_SIZE - 0.5, colors=TEXT, length=2)
    ax.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#b0bec5")


def _legend(ax: Axes, columns: int = 4) -> None:
    """The axes' legend below the plot, outside it (the layout makes room)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles and ax.figure is not None:
        labels = [chart_text(t) for t in labels]
        ax.figure.legend(handles, labels, frameon=False,
                         prop=_font(FONT_SIZE - 0.5, text="".join(labels)),
                         ncols=min(columns, len(handles)), loc="outside lower center",
                         handlelength=1.6, columnspacing=1.4)


def _note(ax: Axes, text: str) -> None:
    """A message in the middle of an empty plot (silence, mono, nothing to show)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontsize=FONT_SIZE + 0.5, color="#78909c")


def _time_axis(ax: Axes) -> None:
    def minutes(value: float, _position: float) -> str:
        seconds = max(0.0, value)
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"

    ax.xaxis.set_major_formatter(FuncFormatter(minutes))


def _frequency_axis(ax: Axes) -> None:
    ax.set_xscale("log")
    ax.set_xlim(FREQ_MIN_HZ, FREQ_MAX_HZ)
    ax.xaxis.set_major_locator(FixedLocator(list(FREQ_TICKS_HZ)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(_hz_label))


def _hz_label(value: float, _position: float) -> str:
    return hz_label(value)


# --------------------------------------------------------------------------- loudness


def loudness_chart(result: AnalysisResult, target_lufs: float | None = None) -> bytes:
    """Momentary and short-term loudness over time with the integrated value and, when
    given, the target (LUFS)."""
    figure = _figure()
    ax = figure.add_subplot()
    _style(ax, "Loudness over time", "Time (m:ss)", "Loudness (LUFS)")
    series = result.series
    floor = chartdata.LOUDNESS_FLOOR_LUFS
    ax.plot(series.momentary_lufs.times_s(), chartdata.above_floor(series.momentary_lufs, floor),
            color=MOMENTARY, linewidth=0.7, label="Momentary (400 ms)")
    ax.plot(series.short_term_lufs.times_s(),
            chartdata.above_floor(series.short_term_lufs, floor), color=TRACK, linewidth=1.4,
            label="Short-term (3 s)")
    integrated = result.loudness.integrated_lufs
    if integrated is not None:
        ax.axhline(integrated, color=INTEGRATED, linestyle="--", linewidth=1.0,
                   label=f"Integrated {figure_text(integrated, 'LUFS')}")
    if target_lufs is not None:
        ax.axhline(target_lufs, color=TARGET, linestyle=":", linewidth=1.4,
                   label=f"Target {figure_text(target_lufs, 'LUFS')}")
    ax.set_ylim(floor, chartdata.loudness_top(result, target_lufs))
    ax.set_xlim(0.0, max(result.duration_s, 1.0))
    _time_axis(ax)
    if integrated is None:
        _note(ax, "Silent: no audio above -70 LUFS")
    _legend(ax)
    return _png(figure)


def overlay_loudness_chart(results: Results) -> bytes:
    """Short-term loudness of several tracks on one time axis."""
    figure = _figure(HEIGHT_IN + 0.3)
    ax = figure.add_subplot()
    _style(ax, "Short-term loudness, all tracks", "Time (m:ss)", "Short-term loudness (LUFS)")
    floor = chartdata.LOUDNESS_FLOOR_LUFS
    for index, (name, result) in enumerate(results):
        integrated = result.loudness.integrated_lufs
        summary = "silent" if integrated is None else figure_text(integrated, "LUFS")
        ax.plot(result.series.short_term_lufs.times_s(),
                chartdata.above_floor(result.series.short_term_lufs, floor), linewidth=1.2,
                color=OVERLAY[index % len(OVERLAY)], label=f"{name} ({summary})")
    ax.set_ylim(floor, chartdata.overlay_loudness_top(results))
    ax.set_xlim(0.0, max([1.0, *(r.duration_s for _, r in results)]))
    _time_axis(ax)
    if not results:
        _note(ax, "No tracks")
    _legend(ax, columns=3)
    return _png(figure)


# --------------------------------------------------------------------------- spectrum


def spectrum_chart(result: AnalysisResult, reference: AnalysisResult | None = None) -> bytes:
    """Third-octave long-term spectrum against the level-matched genre target (tolerance
    shaded) and the level-matched reference: the one given, else the one the stored
    comparison describes."""
    figure = _figure(HEIGHT_IN + 0.2)
    ax = figure.add_subplot()
    label = result.genre.display_label
    _style(ax, f"Spectrum vs the {label} target", "Frequency (Hz)",
           "Level (dBFS per 1/3 octave)")
    data = chartdata.spectrum_data(result, reference, from_comparison=True)
    centres = data.centres_hz
    if data.target is None:
        _note(ax, "No audible spectrum (silence)")
    else:
        tolerance = data.target.tolerance_db
        ax.fill_between(centres, data.target.lower, data.target.upper, color=TARGET_FILL,
                        linewidth=0, label=f"Tolerance {figures.tolerance_text(tolerance)}")
        ax.plot(centres, data.target.levels_db, color=TARGET, linestyle="--", linewidth=1.2,
                label=f"{label} target (level-matched)")
        ax.plot(centres, data.track_db, color=TRACK, linewidth=1.6, marker="o",
                markersize=1.8, label=chartdata.track_name(result))
        if data.reference is not None:
            ax.plot(centres, data.reference.levels_db, color=REFERENCE, linewidth=1.3,
                    label=f"Reference: {data.reference.name} (level-matched)")
    _frequency_axis(ax)
    _legend(ax, columns=2)
    return _png(figure)


def tonal_balance_chart(result: AnalysisResult) -> bytes:
    """Octave-band deviation from the genre's tonal curve (dB), the tolerance shaded;
    bars coloured by how far they stray."""
    figure = _figure(HEIGHT_IN - 0.2)
    ax = figure.add_subplot()
    _style(ax, f"Tonal balance vs the {result.genre.display_label} target",
           "Octave band (Hz)", "Deviation (dB)")
    bars = chartdata.tonal_bars(result)
    if bars is None:
        _note(ax, "No tonal balance (silence)")
        ax.set_xticks([])
        return _png(figure)
    tolerance = bars.tolerance_db
    positions = np.arange(len(bars.centres_hz))
    deviations = bars.deviations_db
    ax.axhspan(-tolerance, tolerance, color=TARGET_FILL, linewidth=0,
               label=f"Tolerance {figures.tolerance_text(tolerance)}")
    ax.bar(positions, np.nan_to_num(deviations), color=[STATUS[s] for s in bars.statuses],
           width=0.6)
    ax.axhline(0.0, color="#90a4ae", linewidth=0.8)
    for x, d in zip(positions.tolist(), deviations.tolist(), strict=True):
        if not math.isnan(d):
            ax.text(x, d, number(d, sign=True), ha="center", va="bottom" if d >= 0 else "top",
                    fontsize=FONT_SIZE - 1, color=TEXT)
    ax.set_xticks(positions, [_hz_label(c, 0) for c in bars.centres_hz])
    limit = max(2 * tolerance, chartdata.finite_max(np.abs(deviations), 0.0) + 2.0)
    ax.set_ylim(-limit, limit)
    _legend(ax)
    return _png(figure)


def overlay_spectrum_chart(results: Results) -> bytes:
    """Third-octave spectra of several tracks, each level-matched to the first track."""
    figure = _figure(HEIGHT_IN + 0.3)
    ax = figure.add_subplot()
    _style(ax, "Spectra, level-matched to the first track", "Frequency (Hz)",
           "Level (dB per 1/3 octave)")
    centres, curves = chartdata.overlay_spectra(results)
    for index, curve in enumerate(curves):
        ax.plot(centres, curve.levels_db, linewidth=1.3, color=OVERLAY[index % len(OVERLAY)],
                label=curve.name)
    if not curves:
        _note(ax, "No tracks")
    _frequency_axis(ax)
    _legend(ax, columns=3)
    return _png(figure)


def eq_move_chart(comparison: Comparison) -> bytes:
    """The EQ move per third octave (dB, + boost) that brings the level-matched track to
    the reference."""
    figure = _figure(HEIGHT_IN - 0.2)
    ax = figure.add_subplot()
    name = comparison.reference_name or "the reference"
    _style(ax, f"EQ move towards {name} (level-matched;\n{figures.loudness_sentence(comparison)})",
           "Frequency (Hz)", "EQ move (dB, + boost)")
    centres, moves = chartdata.eq_moves(comparison)
    if centres.size and np.isfinite(moves).any():
        ax.fill_between(centres, 0.0, moves, color=REFERENCE, alpha=0.18, linewidth=0)
        ax.plot(centres, moves, color=REFERENCE, linewidth=1.4, marker="o", markersize=1.8)
    else:
        _note(ax, "No comparable spectrum")
    ax.axhline(0.0, color="#90a4ae", linewidth=0.8)
    limit = chartdata.eq_move_limit(moves)
    ax.set_ylim(-limit, limit)
    _frequency_axis(ax)
    return _png(figure)


# --------------------------------------------------------------------------- bands


def band_chart(result: AnalysisResult, reference: AnalysisResult | None = None) -> bytes:
    """Share of the energy per band (%), the reference's beside it when given."""
    figure = _figure(HEIGHT_IN - 0.1)
    ax = figure.add_subplot()
    _style(ax, "Energy per band", "", "Share of energy (%)")
    names = [b.name for b in result.bands]
    positions = np.arange(len(names))
    rows: list[tuple[str, list[float], str]] = [
        (chartdata.track_name(result), [b.share_pct for b in result.bands], TRACK)]
    if reference is not None:
        theirs = {b.name: b.share_pct for b in reference.bands}
        rows.append((f"Reference: {chartdata.track_name(reference, 'reference')}",
                     [theirs.get(n, 0.0) for n in names], REFERENCE))
    width = 0.8 / len(rows)
    for index, (label, shares, colour) in enumerate(rows):
        x = positions - 0.4 + width * (index + 0.5)
        ax.bar(x, shares, width=width * 0.92, color=colour, label=label)
        for xi, share in zip(x, shares, strict=True):
            ax.text(xi, share, number(share, 0), ha="center", va="bottom",
                    fontsize=FONT_SIZE - 1.5, color=TEXT)
    ax.set_xticks(positions, [BAND_LABELS.get(n, n).replace(" ", "\n", 1) for n in names])
    top = max([s for _, shares, _ in rows for s in shares] + [1.0])
    ax.set_ylim(0.0, top * 1.18)
    if sum(b.share_pct for b in result.bands) == 0:
        _note(ax, "No energy (silence)")
    if reference is not None:
        _legend(ax, columns=2)
    return _png(figure)


# --------------------------------------------------------------------------- stereo


def stereo_chart(result: AnalysisResult) -> bytes:
    """Phase correlation over time (left) and per band (right), -1..+1."""
    figure = _figure(HEIGHT_IN)
    over_time, per_band = figure.subplots(1, 2, width_ratios=(2.1, 1.0))
    _style(over_time, "Stereo correlation over time", "Time (m:ss)", "Correlation")
    _style(per_band, "Correlation per band", "", "")
    for ax in (over_time, per_band):
        ax.axhspan(-1.05, 0.0, color="#ffebee", linewidth=0)
        ax.axhline(0.0, color="#90a4ae", linewidth=0.8)
        ax.set_ylim(-1.05, 1.05)
    if result.channels == 1:
        _note(over_time, "Mono file: no stereo image")
        _note(per_band, "Mono")
        per_band.set_xticks([])
        return _png(figure)
    series = result.series.correlation
    over_time.plot(series.times_s(), series.as_array(), color=TRACK, linewidth=1.0)
    overall = result.stereo.correlation
    if overall is not None:
        over_time.axhline(overall, color=INTEGRATED, linestyle="--", linewidth=0.9,
                          label=f"Overall {number(overall, 2, sign=True)}")
    over_time.set_xlim(0.0, max(result.duration_s, 1.0))
    _time_axis(over_time)
    _legend(over_time)
    bands = chartdata.band_correlations(result)
    values = np.array([np.nan if b.correlation is None else b.correlation for b in bands])
    positions = np.arange(len(bands))
    per_band.bar(positions, np.nan_to_num(values), color=[STATUS[b.status] for b in bands],
                 width=0.65)
    per_band.set_xticks(positions, [b.name.replace("_", "-") for b in bands], rotation=45,
                        ha="right")
    if np.isnan(values).all() and np.isnan(series.as_array()).all():
        _note(over_time, "No stereo signal (silence)")
    return _png(figure)


# --------------------------------------------------------------------------- dynamics


def psr_chart(result: AnalysisResult) -> bytes:
    """Peak-to-short-term-loudness ratio over time, the squashed zone shaded."""
    figure = _figure(HEIGHT_IN - 0.2)
    ax = figure.add_subplot()
    _style(ax, "Peak to short-term loudness (PSR) over time", "Time (m:ss)", "PSR (dB)")
    floor = chartdata.psr_floor_db(result)
    values = chartdata.psr_values(result)
    ax.axhspan(0.0, floor, color="#ffebee", linewidth=0,
               label=f"Squashed (below {figure_text(floor, 'dB')})")
    ax.plot(result.series.psr_db.times_s(), values, color=TRACK, linewidth=1.2)
    ax.set_ylim(0.0, chartdata.psr_top(values, floor))
    ax.set_xlim(0.0, max(result.duration_s, 1.0))
    _time_axis(ax)
    if not np.isfinite(values).any():
        _note(ax, "No PSR (silence)")
    _legend(ax)
    return _png(figure)


def waveform_chart(result: AnalysisResult) -> bytes:
    """Min/max envelope with located issues shaded by severity and the peak ceiling."""
    figure = _figure(HEIGHT_IN - 0.3)
    ax = figure.add_subplot()
    _style(ax, "Waveform and located issues", "Time (m:ss)", "Amplitude (FS)")
    wave = result.series.waveform
    ax.fill_between(chartdata.waveform_times(result), wave.minimum, wave.maximum, color=TRACK,
                    alpha=0.75, linewidth=0)
    ceiling = chartdata.peak_ceiling(result)
    for level in (ceiling.linear, -ceiling.linear):
        ax.axhline(level, color=SEVERITY["warning"], linestyle="--", linewidth=0.8)
    ax.text(0.995, ceiling.linear, figure_text(ceiling.dbtp, "dBTP"),
            transform=ax.get_yaxis_transform(), ha="right", va="bottom",
            fontsize=FONT_SIZE - 1.5, color=TEXT)
    for span in chartdata.located_spans(result):
        ax.axvspan(span.start_s, span.end_s, color=SEVERITY[span.issue.severity], alpha=0.18,
                   linewidth=0)
        if span.worst:
            ax.text(span.start_s, 1.08, span.issue.code, fontsize=FONT_SIZE - 2, color=TEXT,
                    va="top", clip_on=True)
    ax.set_ylim(*chartdata.waveform_range(result))
    ax.set_xlim(0.0, max(result.duration_s, 1.0))
    _time_axis(ax)
    return _png(figure)
