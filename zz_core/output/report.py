"""PDF reports (fpdf2): one track (measurements judged against the genre, issues, charts,
reference comparison, AI feedback, the follow-up thread, presets, platforms) and an album
(several tracks side by side, cohesion, narrative).

Text from people and language models is rendered as plain text: no markdown or HTML is
interpreted, control and format characters are dropped, long words wrap, long threads
paginate. DejaVu Sans (shipped with matplotlib) covers Latin, Greek, Cyrillic, Hebrew,
Arabic and most symbols; CJK text uses an installed CJK font when there is one (Debian
``fonts-wqy-microhei``; see ``printcharts.CJK_FONTS``); any character no font covers prints
as a white square. Right-to-left text is kept in logical order (no bidi shaping).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Literal

from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.util import Padding
from PIL import Image

from zz_core.advise.feedback import ChatTurn, Feedback, FeedbackItem
from zz_core.advise.presets import PresetChain, PresetDevice, PresetSetting
from zz_core.fmt import clock, figure
from zz_core.judge.album import CohesionSummary, Spread
from zz_core.judge.genres import ContextRules, GenreTargets, Range
from zz_core.judge.issues import IMBALANCE_CRITICAL_DB, IMBALANCE_WARN_DB, MONO_LOSS_LIMIT_DB, Issue
from zz_core.judge.judging import (
    CORRELATION_WARN,
    correlation_status,
    judging_rules,
    loudness_status,
    plr_floor,
    plr_status,
    tempo_status,
    true_peak_status,
)
from zz_core.judge.models import AnalysisResult
from zz_core.output import printcharts
from zz_core.output.printcharts import cjk_font, dejavu_font, font_coverage, plain_text
from zz_core.vocab import Profile, Status

Mark = Literal["OK", "WARN", "FAIL", "—"]
Colour = tuple[int, int, int]

FONT = "dejavu"
FALLBACK_FONT = "zzcjk"

MARGIN_MM = 15.0
BODY_PT = 9.0
SMALL_PT = 7.5
TABLE_PT = 8.0
LINE_MM = 4.4
FILL_PADDING = Padding(top=1.2, right=2.5, bottom=1.2, left=2.5)
NO_PADDING = Padding(0, 0, 0, 0)
MAX_NAME_CHARS = 160
"""Names (tracks, sessions, files) are cut to this in titles and tables."""
MAX_TABLE_CELL_CHARS = 1500
"""A table row must fit on one page; longer cell text is cut (free text goes in paragraphs)."""

INK: Colour = (38, 50, 56)
MUTED: Colour = (96, 125, 139)
ACCENT: Colour = (21, 101, 192)
RULE: Colour = (207, 216, 220)
ZEBRA: Colour = (245, 247, 248)
CARD: Colour = (243, 246, 250)
SUMMARY_FILL: Colour = (255, 248, 225)
WHITE: Colour = (255, 255, 255)
MARK_COLOURS: dict[Mark, Colour] = {
    "OK": (46, 125, 50), "WARN": (230, 120, 0), "FAIL": (198, 40, 40), "—": (144, 164, 174),
}
SEVERITY_COLOURS: dict[str, Colour] = {
    "critical": (198, 40, 40), "warning": (230, 120, 0), "info": (30, 136, 229),
}
PROFILE_LABELS: dict[str, str] = {"simple": "Simple", "detailed": "Detailed", "pro": "Pro"}
ROLE_LABELS = {"user": "You", "assistant": "Assistant", "summary": "Summary of the thread so far"}
NAMING_LABELS = {"generic": "generic names (any DAW)", "ableton": "Ableton Live devices"}

LOW_END_FAIL = 0.3  # the wide_low_end detector's critical line
MARKS: dict[Status, Mark] = {"good": "OK", "warn": "WARN", "bad": "FAIL", "unknown": "—"}


# --------------------------------------------------------------------------- text


def _short(text: str, limit: int = MAX_NAME_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- the document


class _Document(FPDF):
    """A4 portrait with the footer "<label> · Page i of N" on every page."""

    def __init__(self, footer_label: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_label = footer_label
        self.total_alias = "{zz" + secrets.token_hex(6) + "}"  # user text cannot forge it
        self.alias_nb_pages(self.total_alias)
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(True, margin=MARGIN_MM + 3)

    def footer(self) -> None:
        self.set_y(-MARGIN_MM + 2)
        self.set_font(FONT, "", SMALL_PT)
        self.set_text_color(*MUTED)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y() - 1.5, self.w - self.r_margin, self.get_y() - 1.5)
        self.cell(self.epw / 2, 4, self.footer_label, align="L")
        self.cell(self.epw / 2, 4, f"Page {self.page_no()} of {self.total_alias}", align="R")


@dataclass(frozen=True)
class Cell:
    """One table cell: text, and optionally a colour (bold) for marks and severities."""

    text: str
    colour: Colour | None = None


class _Writer:
    """Typography and layout on top of fpdf2: every string passes through ``clean``."""

    def __init__(self, footer_label: str) -> None:
        self.pdf = _Document("")
        self.pdf.add_font(FONT, "", str(dejavu_font("DejaVuSans.ttf")))
        self.pdf.add_font(FONT, "B", str(dejavu_font("DejaVuSans-Bold.ttf")))
        self.primary = font_coverage(str(dejavu_font("DejaVuSans.ttf")), 0)
        self.fallback_font = cjk_font()
        self.fallback = (font_coverage(str(self.fallback_font[0]), self.fallback_font[1])
                         if self.fallback_font else frozenset())
        self.fallback_loaded = False
        self.pdf.footer_label = self.clean(footer_label)
        self.pdf.add_page()

    # ---- text

    def _covered(self, ch: str) -> bool:
        code = ord(ch)
        if code in self.primary:
            return True
        if code in self.fallback:
            self._load_fallback()
            return True
        return False

    def _load_fallback(self) -> None:
        if self.fallback_loaded or self.fallback_font is None:
            return
        path, number = self.fallback_font
        self.pdf.add_font(FALLBACK_FONT, "", str(path), collection_font_number=number)
        self.pdf.set_fallback_fonts([FALLBACK_FONT], exact_match=False)
        self.fallback_loaded = True

    def clean(self, text: str | None) -> str:
        return plain_text(text or "", self._covered)

    def font(self, size: float = BODY_PT, bold: bool = False, colour: Colour = INK) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)

    def ensure(self, height_mm: float) -> None:
        """Start a new page unless ``height_mm`` still fits on this one."""
        if self.pdf.get_y() + height_mm > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def gap(self, mm: float = 2.0) -> None:
        if self.pdf.get_y() > self.pdf.t_margin + 0.1:
            self.pdf.ln(mm)

    # ---- blocks

    def heading(self, text: str, keep_with_mm: float = 20.0) -> None:
        """A section heading, kept on one page with the next ``keep_with_mm`` of content."""
        self.ensure(keep_with_mm + 14.0)
        self.gap(4.0)
        self.font(12.5, bold=True, colour=ACCENT)
        self.pdf.multi_cell(0, 6.5, self.clean(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.pdf.set_draw_color(*ACCENT)
        self.pdf.set_line_width(0.35)
        y = self.pdf.get_y() + 0.5
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.set_line_width(0.2)
        self.pdf.ln(2.5)

    def subheading(self, text: str, detail: str = "") -> None:
        self.ensure(18.0)
        self.gap(2.5)
        self.font(10.0, bold=True)
        self.pdf.multi_cell(0, 5.2, self.clean(text), new_x="LMARGIN", new_y="NEXT", align="L")
        if detail:
            self.paragraph(detail, size=SMALL_PT + 0.5, colour=MUTED)

    def paragraph(self, text: str, *, size: float = BODY_PT, colour: Colour = INK,
                  bold: bool = False, fill: Colour | None = None) -> None:
        self.font(size, bold=bold, colour=colour)
        if fill is not None:
            self.pdf.set_fill_color(*fill)
        self.pdf.multi_cell(0, LINE_MM * size / BODY_PT, self.clean(text), new_x="LMARGIN",
                            new_y="NEXT", fill=fill is not None, align="L",
                            padding=FILL_PADDING if fill is not None else NO_PADDING)

    def label(self, text: str, colour: Colour = ACCENT, detail: str = "") -> None:
        """A small bold caps label, with muted detail after it."""
        self.ensure(10.0)
        self.font(SMALL_PT, bold=True, colour=colour)
        self.pdf.cell(self.pdf.get_string_width(self.clean(text)) + 1.5, 4.2, self.clean(text))
        if detail:
            self.font(SMALL_PT, colour=MUTED)
            self.pdf.multi_cell(0, 4.2, self.clean(detail), new_x="LMARGIN", new_y="NEXT",
                                align="L")
        else:
            self.pdf.ln(4.2)

    def bullets(self, items: Sequence[str], *, colour: Colour = INK) -> None:
        for item in items:
            self.font(BODY_PT, colour=colour)
            self.pdf.cell(4.0, LINE_MM, "•")
            self.pdf.multi_cell(0, LINE_MM, self.clean(item), new_x="LMARGIN", new_y="NEXT",
                                align="L")
            self.pdf.ln(0.6)

    def key_values(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label/value pairs, two pairs to a line."""
        column = self.pdf.epw / 2
        for start in range(0, len(pairs), 2):
            top = self.pdf.get_y()
            bottom = top + 5.0
            for offset, (key, value) in enumerate(pairs[start:start + 2]):
                self.pdf.set_xy(self.pdf.l_margin + offset * column, top)
                self.font(SMALL_PT, bold=True, colour=MUTED)
                self.pdf.cell(24.0, 5.0, self.clean(key).upper())
                self.font(BODY_PT)
                self.pdf.multi_cell(column - 26.0, 5.0, self.clean(value), new_x="LEFT",
                                    new_y="NEXT", align="L")
                bottom = max(bottom, self.pdf.get_y())
            self.pdf.set_xy(self.pdf.l_margin, bottom)

    def table(self, headings: Sequence[str], rows: Sequence[Sequence[Cell | str]],
              widths: Sequence[float], aligns: Sequence[str] | None = None) -> None:
        """A table with a coloured heading row and light zebra rows; rows never split."""
        self.ensure(14.0)
        self.font(TABLE_PT)
        self.pdf.set_draw_color(*RULE)
        self.pdf.set_fill_color(*ZEBRA)
        heading_style = FontFace(family=FONT, emphasis="BOLD", size_pt=TABLE_PT, color=WHITE,
                                 fill_color=ACCENT)
        with self.pdf.table(col_widths=tuple(widths), width=self.pdf.epw,
                            text_align=tuple(aligns or ["LEFT"] * len(widths)),
                            line_height=3.9, padding=(1.1, 1.6), v_align="TOP",
                            borders_layout="HORIZONTAL_LINES", headings_style=heading_style,
                            cell_fill_color=ZEBRA, cell_fill_mode="EVEN_ROWS") as table:
            head = table.row()
            for text in headings:
                head.cell(self.clean(text))
            for values in rows:
                row = table.row()
                for value in values:
                    cell = value if isinstance(value, Cell) else Cell(value)
                    style = (FontFace(emphasis="BOLD", color=cell.colour)
                             if cell.colour is not None else None)
                    row.cell(self.clean(_short_cell(cell.text)), style=style)
        self.pdf.ln(1.5)

    def image_height(self, png: bytes, width_mm: float | None = None) -> float:
        """Height (mm) of ``png`` printed ``width_mm`` wide (the text width by default)."""
        with Image.open(BytesIO(png)) as picture:
            return (width_mm or self.pdf.epw) * picture.height / picture.width

    def image(self, png: bytes, width_mm: float | None = None) -> None:
        width = width_mm or self.pdf.epw
        height = self.image_height(png, width)
        self.ensure(height + 1.0)
        self.pdf.image(BytesIO(png), x=self.pdf.l_margin + (self.pdf.epw - width) / 2,
                       w=width, h=height)
        self.pdf.ln(2.0)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _short_cell(text: str) -> str:
    return text if len(text) <= MAX_TABLE_CELL_CHARS else text[: MAX_TABLE_CELL_CHARS - 1] + "…"


