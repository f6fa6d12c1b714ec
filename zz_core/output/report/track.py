"""The PDF report of one analysed track: its measurements judged against the genre, the
issues, the charts, the reference comparison, the AI feedback, the follow-up thread, the
presets and the streaming platforms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from zz_core.advise.feedback import ChatTurn, Feedback
from zz_core.advise.figures import (
    comparison_loudness_lu,
    difference_unit,
    issue_figures,
    loudness_difference,
    loudness_sentence,
    metric_text,
    where,
)
from zz_core.advise.presets import PresetChain, PresetDevice, PresetSetting
from zz_core.fmt import clock, clock_span, compact, figure
from zz_core.judge.issues import Issue
from zz_core.judge.judging import judging_rules
from zz_core.judge.models import AnalysisResult
from zz_core.judge.sections import band_text
from zz_core.output import printcharts
from zz_core.output.report.metrics import metric_rows
from zz_core.output.report.writer import (
    ACCENT,
    CARD,
    MARK_COLOURS,
    MUTED,
    SEVERITY_COLOURS,
    SMALL_PT,
    SUMMARY_FILL,
    Cell,
    Writer,
    date_text,
    feedback_body,
    provider_text,
    short,
    title_block,
)
from zz_core.vocab import Profile

PROFILE_LABELS: dict[str, str] = {"simple": "Simple", "detailed": "Detailed", "pro": "Pro"}
ROLE_LABELS = {"user": "You", "assistant": "Assistant", "summary": "Summary of the thread so far"}
NAMING_LABELS = {"generic": "generic names (any DAW)", "ableton": "Ableton Live devices"}


def setting_value(setting: PresetSetting) -> str:
    """A preset value with its unit: "2:1", "118 %", "-6.0 dB", "Bell"."""
    if isinstance(setting.value, str):
        return setting.value
    text = compact(setting.value)
    if setting.unit.startswith(":"):
        return f"{text}{setting.unit}"
    return f"{text} {setting.unit}".rstrip()


def _subtitle(result: AnalysisResult) -> str:
    parts = [result.file_name or "", clock(result.duration_s),
             f"{result.sample_rate_hz} Hz", f"{result.channels} ch", result.source_format]
    return " · ".join(short(p, 80) for p in parts if p)


def _issue_summary(issues: Sequence[Issue]) -> str:
    counts = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITY_COLOURS}
    return " · ".join(f"{n} {s}" for s, n in counts.items())


def _metrics_section(w: Writer, result: AnalysisResult) -> None:
    rules = judging_rules(result)[1]
    w.heading("Measurements")
    w.paragraph(f"{rules.label}, {result.genre.display_label}: OK within the target; WARN "
                "should be fixed or is worth knowing; FAIL must be fixed before release "
                "(critical); — is not judged.",
                size=SMALL_PT + 0.5, colour=MUTED)
    w.pdf.ln(1)
    rows: list[list[Cell | str]] = [[r.label, r.value, r.target,
                                     Cell(r.mark, MARK_COLOURS[r.mark])]
                                    for r in metric_rows(result)]
    w.table(["Metric", "Value", "Target", "Status"], rows, (62, 36, 62, 20),
            ("LEFT", "RIGHT", "LEFT", "CENTER"))


def _issues_section(w: Writer, result: AnalysisResult) -> None:
    w.heading("Issues")
    if not result.issues:
        w.paragraph("No issues found for this context and genre.")
        return
    w.paragraph(_issue_summary(result.issues), size=SMALL_PT + 0.5, colour=MUTED)
    w.pdf.ln(1)
    rows: list[list[Cell | str]] = [[Cell(i.severity.upper(), SEVERITY_COLOURS[i.severity]),
                                     _issue_cell(i), where(i, result.duration_s), i.message]
                                    for i in result.issues]
    w.table(["Severity", "Issue", "Where", "What to do"], rows, (20, 40, 32, 88))


def _issue_cell(issue: Issue) -> str:
    """The issue code and its figures: "too_quiet: value -17.0 LUFS, limit -10 LUFS ..."."""
    shown = issue_figures(issue)
    return f"{issue.code}: {shown}" if shown else issue.code


def _sections_section(w: Writer, result: AnalysisResult) -> None:
    if len(result.sections) < 2:
        return
    w.heading("Sections")
    w.paragraph("The song's parts (repeats share a letter; the kind is a best guess with its "
                "confidence). Bands: against the genre target, level-matched.",
                size=SMALL_PT + 0.5, colour=MUTED)
    w.pdf.ln(1)
    rows: list[list[Cell | str]] = [
        [f"{s.label} {s.kind or ''}".strip(), clock_span(s.start_s, s.end_s),
         figure(s.loudness_lufs, "LUFS"), figure(s.psr_db, "dB"),
         band_text(s.bands, 2.0), ", ".join(s.issue_codes) or "none"]
        for s in result.sections]
    w.table(["Section", "Where", "Loudness", "PSR", "Bands off target", "Issues"], rows,
            (22, 28, 22, 16, 52, 40), ("LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT"))


def _charts_section(w: Writer, result: AnalysisResult) -> None:
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


def _comparison_section(w: Writer, result: AnalysisResult) -> None:
    comparison = result.comparison
    if comparison is None:
        return
    w.heading(f"Against the reference: {short(comparison.reference_name or 'reference', 80)}")
    w.paragraph(f"Loudness: {loudness_sentence(comparison)} "
                f"({loudness_difference(comparison_loudness_lu(comparison))}); the spectra "
                "are level-matched for comparison.", size=SMALL_PT + 0.5, colour=MUTED)
    w.pdf.ln(1)
    rows: list[list[Cell | str]] = []
    for m in comparison.metrics:
        if m.track is None and m.reference is None:
            continue
        delta = (comparison_loudness_lu(comparison) if m.metric == "loudness.integrated_lufs"
                 else m.delta)
        rows.append([m.label, metric_text(m.track, m.unit), metric_text(m.reference, m.unit),
                     metric_text(delta, difference_unit(m.unit), sign=True)])
    rows.append(["Key", comparison.key_track or "n/a", comparison.key_reference or "n/a", ""])
    w.table(["Metric", "Track", "Reference", "Difference"], rows, (62, 40, 40, 38),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT"))
    w.image(printcharts.eq_move_chart(comparison))
    if comparison.section_note:
        w.paragraph(comparison.section_note)
    if comparison.issues:
        w.subheading("What the comparison shows")
        for issue in comparison.issues:
            w.label(issue.severity.upper(), SEVERITY_COLOURS[issue.severity], issue.code)
            w.paragraph(issue.message)
            w.pdf.ln(1)


def _feedback_section(w: Writer, feedback: Feedback | None) -> None:
    w.heading("Feedback")
    if feedback is None:
        w.paragraph("No AI feedback was requested for this track.", colour=MUTED)
        return
    feedback_body(w, feedback)


def _thread_section(w: Writer, thread: Sequence[ChatTurn]) -> None:
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


def _device_table(w: Writer, device: PresetDevice) -> None:
    rows = [[s.name, setting_value(s), s.note] for s in device.settings]
    w.table(["Setting", "Value", "From"], rows, (46, 36, 98), ("LEFT", "RIGHT", "LEFT"))


def _presets_section(w: Writer, presets: PresetChain | None) -> None:
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


def _platforms_section(w: Writer, result: AnalysisResult) -> None:
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
    w = Writer(f"ZoundZcope · {short(track_name, 70)}")
    w.pdf.set_title(w.clean(f"ZoundZcope report: {short(track_name)}"))
    w.pdf.set_creator("ZoundZcope")
    w.pdf.set_creation_date(created_at)
    pairs = [("Session", short(session_name)), ("Date", date_text(created_at)),
             ("Context", rules.label), ("Genre", result.genre.display_label),
             ("Profile", PROFILE_LABELS.get(profile, str(profile))),
             ("Feedback", provider_text(feedback))]
    if result.comparison is not None:
        pairs.append(("Reference", short(result.comparison.reference_name or "reference")))
    pairs.append(("Issues", _issue_summary(result.issues)))
    title_block(w, "Track report", track_name, _subtitle(result), pairs)
    _metrics_section(w, result)
    _issues_section(w, result)
    _sections_section(w, result)
    _charts_section(w, result)
    _comparison_section(w, result)
    _feedback_section(w, feedback)
    _thread_section(w, thread)
    _presets_section(w, presets)
    _platforms_section(w, result)
    return w.output()


