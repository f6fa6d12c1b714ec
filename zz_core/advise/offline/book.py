"""advice.yaml: the offline engine's words, validated, and how its templates are filled.

Every text comes in three registers (simple, detailed, pro) and may differ by track
context; its ``{placeholders}`` may only name the figures listed here for its section
(``FIGURE_FIELDS`` for every track-level text, plus the fields of its issue, note,
reference comparison, album or topic). ``load_advice`` reads the file through
``zz_core.datafiles`` and refuses any entry, register or placeholder that is missing,
misspelt or not allowed, naming it.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zz_core.datafiles import DATA_DIR, DataFileError, fail, read_yaml, validation_lines
from zz_core.fmt import hz
from zz_core.judge.genres import OCTAVE_CENTRES_HZ
from zz_core.vocab import CONTEXTS, ISSUE_CODES, PROFILES, Profile

DEFAULT_ADVICE_PATH = DATA_DIR / "advice.yaml"
MIN_QUESTIONS, MAX_QUESTIONS = 4, 6

TONAL_SIGNS: dict[str, int] = {
    "low_end_excess": 1, "low_end_lacking": -1, "low_mid_excess": 1, "harshness": 1,
    "dull_highs": -1,
}
"""Tonal issue codes and their direction: +1 the octaves are too loud, -1 too quiet."""
REQUIRED_VARIANTS: dict[str, tuple[str, ...]] = {"mono": ("file",), "silence": ("gap", "whole"),
                                                 "too_quiet": ("streaming",)}

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
    "region", "margin",
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
    "moves": ("region", "deviation", "bound_db", "amount_db", "sources"),
    "versions": ("previous", "fixed", "new", "remaining", "improved", "regressed"),
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
    "moves": ("master_excess", "master_lack", "mix_excess", "mix_lack", "bus_rest"),
    "versions": ("title", "fixed", "nothing_fixed", "improved", "regressed", "new",
                 "remaining", "none_left", "no_difference"),
}
REFERENCE_FIELDS: tuple[str, ...] = (
    "reference", "ref_value", "track_value", "amount_db", "amount_lu", "region", "side_db")
REFERENCE_PARTS: tuple[str, ...] = (
    "louder", "quieter", "plr_lower", "plr_higher", "tonal_more", "tonal_less", "narrower",
    "wider", "low_end_wider", "close")
ALBUM_FIELDS: tuple[str, ...] = (
    "track", "amount_db", "amount_lu", "median", "value", "low_track", "high_track",
    "low_value", "high_value", "spread", "region", "side_db", "transitions", "consistent",
    "moves", "problem", "count")
ALBUM_PARTS: tuple[str, ...] = (
    "consistent", "consistent_flagged", "shared", "louder", "quieter", "quieter_limited",
    "plr", "tonal_more", "tonal_less", "width", "keys_clash", "keys_ok", "single")
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


class MoveBounds(_Frozen):
    """How far a suggested EQ move may go in practice (dB, cut or boost): per band on a
    master (and how many bands), per source in a mix, and the side-channel gain."""

    master_eq_db: float = Field(gt=0.0, le=12.0)
    master_eq_bands: int = Field(ge=1, le=8)
    mix_eq_db: float = Field(gt=0.0, le=18.0)
    master_side_db: float = Field(gt=0.0, le=12.0)
    mix_side_db: float = Field(gt=0.0, le=18.0)

    def eq_db(self, context: str) -> float:
        """The largest EQ move for a track in ``context`` (a mixdown: per source)."""
        return self.mix_eq_db if context == "mixdown" else self.master_eq_db

    def side_db(self, context: str) -> float:
        """The largest side-level change for a track in ``context``."""
        return self.mix_side_db if context == "mixdown" else self.master_side_db


class AdviceBook(_Frozen):
    """Everything advice.yaml defines, validated."""

    version: int = 1
    octave_names: dict[float, str]
    octave_sources: dict[float, tuple[str, ...]]
    moves: MoveBounds
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
        return self.octave_names.get(centre, hz(centre))

    def octave_source(self, centre: float) -> tuple[str, ...]:
        """Who usually lives in the octave at ``centre`` (the nearest listed octave)."""
        nearest = min(self.octave_sources, key=lambda c: abs(math.log(c / centre)))
        return self.octave_sources[nearest]


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
    for section, named in (("octave_names", book.octave_names),
                           ("octave_sources", book.octave_sources)):
        problems += _missing_and_unknown(section, (f"{c:g}" for c in named),
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
            if pair.insight is None and name not in ("quieter_limited", "consistent_flagged"):
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


def render(template: str, values: Mapping[str, str]) -> str:
    """A template filled with ``values``, whitespace collapsed."""
    return " ".join(template.format_map(values).split())


def known_profile(profile: str) -> Profile:
    """``profile`` when it is one of PROFILES, else "detailed"."""
    for known in PROFILES:
        if profile == known:
            return known
    return "detailed"
