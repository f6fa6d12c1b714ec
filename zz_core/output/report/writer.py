"""The PDF writer the reports share (fpdf2): A4 pages with a footer, headings, paragraphs,
labels, bullets, key/value pairs, tables and images, with DejaVu Sans and the CJK fallback
font of ``printcharts``; and the blocks both reports print (title, feedback).

Every string passes through ``Writer.clean``: no markdown or HTML is interpreted, control
and format characters are dropped, and a character no font covers prints as a white square.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Literal

from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.util import Padding
from PIL import Image

from zz_core.advise.feedback import Feedback, FeedbackItem
from zz_core.output.printcharts import cjk_font, dejavu_font, font_coverage, plain_text
from zz_core.text import cut, one_line

Colour = tuple[int, int, int]
Mark = Literal["OK", "WARN", "FAIL", "—"]
"""A metric's mark in the PDF: good, warn, bad, or not judged."""

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


def short(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """A name on one line, cut to ``limit`` characters (titles, tables)."""
    return one_line(text, limit)


def date_text(created_at: datetime) -> str:
    """"2026-05-01 12:30 UTC"."""
    zone = created_at.tzname()
    return created_at.strftime("%Y-%m-%d %H:%M") + (f" {zone}" if zone else "")


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


class Writer:
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
                    row.cell(self.clean(cut(cell.text, MAX_TABLE_CELL_CHARS)), style=style)
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


# --------------------------------------------------------------------------- shared blocks


def title_block(w: Writer, title: str, name: str, subtitle: str,
                pairs: Sequence[tuple[str, str]]) -> None:
    """The report's heading: brand and report kind, the name, a subtitle, key facts."""
    w.font(SMALL_PT + 0.5, bold=True, colour=ACCENT)
    w.pdf.cell(w.pdf.epw / 2, 5, "ZOUNDZCOPE")
    w.font(SMALL_PT + 0.5, colour=MUTED)
    w.pdf.cell(w.pdf.epw / 2, 5, w.clean(title), align="R", new_x="LMARGIN", new_y="NEXT")
    w.pdf.set_draw_color(*RULE)
    w.pdf.line(w.pdf.l_margin, w.pdf.get_y() + 1, w.pdf.w - w.pdf.r_margin, w.pdf.get_y() + 1)
    w.pdf.ln(4)
    w.font(18.0, bold=True)
    w.pdf.multi_cell(0, 8.5, w.clean(short(name)), new_x="LMARGIN", new_y="NEXT", align="L")
    if subtitle:
        w.paragraph(subtitle, size=BODY_PT - 0.5, colour=MUTED)
    w.pdf.ln(2.5)
    w.key_values(pairs)


def provider_text(feedback: Feedback | None) -> str:
    """Who wrote the feedback: "offline · rules-2026", or "none"."""
    return "none" if feedback is None else f"{feedback.provider} · {feedback.model}"


def _item_card(w: Writer, item: FeedbackItem, index: int) -> None:
    colour = SEVERITY_COLOURS.get(item.severity or "", ACCENT)
    tags = " · ".join(t for t in (item.severity, item.issue_code) if t)
    w.ensure(22.0)
    w.gap(2.0)
    w.label(f"INSIGHT {index}", colour, tags)
    w.paragraph(item.insight, fill=CARD)
    w.pdf.ln(0.8)
    w.label("SUGGESTION", ACCENT)
    w.paragraph(item.suggestion, fill=CARD)


def feedback_body(w: Writer, feedback: Feedback, *, prose: bool = False) -> None:
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

