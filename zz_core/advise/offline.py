"""The offline feedback engine: deterministic rules and templates that turn an analysis
into feedback when no language model is configured.

The words live in ``zz_core/data/advice.yaml`` (three registers per text: simple,
detailed, pro; optionally different per track context); this module holds the logic:
which texts apply, and the measured figures that fill their ``{placeholders}``. Every
suggestion names what to change, where (time or frequency) and roughly by how much.

Public entry points:

- ``offline_feedback``: the first feedback on a track, as ``FeedbackItem``s;
- ``offline_follow_up``: an answer to a producer's follow-up question;
- ``offline_summary``: an extractive summary of a follow-up thread;
- ``offline_album_narrative``: what stands out across several tracks;
- ``suggested_questions``: follow-up questions worth asking about a track;
- ``question_topics``, ``chain_steps``, ``load_advice``, ``clean_text``: the pieces
  those are built from (topic detection, the mastering chain, the validated data file,
  user text made safe to read).

The output is a pure function of the inputs (no randomness, no clock).
"""

from __future__ import annotations

import difflib
import math
import re
import string
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zz_core.advise.feedback import ChatTurn, FeedbackItem, PassageLike
from zz_core.datafiles import DATA_DIR, DataFileError, fail, read_yaml, validation_lines
from zz_core.fmt import clock
from zz_core.judge import album as album_rules
from zz_core.judge import genres, platforms
from zz_core.judge.album import CohesionSummary, KeyTransition, TrackValue
from zz_core.judge.genres import OCTAVE_CENTRES_HZ
from zz_core.judge.issues import Issue, time_spans
from zz_core.judge.judging import judging_rules
from zz_core.judge.models import AnalysisResult
from zz_core.text import one_line
from zz_core.vocab import CONTEXTS, ISSUE_CODES, PROFILES, SEVERITY_RANK, Profile, Severity

DEFAULT_ADVICE_PATH = DATA_DIR / "advice.yaml"
QUESTION_MAX_CHARS = 2000
"""A question is cut to this many characters (after control characters are removed)."""
SUMMARY_MAX_CHARS = 1200
MAX_TOPICS = 3
"""A follow-up answer covers at most this many topics of the question."""
MAX_REFERENCE_ITEMS = 4
QUOTE_MAX_CHARS = 240
MIN_QUESTIONS, MAX_QUESTIONS = 4, 6
MASTERING_EQ_MAX_DB = 6.0
"""Broad EQ moves suggested at mastering are capped here; bigger problems belong in the mix."""
MASTERING_SIDE_MAX_DB = 4.0
"""Side-channel gain suggested at mastering is capped here; more sounds phasey."""
NOT_AVAILABLE = "n/a"

TONAL_SIGNS: dict[str, int] = {
    "low_end_excess": 1, "low_end_lacking": -1, "low_mid_excess": 1, "harshness": 1,
    "dull_highs": -1,
}
"""Tonal issue codes and their direction: +1 the octaves are too loud, -1 too quiet."""
REQUIRED_VARIANTS: dict[str, tuple[str, ...]] = {"mono": ("file",), "silence": ("gap", "whole")}

# --------------------------------------------------------------------------- placeholders

FIGURE_FIELDS: tuple[str, ...] = (
    "genre", "context_label", "duration",
    "integrated", "short_term_max", "momentary_max", "lra", "true_peak", "peak_db",
    "sample_peak", "rms", "plr", "psr", "psr_min", "crest", "dr", "oversampling",
    "headroom_db", "width", "correlation", "balance", "mono_loss", "low_end_correlation",
    "low_end_width", "low_end_hz", "low_end_peak_hz", "sub_to_low", "centroid", "transients",
    "bpm", "bpm_range", "tempo_confidence", "quarter_ms", "eighth_ms", "dotted_eighth_ms",
    "key", "camelot", "key_confidence", "key_neighbours", "key_alternatives",
    "lufs_range", "genre_lufs_range", "target_lufs", "gain_db", "peak_reduction", "ceiling",
    "ceiling_db", "plr_range", "plr_floor", "lra_range", "dr_range", "width_range",
    "width_min", "width_max", "mono_below_hz", "min_correlation", "tolerance",
    "platform_gains", "platform_peaks", "platform_advice", "platform_advice_db", "largest_dev",
    "largest_dev_hz", "largest_band",
)
"""Track figures every track-level text may use."""
ISSUE_FIELDS: tuple[str, ...] = (
    "value", "limit", "amount_db", "where", "start", "end", "count", "freq_hz", "freq_range",
    "band_name", "deviation", "louder_side", "quieter_side", "length", "edge", "side_db",
)
"""What an issue text adds to the track figures."""
NOTE_FIELDS: dict[str, tuple[str, ...]] = {
    "clean": (),
    "mixdown_summary": (),
    "mastering_chain": ("eq_moves", "glue_gr", "amount_db", "freq_hz", "band_name"),
    "release": ("blocking", "to_fix"),
    "platforms": (),
    "follow_up": ("quote", "citation", "topics", "examples", "items"),
    "reference": (),
}
NOTE_PARTS: dict[str, tuple[str, ...]] = {
    "clean": ("title", "insight", "fix"),
    "mixdown_summary": ("title", "insight", "headroom_ok", "headroom_tight", "headroom_plenty",
                        "balance_ok", "balance_off"),
    "mastering_chain": ("title", "insight", "eq", "eq_cut", "eq_boost", "eq_none", "glue_more",
                        "glue_light", "glue_skip", "low_end", "limiter", "limiter_heavy"),
    "release": ("title", "ready", "nearly", "not_ready", "fix_ready", "fix_nearly",
                "fix_not_ready"),
    "platforms": ("title", "insight", "fix_ok", "fix_peaks", "fix_quiet"),
    "follow_up": ("passage", "fallback", "priorities", "nothing"),
    "reference": ("title",),
}
REFERENCE_FIELDS: tuple[str, ...] = (
    "reference", "ref_value", "track_value", "amount_db", "region", "side_db")
REFERENCE_PARTS: tuple[str, ...] = (
    "louder", "quieter", "plr_lower", "plr_higher", "tonal_more", "tonal_less", "narrower",
    "wider", "low_end_wider", "close")
ALBUM_FIELDS: tuple[str, ...] = (
    "track", "amount_db", "amount_lu", "median", "value", "low_track", "high_track",
    "low_value", "high_value", "spread", "region", "side_db", "transitions", "consistent",
    "moves")
ALBUM_PARTS: tuple[str, ...] = (
    "consistent", "louder", "quieter", "quieter_limited", "plr", "tonal_more", "tonal_less",
    "width", "keys_clash", "keys_ok", "single")
TOPIC_FIELDS: tuple[str, ...] = (
    "issue_count", "critical_count", "blocking", "to_fix", "reference", "ref_loudness",
    "ref_plr", "ref_width", "ref_moves", "octave_list")
TOPICS: tuple[str, ...] = (
    "priorities", "readiness", "loudness", "true_peak", "dynamics", "low_end", "stereo",
    "tonal", "tempo", "key", "reference", "chain", "cleanup")
TOPICS_WITH_MISSING: tuple[str, ...] = ("tempo", "key", "reference")
QUESTION_FIELDS: tuple[str, ...] = ("genre",)




# --------------------------------------------------------------------------- data models


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_REGISTER_KEYS = frozenset(PROFILES)


class Registers(_Frozen):
    """One text in the three registers."""

    simple: str = Field(min_length=1)
    detailed: str = Field(min_length=1)
    pro: str = Field(min_length=1)

    def pick(self, profile: Profile) -> str:
        return {"simple": self.simple, "detailed": self.detailed, "pro": self.pro}[profile]