# --------------------------------------------------------------------------- formatting


def _range(r: Range, unit: str, digits: int = 0) -> str:
    return f"{r.min:.{digits}f} to {r.max:.{digits}f} {unit}".rstrip()


def _date(created_at: datetime) -> str:
    zone = created_at.tzname()
    return created_at.strftime("%Y-%m-%d %H:%M") + (f" {zone}" if zone else "")


def setting_value(setting: PresetSetting) -> str:
    """A preset value with its unit: "2:1", "118 %", "-6.0 dB", "Bell"."""
    if isinstance(setting.value, str):
        return setting.value
    text = f"{setting.value:g}"
    if setting.unit.startswith(":"):
        return f"{text}{setting.unit}"
    return f"{text} {setting.unit}".rstrip()


def _time_span(issue: Issue, duration_s: float) -> str:
    if issue.start_s <= 0.05 and issue.end_s >= duration_s - 0.05:
        return "whole track"
    return f"{clock(issue.start_s)}-{clock(issue.end_s)}"


# --------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class MetricRow:
    """One line of the metric table: the value as printed, its target and the mark."""

    label: str
    value: str
    target: str
    mark: Mark


def _mark_distance(distance: float, warn_within: float) -> Mark:
    if distance == 0.0:
        return "OK"
    return "WARN" if abs(distance) <= warn_within else "FAIL"


