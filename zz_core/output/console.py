"""Plain-text rendering of an analysis for the terminal."""

from __future__ import annotations

from zz_core.advise.answers import DocsAnswer
from zz_core.advise.changes import change_facts, change_text
from zz_core.advise.feedback import Feedback
from zz_core.advise.figures import (
    comparison_loudness_lu,
    difference_unit,
    loudness_difference,
    loudness_sentence,
    metric_text,
    where,
)
from zz_core.fmt import clock, figure
from zz_core.judge.models import AnalysisResult

_SEVERITY_MARK = {"critical": "!!", "warning": "! ", "info": "i "}


def format_report(result: AnalysisResult) -> str:
    """A readable multi-section report of one track."""
    lines = [_title(result), ""]
    lines += [*_loudness(result), "", *_music(result), "", *_stereo(result)]
    lines += ["", *_bands(result), "", *_platforms(result), "", *_issues(result)]
    if result.comparison is not None:
        lines += ["", *_comparison(result)]
    if result.changes is not None:
        lines += ["", *_changes(result)]
    return "\n".join(lines)


def _title(result: AnalysisResult) -> str:
    genre = result.genre.genre_label
    if result.genre.subgenre_label:
        genre += f" / {result.genre.subgenre_label}"
    return (f"{result.file_name or 'track'}: {clock(result.duration_s)}, "
            f"{result.sample_rate_hz} Hz, {result.channels} ch, {result.source_format}; "
            f"context {result.context}, genre {genre}")


def _loudness(result: AnalysisResult) -> list[str]:
    lo = result.loudness
    return [
        "Loudness (ITU-R BS.1770-5 / EBU R128)",
        f"  Integrated {figure(lo.integrated_lufs, 'LUFS')}   LRA {figure(lo.lra_lu, 'LU')}   "
        f"Momentary max {figure(lo.momentary_max_lufs, 'LUFS')}   "
        f"Short-term max {figure(lo.short_term_max_lufs, 'LUFS')}",
        f"  True peak {figure(lo.true_peak_dbtp, 'dBTP', 2)} ({lo.true_peak_oversampling}x)   "
        f"Sample peak {figure(lo.sample_peak_dbfs, 'dBFS', 2)}   RMS {figure(lo.rms_dbfs, 'dBFS')}",
        f"  PLR {figure(lo.plr_db, 'dB')}   PSR {figure(lo.psr_db, 'dB')}   "
        f"Crest {figure(lo.crest_db, 'dB')}   DR {figure(lo.dr)}",
    ]


def _music(result: AnalysisResult) -> list[str]:
    tempo, key, tr = result.tempo, result.key, result.transients
    return [
        "Music",
        f"  Tempo {figure(tempo.bpm, 'BPM')} (confidence {tempo.confidence:.2f})   "
        f"Key {key.label or 'n/a'} {f'[{key.camelot}]' if key.camelot else ''} "
        f"(confidence {key.confidence:.2f})",
        f"  Transients {tr.description}: {tr.onset_rate_per_s:.1f} onsets/s, "
        f"crest {tr.strength_crest_db:.1f} dB",
    ]


def _stereo(result: AnalysisResult) -> list[str]:
    st = result.stereo
    per_band = "  ".join(f"{b.name} {figure(b.correlation, digits=2)}" for b in st.bands)
    return [
        f"Stereo ({st.source})",
        f"  Correlation {figure(st.correlation, digits=2)}   Width {figure(st.width, digits=2)}   "
        f"Balance {figure(st.balance_db, 'dB')}   Mono sum {figure(st.mono_loss_db, 'dB')}   "
        f"Low end (<{st.low_end_hz:.0f} Hz) {figure(st.low_end_correlation, digits=2)}",
        f"  Correlation per band: {per_band}",
    ]


