"""Genre targets and track contexts: the validated models of ``zz_core/data/genres.yaml``
and how a genre, subgenre or context is found by its slug, label or alias.

Units: LUFS / LU per ITU-R BS.1770-5 and EBU Tech 3342, dBTP true peak, PLR = true peak -
integrated loudness (dB), DR = TT DR value, BPM, stereo width = side/mid energy ratio,
tonal curve = octave-band energy in dB relative to the 1 kHz octave band.
``genre_data`` reads the file into these models; ``genres`` is the public lookup API.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from zz_core.vocab import Severity

OCTAVE_CENTRES_HZ: tuple[float, ...] = (
    31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0
)
"""Nominal octave-band centres (IEC 61260) of ``tonal_curve_db``; 1000 Hz is the 0 dB reference."""
REFERENCE_OCTAVE_HZ = 1000.0
GENERIC_LABEL = "Generic"

_T = TypeVar("_T")


class FrozenModel(BaseModel):
    """An immutable model that refuses unknown fields (a misspelt YAML key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def empty_if_none(empty: Any) -> BeforeValidator:
    """An empty YAML entry (``targets:`` with nothing under it) means 'nothing to change'."""
    return BeforeValidator(lambda value: empty if value is None else value)


Aliases = Annotated[tuple[str, ...], empty_if_none(())]


# --------------------------------------------------------------------------- value models


class Range(FrozenModel):
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


def tonal_mapping(data: Any, *, complete: bool) -> dict[float, float]:
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


class LowEndTargets(FrozenModel):
    """Low-end rules: mono below a frequency, and how much of the energy is sub (20-60 Hz)."""

    mono_below_hz: float = Field(gt=20.0, le=500.0)  # Hz
    min_correlation: float = Field(ge=-1.0, le=1.0)  # L/R correlation below mono_below_hz
    sub_share_db: Range  # 20-60 Hz level relative to the full-band level, dB (negative)

    @field_validator("sub_share_db")
    @classmethod
    def _share_below_total(cls, r: Range) -> Range:
        _check_max("sub_share_db", r, 0.0)
        return r


class GenreTargets(FrozenModel):
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
        return tonal_mapping(data, complete=True)

    @model_validator(mode="after")
    def _plausible(self) -> GenreTargets:
        _check_max("integrated_lufs", self.integrated_lufs, 0.0)
        for name in ("lra_lu", "plr_db", "dr", "stereo_width"):
            _check_min(name, getattr(self, name), 0.0)
        _check_min("bpm", self.bpm, 0.0, strict=True)
        return self


# --------------------------------------------------------------------------- contexts


class ContextFields(FrozenModel):
    """The fields of a context entry in genres.yaml."""

    label: str = Field(min_length=1)
    description: str
    aliases: Aliases = ()
    peak_ceiling_dbtp: float = Field(le=0.0)
    integrated_lufs: Range
    apply_genre_loudness: bool
    apply_genre_dynamics: bool
    over_compressed_plr_db: float = Field(ge=0.0)
    clip_severity: Severity
    ceiling_severity: Severity
    tonal_tolerance_extra_db: float = Field(ge=0.0)
    check_platforms: bool


class ContextRules(ContextFields):
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


class SubgenreEntry(FrozenModel):
    """A subgenre row of the table with its fully merged targets."""

    slug: str
    label: str
    aliases: tuple[str, ...] = ()
    targets: GenreTargets


class GenreEntry(FrozenModel):
    """A genre row of the table with its merged targets and subgenres (file order)."""

    slug: str
    label: str
    aliases: tuple[str, ...] = ()
    targets: GenreTargets
    subgenres: dict[str, SubgenreEntry]

    def find_subgenre(self, name: str) -> SubgenreEntry | None:
        """The subgenre answering to a slug, label or alias, or None."""
        return _find(self.subgenres.values(), name)


class GenreTable(FrozenModel):
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


def entry_key(entry: Any) -> str:
    """The identifier of a table entry: a genre/subgenre slug or a context name."""
    return str(entry.slug if hasattr(entry, "slug") else entry.name)


def entry_names(entry: Any) -> set[str]:
    """Every key a table entry answers to: its slug or name, label and aliases."""
    keys: set[str] = set()
    for name in (entry_key(entry), entry.label, *entry.aliases):
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
        if entry_key(entry) == exact:
            return entry
    for entry in candidates:
        if keys & entry_names(entry):
            return entry
    return None