def _in_range(value: float | None, wanted: Range, warn_within: float = math.inf) -> Mark:
    if value is None:
        return "—"
    return _mark_distance(wanted.distance(value), warn_within)


def _loudness_rows(result: AnalysisResult, targets: GenreTargets,
                   rules: ContextRules) -> list[MetricRow]:
    lo = result.loudness
    wanted = rules.loudness_range(targets)
    limit = rules.true_peak_limit(targets)
    peak = lo.true_peak_dbtp
    return [
        MetricRow("Integrated loudness", figure(lo.integrated_lufs, "LUFS"),
                  _range(wanted, "LUFS") + ("" if rules.apply_genre_loudness else " (mix level)"),
                  MARKS[loudness_status(result)]),
        MetricRow("True peak", figure(peak, "dBTP", sign=True), f"≤ {limit:.1f} dBTP",
                  MARKS[true_peak_status(result)]),
        MetricRow("Sample peak", figure(lo.sample_peak_dbfs, "dBFS", sign=True), "", "—"),
        MetricRow("Short-term max", figure(lo.short_term_max_lufs, "LUFS"), "", "—"),
        MetricRow("Momentary max", figure(lo.momentary_max_lufs, "LUFS"), "", "—"),
    ]


def _dynamics_rows(result: AnalysisResult, targets: GenreTargets,
                   rules: ContextRules) -> list[MetricRow]:
    lo = result.loudness
    judged = rules.apply_genre_dynamics
    floor = plr_floor(result)
    plr_mark = MARKS[plr_status(result)]
    not_judged = f"not judged ({rules.label.lower()})"
    return [
        MetricRow("Loudness range (LRA)", figure(lo.lra_lu, "LU"),
                  _range(targets.lra_lu, "LU") if judged else not_judged,
                  _in_range(lo.lra_lu, targets.lra_lu) if judged else "—"),
        MetricRow("PLR", figure(lo.plr_db, "dB"),
                  _range(targets.plr_db, "dB") if judged else f"≥ {floor:g} dB", plr_mark),
        MetricRow("PSR (minimum)", figure(lo.psr_min_db, "dB"), "", "—"),
        MetricRow("Crest factor", figure(lo.crest_db, "dB"), "", "—"),
        MetricRow("DR", figure(lo.dr), _range(targets.dr, "") if judged else not_judged,
                  _in_range(None if lo.dr is None else float(lo.dr), targets.dr)
                  if judged else "—"),
    ]


