"""One analysis as the offline texts see it: the ``Track`` with every figure a template
may use (``FIGURE_FIELDS``), written once with ``zz_core.fmt``, and the issue findings
(``IssueGroup``) that ``findings.read_track`` adds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from zz_core.advise.figures import tolerance_text
from zz_core.advise.offline.book import (
    NOTE_FIELDS,
    AdviceBook,
    TextBlock,
    known_profile,
    load_advice,
    render,
)
from zz_core.fmt import NOT_AVAILABLE, clock, figure, hz, join, number, value_range
from zz_core.judge import album as album_rules
from zz_core.judge import genres, judging, platforms
from zz_core.judge.issues import Issue
from zz_core.judge.judging import judging_rules
from zz_core.judge.models import AnalysisResult
from zz_core.judge.regions import Region, region
from zz_core.vocab import Profile, Severity


def measured(value: float | None) -> float | None:
    """The value when it is a finite number, else None."""
    return float(value) if value is not None and math.isfinite(value) else None


@dataclass
class IssueGroup:
    """The issues of one code, merged into one finding."""

    code: str
    issues: list[Issue]
    severity: Severity
    start_s: float
    variant: str | None
    values: dict[str, str]
    move_note: str = ""
    """For a tonal issue too large for an EQ move: where the problem lies (replaces the
    fix); else empty."""


@dataclass
class Track:
    """Everything the texts need about one analysis, computed once."""

    result: AnalysisResult
    profile: Profile
    book: AdviceBook
    targets: genres.GenreTargets
    rules: genres.ContextRules
    figures: dict[str, str]
    groups: list[IssueGroup] = field(default_factory=list)

    @property
    def context(self) -> str:
        return self.result.context

    def text(self, block: TextBlock, values: Mapping[str, str]) -> str:
        return render(block.pick(self.context, self.profile), values)

    def note(self, name: str, part: str, extra: Mapping[str, str] | None = None) -> str:
        values = dict.fromkeys(NOTE_FIELDS.get(name, ()), NOT_AVAILABLE)
        values.update(self.figures)
        values.update(extra or {})
        return self.text(self.book.notes[name][part], values)

    @classmethod
    def create(cls, result: AnalysisResult, profile: str) -> Track:
        """The track with its figures and no findings yet (``findings.read_track`` adds
        them)."""
        book = load_advice()
        targets, rules = judging_rules(result)
        return cls(result=result, profile=known_profile(profile), book=book, targets=targets,
                   rules=rules, figures=_figures(result, targets, rules, book))


def tonal_tolerance(result: AnalysisResult, targets: genres.GenreTargets,
                    rules: genres.ContextRules) -> float:
    """How far (dB) a region may stray from the genre curve: the judge's tolerance
    (``judging.tonal_tolerance``; ``targets`` and ``rules`` are kept for callers)."""
    return judging.tonal_tolerance(result)


def octave_deviations(result: AnalysisResult) -> dict[float, float]:
    """Octave centre (Hz) -> measured deviation from the genre curve (dB), where finite."""
    balance = result.spectrum.tonal_balance
    if balance is None:
        return {}
    return {c: d for c, d in zip(balance.octave_centres_hz, balance.deviation_db, strict=True)
            if d is not None and math.isfinite(d)}


def largest_region(result: AnalysisResult) -> tuple[Region, float] | None:
    """The tonal region that strays most from the genre curve and its deviation (dB), as
    its verdict judged it; None without a measured tonal balance."""
    found = [(region(v.metric.removeprefix("tonal.")), v.value) for v in judging.verdicts(result)
             if v.metric.startswith("tonal.") and v.value is not None]
    return max(((r, float(value)) for r, value in found if value is not None),
               key=lambda rv: abs(rv[1]), default=None)


def _hz_part(area: Region) -> str:
    """"31.5-125 Hz" of "low end (31.5-125 Hz)"."""
    return area.label.removeprefix(area.name).strip(" ()")


def camelot_shift(code: str, semitones: int) -> str | None:
    """The Camelot code of a key ``semitones`` up (down when negative), None when ``code``
    is not one."""
    parsed = album_rules.parse_camelot(code)
    if parsed is None:
        return None
    hour, letter = parsed
    return f"{(hour - 1 + 7 * semitones) % 12 + 1}{letter}"


def _camelot_neighbours(code: str | None) -> str:
    parsed = album_rules.parse_camelot(code) if code else None
    if parsed is None:
        return NOT_AVAILABLE
    hour, letter = parsed
    down, up = (hour - 2) % 12 + 1, hour % 12 + 1
    other = "B" if letter == "A" else "A"
    return ", ".join((f"{hour}{letter}", f"{down}{letter}", f"{up}{letter}", f"{hour}{other}"))


def _platform_texts(result: AnalysisResult) -> tuple[str, str, float | None]:
    """(gains, gains with the resulting peaks, the strictest true-peak advice broken)."""
    integrated = result.loudness.integrated_lufs
    streaming = [p for p in result.platforms if p.kind == "streaming"]
    if integrated is None or not streaming:
        return NOT_AVAILABLE, NOT_AVAILABLE, None

    def gain_text(gain: float) -> str:
        return "as it is" if abs(gain) < 0.05 else figure(gain, "dB", sign=True)

    gains: dict[str, list[str]] = {}
    peaks: dict[str, list[str]] = {}
    for p in streaming:
        gains.setdefault(gain_text(p.gain_db), []).append(p.platform)
        peak = (f"{gain_text(p.gain_db)} (peaks at {figure(p.output_true_peak_dbtp, 'dBTP')}"
                " on playback")
        peak += ", held by its limiter" if p.limited else ""
        peak += "; the upload's peak is over its advice, so the encode may clip)" \
            if p.true_peak_over else ")"
        peaks.setdefault(peak, []).append(p.platform)
    gain_summary = "; ".join(f"{join(names)} {text}" for text, names in gains.items())
    peak_summary = "; ".join(f"{join(names)} {text}" for text, names in peaks.items())
    over = {p.platform_slug for p in streaming if p.true_peak_over}
    advice = [rule.true_peak_advice(integrated) for rule in platforms.load_platforms()
              if rule.slug in over]
    return gain_summary, peak_summary, min(advice) if advice else None


def _figures(result: AnalysisResult, targets: genres.GenreTargets,
             rules: genres.ContextRules, book: AdviceBook) -> dict[str, str]:
    loud, st, sp = result.loudness, result.stereo, result.spectrum
    wanted = rules.loudness_range(targets)
    ceiling = judging.true_peak_ceiling(result)
    target_lufs = targets.integrated_lufs.mid
    tp = measured(loud.true_peak_dbtp)
    integrated = measured(loud.integrated_lufs)
    gain = target_lufs - integrated if integrated is not None else None
    reduction = max(0.0, tp + gain - ceiling) if gain is not None and tp is not None else None
    floor = judging.plr_floor(result)
    tolerance = tonal_tolerance(result, targets, rules)
    bpm = result.tempo.bpm
    quarter = 60000.0 / bpm if bpm else None
    key = result.key
    largest = largest_region(result)
    gains, peaks, advice = _platform_texts(result)
    return {
        "genre": result.genre.display_label,
        "context_label": rules.label.lower(),
        "duration": clock(result.duration_s),
        "integrated": figure(loud.integrated_lufs, "LUFS"),
        "short_term_max": figure(loud.short_term_max_lufs, "LUFS"),
        "momentary_max": figure(loud.momentary_max_lufs, "LUFS"),
        "lra": figure(loud.lra_lu, "LU"),
        "true_peak": figure(tp, "dBTP", sign=True),
        "peak_db": figure(tp, "dB", sign=True),
        "sample_peak": figure(loud.sample_peak_dbfs, "dBFS", sign=True),
        "rms": figure(loud.rms_dbfs, "dBFS"),
        "plr": figure(loud.plr_db, "dB"),
        "psr": figure(loud.psr_db, "dB"),
        "psr_min": figure(loud.psr_min_db, "dB"),
        "crest": figure(loud.crest_db, "dB"),
        "dr": NOT_AVAILABLE if loud.dr is None else f"DR{loud.dr}",
        "oversampling": str(loud.true_peak_oversampling),
        "headroom_db": figure(max(0.0, -tp), "dB") if tp is not None else NOT_AVAILABLE,
        "width": number(st.width, 2),
        "correlation": number(st.correlation, 2, sign=True),
        "balance": figure(st.balance_db, "dB", sign=True),
        "mono_loss": figure(None if st.mono_loss_db is None else abs(st.mono_loss_db), "dB"),
        "low_end_correlation": number(st.low_end_correlation, 2, sign=True),
        "low_end_width": number(st.low_end_width, 2),
        "low_end_hz": hz(st.low_end_hz),
        "low_end_peak_hz": hz(sp.low_end_peak_hz),
        "sub_to_low": figure(sp.sub_to_low_db, "dB", sign=True),
        "centroid": hz(sp.spectral_centroid_hz),
        "transients": ("none detected" if result.transients.description == "none"
                       else result.transients.description),
        "bpm": figure(bpm, "BPM"),
        "bpm_range": value_range(targets.bpm.min, targets.bpm.max, "BPM"),
        "tempo_confidence": f"{result.tempo.confidence:.0%}",
        "quarter_ms": figure(quarter, "ms", 0),
        "eighth_ms": figure(None if quarter is None else quarter / 2, "ms", 0),
        "dotted_eighth_ms": figure(None if quarter is None else quarter * 0.75, "ms", 0),
        "key": (f"{key.label} ({key.camelot})" if key.label and key.camelot
                else key.label or NOT_AVAILABLE),
        "camelot": key.camelot or NOT_AVAILABLE,
        "key_confidence": f"{key.confidence:.0%}",
        "key_neighbours": _camelot_neighbours(key.camelot),
        "key_alternatives": ", ".join(key.alternatives) or "none",
        "lufs_range": value_range(wanted.min, wanted.max, "LUFS"),
        "genre_lufs_range": value_range(targets.integrated_lufs.min, targets.integrated_lufs.max,
                                        "LUFS"),
        "target_lufs": figure(target_lufs, "LUFS"),
        "gain_db": figure(gain, "dB", sign=True),
        "peak_reduction": figure(reduction, "dB"),
        "ceiling": figure(ceiling, "dBTP"),
        "ceiling_db": figure(ceiling, "dB"),
        "plr_range": value_range(targets.plr_db.min, targets.plr_db.max, "dB"),
        "plr_floor": figure(floor, "dB", 0),
        "lra_range": value_range(targets.lra_lu.min, targets.lra_lu.max, "LU"),
        "dr_range": f"DR{number(targets.dr.min, 0)} to DR{number(targets.dr.max, 0)}",
        "width_range": value_range(targets.stereo_width.min, targets.stereo_width.max, digits=2),
        "width_min": number(targets.stereo_width.min, 2),
        "width_max": number(targets.stereo_width.max, 2),
        "mono_below_hz": hz(targets.low_end.mono_below_hz),
        "min_correlation": number(targets.low_end.min_correlation, 2, sign=True),
        "tolerance": tolerance_text(tolerance),
        "platform_gains": gains,
        "platform_peaks": peaks,
        "platform_advice": figure(advice, "dBTP"),
        "platform_advice_db": figure(advice, "dB"),
        "largest_dev": NOT_AVAILABLE if largest is None else figure(largest[1], "dB", sign=True),
        "largest_dev_hz": NOT_AVAILABLE if largest is None else _hz_part(largest[0]),
        "largest_band": NOT_AVAILABLE if largest is None else largest[0].name,
    }
