"""Genre targets, track contexts and how a genre/subgenre choice resolves to one target set.

All numbers live in ``zz_core/data/genres.yaml`` (one file a producer can read and edit);
this module validates that file and merges it: defaults <- genre targets <- subgenre targets,
deep-merging ``low_end`` and ``tonal_curve_db`` so an entry only names what it changes.

Units: LUFS / LU per ITU-R BS.1770-5 and EBU Tech 3342, dBTP true peak, PLR = true peak -
integrated loudness (dB), DR = TT DR value, BPM, stereo width = side/mid energy ratio,
tonal curve = octave-band energy in dB relative to the 1 kHz octave band.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from zz_core.datafiles import DATA_DIR, DataFileError, fail, read_yaml, validation_lines
from zz_core.errors import UnknownOptionError
from zz_core.text import one_line
from zz_core.vocab import CONTEXTS, Severity

DEFAULT_GENRES_PATH = DATA_DIR / "genres.yaml"
OCTAVE_CENTRES_HZ: tuple[float, ...] = (
    31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0
)
"""Nominal octave-band centres (IEC 61260) of ``tonal_curve_db``; 1000 Hz is the 0 dB reference."""
REFERENCE_OCTAVE_HZ = 1000.0
GENERIC_LABEL = "Generic"
MAX_FREE_TEXT_CHARS = 60
_DEEP_MERGED_FIELDS = ("low_end", "tonal_curve_db")

_T = TypeVar("_T")




class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- value models


class Range(_Frozen):
    """A closed interval [min, max]; written ``[min, max]`` in YAML."""

    min: float
    max: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            if len(data) != 2:
                raise ValueError(f"a range is written [min, max], got {len(data)} values")
            return {"min": data[0], "max": data[1]}
        if not isinstance(data, Mapping | Range):
            raise ValueError(f"a range is written [min, max], got {data!r}")
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError("range ends must be finite numbers")
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self

    @property
    def mid(self) -> float:
        """Centre of the range."""
        return 0.5 * (self.min + self.max)

    def contains(self, x: float) -> bool:
        """True when min <= x <= max (NaN is never inside)."""
        return self.min <= x <= self.max

    def distance(self, x: float) -> float:
        """0 inside; x - min (negative) below; x - max (positive) above; NaN for NaN."""
        if x < self.min:
            return x - self.min
        if x > self.max:
            return x - self.max
        return math.nan if math.isnan(x) else 0.0


def _octave_key(key: Any) -> float:
    """Map a YAML key ("31.5", 63 or 1000.0) to its nominal octave centre in Hz."""
    try:
        value = float(key)
    except (TypeError, ValueError):
        value = math.nan
    for centre in OCTAVE_CENTRES_HZ:
        if math.isclose(value, centre):
            return centre
    names = ", ".join(f"{c:g}" for c in OCTAVE_CENTRES_HZ)
    raise ValueError(f"unknown octave centre {key!r}; use {names}")


def _tonal_mapping(data: Any, *, complete: bool) -> dict[float, float]:
    """Normalise a tonal curve (mapping Hz -> dB, or a list in OCTAVE_CENTRES_HZ order)."""
    if isinstance(data, list | tuple):
        if len(data) != len(OCTAVE_CENTRES_HZ):
            raise ValueError(f"a tonal curve list needs {len(OCTAVE_CENTRES_HZ)} values")
        data = dict(zip(OCTAVE_CENTRES_HZ, data, strict=True))
    if not isinstance(data, Mapping):
        raise ValueError("a tonal curve is a mapping of octave centre (Hz) to dB")
    curve: dict[float, float] = {}
    for key, level in data.items():
        centre = _octave_key(key)
        if centre in curve:
            raise ValueError(f"octave centre {centre:g} is given twice")
        if isinstance(level, bool) or not isinstance(level, int | float):
            raise ValueError(f"octave {centre:g} Hz: level must be a number in dB, got {level!r}")
        if not math.isfinite(level):
            raise ValueError(f"octave {centre:g} Hz: level must be finite")
        curve[centre] = float(level)
    if REFERENCE_OCTAVE_HZ in curve and curve[REFERENCE_OCTAVE_HZ] != 0.0:
        raise ValueError("the 1000 Hz octave is the reference and must be 0.0")
    missing = [f"{c:g}" for c in OCTAVE_CENTRES_HZ if c not in curve]
    if complete and missing:
        raise ValueError(f"missing octave centres: {', '.join(missing)}")
    return {c: curve[c] for c in OCTAVE_CENTRES_HZ if c in curve}


def _check_min(name: str, r: Range | None, low: float, *, strict: bool = False) -> None:
    if r is None:
        return
    if r.min < low or (strict and r.min == low):
        raise ValueError(f"{name} must start {'above' if strict else 'at or above'} {low:g}")


def _check_max(name: str, r: Range | None, high: float) -> None:
    if r is not None and r.max > high:
        raise ValueError(f"{name} must end at or below {high:g}")


class LowEndTargets(_Frozen):
    """Low-end rules: mono below a frequency, and how much of the energy is sub (20-60 Hz)."""

    mono_below_hz: float = Field(gt=20.0, le=500.0)  # Hz
    min_correlation: float = Field(ge=-1.0, le=1.0)  # L/R correlation below mono_below_hz
    sub_share_db: Range  # 20-60 Hz level relative to the full-band level, dB (negative)

    @field_validator("sub_share_db")
    @classmethod
    def _share_below_total(cls, r: Range) -> Range:
        _check_max("sub_share_db", r, 0.0)
        return r


class GenreTargets(_Frozen):
    """The complete target set for one genre/subgenre (genres.yaml explains each field)."""

    integrated_lufs: Range  # LUFS
    true_peak_dbtp_max: float = Field(le=0.0)  # dBTP
    lra_lu: Range  # LU (EBU Tech 3342)
    plr_db: Range  # true peak - integrated loudness, dB
    dr: Range  # TT DR value
    bpm: Range
    stereo_width: Range  # side/mid energy ratio, 0 = mono
    low_end: LowEndTargets
    tonal_curve_db: dict[float, float]  # octave centre Hz -> dB re 1 kHz octave, sorted
    tonal_tolerance_db: float = Field(gt=0.0, le=24.0)  # allowed deviation per band, dB

    @field_validator("tonal_curve_db", mode="before")
    @classmethod
    def _full_curve(cls, data: Any) -> dict[float, float]:
        return _tonal_mapping(data, complete=True)

    @model_validator(mode="after")
    def _plausible(self) -> GenreTargets:
        _check_max("integrated_lufs", self.integrated_lufs, 0.0)
        for name in ("lra_lu", "plr_db", "dr", "stereo_width"):
            _check_min(name, getattr(self, name), 0.0)
        _check_min("bpm", self.bpm, 0.0, strict=True)
        return self


class _LowEndOverrides(_Frozen):
    mono_below_hz: float | None = Field(default=None, gt=20.0, le=500.0)
    min_correlation: float | None = Field(default=None, ge=-1.0, le=1.0)
    sub_share_db: Range | None = None


class _TargetOverrides(_Frozen):
    """A partial GenreTargets: only the fields a genre or subgenre changes."""

    integrated_lufs: Range | None = None
    true_peak_dbtp_max: float | None = Field(default=None, le=0.0)
    lra_lu: Range | None = None
    plr_db: Range | None = None
    dr: Range | None = None
    bpm: Range | None = None
    stereo_width: Range | None = None
    low_end: _LowEndOverrides | None = None
    tonal_curve_db: dict[float, float] | None = None
    tonal_tolerance_db: float | None = Field(default=None, gt=0.0, le=24.0)

    @field_validator("tonal_curve_db", mode="before")
    @classmethod
    def _partial_curve(cls, data: Any) -> dict[float, float] | None:
        return None if data is None else _tonal_mapping(data, complete=False)

    @field_validator("low_end", mode="before")
    @classmethod
    def _empty_low_end(cls, data: Any) -> Any:
        return {} if data is None else data


# --------------------------------------------------------------------------- contexts


class _ContextFields(_Frozen):
    """The fields of a context entry in genres.yaml."""

    label: str = Field(min_length=1)
    description: str
    aliases: _Aliases = ()
    peak_ceiling_dbtp: float = Field(le=0.0)
    integrated_lufs: Range
    apply_genre_loudness: bool
    apply_genre_dynamics: bool
    over_compressed_plr_db: float = Field(ge=0.0)
    clip_severity: Severity
    ceiling_severity: Severity
    tonal_tolerance_extra_db: float = Field(ge=0.0)
    check_platforms: bool


class ContextRules(_ContextFields):
    """What a track context (mixdown review, mastering guidance, master review) changes."""

    name: str

    def loudness_range(self, targets: GenreTargets) -> Range:
        """Integrated loudness (LUFS) to judge against: the genre's, or this context's own."""
        return targets.integrated_lufs if self.apply_genre_loudness else self.integrated_lufs

    def true_peak_limit(self, targets: GenreTargets) -> float:
        """Highest acceptable true peak (dBTP): the stricter of context ceiling and genre max."""
        return min(self.peak_ceiling_dbtp, targets.true_peak_dbtp_max)

    def tonal_tolerance(self, targets: GenreTargets) -> float:
        """How far (dB) an octave band may stray from the genre curve in this context."""
        return targets.tonal_tolerance_db + self.tonal_tolerance_extra_db


# --------------------------------------------------------------------------- table


class Subgenre(BaseModel):
    """A subgenre as offered in the UI."""

    model_config = ConfigDict(frozen=True)

    slug: str
    label: str


class Genre(BaseModel):
    """A genre and its subgenres as offered in the UI (in file order)."""

    model_config = ConfigDict(frozen=True)

    slug: str
    label: str
    subgenres: list[Subgenre]


class SubgenreEntry(_Frozen):
    """A subgenre row of the table with its fully merged targets."""

    slug: str
    label: str
    aliases: tuple[str, ...] = ()
    targets: GenreTargets


class GenreEntry(_Frozen):
    """A genre row of the table with its merged targets and subgenres (file order)."""

    slug: str
    label: str
    aliases: tuple[str, ...] = ()
    targets: GenreTargets
    subgenres: dict[str, SubgenreEntry]

    def find_subgenre(self, name: str) -> SubgenreEntry | None:
        """The subgenre answering to a slug, label or alias, or None."""
        return _find(self.subgenres.values(), name)


class GenreTable(_Frozen):
    """Everything genres.yaml defines, validated and merged."""

    source: str
    defaults: GenreTargets
    contexts: dict[str, ContextRules]
    genres: dict[str, GenreEntry]

    def find_genre(self, name: str) -> GenreEntry | None:
        """The genre answering to a slug, label or alias, or None."""
        return _find(self.genres.values(), name)

    def find_context(self, name: str) -> ContextRules | None:
        """The context answering to a name, label or alias, or None."""
        return _find(self.contexts.values(), name)


class GenreChoice(BaseModel):
    """A genre/subgenre choice as resolved against the table.

    ``subgenre`` is the slug of the table entry used (None when none was); ``subgenre_known``
    is True only then. A free-text subgenre keeps its text in ``subgenre_label``.
    """

    model_config = ConfigDict(frozen=True)

    genre: str | None
    genre_label: str
    subgenre: str | None
    subgenre_label: str | None
    subgenre_known: bool

    @property
    def display_label(self) -> str:
        """"Techno (Electronic)", or just the genre label."""
        if self.subgenre_label:
            return f"{self.subgenre_label} ({self.genre_label})"
        return self.genre_label


class ResolvedTargets(GenreChoice):
    """The targets for one genre/subgenre choice."""

    targets: GenreTargets

    def choice(self) -> GenreChoice:
        """The choice without its targets (what an analysis records)."""
        return GenreChoice(**self.model_dump(exclude={"targets"}))


# --------------------------------------------------------------------------- names


def slugify(name: str) -> str:
    """Lower-case ASCII slug: "Drum & Bass" / "drum-and-bass" -> "drum_and_bass", "Oi!" -> "oi"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"['`]", "", text.lower().replace("&", " and "))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _match_keys(name: str) -> set[str]:
    """Keys a name answers to: its slug, and the slug without underscores ("hip_hop" ~ "hiphop")."""
    slug = slugify(name)
    return {slug, slug.replace("_", "")} if slug else set()