def _music_rows(result: AnalysisResult, targets: GenreTargets) -> list[MetricRow]:
    bpm = result.tempo.bpm
    tempo_mark = MARKS[tempo_status(result)]
    key = result.key
    key_text = "n/a" if key.label is None else (
        f"{key.label} ({key.camelot})" if key.camelot else key.label)
    return [
        MetricRow("Tempo", figure(bpm, "BPM"), _range(targets.bpm, "BPM") + " (or half/double)",
                  tempo_mark),
        MetricRow("Key", key_text, f"confidence {key.confidence:.0%}", "—"),
    ]


def _stereo_rows(result: AnalysisResult, targets: GenreTargets) -> list[MetricRow]:
    st = result.stereo
    if result.channels == 1:
        return [MetricRow("Stereo", "mono file", "", "—")]
    low = targets.low_end.min_correlation
    corr_mark = MARKS[correlation_status(st.correlation)]
    low_mark: Mark = ("—" if st.low_end_correlation is None else "OK"
                      if st.low_end_correlation >= low else "WARN"
                      if st.low_end_correlation >= LOW_END_FAIL else "FAIL")
    balance = st.balance_db
    balance_mark: Mark = ("—" if balance is None else "OK" if abs(balance) < IMBALANCE_WARN_DB
                          else "WARN" if abs(balance) < IMBALANCE_CRITICAL_DB else "FAIL")
    loss = st.mono_loss_db
    loss_mark: Mark = "—" if loss is None else "OK" if loss >= MONO_LOSS_LIMIT_DB else "FAIL"
    return [
        MetricRow("Stereo width (S/M)", figure(st.width, digits=2),
                  _range(targets.stereo_width, "", 2), _in_range(st.width, targets.stereo_width)),
        MetricRow("Correlation", figure(st.correlation, digits=2, sign=True),
                  f"≥ {CORRELATION_WARN:+.2f}", corr_mark),
        MetricRow(f"Low-end correlation (< {st.low_end_hz:.0f} Hz)",
                  figure(st.low_end_correlation, digits=2, sign=True), f"≥ {low:+.2f}", low_mark),
        MetricRow("L/R balance", figure(balance, "dB", sign=True),
                  f"within ±{IMBALANCE_WARN_DB:g} dB", balance_mark),
        MetricRow("Mono sum", figure(loss, "dB", sign=True), f"≥ {MONO_LOSS_LIMIT_DB:g} dB",
                  loss_mark),
    ]