def _bands(result: AnalysisResult) -> list[str]:
    lines = ["Bands"]
    lines += [f"  {b.label:<20} {figure(b.level_db, 'dBFS'):>12} {b.share_pct:6.1f} %"
              for b in result.bands]
    return lines


def _platforms(result: AnalysisResult) -> list[str]:
    lines = ["Streaming platforms"]
    for p in result.platforms:
        flag = " (uncertain target)" if p.uncertain else ""
        lines.append(f"  {p.platform:<14} {p.gain_db:+6.1f} dB -> "
                     f"{p.output_lufs:6.1f} LUFS{flag}: {p.note}")
    return lines


def _issues(result: AnalysisResult) -> list[str]:
    if not result.issues:
        return ["Issues: none found"]
    lines = ["Issues (one per kind; where: how many places, the worst first)"]
    lines += [f"  {_SEVERITY_MARK[i.severity]} {i.code} [{where(i, result.duration_s)}]: "
              f"{i.message}" for i in result.issues]
    return lines


def _comparison(result: AnalysisResult) -> list[str]:
    comparison = result.comparison
    assert comparison is not None
    lines = [f"Against reference {comparison.reference_name or ''}".rstrip(),
             f"  Loudness: {loudness_sentence(comparison)} "
             f"({loudness_difference(comparison_loudness_lu(comparison))}); spectra "
             "level-matched for comparison"]
    for m in comparison.metrics:
        if m.track is None and m.reference is None:
            continue
        delta = "" if m.delta is None else \
            f" ({metric_text(m.delta, difference_unit(m.unit), sign=True)})"
        lines.append(f"  {m.label:<22} {metric_text(m.track, m.unit):>14} vs "
                     f"{metric_text(m.reference, m.unit):>14}{delta}")
    lines += [f"  -> {i.code}: {i.message}" for i in comparison.issues]
    return lines


def _changes(result: AnalysisResult) -> list[str]:
    """What changed since the previous version: the sentences (what improved first),
    then the figures that moved past their margin without nearing or leaving a target."""
    changes = result.changes
    assert changes is not None
    lines = ["Since the previous version", *[f"  {line}" for line in change_facts(changes)]]
    moved = changes.trending("changed")
    if moved:
        lines.append(f"  Also moved, no nearer to or farther from a target: "
                     f"{'; '.join(change_text(c) for c in moved)}")
    return lines


def format_feedback(feedback: Feedback) -> str:
    """Feedback as numbered items (or the raw text when it did not parse), then usage."""
    if feedback.provider == "offline":
        header = "Feedback from the offline engine (rules and templates, not a language model)"
    else:
        header = f"Feedback from {feedback.model} ({feedback.provider})"
    lines = [header, ""]
    for number, item in enumerate(feedback.items, start=1):
        tag = ", ".join(part for part in (item.severity, item.issue_code) if part)
        lines.append(f"{number}. {item.insight}" + (f"  [{tag}]" if tag else ""))
        lines.append(f"   -> {item.suggestion}")
        lines.append("")
    if not feedback.items:
        lines += [feedback.text, ""]
    lines.append(_usage_line(feedback))
    return "\n".join(lines)


def _usage_line(feedback: Feedback) -> str:
    usage = feedback.usage
    if feedback.provider == "offline":
        would = usage.would_cost_usd
        return ("Tokens: none used" + (f" (a language model would have cost about "
                                       f"${would:.4f})" if would else ""))
    estimated = " (estimated)" if usage.estimated else ""
    return (f"Tokens: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion"
            f"{estimated}, ${usage.cost_usd:.4f}")


def format_answer(answer: DocsAnswer) -> str:
    """A Docs Assistant answer, then its numbered sources."""
    lines = [answer.answer, ""]
    if answer.covered:
        lines.append("Sources:")
        lines += [f"  [{number}] {source.citation} ({source.document}, score "
                  f"{source.score:.2f})" for number, source in enumerate(answer.sources, 1)]
    return "\n".join(lines).rstrip()