def _key_of(entry: Any) -> str:
    """The identifier of a table entry: a genre/subgenre slug or a context name."""
    return str(entry.slug if hasattr(entry, "slug") else entry.name)


def _names_of(entry: Any) -> set[str]:
    keys: set[str] = set()
    for name in (_key_of(entry), entry.label, *entry.aliases):
        keys |= _match_keys(name)
    return keys


def _find(entries: Iterable[_T], name: str) -> _T | None:
    """The entry whose slug is slugify(name), else the first answering to it by label/alias."""
    keys = _match_keys(name)
    if not keys:
        return None
    candidates = list(entries)
    exact = slugify(name)
    for entry in candidates:
        if _key_of(entry) == exact:
            return entry
    for entry in candidates:
        if keys & _names_of(entry):
            return entry
    return None


def _clean_free_text(text: str | None) -> str | None:
    """Typed text for display: printable, whitespace collapsed, at most 60 characters."""
    if text is None:
        return None
    cleaned = one_line(text)[:MAX_FREE_TEXT_CHARS].rstrip()
    return cleaned or None


# --------------------------------------------------------------------------- loading


def _empty_if_none(empty: Any) -> BeforeValidator:
    """An empty YAML entry (``targets:`` with nothing under it) means 'nothing to change'."""
    return BeforeValidator(lambda value: empty if value is None else value)