def metric_rows(result: AnalysisResult) -> list[MetricRow]:
    """The metric table: each headline figure as printed, its target in the track's context
    and genre, and OK / WARN / FAIL (— where nothing is judged)."""
    targets, rules = judging_rules(result)
    return [*_loudness_rows(result, targets, rules), *_dynamics_rows(result, targets, rules),
            *_music_rows(result, targets), *_stereo_rows(result, targets)]


# --------------------------------------------------------------------------- track sections


def _title_block(w: _Writer, title: str, name: str, subtitle: str,
                 pairs: Sequence[tuple[str, str]]) -> None:
    w.font(SMALL_PT + 0.5, bold=True, colour=ACCENT)
    w.pdf.cell(w.pdf.epw / 2, 5, "ZOUNDZCOPE")
    w.font(SMALL_PT + 0.5, colour=MUTED)
    w.pdf.cell(w.pdf.epw / 2, 5, w.clean(title), align="R", new_x="LMARGIN", new_y="NEXT")
    w.pdf.set_draw_color(*RULE)
    w.pdf.line(w.pdf.l_margin, w.pdf.get_y() + 1, w.pdf.w - w.pdf.r_margin, w.pdf.get_y() + 1)
    w.pdf.ln(4)
    w.font(18.0, bold=True)
    w.pdf.multi_cell(0, 8.5, w.clean(_short(name)), new_x="LMARGIN", new_y="NEXT", align="L")
    if subtitle:
        w.paragraph(subtitle, size=BODY_PT - 0.5, colour=MUTED)
    w.pdf.ln(2.5)
    w.key_values(pairs)


def _subtitle(result: AnalysisResult) -> str:
    parts = [result.file_name or "", clock(result.duration_s),
             f"{result.sample_rate_hz} Hz", f"{result.channels} ch", result.source_format]
    return " · ".join(_short(p, 80) for p in parts if p)


def _provider(feedback: Feedback | None) -> str:
    return "none" if feedback is None else f"{feedback.provider} · {feedback.model}"


def _issue_summary(issues: Sequence[Issue]) -> str:
    counts = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITY_COLOURS}
    return " · ".join(f"{n} {s}" for s, n in counts.items())


