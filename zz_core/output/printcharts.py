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
from collections.abc import Callable, Sequence
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

from zz_core.advise.presets import plr_range
from zz_core.judge import genres
from zz_core.judge.issues import Issue
from zz_core.judge.judging import correlation_status, judging_rules
from zz_core.judge.models import AnalysisResult, Comparison
from zz_core.measure.series import TimeSeries
from zz_core.measure.spectrum import BAND_LABELS, LEVEL_MATCH_OCTAVES_HZ

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

LOUDNESS_FLOOR_LUFS = -60.0
SPECTRUM_FLOOR_DB = -100.0
FREQ_MIN_HZ = 20.0
FREQ_MAX_HZ = 20000.0
FREQ_TICKS_HZ = (31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)
WHOLE_TRACK_TOLERANCE_S = 0.05

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

Results = Sequence[tuple[str, AnalysisResult]]


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
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


def _values(series: TimeSeries, floor: float | None = None) -> np.ndarray:
    values = series.as_array()
    if floor is not None:
        values = np.where(values > floor, values, np.nan)
    return values


def _audible(levels: Sequence[float | None] | np.ndarray) -> np.ndarray:
    values = np.array([np.nan if v is None else v for v in levels], dtype=float)
    return np.where(values > SPECTRUM_FLOOR_DB, values, np.nan)


def level_match_offset(centres_hz: np.ndarray, anchor_db: np.ndarray,
                       other_db: np.ndarray) -> float:
    """dB to add to ``other_db`` so it sits on ``anchor_db``: the median difference over
    63 Hz-8 kHz (a median, so the bands that differ do not drag the match)."""
    difference = anchor_db - other_db
    usable = ((centres_hz >= LEVEL_MATCH_OCTAVES_HZ[0]) & (centres_hz <= LEVEL_MATCH_OCTAVES_HZ[-1])
              & ~np.isnan(difference))
    return float(np.median(difference[usable])) if usable.any() else 0.0


def _finite_max(values: np.ndarray, default: float) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else default


# --------------------------------------------------------------------------- loudness


def loudness_chart(result: AnalysisResult, target_lufs: float | None = None) -> bytes:
    """Momentary and short-term loudness over time with the integrated value and, when
    given, the target (LUFS)."""
    figure = _figure()
    ax = figure.add_subplot()
    _style(ax, "Loudness over time", "Time (m:ss)", "Loudness (LUFS)")
    series = result.series
    momentary = _values(series.momentary_lufs, LOUDNESS_FLOOR_LUFS)
    short_term = _values(series.short_term_lufs, LOUDNESS_FLOOR_LUFS)
    ax.plot(series.momentary_lufs.times_s(), momentary, color=MOMENTARY, linewidth=0.7,
            label="Momentary (400 ms)")
    ax.plot(series.short_term_lufs.times_s(), short_term, color=TRACK, linewidth=1.4,
            label="Short-term (3 s)")
    integrated = result.loudness.integrated_lufs
    if integrated is not None:
        ax.axhline(integrated, color=INTEGRATED, linestyle="--", linewidth=1.0,
                   label=f"Integrated {integrated:.1f} LUFS")
    if target_lufs is not None:
        ax.axhline(target_lufs, color=TARGET, linestyle=":", linewidth=1.4,
                   label=f"Target {target_lufs:.1f} LUFS")
    top = max(_finite_max(momentary, LOUDNESS_FLOOR_LUFS + 10.0), target_lufs or -math.inf)
    ax.set_ylim(LOUDNESS_FLOOR_LUFS, max(top, LOUDNESS_FLOOR_LUFS + 10.0) + 3.0)
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
    top, end = LOUDNESS_FLOOR_LUFS + 10.0, 1.0
    for index, (name, result) in enumerate(results):
        values = _values(result.series.short_term_lufs, LOUDNESS_FLOOR_LUFS)
        integrated = result.loudness.integrated_lufs
        label = f"{name} ({'silent' if integrated is None else f'{integrated:.1f} LUFS'})"
        ax.plot(result.series.short_term_lufs.times_s(), values, linewidth=1.2,
                color=OVERLAY[index % len(OVERLAY)], label=label)
        top, end = max(top, _finite_max(values, top)), max(end, result.duration_s)
    ax.set_ylim(LOUDNESS_FLOOR_LUFS, top + 3.0)
    ax.set_xlim(0.0, end)
    _time_axis(ax)
    if not results:
        _note(ax, "No tracks")
    _legend(ax, columns=3)
    return _png(figure)


# --------------------------------------------------------------------------- spectrum


def _target_curve(result: AnalysisResult, centres: np.ndarray,
                  track: np.ndarray) -> tuple[np.ndarray, float]:
    targets, rules = judging_rules(result)
    curve = genres.tonal_target_at(targets, centres)
    balance = result.spectrum.tonal_balance
    tolerance = balance.tolerance_db if balance is not None else rules.tonal_tolerance(targets)
    return curve + level_match_offset(centres, track, curve), tolerance