class TextBlock(_Frozen):
    """A text that may differ by context; written either as plain registers (every
    context) or with ``default`` and/or per-context registers."""

    default: Registers | None = None
    mixdown: Registers | None = None
    mastering: Registers | None = None
    master: Registers | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_registers(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data and set(data) <= _REGISTER_KEYS:
            return {"default": data}
        return data

    @model_validator(mode="after")
    def _every_context(self) -> TextBlock:
        if self.default is None:
            missing = [c for c in CONTEXTS if getattr(self, c) is None]
            if missing:
                raise ValueError(f"no text for {', '.join(missing)}: add `default:` or those "
                                 "contexts")
        return self

    def pick(self, context: str, profile: Profile) -> str:
        chosen = {"mixdown": self.mixdown, "mastering": self.mastering,
                  "master": self.master}.get(context) or self.default
        if chosen is None:  # unreachable after validation; keeps the type checker honest
            chosen = next(r for r in (self.mixdown, self.mastering, self.master) if r)
        return chosen.pick(profile)

    def registers(self) -> Iterator[tuple[str, Registers]]:
        for name in ("default", *CONTEXTS):
            value = getattr(self, name)
            if value is not None:
                yield name, value


class IssueVariant(_Frozen):
    title: Registers | None = None
    insight: TextBlock | None = None
    why: TextBlock | None = None
    fix: TextBlock | None = None


class IssueAdvice(_Frozen):
    """What one issue code means, why it matters and how to fix it."""

    title: Registers
    insight: TextBlock
    why: TextBlock
    fix: TextBlock
    octaves_hz: tuple[float, ...] = ()
    variants: dict[str, IssueVariant] = Field(default_factory=dict)


class NotePair(_Frozen):
    insight: TextBlock | None = None
    fix: TextBlock | None = None


class Topic(_Frozen):
    """A follow-up topic: the words that bring it up and what to answer."""

    title: TextBlock
    keywords: tuple[str, ...] = Field(min_length=1)
    codes: tuple[str, ...] = ()
    answer: TextBlock
    tip: TextBlock
    missing: TextBlock | None = None


class QuestionSet(_Frozen):
    simple: tuple[str, ...] = Field(min_length=MIN_QUESTIONS)
    detailed: tuple[str, ...] = Field(min_length=MIN_QUESTIONS)
    pro: tuple[str, ...] = Field(min_length=MIN_QUESTIONS)

    def pick(self, profile: Profile) -> tuple[str, ...]:
        return {"simple": self.simple, "detailed": self.detailed, "pro": self.pro}[profile]


class Questions(_Frozen):
    context: dict[str, QuestionSet]
    issues: dict[str, Registers]


class AdviceBook(_Frozen):
    """Everything advice.yaml defines, validated."""

    version: int = 1
    octave_names: dict[float, str]
    issues: dict[str, IssueAdvice]
    notes: dict[str, dict[str, TextBlock]]
    reference: dict[str, NotePair]
    album: dict[str, NotePair]
    topics: dict[str, Topic]
    not_typos: tuple[str, ...] = ()
    questions: Questions

    def note(self, name: str, part: str, context: str, profile: Profile) -> str:
        return self.notes[name][part].pick(context, profile)

    def octave_name(self, centre: float) -> str:
        return self.octave_names.get(centre, _hz(centre))


# --------------------------------------------------------------------------- loading


def _placeholders(text: str) -> list[str]:
    """Field names of a template; ValueError for anything but plain ``{name}`` fields."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"write placeholders as {{name}}, not {{{name}"
                             f"{'!' + conversion if conversion else ''}"
                             f"{':' + spec if spec else ''}}}")
        names.append(name)
    return names


def _templates(book: AdviceBook) -> Iterator[tuple[str, str, frozenset[str]]]:
    """Every template with its path and the placeholders it may use."""
    figures = frozenset(FIGURE_FIELDS)

    def block(path: str, text: TextBlock | None, allowed: frozenset[str]
              ) -> Iterator[tuple[str, str, frozenset[str]]]:
        if text is None:
            return
        for context, regs in text.registers():
            for profile in PROFILES:
                yield f"{path}.{context}.{profile}", regs.pick(profile), allowed

    issue_fields = figures | frozenset(ISSUE_FIELDS)
    for code, advice in book.issues.items():
        for profile in PROFILES:
            yield f"issues.{code}.title.{profile}", advice.title.pick(profile), frozenset()
        for part in ("insight", "why", "fix"):
            yield from block(f"issues.{code}.{part}", getattr(advice, part), issue_fields)
        for name, variant in advice.variants.items():
            if variant.title is not None:
                for profile in PROFILES:
                    yield (f"issues.{code}.variants.{name}.title.{profile}",
                           variant.title.pick(profile), frozenset())
            for part in ("insight", "why", "fix"):
                yield from block(f"issues.{code}.variants.{name}.{part}",
                                 getattr(variant, part), issue_fields)
    for note, parts in book.notes.items():
        allowed = figures | frozenset(NOTE_FIELDS.get(note, ()))
        for part, text in parts.items():
            yield from block(f"notes.{note}.{part}", text, allowed)
    for section, pairs, allowed in (
            ("reference", book.reference, figures | frozenset(REFERENCE_FIELDS)),
            ("album", book.album, frozenset(ALBUM_FIELDS))):
        for name, pair in pairs.items():
            yield from block(f"{section}.{name}.insight", pair.insight, allowed)
            yield from block(f"{section}.{name}.fix", pair.fix, allowed)
    topic_fields = figures | frozenset(TOPIC_FIELDS)
    for name, topic in book.topics.items():
        yield from block(f"topics.{name}.title", topic.title, frozenset())
        for part in ("answer", "tip", "missing"):
            yield from block(f"topics.{name}.{part}", getattr(topic, part), topic_fields)
    questions = frozenset(QUESTION_FIELDS)
    for context, qset in book.questions.context.items():
        for profile in PROFILES:
            for index, question in enumerate(qset.pick(profile)):
                yield f"questions.context.{context}.{profile}[{index}]", question, questions
    for code, regs in book.questions.issues.items():
        for profile in PROFILES:
            yield f"questions.issues.{code}.{profile}", regs.pick(profile), questions


def _missing_and_unknown(where: str, have: Iterable[str], wanted: Iterable[str]) -> list[str]:
    have_set, wanted_list = set(have), list(wanted)
    problems = [f"{where}: missing {name!r}" for name in wanted_list if name not in have_set]
    problems += [f"{where}.{name}: unknown entry (misspelt?)" for name in sorted(have_set)
                 if name not in wanted_list]
    return problems


def _check_book(book: AdviceBook) -> list[str]:
    problems = _missing_and_unknown("issues", book.issues, ISSUE_CODES)
    problems += _missing_and_unknown("octave_names", (f"{c:g}" for c in book.octave_names),
                                     (f"{c:g}" for c in OCTAVE_CENTRES_HZ))
    for code, advice in book.issues.items():
        if code in TONAL_SIGNS:
            if not advice.octaves_hz:
                problems.append(f"issues.{code}.octaves_hz: a tonal issue lists its octaves")
            problems += [f"issues.{code}.octaves_hz: {o:g} is not an octave centre"
                         for o in advice.octaves_hz if o not in OCTAVE_CENTRES_HZ]
        problems += _missing_and_unknown(f"issues.{code}.variants", advice.variants,
                                         REQUIRED_VARIANTS.get(code, ()))
    problems += _missing_and_unknown("notes", book.notes, NOTE_PARTS)
    for note, parts in book.notes.items():
        if note in NOTE_PARTS:
            problems += _missing_and_unknown(f"notes.{note}", parts, NOTE_PARTS[note])
    for section, pairs, wanted in (("reference", book.reference, REFERENCE_PARTS),
                                   ("album", book.album, ALBUM_PARTS)):
        problems += _missing_and_unknown(section, pairs, wanted)
        for name, pair in pairs.items():
            if pair.fix is None:
                problems.append(f"{section}.{name}: needs a fix")
            if pair.insight is None and name != "quieter_limited":
                problems.append(f"{section}.{name}: needs an insight")
    problems += _missing_and_unknown("topics", book.topics, TOPICS)
    for name, topic in book.topics.items():
        problems += [f"topics.{name}.codes: unknown issue code {c!r}" for c in topic.codes
                     if c not in ISSUE_CODES]
        if name in TOPICS_WITH_MISSING and topic.missing is None:
            problems.append(f"topics.{name}: needs a `missing` text")
    problems += _missing_and_unknown("questions.context", book.questions.context, CONTEXTS)
    problems += _missing_and_unknown("questions.issues", book.questions.issues, ISSUE_CODES)
    for path, text, allowed in _templates(book):
        try:
            names = _placeholders(text)
        except ValueError as err:
            problems.append(f"{path}: {err}")
            continue
        problems += [f"{path}: unknown placeholder {{{name}}}" for name in names
                     if name not in allowed]
    return problems


def _parse_book(source: Path, data: Any) -> AdviceBook:
    if not isinstance(data, dict):
        raise DataFileError(f"{source.name} must be a mapping with issues, notes, topics, "
                              "questions")
    try:
        book = AdviceBook.model_validate(data)
    except ValidationError as err:
        errors = validation_lines("", err)
    else:
        errors = _check_book(book)
    if errors:
        fail(source, errors)
    return book


@lru_cache(maxsize=1)
def _default_book() -> AdviceBook:
    return _parse_book(DEFAULT_ADVICE_PATH, read_yaml(DEFAULT_ADVICE_PATH))


def load_advice(path: Path | None = None) -> AdviceBook:
    """Load and fully validate advice.yaml (the packaged file is read once and cached).

    Raises DataFileError naming the entry and field of any mistake, including a
    placeholder a text may not use.
    """
    if path is None or Path(path).resolve() == DEFAULT_ADVICE_PATH:
        return _default_book()
    source = Path(path)
    return _parse_book(source, read_yaml(source))


# --------------------------------------------------------------------------- formatting


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _number(value: float | None) -> float | None:
    """The value when it is a finite number, else None."""
    return float(value) if value is not None and math.isfinite(value) else None


def _fmt(value: float | None, digits: int = 1, unit: str = "", signed: bool = False) -> str:
    """A figure as the app shows it ("-9.5 LUFS", "+0.7 dBTP"); n/a when unmeasured."""
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # no "-0.0"
    text = f"{rounded:+.{digits}f}" if signed else f"{rounded:.{digits}f}"
    return f"{text} {unit}" if unit else text


def _amount(value: float, step: float = 0.1, minimum: float | None = None,
            maximum: float | None = None, unit: str = "dB", up: bool = True) -> str:
    """A magnitude to change something by, rounded (up by default) to ``step``."""
    magnitude = abs(value)
    steps = magnitude / step
    rounded = (math.ceil(steps - 1e-9) if up else round(steps)) * step
    if minimum is not None:
        rounded = max(rounded, minimum)
    if maximum is not None:
        rounded = min(rounded, maximum)
    return f"{rounded:.1f} {unit}"


def _hz(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    if value >= 1000:
        return f"{value / 1000:.3g} kHz"
    return f"{value:.3g} Hz" if value < 100 else f"{value:.0f} Hz"


def _octave_range(centre: float) -> str:
    low, high = centre / math.sqrt(2), centre * math.sqrt(2)
    if low >= 1000:
        return f"{low / 1000:.1f}-{high / 1000:.1f} kHz"
    if high >= 1000:
        return f"{low:.0f} Hz-{high / 1000:.1f} kHz"
    return f"{low:.0f}-{high:.0f} Hz"


def _range(r: genres.Range, unit: str = "", digits: int = 0) -> str:
    text = f"{r.min:.{digits}f} to {r.max:.{digits}f}"
    return f"{text} {unit}" if unit else text


def _join(items: Sequence[str], last: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _lower_first(text: str) -> str:
    """"Clipping" -> "clipping", but "DC offset" and "L/R ..." keep their capitals."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _render(template: str, values: Mapping[str, str]) -> str:
    return " ".join(template.format_map(values).split())


# --------------------------------------------------------------------------- the track


@dataclass
class _IssueGroup:
    """The issues of one code, merged into one finding."""

    code: str
    issues: list[Issue]
    severity: Severity
    start_s: float
    variant: str | None
    values: dict[str, str]


@dataclass
class _Track:
    """Everything the texts need about one analysis, computed once."""

    result: AnalysisResult
    profile: Profile
    book: AdviceBook
    targets: genres.GenreTargets
    rules: genres.ContextRules
    figures: dict[str, str]
    groups: list[_IssueGroup] = field(default_factory=list)

    @property
    def context(self) -> str:
        return self.result.context

    def text(self, block: TextBlock, values: Mapping[str, str]) -> str:
        return _render(block.pick(self.context, self.profile), values)

    def note(self, name: str, part: str, extra: Mapping[str, str] | None = None) -> str:
        values = dict.fromkeys(NOTE_FIELDS.get(name, ()), NOT_AVAILABLE)
        values.update(self.figures)
        values.update(extra or {})
        return self.text(self.book.notes[name][part], values)


def _profile(profile: str) -> Profile:
    for known in PROFILES:
        if profile == known:
            return known
    return "detailed"


def _track(result: AnalysisResult, profile: str) -> _Track:
    book = load_advice()
    targets, rules = judging_rules(result)
    track = _Track(result=result, profile=_profile(profile), book=book, targets=targets,
                   rules=rules, figures=_figures(result, targets, rules, book))
    track.groups = _groups(track)
    return track


def _tolerance(result: AnalysisResult, targets: genres.GenreTargets,
               rules: genres.ContextRules) -> float:
    balance = result.spectrum.tonal_balance
    return balance.tolerance_db if balance is not None else rules.tonal_tolerance(targets)


def _deviations(result: AnalysisResult) -> dict[float, float]:
    balance = result.spectrum.tonal_balance
    if balance is None:
        return {}
    return {c: d for c, d in zip(balance.octave_centres_hz, balance.deviation_db, strict=True)
            if d is not None and math.isfinite(d)}


def _camelot_shift(code: str, semitones: int) -> str | None:
    parsed = album_rules.parse_camelot(code)
    if parsed is None:
        return None
    number, letter = parsed
    return f"{(number - 1 + 7 * semitones) % 12 + 1}{letter}"


def _camelot_neighbours(code: str | None) -> str:
    parsed = album_rules.parse_camelot(code) if code else None
    if parsed is None:
        return NOT_AVAILABLE
    number, letter = parsed
    down, up = (number - 2) % 12 + 1, number % 12 + 1
    other = "B" if letter == "A" else "A"
    return ", ".join((f"{number}{letter}", f"{down}{letter}", f"{up}{letter}",
                      f"{number}{other}"))


def _platform_texts(result: AnalysisResult) -> tuple[str, str, float | None]:
    """(gains, gains with the resulting peaks, the strictest true-peak advice broken)."""
    integrated = result.loudness.integrated_lufs
    streaming = [p for p in result.platforms if p.kind == "streaming"]
    if integrated is None or not streaming:
        return NOT_AVAILABLE, NOT_AVAILABLE, None

    def gain_text(gain: float) -> str:
        return "as it is" if abs(gain) < 0.05 else _fmt(gain, 1, "dB", signed=True)

    gains: dict[str, list[str]] = {}
    peaks: dict[str, list[str]] = {}
    for p in streaming:
        gains.setdefault(gain_text(p.gain_db), []).append(p.platform)
        peak = (f"{gain_text(p.gain_db)} (peaks at {_fmt(p.output_true_peak_dbtp, 1, 'dBTP')}"
                " on playback")
        peak += ", held by its limiter" if p.limited else ""
        peak += "; the upload's peak is over its advice, so the encode may clip)" \
            if p.true_peak_over else ")"
        peaks.setdefault(peak, []).append(p.platform)
    gain_summary = "; ".join(f"{_join(names)} {text}" for text, names in gains.items())
    peak_summary = "; ".join(f"{_join(names)} {text}" for text, names in peaks.items())
    over = {p.platform_slug for p in streaming if p.true_peak_over}
    advice = [rule.true_peak_advice(integrated) for rule in platforms.load_platforms()
              if rule.slug in over]
    return gain_summary, peak_summary, min(advice) if advice else None


def _figures(result: AnalysisResult, targets: genres.GenreTargets,
             rules: genres.ContextRules, book: AdviceBook) -> dict[str, str]:
    loud, st, sp = result.loudness, result.stereo, result.spectrum
    wanted = rules.loudness_range(targets)
    ceiling = rules.true_peak_limit(targets)
    target_lufs = targets.integrated_lufs.mid
    tp = _number(loud.true_peak_dbtp)
    integrated = _number(loud.integrated_lufs)
    gain = target_lufs - integrated if integrated is not None else None
    reduction = max(0.0, tp + gain - ceiling) if gain is not None and tp is not None else None
    floor = targets.plr_db.min if rules.apply_genre_dynamics else rules.over_compressed_plr_db
    tolerance = _tolerance(result, targets, rules)
    bpm = result.tempo.bpm
    quarter = 60000.0 / bpm if bpm else None
    key = result.key
    deviations = _deviations(result)
    largest = max(deviations.items(), key=lambda kv: (abs(kv[1]), -kv[0]), default=None)
    gains, peaks, advice = _platform_texts(result)
    return {
        "genre": result.genre.display_label,
        "context_label": rules.label.lower(),
        "duration": clock(result.duration_s),
        "integrated": _fmt(loud.integrated_lufs, 1, "LUFS"),
        "short_term_max": _fmt(loud.short_term_max_lufs, 1, "LUFS"),
        "momentary_max": _fmt(loud.momentary_max_lufs, 1, "LUFS"),
        "lra": _fmt(loud.lra_lu, 1, "LU"),
        "true_peak": _fmt(tp, 1, "dBTP", signed=True),
        "peak_db": _fmt(tp, 1, "dB", signed=True),
        "sample_peak": _fmt(loud.sample_peak_dbfs, 1, "dBFS", signed=True),
        "rms": _fmt(loud.rms_dbfs, 1, "dBFS"),
        "plr": _fmt(loud.plr_db, 1, "dB"),
        "psr": _fmt(loud.psr_db, 1, "dB"),
        "psr_min": _fmt(loud.psr_min_db, 1, "dB"),
        "crest": _fmt(loud.crest_db, 1, "dB"),
        "dr": NOT_AVAILABLE if loud.dr is None else f"DR{loud.dr}",
        "oversampling": str(loud.true_peak_oversampling),
        "headroom_db": _fmt(max(0.0, -tp), 1, "dB") if tp is not None else NOT_AVAILABLE,
        "width": _fmt(st.width, 2),
        "correlation": _fmt(st.correlation, 2, signed=True),
        "balance": _fmt(st.balance_db, 1, "dB", signed=True),
        "mono_loss": _fmt(None if st.mono_loss_db is None else abs(st.mono_loss_db), 1, "dB"),
        "low_end_correlation": _fmt(st.low_end_correlation, 2, signed=True),
        "low_end_width": _fmt(st.low_end_width, 2),
        "low_end_hz": _hz(st.low_end_hz),
        "low_end_peak_hz": _hz(sp.low_end_peak_hz),
        "sub_to_low": _fmt(sp.sub_to_low_db, 1, "dB", signed=True),
        "centroid": _hz(sp.spectral_centroid_hz),
        "transients": ("none detected" if result.transients.description == "none"
                       else result.transients.description),
        "bpm": _fmt(bpm, 1, "BPM"),
        "bpm_range": _range(targets.bpm, "BPM"),
        "tempo_confidence": f"{result.tempo.confidence:.0%}",
        "quarter_ms": _fmt(quarter, 0, "ms"),
        "eighth_ms": _fmt(None if quarter is None else quarter / 2, 0, "ms"),
        "dotted_eighth_ms": _fmt(None if quarter is None else quarter * 0.75, 0, "ms"),
        "key": (f"{key.label} ({key.camelot})" if key.label and key.camelot
                else key.label or NOT_AVAILABLE),
        "camelot": key.camelot or NOT_AVAILABLE,
        "key_confidence": f"{key.confidence:.0%}",
        "key_neighbours": _camelot_neighbours(key.camelot),
        "key_alternatives": ", ".join(key.alternatives) or "none",
        "lufs_range": _range(wanted, "LUFS"),
        "genre_lufs_range": _range(targets.integrated_lufs, "LUFS"),
        "target_lufs": _fmt(target_lufs, 1, "LUFS"),
        "gain_db": _fmt(gain, 1, "dB", signed=True),
        "peak_reduction": _fmt(reduction, 1, "dB"),
        "ceiling": f"{ceiling:.1f} dBTP",
        "ceiling_db": f"{ceiling:.1f} dB",
        "plr_range": _range(targets.plr_db, "dB"),
        "plr_floor": f"{floor:.0f} dB",
        "lra_range": _range(targets.lra_lu, "LU"),
        "dr_range": f"DR{targets.dr.min:.0f} to DR{targets.dr.max:.0f}",
        "width_range": _range(targets.stereo_width, digits=2),
        "width_min": f"{targets.stereo_width.min:.2f}",
        "width_max": f"{targets.stereo_width.max:.2f}",
        "mono_below_hz": _hz(targets.low_end.mono_below_hz),
        "min_correlation": _fmt(targets.low_end.min_correlation, 2, signed=True),
        "tolerance": f"±{tolerance:.1f} dB".replace(".0 dB", " dB"),
        "platform_gains": gains,
        "platform_peaks": peaks,
        "platform_advice": _fmt(advice, 1, "dBTP"),
        "platform_advice_db": _fmt(advice, 1, "dB"),
        "largest_dev": NOT_AVAILABLE if largest is None else _fmt(largest[1], 1, "dB", True),
        "largest_dev_hz": NOT_AVAILABLE if largest is None else _hz(largest[0]),
        "largest_band": NOT_AVAILABLE if largest is None else book.octave_name(largest[0]),
    }


# --------------------------------------------------------------------------- issues


def _spans_text(spans: Sequence[tuple[float, float]], duration: float, limit: int = 4) -> str:
    """Times as a DAW timeline shows them: "0:01.2-0:03.0, 0:05.5 and 2 more"."""
    clamped = [(max(0.0, b), min(duration, max(b, e))) for b, e in spans]
    if not clamped:
        return f"{clock(0.0)}-{clock(duration)}, the whole track"
    if len(clamped) == 1 and duration > 0:
        begin, end = clamped[0]
        if begin <= 0.05 * duration and end >= 0.95 * duration:
            return f"{clock(0.0)}-{clock(duration)}, the whole track"
    shown = [clock(b) if e - b < 0.3 else f"{clock(b)}-{clock(e)}"
             for b, e in clamped[:limit]]
    more = len(clamped) - limit
    if more > 0:
        return f"{', '.join(shown)} and {more} more"
    return _join(shown)


def _issue_spans(code: str, issues: Sequence[Issue], result: AnalysisResult
                 ) -> list[tuple[float, float]]:
    if code == "true_peak_over" and issues and issues[0].limit is not None:
        series = result.series.true_peak_dbtp
        spans = time_spans(series.as_array() > issues[0].limit, series.hop_s, series.start_s)
        if spans:
            return spans
    return [(i.start_s, i.end_s) for i in issues]


def _tonal_worst(track: _Track, code: str, issue: Issue) -> tuple[float, float]:
    """(octave centre, deviation dB) of the octave behind a tonal issue."""
    sign = TONAL_SIGNS[code]
    octaves = track.book.issues[code].octaves_hz
    deviations = _deviations(track.result)
    candidates = [(c, deviations[c]) for c in octaves if c in deviations]
    if candidates:
        return max(candidates, key=lambda cd: (sign * cd[1], -cd[0]))
    return (octaves[0] if octaves else 1000.0), float(issue.value or 0.0)


def _issue_values(track: _Track, code: str, issues: list[Issue]) -> tuple[str | None,
                                                                            dict[str, str]]:
    """The variant to use and the placeholders of one merged issue."""
    result = track.result
    duration = result.duration_s
    values = dict.fromkeys(ISSUE_FIELDS, NOT_AVAILABLE)
    spans = _issue_spans(code, issues, result)
    values.update(
        where=_spans_text(spans, duration),
        start=clock(min(b for b, _ in spans)),
        end=clock(min(duration, max(e for _, e in spans))),
        count=str(len(issues)),
    )
    first = issues[0]
    numbers = [v for v in (_number(i.value) for i in issues) if v is not None]
    value, limit = _number(first.value), _number(first.limit)
    tp = _number(result.loudness.true_peak_dbtp)
    ceiling = track.rules.true_peak_limit(track.targets)
    variant: str | None = None
    if code == "clipping":
        runs = max(numbers) if numbers else len(issues)
        over = tp - ceiling if tp is not None else 1.0
        values.update(value=f"{runs:.0f}", amount_db=_amount(over, 0.5, minimum=1.0))
    elif code == "true_peak_over" and value is not None and limit is not None:
        values.update(value=_fmt(value, 1, "dBTP", signed=True), limit=f"{limit:.1f} dBTP",
                      amount_db=_amount(value - limit, 0.1, minimum=0.1))
    elif code == "dc_offset":
        values.update(value=_fmt(value, 0, "dBFS"), limit=_fmt(limit, 0, "dBFS"))
    elif code in ("phase_cancellation", "wide_low_end"):
        values.update(value=_fmt(value, 2, signed=True), limit=_fmt(limit, 2, signed=True))
    elif code == "channel_imbalance" and value is not None:
        left = value > 0
        values.update(value=_fmt(abs(value), 1, "dB"), limit=_fmt(limit, 1, "dB"),
                      amount_db=_fmt(abs(value), 1, "dB"),
                      louder_side="left" if left else "right",
                      quieter_side="right" if left else "left")
    elif code == "mono":
        variant = "file" if result.channels == 1 else None
        values.update(value=_fmt(value, 2))
    elif code in ("too_quiet", "too_loud") and value is not None and limit is not None:
        distance = abs(value - limit)
        if code == "too_quiet" and not track.rules.apply_genre_loudness and tp is not None:
            room = ceiling - tp  # a mixdown is raised only as far as its headroom allows
            distance = min(distance, room) if room >= 0.5 else distance
        values.update(value=_fmt(value, 1, "LUFS"), limit=_fmt(limit, 0, "LUFS"),
                      amount_db=_amount(distance, 0.1, minimum=0.1))
    elif code == "over_compressed" and value is not None and limit is not None:
        values.update(value=_fmt(value, 1, "dB"), limit=_fmt(limit, 0, "dB"),
                      amount_db=_amount(limit - value, 0.5, minimum=1.0))
    elif code == "too_dynamic" and value is not None and limit is not None:
        values.update(value=_fmt(value, 1, "dB"), limit=_fmt(limit, 0, "dB"),
                      amount_db=_amount(value - limit, 0.5, minimum=1.0, maximum=4.0))
    elif code in TONAL_SIGNS:
        centre, deviation = _tonal_worst(track, code, first)
        tolerance = _tolerance(result, track.targets, track.rules)
        cap = None if track.context == "mixdown" else MASTERING_EQ_MAX_DB
        values.update(
            value=_fmt(deviation, 1, "dB", signed=True), deviation=_fmt(abs(deviation), 1, "dB"),
            limit=track.figures["tolerance"],
            amount_db=_amount(abs(deviation) - tolerance / 2, 0.5, minimum=1.0, maximum=cap,
                              up=False),
            freq_hz=_hz(centre), freq_range=_octave_range(centre),
            band_name=track.book.octave_name(centre))
    elif code == "silence":
        if result.loudness.integrated_lufs is None:
            variant = "whole"
            values.update(length=_fmt(duration, 1, "s"), edge="whole track")
        else:
            gaps = [i for i in issues if i.severity != "info"]
            edges = [i for i in issues if i.severity == "info"]
            chosen = gaps or edges
            if gaps:
                variant = "gap"
                values.update(where=_spans_text([(i.start_s, i.end_s) for i in gaps], duration),
                              start=clock(gaps[0].start_s),
                              end=clock(gaps[0].end_s))
            longest = max((i.value or i.end_s - i.start_s) for i in chosen)
            at_start = any(i.start_s <= 0.0 for i in edges)
            at_end = any(i.end_s >= duration - 0.5 for i in edges)
            edge = "start and end" if at_start and at_end else ("start" if at_start else "end")
            values.update(length=_fmt(longest, 1, "s"), edge=edge)
    elif code in ("narrow_image", "wide_image") and value is not None and limit is not None:
        ratio = (limit / value) if code == "narrow_image" and value > 0 else (
            value / limit if limit > 0 else 1.0)
        side = 10 * math.log10(ratio) if ratio > 0 else 0.0
        most = 12.0 if track.context == "mixdown" else MASTERING_SIDE_MAX_DB
        values.update(value=_fmt(value, 2), limit=_fmt(limit, 2),
                      side_db=_amount(side, 0.5, minimum=0.5, maximum=most))
    return variant, values


def _groups(track: _Track) -> list[_IssueGroup]:
    """The track's issues merged by code, most severe first, then earliest."""
    by_code: dict[str, list[Issue]] = {}
    for issue in track.result.issues:
        if issue.code in track.book.issues:
            by_code.setdefault(issue.code, []).append(issue)
    groups = []
    for code, issues in by_code.items():
        issues = sorted(issues, key=lambda i: (i.start_s, i.end_s))
        severity = min((i.severity for i in issues), key=lambda s: SEVERITY_RANK[s])
        variant, values = _issue_values(track, code, issues)
        groups.append(_IssueGroup(code=code, issues=issues, severity=severity,
                                  start_s=issues[0].start_s, variant=variant,
                                  values={**track.figures, **values}))
    groups.sort(key=lambda g: (SEVERITY_RANK[g.severity], g.start_s, g.code))
    return groups


def _issue_part(track: _Track, group: _IssueGroup, part: str) -> str:
    advice = track.book.issues[group.code]
    block: TextBlock = getattr(advice, part)
    variant = advice.variants.get(group.variant or "")
    if variant is not None and getattr(variant, part) is not None:
        block = getattr(variant, part)
    return track.text(block, group.values)


def _title(track: _Track, code: str, variant: str | None = None) -> str:
    advice = track.book.issues[code]
    chosen = advice.variants.get(variant or "")
    title = chosen.title if chosen is not None and chosen.title is not None else advice.title
    return title.pick(track.profile)


def _group_title(track: _Track, group: _IssueGroup) -> str:
    return _title(track, group.code, group.variant)


def _issue_item(track: _Track, group: _IssueGroup) -> FeedbackItem:
    insight = (f"{_group_title(track, group)}: {_issue_part(track, group, 'insight')} "
               f"{_issue_part(track, group, 'why')}")
    return FeedbackItem(insight=insight, suggestion=_issue_part(track, group, "fix"),
                        issue_code=group.code, severity=group.severity)


# --------------------------------------------------------------------------- context items


def _clean_item(track: _Track) -> FeedbackItem:
    title = track.note("clean", "title")
    return FeedbackItem(insight=f"{title}: {track.note('clean', 'insight')}",
                        suggestion=track.note("clean", "fix"), issue_code=None,
                        severity="info")


def _mixdown_item(track: _Track) -> FeedbackItem:
    loud = track.result.loudness
    ceiling = track.rules.true_peak_limit(track.targets)
    tp = loud.true_peak_dbtp
    if tp is not None and tp > ceiling:
        headroom = "headroom_tight"
    elif tp is not None and tp < ceiling - 9.0:
        headroom = "headroom_plenty"
    else:
        headroom = "headroom_ok"
    deviations = _deviations(track.result)
    tolerance = _tolerance(track.result, track.targets, track.rules)
    balanced = not deviations or max(abs(d) for d in deviations.values()) <= tolerance
    suggestion = (f"{track.note('mixdown_summary', headroom)} "
                  f"{track.note('mixdown_summary', 'balance_ok' if balanced else 'balance_off')}")
    insight = (f"{track.note('mixdown_summary', 'title')}: "
               f"{track.note('mixdown_summary', 'insight')}")
    return FeedbackItem(insight=insight, suggestion=suggestion, issue_code=None,
                        severity="info")


def _eq_moves(track: _Track, max_moves: int = 3, max_db: float = MASTERING_EQ_MAX_DB
              ) -> list[str]:
    deviations = _deviations(track.result)
    tolerance = _tolerance(track.result, track.targets, track.rules)
    candidates = [(c, d) for c, d in deviations.items() if abs(d) - tolerance / 2 >= 1.0]
    chosen = sorted(candidates, key=lambda cd: (-abs(cd[1]), cd[0]))[:max_moves]
    moves = []
    for centre, deviation in sorted(chosen):
        part = "eq_cut" if deviation > 0 else "eq_boost"
        moves.append(track.note("mastering_chain", part, {
            "amount_db": _amount(abs(deviation) - tolerance / 2, 0.5, minimum=1.0,
                                 maximum=max_db, up=False),
            "freq_hz": _hz(centre), "band_name": track.book.octave_name(centre)}))
    return moves


def chain_steps(result: AnalysisResult, profile: Profile = "detailed") -> list[str]:
    """A mastering chain for the track, step by step with settings derived from its
    measurements and genre targets (EQ, glue compression, low end, limiter)."""
    return _chain_steps(_track(result, profile))


def _chain_steps(track: _Track) -> list[str]:
    loud = track.result.loudness
    targets = track.targets
    steps = []
    moves = _eq_moves(track)
    steps.append(track.note("mastering_chain", "eq", {"eq_moves": "; ".join(moves)})
                 if moves else track.note("mastering_chain", "eq_none"))
    plr = loud.plr_db
    if plr is not None:
        if plr < targets.plr_db.min:
            steps.append(track.note("mastering_chain", "glue_skip"))
        elif plr > targets.plr_db.max:
            gr = _amount(plr - targets.plr_db.max, 0.5, minimum=1.0, maximum=4.0)
            steps.append(track.note("mastering_chain", "glue_more", {"glue_gr": gr}))
        else:
            steps.append(track.note("mastering_chain", "glue_light", {"glue_gr": "1.5 dB"}))
    low = track.result.stereo.low_end_correlation
    if low is not None and low < targets.low_end.min_correlation:
        steps.append(track.note("mastering_chain", "low_end"))
    steps.append(track.note("mastering_chain", "limiter"))
    tp = loud.true_peak_dbtp
    if loud.integrated_lufs is not None and tp is not None:
        reduction = tp + (targets.integrated_lufs.mid - loud.integrated_lufs) - \
            track.rules.true_peak_limit(targets)
        if reduction > 6.0:
            steps.append(track.note("mastering_chain", "limiter_heavy"))
    return steps


def _mastering_item(track: _Track) -> FeedbackItem:
    steps = _chain_steps(track)
    suggestion = " ".join(f"{n}) {step}" for n, step in enumerate(steps, start=1))
    insight = (f"{track.note('mastering_chain', 'title')}: "
               f"{track.note('mastering_chain', 'insight')}")
    return FeedbackItem(insight=insight, suggestion=suggestion, issue_code=None,
                        severity="info")


def _titles(track: _Track, groups: Iterable[_IssueGroup]) -> str:
    return _join([_lower_first(_group_title(track, g)) for g in groups])


def _release_item(track: _Track) -> FeedbackItem:
    critical = [g for g in track.groups if g.severity == "critical"]
    warnings = [g for g in track.groups if g.severity == "warning"]
    extra = {"blocking": _titles(track, critical) or NOT_AVAILABLE,
             "to_fix": _titles(track, warnings or track.groups) or NOT_AVAILABLE}
    verdict = "not_ready" if critical else ("nearly" if warnings else "ready")
    insight = f"{track.note('release', 'title')}: {track.note('release', verdict, extra)}"
    return FeedbackItem(insight=insight, suggestion=track.note("release", f"fix_{verdict}", extra),
                        issue_code=None, severity="info")


def _platforms_item(track: _Track) -> FeedbackItem:
    streaming = [p for p in track.result.platforms if p.kind == "streaming"]
    if any(p.true_peak_over for p in streaming):
        fix = "fix_peaks"
    elif any(p.output_lufs < p.target_lufs - 1.0 for p in streaming):
        fix = "fix_quiet"
    else:
        fix = "fix_ok"
    insight = f"{track.note('platforms', 'title')}: {track.note('platforms', 'insight')}"
    return FeedbackItem(insight=insight, suggestion=track.note("platforms", fix),
                        issue_code=None, severity="info")


# --------------------------------------------------------------------------- reference


_REFERENCE_REGIONS: tuple[tuple[str, float, float, str | None, str | None], ...] = (
    # name, low Hz, high Hz, code when the track has more, code when it has less
    ("low end", 25.0, 160.0, "low_end_excess", "low_end_lacking"),
    ("low-mids", 200.0, 500.0, "low_mid_excess", None),
    ("mids", 630.0, 1600.0, None, None),
    ("upper mids", 2000.0, 5000.0, "harshness", None),
    ("top end", 8000.0, 16000.0, None, "dull_highs"),
)


@dataclass(frozen=True)
class _ReferenceFinding:
    part: str
    score: float
    code: str | None
    values: dict[str, str]


def _region_name(name: str, low: float, high: float) -> str:
    """"low end (25-160 Hz)", "top end (8-16 kHz)"."""
    if low >= 1000:
        return f"{name} ({low / 1000:g}-{high / 1000:g} kHz)"
    if high >= 1000:
        return f"{name} ({low:g} Hz-{high / 1000:g} kHz)"
    return f"{name} ({low:g}-{high:g} Hz)"


def _reference_findings(track: _Track) -> list[_ReferenceFinding]:
    comparison = track.result.comparison
    if comparison is None:
        return []
    metrics = {m.metric: m for m in comparison.metrics}
    reference = one_line(comparison.reference_name or "the reference", 80)
    found: list[_ReferenceFinding] = []

    def add(part: str, score: float, code: str | None, **values: str) -> None:
        found.append(_ReferenceFinding(part, score, code, {"reference": reference, **values}))

    loud = metrics.get("loudness.integrated_lufs")
    if loud and loud.delta is not None and abs(loud.delta) >= 1.0:
        louder = loud.delta > 0
        code = None if track.context == "mixdown" else ("too_loud" if louder else "too_quiet")
        add("louder" if louder else "quieter", abs(loud.delta) / 1.5, code,
            track_value=_fmt(loud.track, 1, "LUFS"), ref_value=_fmt(loud.reference, 1, "LUFS"),
            amount_db=_amount(loud.delta, 0.1))
    plr = metrics.get("loudness.plr_db")
    if plr and plr.delta is not None and abs(plr.delta) >= 1.5:
        lower = plr.delta < 0
        add("plr_lower" if lower else "plr_higher", abs(plr.delta) / 2.0,
            "over_compressed" if lower else None,
            track_value=_fmt(plr.track, 1, "dB"), ref_value=_fmt(plr.reference, 1, "dB"),
            amount_db=_amount(plr.delta, 0.5, minimum=0.5, up=False))
    tonal = comparison.tonal_difference
    for name, low, high, more_code, less_code in _REFERENCE_REGIONS:
        moves = [m for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
                 if m is not None and low <= c <= high]
        if not moves:
            continue
        move = float(np.mean(moves))  # reference minus track: + means the track has less
        if abs(move) < 1.5:
            continue
        more = move < 0
        add("tonal_more" if more else "tonal_less", abs(move) / 2.0,
            more_code if more else less_code, region=_region_name(name, low, high),
            amount_db=_amount(move, 0.5, minimum=0.5, up=False))
    width = metrics.get("stereo.width")
    if width and _finite(width.track) and _finite(width.reference) and \
            width.track and width.reference and width.track > 0.005 and width.reference > 0.005:
        ratio = width.track / width.reference
        side = 10 * math.log10(ratio)
        if ratio < 0.7 or ratio > 1.4:
            add("narrower" if ratio < 1 else "wider", abs(side) / 2.0,
                "narrow_image" if ratio < 1 else "wide_image",
                track_value=_fmt(width.track, 2), ref_value=_fmt(width.reference, 2),
                side_db=_amount(side, 0.5, minimum=0.5, maximum=12.0))
    low_corr = metrics.get("stereo.low_end_correlation")
    if low_corr and low_corr.delta is not None and low_corr.delta < -0.15:
        add("low_end_wider", abs(low_corr.delta) / 0.2, "wide_low_end",
            track_value=_fmt(low_corr.track, 2, signed=True),
            ref_value=_fmt(low_corr.reference, 2, signed=True))
    found.sort(key=lambda f: (-f.score, f.part))
    if not found:
        delta = abs(loud.delta) if loud and loud.delta is not None else 0.0
        add("close", 0.0, None, amount_db=_amount(max(delta, 0.1), 0.1))
    return found[:MAX_REFERENCE_ITEMS]


def _reference_item(track: _Track, finding: _ReferenceFinding) -> FeedbackItem:
    values = dict.fromkeys(REFERENCE_FIELDS, NOT_AVAILABLE)
    values.update(track.figures)
    values.update(finding.values)
    pair = track.book.reference[finding.part]
    title = track.note("reference", "title")
    insight = track.text(pair.insight, values) if pair.insight else ""
    suggestion = track.text(pair.fix, values) if pair.fix else ""
    return FeedbackItem(insight=f"{title}: {insight}", suggestion=suggestion,
                        issue_code=finding.code, severity="info")


# --------------------------------------------------------------------------- feedback


def offline_feedback(result: AnalysisResult, profile: Profile = "detailed") -> list[FeedbackItem]:
    """Feedback on a track from rules and templates, no language model.

    Every issue the analysis found becomes one item (issues of one code merged, their
    times listed), ordered by severity then time; then a verdict when nothing is wrong,
    what the reference comparison shows, and the context's own item: headroom and balance
    for a mixdown, a mastering chain with settings, or release readiness and the
    streaming platforms for a master. Deterministic.
    """
    track = _track(result, profile)
    ranked: list[tuple[tuple[int, int, float], FeedbackItem]] = []
    for group in track.groups:
        ranked.append(((SEVERITY_RANK[group.severity], 0, group.start_s),
                       _issue_item(track, group)))
    if not track.groups:
        ranked.append(((SEVERITY_RANK["info"], 1, 0.0), _clean_item(track)))
    for index, finding in enumerate(_reference_findings(track)):
        ranked.append(((SEVERITY_RANK["info"], 2, float(index)), _reference_item(track, finding)))
    if result.loudness.integrated_lufs is not None:
        context_items: list[FeedbackItem] = []
        if result.context == "mixdown":
            context_items.append(_mixdown_item(track))
        elif result.context == "mastering":
            context_items.append(_mastering_item(track))
        else:
            if track.groups:
                context_items.append(_release_item(track))
            context_items.append(_platforms_item(track))
        ranked += [((SEVERITY_RANK["info"], 3, float(i)), item)
                   for i, item in enumerate(context_items)]
    ranked.sort(key=lambda pair: pair[0])
    return [item for _, item in ranked]


# --------------------------------------------------------------------------- questions


def suggested_questions(context: str, genre_label: str, profile: Profile,
                        issue_codes: Iterable[str]) -> list[str]:
    """4-6 follow-up questions for the context, genre and profile, the track's issues
    first (in the order given, at most three), then the context's usual questions."""
    book = load_advice()
    chosen_profile = _profile(profile)
    genre = one_line(genre_label or genres.GENERIC_LABEL, 60)
    questions: list[str] = []
    seen_codes: list[str] = []
    for code in issue_codes:
        if code in book.questions.issues and code not in seen_codes:
            seen_codes.append(code)
    for code in seen_codes[:3]:
        questions.append(book.questions.issues[code].pick(chosen_profile))
    qset = book.questions.context.get(context) or book.questions.context["mixdown"]
    for question in qset.pick(chosen_profile):
        if len(questions) >= 5:
            break
        questions.append(question)
    rendered: list[str] = []
    for question in questions:
        text = _render(question, {"genre": genre})
        if text not in rendered:
            rendered.append(text)
    for question in qset.pick(chosen_profile):  # top up after duplicates were dropped
        if len(rendered) >= MIN_QUESTIONS:
            break
        text = _render(question, {"genre": genre})
        if text not in rendered:
            rendered.append(text)
    return rendered[:MAX_QUESTIONS]


# --------------------------------------------------------------------------- follow-up


def _normalise(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = re.sub(r"['`’]", "", ascii_text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text).split())


def _forms(token: str) -> set[str]:
    forms = {token}
    for suffix in ("s", "es", "ing", "ed", "y"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            forms.add(token[: -len(suffix)])
    return forms


@lru_cache(maxsize=1)
def _keyword_index() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """(topic, single-word keywords, phrases) in file order, normalised."""
    book = load_advice()
    index = []
    for name, topic in book.topics.items():
        words: list[str] = []
        phrases: list[str] = []
        for keyword in topic.keywords:
            normal = _normalise(keyword)
            if normal:
                (phrases if " " in normal else words).append(normal)
        index.append((name, tuple(words), tuple(phrases)))
    return tuple(index)


def _token_matches(token: str, keyword: str, not_typos: frozenset[str]) -> bool:
    if keyword in _forms(token):
        return True
    if len(keyword) >= 5 and token.startswith(keyword):
        return True
    if (len(token) >= 5 and len(keyword) >= 5 and token[0] == keyword[0]
            and abs(len(token) - len(keyword)) <= 2 and token not in not_typos):
        matcher = difflib.SequenceMatcher(None, token, keyword)
        return matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85 and \
            matcher.ratio() >= 0.85
    return False


def question_topics(question: str) -> list[str]:
    """The topics a question is about, in the order the question brings them up.

    Keywords match whole words case-insensitively, with plural and -ing/-ed forms, longer
    keywords as prefixes ("compressing"), and small typos ("lowdness", "streo")."""
    book = load_advice()
    not_typos = frozenset(_normalise(w) for w in book.not_typos)
    normal = _normalise(one_line(question, QUESTION_MAX_CHARS))
    tokens = normal.split()
    padded = f" {normal} "
    first_at: dict[str, int] = {}
    unique_positions: dict[str, int] = {}
    for position, token in enumerate(tokens):
        unique_positions.setdefault(token, position)
    for order, (topic, words, phrases) in enumerate(_keyword_index()):
        best: int | None = None
        for phrase in phrases:
            at = padded.find(f" {phrase} ")
            if at >= 0:
                position = padded[:at].count(" ")
                best = position if best is None else min(best, position)
        for token, position in unique_positions.items():
            if best is not None and position >= best:
                continue
            if any(_token_matches(token, word, not_typos) for word in words):
                best = position
        if best is not None:
            first_at[topic] = best * 100 + order
    return sorted(first_at, key=lambda t: first_at[t])


def _topic_values(track: _Track) -> dict[str, str]:
    values = dict.fromkeys(TOPIC_FIELDS, NOT_AVAILABLE)
    values.update(track.figures)
    critical = [g for g in track.groups if g.severity == "critical"]
    blocking = [g for g in track.groups if g.severity != "info"]
    values.update(
        issue_count=str(len(track.groups)), critical_count=str(len(critical)),
        blocking=_titles(track, blocking) or NOT_AVAILABLE,
        to_fix=_titles(track, track.groups) or NOT_AVAILABLE)
    deviations = _deviations(track.result)
    if deviations:
        values["octave_list"] = ", ".join(f"{_hz(c)} {_fmt(d, 1, signed=True)}"
                                          for c, d in sorted(deviations.items()))
    comparison = track.result.comparison
    if comparison is not None:
        metrics = {m.metric: m for m in comparison.metrics}
        values["reference"] = one_line(comparison.reference_name or "the reference", 80)

        def delta(path: str, digits: int, unit: str, delta_unit: str | None = None) -> str:
            m = metrics.get(path)
            if m is None or m.delta is None:
                return NOT_AVAILABLE
            change = _fmt(m.delta, digits, unit if delta_unit is None else delta_unit, True)
            return (f"{_fmt(m.track, digits, unit)} vs {_fmt(m.reference, digits, unit)} "
                    f"({change})")

        values.update(ref_loudness=delta("loudness.integrated_lufs", 1, "LUFS", "LU"),
                      ref_plr=delta("loudness.plr_db", 1, "dB"),
                      ref_width=delta("stereo.width", 2, ""))
        tonal = comparison.tonal_difference
        pairs = [(c, m) for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
                 if m is not None and 25.0 <= c <= 16000.0]
        biggest = sorted(pairs, key=lambda cm: (-abs(cm[1]), cm[0]))[:2]
        if biggest:
            values["ref_moves"] = " and ".join(f"{_fmt(m, 1, 'dB', signed=True)} around {_hz(c)}"
                                               for c, m in biggest)
    return values


def _issue_advice_for(track: _Track, codes: Sequence[str], limit: int = 2) -> list[str]:
    texts: list[str] = []
    for group in track.groups:
        if group.code in codes and len(texts) < limit:
            texts.append(f"{_group_title(track, group)}: {_issue_part(track, group, 'insight')} "
                         f"{_issue_part(track, group, 'fix')}")
    return texts


def _priorities(track: _Track, values: Mapping[str, str]) -> str:
    if not track.groups:
        return f"{track.note('follow_up', 'nothing')} {track.note('clean', 'fix')}"
    listed = []
    for number, group in enumerate(track.groups[:3], start=1):
        listed.append(f"{number}) {_group_title(track, group)} ({group.severity}, "
                      f"{group.values['where']}): {_issue_part(track, group, 'fix')}")
    topic = track.book.topics["priorities"]
    return (f"{track.text(topic.answer, values)} "
            f"{track.note('follow_up', 'priorities', {'items': ' '.join(listed)})} "
            f"{track.text(topic.tip, values)}")


def _topic_answer(track: _Track, name: str, values: Mapping[str, str]) -> str:
    topic = track.book.topics[name]
    title = topic.title.pick(track.context, track.profile)
    result = track.result
    if name == "priorities":
        return f"{title}: {_priorities(track, values)}"
    if name == "readiness":
        if not any(g.severity != "info" for g in track.groups):
            return (f"{title}: {track.note('clean', 'insight')} "
                    f"{track.note('clean', 'fix')}")
        return f"{title}: {track.text(topic.answer, values)} {track.text(topic.tip, values)}"
    missing = ((name == "tempo" and result.tempo.bpm is None)
               or (name == "key" and not result.key.label)
               or (name == "reference" and result.comparison is None))
    if missing and topic.missing is not None:
        return f"{title}: {track.text(topic.missing, values)}"
    if result.loudness.integrated_lufs is None and name not in ("tempo", "key", "cleanup"):
        silent = next((g for g in track.groups if g.code == "silence"), None)
        if silent is not None:  # a silent file: say so instead of a row of n/a
            return (f"{title}: {_issue_part(track, silent, 'insight')} "
                    f"{_issue_part(track, silent, 'fix')}")
    parts = [track.text(topic.answer, values)]
    if name == "reference":
        parts += [_reference_item(track, f).suggestion for f in _reference_findings(track)[:2]]
        parts.append(track.text(topic.tip, values))
    elif name == "chain" and track.context != "mixdown":
        parts.append(" ".join(f"{n}) {s}" for n, s in enumerate(_chain_steps(track), 1)))
    else:
        parts += _issue_advice_for(track, topic.codes) or [track.text(topic.tip, values)]
    return f"{title}: {' '.join(parts)}"


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")
_MARKUP = re.compile(r"(?m)^\s*(?:#+|>+|[-*+]\s|\d+[.)]\s)\s*|[*_`]{1,3}|!?\[([^\]]*)\]\([^)]*\)")


def _plain(text: str) -> str:
    """Markdown reduced to its words (headings, emphasis and link targets dropped)."""
    return one_line(_MARKUP.sub(lambda m: m.group(1) or " ", text), 20000)


def _words(text: str) -> set[str]:
    return {w for w in _normalise(text).split() if len(w) > 2}


def _passage_quote(question: str, topics: Sequence[str], passages: Sequence[PassageLike],
                   track: _Track) -> str | None:
    usable = [p for p in passages if _plain(getattr(p, "text", "") or "")]
    if not usable:
        return None
    wanted = _words(question) - _STOP_WORDS
    for name in topics:
        for keyword in track.book.topics[name].keywords:
            wanted |= _words(keyword)

    def score(p: PassageLike) -> int:
        return len(wanted & _words(f"{p.title} {p.heading} {_plain(p.text)}"))

    best = max(usable, key=lambda p: (score(p), -usable.index(p)))
    sentences = [s.strip() for s in _SENTENCE.split(_plain(best.text)) if len(s.strip()) > 20]
    if not sentences:
        sentences = [_plain(best.text)]
    sentence = max(sentences, key=lambda s: (len(wanted & _words(s)), -sentences.index(s)))
    quote = one_line(sentence.replace("“", "\"").replace("”", "\""), QUOTE_MAX_CHARS)
    title = one_line(best.title or best.doc_id or "knowledge base", 100)
    heading = one_line(best.heading or "", 100)
    citation = f"(see: {title} › {heading})" if heading else f"(see: {title})"
    return track.note("follow_up", "passage", {"quote": quote, "citation": citation})


_STOP_WORDS = frozenset({
    "the", "and", "for", "you", "your", "are", "how", "what", "why", "can", "does", "should",
    "with", "this", "that", "track", "mix", "song", "there", "too", "much", "have", "about",
    "which", "where", "when", "will", "would", "could", "into", "from", "than", "then", "its",
    "not", "any", "get", "make", "need",
})


def offline_follow_up(result: AnalysisResult, question: str, profile: Profile = "detailed",
                      passages: Sequence[PassageLike] = ()) -> str:
    """Answer a follow-up question about a track from its measurements.

    The question's topics (loudness, peaks, dynamics, low end, stereo, tone, tempo, key,
    the reference, what to fix first, ...) are found by keywords; each gets the track's
    figures, the targets and the advice for any issue behind it. With knowledge-base
    ``passages``, a short quote from the best one is added and cited. A question that
    matches nothing gets the list of what the engine can answer. The question is treated
    as plain text and cut to QUESTION_MAX_CHARS characters.
    """
    track = _track(result, profile)
    text = one_line(question, QUESTION_MAX_CHARS)
    topics = question_topics(text)[:MAX_TOPICS]
    values = _topic_values(track)
    if topics:
        paragraphs = [_topic_answer(track, name, values) for name in topics]
    else:
        examples = suggested_questions(result.context, result.genre.display_label,
                                       track.profile, [g.code for g in track.groups])[:3]
        names = [track.book.topics[t].title.pick(result.context, "detailed").lower()
                 for t in TOPICS
                 if t not in ("cleanup", "readiness")]
        paragraphs = [track.note("follow_up", "fallback", {
            "topics": _join(names), "examples": " / ".join(f"“{q}”" for q in examples)})]
    quote = _passage_quote(text, topics, passages, track) if passages else None
    if quote:
        paragraphs.append(quote)
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------- summary


_UNIT = re.compile(r"\d\s*(?:dB|dBTP|dBFS|LUFS|LU|Hz|kHz|BPM|ms|%|s\b)|\b\d+[AB]\b")
_TITLE = re.compile(r"^[A-Z][\w /'?-]{0,40}: ")


def _key_sentence(answer: str, max_chars: int) -> str:
    """The sentences of an answer that carry its figures: per paragraph, the first with a
    measured figure (a number with a unit), else the first with a digit, else the first."""
    picked = []
    for paragraph in re.split(r"\n\s*\n", str(answer)):
        text = _TITLE.sub("", one_line(paragraph, 4000))
        if not text or text.startswith(("From the ", "Reference: ")):
            continue  # a quoted passage is not the answer
        sentences = [_TITLE.sub("", s.strip()) for s in _SENTENCE.split(text) if s.strip()]
        chosen = (next((s for s in sentences if _UNIT.search(s)), None)
                  or next((s for s in sentences if re.search(r"\d", s)), None)
                  or sentences[0])
        picked.append(chosen)
    return one_line(" ".join(picked), max_chars)


def _prior_summary(text: str, max_chars: int) -> str:
    lines = [re.sub(r"^[-*•]\s*", "", line.strip()).rstrip(".;") for line in
             str(text).splitlines()]
    lines = [line for line in lines if line and not line.lower().startswith("summary of")]
    return one_line("; ".join(lines), max_chars)


def offline_summary(turns: Sequence[ChatTurn]) -> str:
    """An extractive summary of a follow-up thread, at most SUMMARY_MAX_CHARS characters:
    the latest earlier summary (folded in), then each question asked since, with the
    sentence of its answer that carries the figures. The oldest questions give way first
    when the thread is long."""
    summary_at = max((i for i, t in enumerate(turns) if t.role == "summary"), default=-1)
    prior = turns[summary_at].content if summary_at >= 0 else ""
    pairs: list[list[str]] = []
    for turn in turns[summary_at + 1:]:
        if turn.role == "user":
            pairs.append([turn.content, ""])
        elif turn.role == "assistant":
            if pairs and not pairs[-1][1]:
                pairs[-1][1] = turn.content
            else:
                pairs.append(["", turn.content])
    if not prior and not pairs:
        return "No follow-up questions yet."
    header = "Summary of the follow-up thread:"
    for q_cap, a_cap, p_cap in ((140, 220, 400), (100, 150, 250), (70, 100, 150)):
        for dropped in range(len(pairs) + 1):
            lines = [header]
            if prior:
                lines.append(f"- Earlier: {_prior_summary(prior, p_cap)}")
            if dropped:
                lines.append(f"- ({dropped} earlier question{'s' if dropped > 1 else ''} "
                             "left out)")
            for question, answer in pairs[dropped:]:
                q = one_line(question, q_cap) if question else ""
                a = _key_sentence(answer, a_cap) if answer else "not answered yet"
                lines.append(f"- Q: {q} A: {a}" if q else f"- A: {a}")
            text = "\n".join(lines)
            if len(text) <= SUMMARY_MAX_CHARS:
                return text
            if q_cap > 70:
                break  # tighten the caps before dropping questions
    return one_line(text, SUMMARY_MAX_CHARS)


# --------------------------------------------------------------------------- album


def _album_values(**values: str) -> dict[str, str]:
    filled = dict.fromkeys(ALBUM_FIELDS, NOT_AVAILABLE)
    filled.update(values)
    return filled


def _album_item(book: AdviceBook, part: str, profile: Profile, values: Mapping[str, str],
                severity: Severity, fix_part: str | None = None) -> FeedbackItem:
    pair = book.album[part]
    fix = book.album[fix_part].fix if fix_part else pair.fix
    insight = _render(pair.insight.pick("mixdown", profile), values) if pair.insight else ""
    suggestion = _render(fix.pick("mixdown", profile), values) if fix else ""
    return FeedbackItem(insight=insight, suggestion=suggestion, issue_code=None,
                        severity=severity)


def _name(track: str) -> str:
    return one_line(track, 80) or "Untitled"


def _value_of(values: Sequence[TrackValue], track: str | None) -> float | None:
    return next((v.value for v in values if v.track == track), None)


def _transposition(transition: KeyTransition) -> str:
    """The smallest pitch shift (up to two semitones) that makes the second track mix into
    the first, or a bridging track when none does."""
    to_track = _name(transition.to_track)
    if transition.from_camelot and transition.to_camelot:
        for semitones in (1, -1, 2, -2):
            shifted = _camelot_shift(transition.to_camelot, semitones)
            if shifted and album_rules.camelot_compatible(transition.from_camelot, shifted):
                direction = "up" if semitones > 0 else "down"
                plural = "s" if abs(semitones) > 1 else ""
                return (f"pitch {to_track} {direction} {abs(semitones)} semitone{plural} "
                        f"(to {shifted})")
    return (f"put a bridging track between {_name(transition.from_track)} and {to_track}, or "
            "reorder them")


def offline_album_narrative(cohesion: CohesionSummary,
                            profile: Profile = "detailed") -> list[FeedbackItem]:
    """How several tracks sit together: what is consistent, which track stands out in
    loudness, dynamics, tone or width and by how much, what to change on it, and how the
    keys run from one track to the next."""
    book = load_advice()
    chosen = _profile(profile)
    if not cohesion.comparable:
        return [_album_item(book, "single", chosen, _album_values(), "info")]
    items: list[FeedbackItem] = []
    consistent: list[str] = []
    loud, plr, width, tonal = cohesion.loudness, cohesion.plr, cohesion.width, cohesion.tonal
    if loud.spread is not None and loud.spread <= album_rules.LOUDNESS_SPREAD_LU:
        consistent.append(f"loudness (within {loud.spread:.1f} LU)")
    if plr.spread is not None and plr.spread <= album_rules.PLR_SPREAD_DB:
        consistent.append(f"dynamics (within {plr.spread:.1f} dB)")
    if tonal is not None and tonal.outlier_region_delta_db is not None and \
            abs(tonal.outlier_region_delta_db) <= album_rules.TONAL_OUTLIER_DB:
        consistent.append(f"tone (within {abs(tonal.outlier_region_delta_db):.1f} dB)")
    if width.spread is not None and width.spread <= album_rules.WIDTH_SPREAD:
        consistent.append(f"stereo width (within {width.spread:.2f})")
    peaks = [v.value for v in cohesion.true_peak.values if v.value is not None]
    if peaks and max(peaks) <= album_rules.TRUE_PEAK_HEADROOM_DBTP:
        consistent.append(f"peaks (all at or below {album_rules.TRUE_PEAK_HEADROOM_DBTP:g} dB)")
    transitions = cohesion.key_transitions
    if transitions and all(t.compatible for t in transitions):
        consistent.append("keys (every transition blends)")
    if consistent:
        items.append(_album_item(book, "consistent", chosen,
                                 _album_values(consistent=_join(consistent)), "info"))
    if loud.median is not None:
        for entry in loud.values:
            if entry.value is None:
                continue
            offset = entry.value - loud.median
            if abs(offset) <= album_rules.LOUDNESS_OUTLIER_LU:
                continue
            values = _album_values(track=_name(entry.track), amount_db=_amount(offset, 0.1),
                                   amount_lu=_amount(offset, 0.1, unit="LU"),
                                   median=_fmt(loud.median, 1, "LUFS"))
            if offset > 0:
                items.append(_album_item(book, "louder", chosen, values, "warning"))
                continue
            peak = _value_of(cohesion.true_peak.values, entry.track)
            limited = peak is not None and peak - offset > album_rules.TRUE_PEAK_HEADROOM_DBTP
            if limited and peak is not None:
                values["value"] = _fmt(peak - offset, 1, "dBTP", signed=True)
            items.append(_album_item(book, "quieter", chosen, values, "warning",
                                     "quieter_limited" if limited else None))
    if plr.spread is not None and plr.spread > album_rules.PLR_SPREAD_DB and \
            plr.median is not None:
        low = _value_of(plr.values, plr.lowest)
        high = _value_of(plr.values, plr.highest)
        if low is not None and high is not None:
            items.append(_album_item(book, "plr", chosen, _album_values(
                low_track=_name(plr.lowest or ""), high_track=_name(plr.highest or ""),
                low_value=_fmt(low, 1, "dB"), high_value=_fmt(high, 1, "dB"),
                spread=_fmt(plr.spread, 1, "dB"), median=_fmt(plr.median, 1, "dB"),
                amount_db=_amount(plr.median - low, 0.5, minimum=0.5)), "warning"))
    if tonal is not None and tonal.outlier and tonal.outlier_region and \
            tonal.outlier_region_delta_db is not None and \
            abs(tonal.outlier_region_delta_db) > album_rules.TONAL_OUTLIER_DB:
        delta = tonal.outlier_region_delta_db
        items.append(_album_item(book, "tonal_more" if delta > 0 else "tonal_less", chosen,
                                 _album_values(track=_name(tonal.outlier),
                                               region=tonal.outlier_region,
                                               amount_db=_amount(delta, 0.1)), "warning"))
    if width.spread is not None and width.spread > album_rules.WIDTH_SPREAD and \
            width.median and width.median > 0:
        median = width.median
        low = _value_of(width.values, width.lowest)
        high = _value_of(width.values, width.highest)
        if low is not None and high is not None and low > 0:
            outlier, value = ((width.highest, high) if math.log(high / median) >=
                              math.log(median / low) else (width.lowest, low))
            items.append(_album_item(book, "width", chosen, _album_values(
                track=_name(outlier or ""), low_track=_name(width.lowest or ""),
                high_track=_name(width.highest or ""), low_value=_fmt(low, 2),
                high_value=_fmt(high, 2), spread=_fmt(width.spread, 2),
                median=_fmt(median, 2),
                side_db=_fmt(10 * math.log10(median / value), 1, "dB", signed=True)),
                "warning"))
    clashes = [t for t in transitions if t.compatible is False]
    if clashes:
        listed = [f"{_name(t.from_track)} ({t.from_camelot}) into {_name(t.to_track)} "
                  f"({t.to_camelot})" for t in clashes]
        items.append(_album_item(book, "keys_clash", chosen, _album_values(
            transitions="; ".join(listed),
            moves="; ".join(_transposition(t) for t in clashes)), "info"))
    elif transitions and all(t.compatible for t in transitions):
        chain = " → ".join([f"{_name(transitions[0].from_track)} ({transitions[0].from_camelot})"]
                           + [f"{_name(t.to_track)} ({t.to_camelot})" for t in transitions])
        items.append(_album_item(book, "keys_ok", chosen, _album_values(transitions=chain),
                                 "info"))
    return items


# --------------------------------------------------------------------------- reference


_GENERIC_FIGURES = {
    "amount_db": "the amount shown", "ceiling": "the ceiling", "ceiling_db": "the ceiling",
    "where": "the marked times", "genre": "the genre", "mono_below_hz": "the genre's mono "
    "frequency", "louder_side": "the louder side", "freq_hz": "the marked frequency",
}


_CONTEXT_LEADS = {"mixdown": "For a mixdown", "mastering": "When mastering",
                  "master": "For a finished master"}


class _GenericFigures(dict[str, str]):
    """Placeholder values for documentation: words instead of measurements."""

    def __missing__(self, key: str) -> str:
        return _GENERIC_FIGURES.get(key, "the " + key.replace("_", " "))


def issue_reference(profile: Profile = "detailed") -> list[tuple[str, str, str]]:
    """(code, title, Markdown body) for every issue code: why it matters and how to fix
    it in each context, with figures named instead of measured (for the docs)."""
    book = load_advice()
    figures = _GenericFigures()
    entries: list[tuple[str, str, str]] = []
    for code in ISSUE_CODES:
        advice = book.issues[code]
        lines = [_render(advice.why.pick("master", profile), figures), ""]
        fixes = {context: _render(advice.fix.pick(context, profile), figures)
                 for context in CONTEXTS}
        if len(set(fixes.values())) == 1:
            lines.append(f"How to fix it: {fixes['master']}")
        else:
            lines += [f"- {_CONTEXT_LEADS[context]}: {text}" for context, text in fixes.items()]
        entries.append((code, advice.title.pick(profile), "\n".join(lines)))
    return entries