def _metrics_section(w: _Writer, result: AnalysisResult) -> None:
    rules = judging_rules(result)[1]
    w.heading("Measurements")
    w.paragraph(f"{rules.label}, {result.genre.display_label}: OK inside the target, WARN "
                "close to it, FAIL well outside; — is not judged.",
                size=SMALL_PT + 0.5, colour=MUTED)
    w.pdf.ln(1)
    rows: list[list[Cell | str]] = [[r.label, r.value, r.target,
                                     Cell(r.mark, MARK_COLOURS[r.mark])]
                                    for r in metric_rows(result)]
    w.table(["Metric", "Value", "Target", "Status"], rows, (62, 36, 62, 20),
            ("LEFT", "RIGHT", "LEFT", "CENTER"))


def _issues_section(w: _Writer, result: AnalysisResult) -> None:
    w.heading("Issues")
    if not result.issues:
        w.paragraph("No issues found for this context and genre.")
        return
    w.paragraph(_issue_summary(result.issues), size=SMALL_PT + 0.5, colour=MUTED)
    w.pdf.ln(1)
    rows: list[list[Cell | str]] = [[Cell(i.severity.upper(), SEVERITY_COLOURS[i.severity]),
                                     i.code, _time_span(i, result.duration_s), i.message]
                                    for i in result.issues]
    w.table(["Severity", "Issue", "Where", "What to do"], rows, (20, 30, 27, 103))


def _charts_section(w: _Writer, result: AnalysisResult) -> None:
    targets, rules = judging_rules(result)
    wanted = rules.loudness_range(targets)
    target = wanted.mid if rules.apply_genre_loudness else None
    charts = [printcharts.loudness_chart(result, target), printcharts.waveform_chart(result),
              printcharts.spectrum_chart(result), printcharts.tonal_balance_chart(result),
              printcharts.band_chart(result), printcharts.stereo_chart(result),
              printcharts.psr_chart(result)]
    w.heading("Charts", keep_with_mm=w.image_height(charts[0]))
    for png in charts:
        w.image(png)