def _reference_levels(result: AnalysisResult, reference: AnalysisResult | None,
                      centres: np.ndarray, track: np.ndarray) -> tuple[np.ndarray, str] | None:
    """The reference's third-octave levels on the track's grid, level-matched to the track:
    from the reference analysis, or else from the comparison's EQ-move curve."""
    if reference is not None:
        theirs = dict(zip(reference.spectrum.third_octave_centres_hz,
                          reference.spectrum.third_octave_db, strict=True))
        levels = _audible([theirs.get(float(c)) for c in centres])
        name = reference.file_name or "reference"
        return levels + level_match_offset(centres, track, levels), name
    comparison = result.comparison
    if comparison is None:
        return None
    moves = dict(zip(comparison.tonal_difference.centres_hz,
                     comparison.tonal_difference.eq_move_db, strict=True))
    shifted = np.array([np.nan if moves.get(float(c)) is None else t + moves[float(c)]
                        for c, t in zip(centres, track, strict=True)], dtype=float)
    return shifted, comparison.reference_name or "reference"


def spectrum_chart(result: AnalysisResult, reference: AnalysisResult | None = None) -> bytes:
    """Third-octave long-term spectrum against the level-matched genre target (tolerance
    shaded) and, when there is one, the level-matched reference."""
    figure = _figure(HEIGHT_IN + 0.2)
    ax = figure.add_subplot()
    label = result.genre.display_label
    _style(ax, f"Spectrum vs the {label} target", "Frequency (Hz)",
           "Level (dBFS per 1/3 octave)")
    centres = np.asarray(result.spectrum.third_octave_centres_hz, dtype=float)
    track = _audible(result.spectrum.third_octave_db)
    if np.isnan(track).all():
        _note(ax, "No audible spectrum (silence)")
    else:
        curve, tolerance = _target_curve(result, centres, track)
        ax.fill_between(centres, curve - tolerance, curve + tolerance, color=TARGET_FILL,
                        linewidth=0, label=f"Tolerance ±{tolerance:g} dB")
        ax.plot(centres, curve, color=TARGET, linestyle="--", linewidth=1.2,
                label=f"{label} target (level-matched)")
        ax.plot(centres, track, color=TRACK, linewidth=1.6, marker="o", markersize=1.8,
                label=result.file_name or "Track")
        found = _reference_levels(result, reference, centres, track)
        if found is not None:
            ax.plot(centres, found[0], color=REFERENCE, linewidth=1.3,
                    label=f"Reference: {found[1]} (level-matched)")
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
    balance = result.spectrum.tonal_balance
    if balance is None:
        _note(ax, "No tonal balance (silence)")
        ax.set_xticks([])
        return _png(figure)
    tolerance = balance.tolerance_db
    positions = np.arange(len(balance.octave_centres_hz))
    deviations = np.array([np.nan if d is None else d for d in balance.deviation_db])
    colours = [STATUS["good"] if not abs(d) > tolerance else
               STATUS["warn"] if abs(d) <= 2 * tolerance else STATUS["bad"]
               for d in np.nan_to_num(deviations)]
    ax.axhspan(-tolerance, tolerance, color=TARGET_FILL, linewidth=0,
               label=f"Tolerance ±{tolerance:g} dB")
    ax.bar(positions, np.nan_to_num(deviations), color=colours, width=0.6)
    ax.axhline(0.0, color="#90a4ae", linewidth=0.8)
    for x, d in zip(positions.tolist(), deviations.tolist(), strict=True):
        if not math.isnan(d):
            ax.text(x, d, f"{d:+.1f}", ha="center", va="bottom" if d >= 0 else "top",
                    fontsize=FONT_SIZE - 1, color=TEXT)
    ax.set_xticks(positions, [_hz_label(c, 0) for c in balance.octave_centres_hz])
    limit = max(2 * tolerance, _finite_max(np.abs(deviations), 0.0) + 2.0)
    ax.set_ylim(-limit, limit)
    _legend(ax)
    return _png(figure)


