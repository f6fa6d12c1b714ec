"""Genre targets, track contexts and how a genre/subgenre choice resolves to one target set.

All numbers live in ``zz_core/data/genres.yaml`` (one file a producer can read and edit):
``genre_models`` holds its validated models, ``genre_data`` reads, merges and checks it,
and this module is the public API: the lookups below and every name callers import
(``Range``, ``GenreTargets``, ``ContextRules``, ``load_genre_table``, ...).

Units: LUFS / LU per ITU-R BS.1770-5 and EBU Tech 3342, dBTP true peak, PLR = true peak -
integrated loudness (dB), DR = TT DR value, BPM, stereo width = side/mid energy ratio,
tonal curve = octave-band energy in dB relative to the 1 kHz octave band.
"""

from __future__ import annotations

import numpy as np

from zz_core.errors import UnknownOptionError
from zz_core.judge.genre_data import DEFAULT_GENRES_PATH, load_genre_table
from zz_core.judge.genre_models import (
    GENERIC_LABEL,
    OCTAVE_CENTRES_HZ,
    REFERENCE_OCTAVE_HZ,
    ContextRules,
    Genre,
    GenreChoice,
    GenreEntry,
    GenreTable,
    GenreTargets,
    LowEndTargets,
    Range,
    ResolvedTargets,
    Subgenre,
    SubgenreEntry,
    slugify,
)
from zz_core.text import one_line

MAX_FREE_TEXT_CHARS = 60

__all__ = [
    "DEFAULT_GENRES_PATH", "GENERIC_LABEL", "MAX_FREE_TEXT_CHARS", "OCTAVE_CENTRES_HZ",
    "REFERENCE_OCTAVE_HZ", "ContextRules", "Genre", "GenreChoice", "GenreEntry", "GenreTable",
    "GenreTargets", "LowEndTargets", "Range", "ResolvedTargets", "Subgenre", "SubgenreEntry",
    "context_rules", "list_genres", "load_genre_table", "resolve_targets", "slugify",
    "tonal_target_at",
]


def _clean_free_text(text: str | None) -> str | None:
    """Typed text for display: printable, whitespace collapsed, at most 60 characters."""
    if text is None:
        return None
    cleaned = one_line(text)[:MAX_FREE_TEXT_CHARS].rstrip()
    return cleaned or None


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