def _comparison_section(w: _Writer, result: AnalysisResult) -> None:
    comparison = result.comparison
    if comparison is None:
        return
    w.heading(f"Against the reference: {_short(comparison.reference_name or 'reference', 80)}")
    rows: list[list[Cell | str]] = []
    for m in comparison.metrics:
        if m.track is None and m.reference is None:
            continue
        digits = 2 if m.unit == "" else 1
        rows.append([m.label, figure(m.track, m.unit, digits), figure(m.reference, m.unit, digits),
                     figure(m.delta, m.unit, digits, sign=True)])
    rows.append(["Key", comparison.key_track or "n/a", comparison.key_reference or "n/a", ""])
    w.table(["Metric", "Track", "Reference", "Difference"], rows, (62, 40, 40, 38),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT"))
    w.image(printcharts.eq_move_chart(comparison))
    if comparison.issues:
        w.subheading("What the comparison shows")
        for issue in comparison.issues:
            w.label(issue.severity.upper(), SEVERITY_COLOURS[issue.severity], issue.code)
            w.paragraph(issue.message)
            w.pdf.ln(1)


def _item_card(w: _Writer, item: FeedbackItem, index: int) -> None:
    colour = SEVERITY_COLOURS.get(item.severity or "", ACCENT)
    tags = " · ".join(t for t in (item.severity, item.issue_code) if t)
    w.ensure(22.0)
    w.gap(2.0)
    w.label(f"INSIGHT {index}", colour, tags)
    w.paragraph(item.insight, fill=CARD)
    w.pdf.ln(0.8)
    w.label("SUGGESTION", ACCENT)
    w.paragraph(item.suggestion, fill=CARD)


def _feedback_body(w: _Writer, feedback: Feedback, *, prose: bool = False) -> None:
    """Items as cards; else the text as written (``prose``: text is what was asked for)."""
    w.paragraph(f"{feedback.provider} · {feedback.model}", size=SMALL_PT + 0.5, colour=MUTED)
    if feedback.parsed:
        for index, item in enumerate(feedback.items, start=1):
            _item_card(w, item, index)
    elif feedback.text.strip():
        if not prose:
            w.paragraph("The reply could not be split into insights and suggestions; it is "
                        "shown as written.", size=SMALL_PT + 0.5, colour=MUTED)
        w.paragraph(feedback.text, fill=CARD)
    else:
        w.paragraph("The reply was empty.", colour=MUTED)


def _feedback_section(w: _Writer, feedback: Feedback | None) -> None:
    w.heading("Feedback")
    if feedback is None:
        w.paragraph("No AI feedback was requested for this track.", colour=MUTED)
        return
    _feedback_body(w, feedback)


def _thread_section(w: _Writer, thread: Sequence[ChatTurn]) -> None:
    if not thread:
        return
    w.heading("Follow-up questions")
    for turn in thread:
        summary = turn.role == "summary"
        w.gap(2.0)
        w.label(ROLE_LABELS[turn.role].upper(), (230, 120, 0) if summary else
                (ACCENT if turn.role == "assistant" else MUTED))
        w.paragraph(turn.content, fill=SUMMARY_FILL if summary else
                    (CARD if turn.role == "assistant" else None))


def _device_table(w: _Writer, device: PresetDevice) -> None:
    rows = [[s.name, setting_value(s), s.note] for s in device.settings]
    w.table(["Setting", "Value", "From"], rows, (46, 36, 98), ("LEFT", "RIGHT", "LEFT"))


def _presets_section(w: _Writer, presets: PresetChain | None) -> None:
    if presets is None:
        return
    w.heading(f"Presets ({NAMING_LABELS.get(presets.naming, presets.naming)})")
    w.bullets(presets.notes, colour=MUTED)
    if not presets.devices:
        return
    w.paragraph("Signal order: " + " → ".join(d.device for d in presets.devices),
                size=SMALL_PT + 0.5, colour=MUTED)
    for index, device in enumerate(presets.devices, start=1):
        w.subheading(f"{index}. {device.device}", device.purpose)
        _device_table(w, device)


def _platforms_section(w: _Writer, result: AnalysisResult) -> None:
    if not result.platforms:
        return
    w.heading("Streaming platforms")
    w.paragraph("What each platform's loudness normalization does to the track as it is.",
                size=SMALL_PT + 0.5, colour=MUTED)
    w.pdf.ln(1)
    rows = []
    for p in result.platforms:
        flags = [text for flag, text in ((p.limited, "limited"), (p.raise_capped, "raise capped"),
                                         (p.true_peak_over, "peaks over"),
                                         (p.uncertain, "uncertain target")) if flag]
        note = "; ".join([*flags, p.note] if p.note else flags)
        rows.append([p.platform, figure(p.target_lufs, "LUFS"),
                     figure(p.gain_db, "dB", sign=True), figure(p.output_lufs, "LUFS"),
                     figure(p.output_true_peak_dbtp, "dBTP", sign=True), note])
    w.table(["Platform", "Target", "Gain", "Plays at", "Peak", "Note"], rows,
            (24, 20, 18, 21, 21, 76), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"))


def build_track_report(result: AnalysisResult, *, track_name: str, session_name: str,
                       profile: Profile, feedback: Feedback | None, thread: list[ChatTurn],
                       presets: PresetChain | None, created_at: datetime | None = None) -> bytes:
    """The PDF report of one analysed track (bytes of a complete PDF)."""
    created_at = created_at or datetime.now(UTC)
    rules = judging_rules(result)[1]
    w = _Writer(f"ZoundZcope · {_short(track_name, 70)}")
    w.pdf.set_title(w.clean(f"ZoundZcope report: {_short(track_name)}"))
    w.pdf.set_creator("ZoundZcope")
    w.pdf.set_creation_date(created_at)
    pairs = [("Session", _short(session_name)), ("Date", _date(created_at)),
             ("Context", rules.label), ("Genre", result.genre.display_label),
             ("Profile", PROFILE_LABELS.get(profile, str(profile))),
             ("Feedback", _provider(feedback))]
    if result.comparison is not None:
        pairs.append(("Reference", _short(result.comparison.reference_name or "reference")))
    pairs.append(("Issues", _issue_summary(result.issues)))
    _title_block(w, "Track report", track_name, _subtitle(result), pairs)
    _metrics_section(w, result)
    _issues_section(w, result)
    _charts_section(w, result)
    _comparison_section(w, result)
    _feedback_section(w, feedback)
    _thread_section(w, thread)
    _presets_section(w, presets)
    _platforms_section(w, result)
    return w.output()


# --------------------------------------------------------------------------- album


def _album_table(w: _Writer, results: Sequence[tuple[str, AnalysisResult]]) -> None:
    rows = []
    for name, r in results:
        lo, key = r.loudness, r.key
        rows.append([_short(name, 80), figure(lo.integrated_lufs, "LUFS"),
                     figure(lo.true_peak_dbtp, "dBTP", sign=True), figure(lo.lra_lu, "LU"),
                     figure(lo.plr_db, "dB"), figure(r.stereo.width, digits=2),
                     figure(r.tempo.bpm, "BPM"), key.camelot or key.label or "n/a"])
    w.table(["Track", "Loudness", "True peak", "LRA", "PLR", "Width", "Tempo", "Key"], rows,
            (44, 22, 21, 16, 16, 15, 26, 20),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "CENTER"))


def _spread_table(w: _Writer, spreads: Sequence[Spread]) -> None:
    rows = []
    for s in spreads:
        digits = 2 if s.unit == "" else 1
        rows.append([s.label, figure(s.spread, s.unit, digits), figure(s.median, s.unit, digits),
                     _short(s.lowest or "n/a", 60), _short(s.highest or "n/a", 60)])
    w.table(["Metric", "Spread", "Median", "Lowest", "Highest"], rows, (40, 26, 28, 43, 43),
            ("LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT"))


def _keys_table(w: _Writer, cohesion: CohesionSummary) -> None:
    if not cohesion.key_transitions:
        return
    marks: dict[bool | None, Cell] = {True: Cell("yes", MARK_COLOURS["OK"]),
                                      False: Cell("clash", MARK_COLOURS["WARN"]),
                                      None: Cell("n/a", MARK_COLOURS["—"])}
    rows: list[list[Cell | str]] = [[_short(t.from_track, 70), _short(t.to_track, 70),
             f"{t.from_camelot or '?'} → {t.to_camelot or '?'}", marks[t.compatible]]
            for t in cohesion.key_transitions]
    w.subheading("Key sequence (Camelot)")
    w.table(["From", "To", "Keys", "Compatible"], rows, (62, 62, 30, 26),
            ("LEFT", "LEFT", "CENTER", "CENTER"))


def build_album_report(results: list[tuple[str, AnalysisResult]], *, session_name: str,
                       cohesion: CohesionSummary, narrative: Feedback | None,
                       created_at: datetime | None = None) -> bytes:
    """The PDF report of several tracks: side by side, cohesion and the narrative."""
    created_at = created_at or datetime.now(UTC)
    w = _Writer(f"ZoundZcope · {_short(session_name, 70)}")
    w.pdf.set_title(w.clean(f"ZoundZcope album report: {_short(session_name)}"))
    w.pdf.set_creator("ZoundZcope")
    w.pdf.set_creation_date(created_at)
    pairs = [("Date", _date(created_at)), ("Tracks", str(len(results))),
             ("Narrative", _provider(narrative))]
    _title_block(w, "Album report", session_name, "", pairs)
    w.heading("Cohesion")
    w.bullets(cohesion.observations)
    w.heading("Tracks side by side")
    _album_table(w, results)
    if cohesion.comparable:
        w.subheading("Spread across the tracks")
        _spread_table(w, [cohesion.loudness, cohesion.true_peak, cohesion.plr, cohesion.lra,
                          cohesion.width])
    _keys_table(w, cohesion)
    charts = [printcharts.overlay_loudness_chart(results),
              printcharts.overlay_spectrum_chart(results)]
    w.heading("Charts", keep_with_mm=w.image_height(charts[0]))
    for png in charts:
        w.image(png)
    w.heading("Narrative")
    if narrative is None:
        w.paragraph("No AI narrative was requested for these tracks.", colour=MUTED)
    else:
        _feedback_body(w, narrative, prose=True)
    return w.output()