def overlay_spectrum_chart(results: Results) -> bytes:
    """Third-octave spectra of several tracks, each level-matched to the first track."""
    figure = _figure(HEIGHT_IN + 0.3)
    ax = figure.add_subplot()
    _style(ax, "Spectra, level-matched to the first track", "Frequency (Hz)",
           "Level (dB per 1/3 octave)")
    if results:
        anchor = results[0][1]
        centres = np.asarray(anchor.spectrum.third_octave_centres_hz, dtype=float)
        anchor_levels = _audible(anchor.spectrum.third_octave_db)
        for index, (name, result) in enumerate(results):
            theirs = dict(zip(result.spectrum.third_octave_centres_hz,
                              result.spectrum.third_octave_db, strict=True))
            levels = _audible([theirs.get(float(c)) for c in centres])
            offset = level_match_offset(centres, anchor_levels, levels)
            ax.plot(centres, levels + offset, linewidth=1.3, color=OVERLAY[index % len(OVERLAY)],
                    label=name)
    else:
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
    _style(ax, f"EQ move towards {name} (level-matched)", "Frequency (Hz)",
           "EQ move (dB, + boost)")
    tonal = comparison.tonal_difference
    centres = np.asarray(tonal.centres_hz, dtype=float)
    moves = np.array([np.nan if m is None else m for m in tonal.eq_move_db], dtype=float)
    if centres.size and np.isfinite(moves).any():
        ax.fill_between(centres, 0.0, moves, color=REFERENCE, alpha=0.18, linewidth=0)
        ax.plot(centres, moves, color=REFERENCE, linewidth=1.4, marker="o", markersize=1.8)
    else:
        _note(ax, "No comparable spectrum")
    ax.axhline(0.0, color="#90a4ae", linewidth=0.8)
    limit = max(6.0, _finite_max(np.abs(moves), 0.0) + 1.0)
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
        (result.file_name or "Track", [b.share_pct for b in result.bands], TRACK)]
    if reference is not None:
        theirs = {b.name: b.share_pct for b in reference.bands}
        rows.append((f"Reference: {reference.file_name or 'reference'}",
                     [theirs.get(n, 0.0) for n in names], REFERENCE))
    width = 0.8 / len(rows)
    for index, (label, shares, colour) in enumerate(rows):
        x = positions - 0.4 + width * (index + 0.5)
        ax.bar(x, shares, width=width * 0.92, color=colour, label=label)
        for xi, share in zip(x, shares, strict=True):
            ax.text(xi, share, f"{share:.0f}", ha="center", va="bottom",
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
                          label=f"Overall {overall:+.2f}")
    over_time.set_xlim(0.0, max(result.duration_s, 1.0))
    _time_axis(over_time)
    _legend(over_time)
    bands = result.stereo.bands
    values = np.array([np.nan if b.correlation is None else b.correlation for b in bands])
    colours = [STATUS[correlation_status(None if np.isnan(v) else float(v))] for v in values]
    positions = np.arange(len(bands))
    per_band.bar(positions, np.nan_to_num(values), color=colours, width=0.65)
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
    targets, rules = judging_rules(result)
    floor = plr_range(targets, rules, 0.0).min
    values = result.series.psr_db.as_array()
    short_term = result.series.short_term_lufs.as_array()
    if short_term.size == values.size:
        values = np.where(short_term > -70.0, values, np.nan)
    ax.axhspan(0.0, floor, color="#ffebee", linewidth=0, label=f"Squashed (below {floor:g} dB)")
    ax.plot(result.series.psr_db.times_s(), values, color=TRACK, linewidth=1.2)
    ax.set_ylim(0.0, max(floor + 6.0, _finite_max(values, floor) + 2.0))
    ax.set_xlim(0.0, max(result.duration_s, 1.0))
    _time_axis(ax)
    if not np.isfinite(values).any():
        _note(ax, "No PSR (silence)")
    _legend(ax)
    return _png(figure)


def _located(result: AnalysisResult) -> list[Issue]:
    end = result.duration_s - WHOLE_TRACK_TOLERANCE_S
    return [i for i in result.issues if i.end_s > i.start_s
            and not (i.start_s <= WHOLE_TRACK_TOLERANCE_S and i.end_s >= end)]


def waveform_chart(result: AnalysisResult) -> bytes:
    """Min/max envelope with located issues shaded by severity and the peak ceiling."""
    figure = _figure(HEIGHT_IN - 0.3)
    ax = figure.add_subplot()
    _style(ax, "Waveform and located issues", "Time (m:ss)", "Amplitude (FS)")
    wave = result.series.waveform
    times = wave.hop_s * np.arange(len(wave.maximum))
    ax.fill_between(times, wave.minimum, wave.maximum, color=TRACK, alpha=0.75, linewidth=0)
    targets, rules = judging_rules(result)
    ceiling_db = rules.true_peak_limit(targets)
    ceiling = 10 ** (ceiling_db / 20)
    for level in (ceiling, -ceiling):
        ax.axhline(level, color=SEVERITY["warning"], linestyle="--", linewidth=0.8)
    ax.text(0.995, ceiling, f"{ceiling_db:g} dBTP", transform=ax.get_yaxis_transform(),
            ha="right", va="bottom", fontsize=FONT_SIZE - 1.5, color=TEXT)
    for issue in _located(result):
        ax.axvspan(issue.start_s, issue.end_s, color=SEVERITY[issue.severity], alpha=0.18,
                   linewidth=0)
        ax.text(issue.start_s, 1.08, issue.code, fontsize=FONT_SIZE - 2, color=TEXT,
                va="top", clip_on=True)
    ax.set_ylim(-1.1, 1.1)
    ax.set_xlim(0.0, max(result.duration_s, 1.0))
    _time_axis(ax)
    return _png(figure)
