"""The PDF report of several tracks (an album, an EP): the tracks side by side, their
cohesion (spreads, key sequence), the overlaid charts and the AI narrative."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from zz_core.advise.feedback import Feedback
from zz_core.advise.figures import difference_unit, metric_text
from zz_core.fmt import figure
from zz_core.judge.album import CohesionSummary, Spread
from zz_core.judge.models import AnalysisResult
from zz_core.output import printcharts
from zz_core.output.report.writer import (
    MARK_COLOURS,
    MUTED,
    Cell,
    Writer,
    date_text,
    feedback_body,
    provider_text,
    short,
    title_block,
)


def _album_table(w: Writer, results: Sequence[tuple[str, AnalysisResult]]) -> None:
    rows = []
    for name, r in results:
        lo, key = r.loudness, r.key
        rows.append([short(name, 80), figure(lo.integrated_lufs, "LUFS"),
                     figure(lo.true_peak_dbtp, "dBTP", sign=True), figure(lo.lra_lu, "LU"),
                     figure(lo.plr_db, "dB"), figure(r.stereo.width, digits=2),
                     figure(r.tempo.bpm, "BPM"), key.camelot or key.label or "n/a"])
    w.table(["Track", "Loudness", "True peak", "LRA", "PLR", "Width", "Tempo", "Key"], rows,
            (44, 22, 21, 16, 16, 15, 26, 20),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "CENTER"))


def _spread_table(w: Writer, spreads: Sequence[Spread]) -> None:
    rows = []
    for s in spreads:
        rows.append([s.label, metric_text(s.spread, difference_unit(s.unit)),
                     metric_text(s.median, s.unit), short(s.lowest or "n/a", 60),
                     short(s.highest or "n/a", 60)])
    w.table(["Metric", "Spread", "Median", "Lowest", "Highest"], rows, (40, 26, 28, 43, 43),
            ("LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT"))


def _keys_table(w: Writer, cohesion: CohesionSummary) -> None:
    if not cohesion.key_transitions:
        return
    marks: dict[bool | None, Cell] = {True: Cell("yes", MARK_COLOURS["OK"]),
                                      False: Cell("clash", MARK_COLOURS["WARN"]),
                                      None: Cell("n/a", MARK_COLOURS["—"])}
    rows: list[list[Cell | str]] = [[short(t.from_track, 70), short(t.to_track, 70),
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
    w = Writer(f"ZoundZcope · {short(session_name, 70)}")
    w.pdf.set_title(w.clean(f"ZoundZcope album report: {short(session_name)}"))
    w.pdf.set_creator("ZoundZcope")
    w.pdf.set_creation_date(created_at)
    pairs = [("Date", date_text(created_at)), ("Tracks", str(len(results))),
             ("Narrative", provider_text(narrative))]
    title_block(w, "Album report", session_name, "", pairs)
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
        feedback_body(w, narrative, prose=True)
    return w.output()