_Aliases = Annotated[tuple[str, ...], _empty_if_none(())]
_Overrides = Annotated[_TargetOverrides, _empty_if_none({})]


class _SubgenreRaw(_Frozen):
    label: str = Field(min_length=1)
    aliases: _Aliases = ()
    targets: _Overrides = _TargetOverrides()


class _GenreRaw(_Frozen):
    label: str = Field(min_length=1)
    aliases: _Aliases = ()
    targets: _Overrides = _TargetOverrides()
    subgenres: Annotated[dict[str, _SubgenreRaw], _empty_if_none({})] = Field(
        default_factory=dict
    )


class _FileRaw(_Frozen):
    version: int = 1
    contexts: dict[str, _ContextFields]
    defaults: GenreTargets
    genres: dict[str, _GenreRaw]


def _raise_problems(source: Path, problems: list[str]) -> None:
    if problems:
        fail(source, problems)


def _merge_fields(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of base with override applied: low_end and tonal_curve_db merge key by key,
    every other field (ranges included) is replaced whole."""
    merged = dict(base)
    for key, value in override.items():
        if key in _DEEP_MERGED_FIELDS:
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _merge_targets(
    base: GenreTargets, overrides: _TargetOverrides, where: str, problems: list[str]
) -> GenreTargets:
    merged = _merge_fields(base.model_dump(), overrides.model_dump(exclude_unset=True))
    try:
        return GenreTargets.model_validate(merged)
    except ValidationError as err:
        problems.extend(validation_lines(where, err))
        return base


def _check_slugs(where: str, keys: Iterable[str], problems: list[str]) -> None:
    for key in keys:
        if slugify(key) != key:
            problems.append(f"{where}.{key}: keys must be slugs like {slugify(key)!r}")


def _check_unambiguous(where: str, entries: Iterable[Any], problems: list[str]) -> None:
    owner: dict[str, str] = {}
    for entry in entries:
        slug = _key_of(entry)
        for key in _names_of(entry):
            other = owner.setdefault(key, slug)
            if other != slug:
                problems.append(f"{where}: {other!r} and {slug!r} both answer to {key!r}")


def _build_genre(
    slug: str, raw: _GenreRaw, defaults: GenreTargets, problems: list[str]
) -> GenreEntry:
    where = f"genres.{slug}"
    targets = _merge_targets(defaults, raw.targets, f"{where}.targets", problems)
    _check_slugs(f"{where}.subgenres", raw.subgenres, problems)
    subgenres = {
        sub_slug: SubgenreEntry(
            slug=sub_slug,
            label=sub.label,
            aliases=sub.aliases,
            targets=_merge_targets(
                targets, sub.targets, f"{where}.subgenres.{sub_slug}.targets", problems
            ),
        )
        for sub_slug, sub in raw.subgenres.items()
    }
    entry = GenreEntry(
        slug=slug, label=raw.label, aliases=raw.aliases, targets=targets, subgenres=subgenres
    )
    _check_unambiguous(f"{where}.subgenres", subgenres.values(), problems)
    return entry


def _validate_file(source: Path, data: Any) -> _FileRaw:
    try:
        return _FileRaw.model_validate(data)
    except ValidationError as err:
        errors = validation_lines("", err)
    fail(source, errors)


def _parse_table(source: Path, data: Any) -> GenreTable:
    if not isinstance(data, dict):
        raise DataFileError(f"{source.name} must be a mapping with contexts, defaults, genres")
    raw = _validate_file(source, data)
    problems: list[str] = []
    if set(raw.contexts) != set(CONTEXTS):
        problems.append(f"contexts: must be exactly {', '.join(CONTEXTS)}")
    if not raw.genres:
        problems.append("genres: at least one genre is needed")
    _check_slugs("genres", raw.genres, problems)
    contexts: dict[str, ContextRules] = {
        name: ContextRules(name=name, **raw.contexts[name].model_dump())
        for name in CONTEXTS
        if name in raw.contexts
    }
    genres = {slug: _build_genre(slug, g, raw.defaults, problems) for slug, g in raw.genres.items()}
    _check_unambiguous("genres", genres.values(), problems)
    _check_unambiguous("contexts", contexts.values(), problems)
    _raise_problems(source, problems)
    return GenreTable(source=str(source), defaults=raw.defaults, contexts=contexts, genres=genres)


@lru_cache(maxsize=1)
def _default_table() -> GenreTable:
    return _parse_table(DEFAULT_GENRES_PATH, read_yaml(DEFAULT_GENRES_PATH))


def load_genre_table(path: Path | None = None) -> GenreTable:
    """Load and fully validate genres.yaml; the packaged file is read once and cached.

    Raises DataFileError naming the entry and field (e.g. ``genres.metal.subgenres.doom.
    targets.bpm: min 90 is above max 60``). Another path is read afresh on every call.
    """
    if path is None or Path(path).resolve() == DEFAULT_GENRES_PATH:
        return _default_table()
    source = Path(path)
    return _parse_table(source, read_yaml(source))


# --------------------------------------------------------------------------- public lookups


def list_genres(table: GenreTable | None = None) -> list[Genre]:
    """All genres with their subgenres, in file order."""
    table = table or load_genre_table()
    return [
        Genre(
            slug=g.slug,
            label=g.label,
            subgenres=[Subgenre(slug=s.slug, label=s.label) for s in g.subgenres.values()],
        )
        for g in table.genres.values()
    ]


def _unknown_genre(genre: str, table: GenreTable) -> UnknownOptionError:
    valid = ", ".join(table.genres)
    return UnknownOptionError(f"Unknown genre {genre.strip()!r}; choose one of: {valid}.")


def resolve_targets(
    genre: str | None, subgenre: str | None = None, *, table: GenreTable | None = None
) -> ResolvedTargets:
    """Targets for a genre and optional subgenre (slugs, labels or aliases).

    No genre -> the defaults ("Generic"). Unknown genre -> UnknownOptionError listing the valid
    ones. A subgenre not in the table (free text) -> the genre's targets, with the typed text
    (cleaned, max 60 characters) as ``subgenre_label`` and ``subgenre_known`` False.
    """
    table = table or load_genre_table()
    typed_sub = _clean_free_text(subgenre)
    if genre is None or not genre.strip():
        return ResolvedTargets(
            genre=None, genre_label=GENERIC_LABEL, subgenre=None, subgenre_label=typed_sub,
            subgenre_known=False, targets=table.defaults.model_copy(deep=True),
        )
    entry = table.find_genre(genre)
    if entry is None:
        raise _unknown_genre(genre, table)
    sub = entry.find_subgenre(typed_sub) if typed_sub else None
    if sub is None:
        return ResolvedTargets(
            genre=entry.slug, genre_label=entry.label, subgenre=None, subgenre_label=typed_sub,
            subgenre_known=False, targets=entry.targets.model_copy(deep=True),
        )
    return ResolvedTargets(
        genre=entry.slug, genre_label=entry.label, subgenre=sub.slug, subgenre_label=sub.label,
        subgenre_known=True, targets=sub.targets.model_copy(deep=True),
    )


def context_rules(context: str, *, table: GenreTable | None = None) -> ContextRules:
    """Rules of a track context by name ("mixdown") or label ("Mixdown review")."""
    table = table or load_genre_table()
    rules = table.find_context(context) if isinstance(context, str) else None
    if rules is None:
        valid = ", ".join(f"{c.name} ({c.label})" for c in table.contexts.values())
        raise UnknownOptionError(f"Unknown track context {context!r}; choose one of: {valid}.")
    return rules


def tonal_target_at(targets: GenreTargets, freqs_hz: np.ndarray) -> np.ndarray:
    """Target level (dB re 1 kHz octave) at each frequency, for plots and comparisons.

    Linear interpolation of the octave curve in log2 frequency; flat beyond 31.5 Hz and
    16 kHz (0 Hz gets the 31.5 Hz value); NaN stays NaN. Output has the shape of the input.
    """
    freqs = np.asarray(freqs_hz, dtype=float)
    centres = np.log2(np.array(list(targets.tonal_curve_db)))
    levels = np.array(list(targets.tonal_curve_db.values()))
    x = np.log2(np.maximum(freqs, np.finfo(float).tiny))
    return np.interp(x, centres, levels)
