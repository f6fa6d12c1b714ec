"""Reading ``zz_core/data/genres.yaml``: the file's raw entries, how they merge
(defaults <- genre targets <- subgenre targets, deep-merging ``low_end`` and
``tonal_curve_db`` so an entry only names what it changes) and the checks that refuse a
broken file, naming the entry and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from zz_core.datafiles import DATA_DIR, DataFileError, fail, read_yaml, validation_lines
from zz_core.judge.genre_models import (
    Aliases,
    ContextFields,
    ContextRules,
    FrozenModel,
    GenreEntry,
    GenreTable,
    GenreTargets,
    Range,
    SubgenreEntry,
    empty_if_none,
    entry_key,
    entry_names,
    slugify,
    tonal_mapping,
)
from zz_core.vocab import CONTEXTS

DEFAULT_GENRES_PATH = DATA_DIR / "genres.yaml"
_DEEP_MERGED_FIELDS = ("low_end", "tonal_curve_db")


class _LowEndOverrides(FrozenModel):
    mono_below_hz: float | None = Field(default=None, gt=20.0, le=500.0)
    min_correlation: float | None = Field(default=None, ge=-1.0, le=1.0)
    sub_share_db: Range | None = None


class _TargetOverrides(FrozenModel):
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
        return None if data is None else tonal_mapping(data, complete=False)

    @field_validator("low_end", mode="before")
    @classmethod
    def _empty_low_end(cls, data: Any) -> Any:
        return {} if data is None else data


_Overrides = Annotated[_TargetOverrides, empty_if_none({})]


class _SubgenreRaw(FrozenModel):
    label: str = Field(min_length=1)
    aliases: Aliases = ()
    targets: _Overrides = _TargetOverrides()


class _GenreRaw(FrozenModel):
    label: str = Field(min_length=1)
    aliases: Aliases = ()
    targets: _Overrides = _TargetOverrides()
    subgenres: Annotated[dict[str, _SubgenreRaw], empty_if_none({})] = Field(
        default_factory=dict
    )


class _FileRaw(FrozenModel):
    version: int = 1
    contexts: dict[str, ContextFields]
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
        slug = entry_key(entry)
        for key in entry_names(entry):
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
