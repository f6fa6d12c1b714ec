"""Stored analyses: the full ``AnalysisResult`` JSON with its headline figures as columns,
and finding an earlier analysis of the same content with the same options to reuse."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from zz_core.errors import UnknownOptionError
from zz_core.judge import genres
from zz_core.judge.models import SCHEMA_VERSION, AnalysisResult
from zz_core.store.db import session
from zz_core.store.records import AnalysisRecord
from zz_core.store.tables import Analysis, Track, owned, row_id


def _choice_key(choice: genres.GenreChoice) -> tuple[str | None, str | None]:
    subgenre = choice.subgenre if choice.subgenre_known else choice.subgenre_label
    return choice.genre, subgenre.lower() if subgenre else None


def _finite(value: float | None) -> float | None:
    return value if value is not None and value == value and abs(value) != float("inf") else None


def _headline(result: AnalysisResult) -> dict[str, Any]:
    return {
        "integrated_lufs": _finite(result.loudness.integrated_lufs),
        "true_peak_dbtp": _finite(result.loudness.true_peak_dbtp),
        "lra_lu": _finite(result.loudness.lra_lu),
        "plr_db": _finite(result.loudness.plr_db),
        "bpm": _finite(result.tempo.bpm),
        "key_label": result.key.label,
        "width": _finite(result.stereo.width),
        "correlation": _finite(result.stereo.correlation),
    }


def save_analysis(engine: Engine, user_id: int, track_id: int | None,
                  result: AnalysisResult) -> AnalysisRecord:
    """Store an analysis of one of the user's tracks (full JSON plus headline columns)."""
    genre, subgenre = _choice_key(result.genre)
    with session(engine) as db:
        track = owned(db, Track, user_id, track_id)
        row = Analysis(user_id=user_id, track_id=row_id(track), context=result.context,
                       genre=genre, subgenre=subgenre, result_json=result.model_dump_json(),
                       schema_version=result.schema_version, **_headline(result))
        db.add(row)
        db.commit()
        return AnalysisRecord.of(row)


def get_analysis(engine: Engine, user_id: int, analysis_id: int | None) -> AnalysisRecord:
    """One of the user's analyses (headline columns and JSON)."""
    with session(engine) as db:
        return AnalysisRecord.of(owned(db, Analysis, user_id, analysis_id))


def load_analysis(engine: Engine, user_id: int, analysis_id: int | None) -> AnalysisResult:
    """One of the user's analyses as an ``AnalysisResult``."""
    return AnalysisResult.model_validate_json(
        get_analysis(engine, user_id, analysis_id).result_json)


def list_analyses(engine: Engine, user_id: int, track_id: int | None) -> list[AnalysisRecord]:
    """The analyses of one of the user's tracks, newest first."""
    with session(engine) as db:
        owned(db, Track, user_id, track_id)
        return [AnalysisRecord.of(a) for a in db.exec(
            select(Analysis).where(Analysis.user_id == user_id, Analysis.track_id == track_id)
            .order_by(col(Analysis.created_at).desc(), col(Analysis.id).desc()))]


def latest_analysis(engine: Engine, user_id: int,
                    track_id: int | None) -> AnalysisResult | None:
    """The newest analysis of one of the user's tracks, or None if it has none."""
    rows = list_analyses(engine, user_id, track_id)
    return AnalysisResult.model_validate_json(rows[0].result_json) if rows else None


def find_analysis(engine: Engine, user_id: int, content_sha256: str, context: str,
                  genre: str | None = None, subgenre: str | None = None) -> AnalysisResult | None:
    """An analysis of the user's identical content with the same options, to reuse; or None.

    Only analyses in the current result schema count; genre and subgenre are compared as
    resolved (``"Drum & Bass"`` matches ``"drum_and_bass"``).
    """
    try:
        genre_key, subgenre_key = _choice_key(genres.resolve_targets(genre, subgenre).choice())
    except UnknownOptionError:
        return None
    with session(engine) as db:
        row = db.exec(
            select(Analysis).join(Track, col(Track.id) == col(Analysis.track_id))
            .where(Analysis.user_id == user_id, Track.user_id == user_id,
                   Track.content_sha256 == content_sha256, Analysis.context == context,
                   Analysis.genre == genre_key, Analysis.subgenre == subgenre_key,
                   Analysis.schema_version == SCHEMA_VERSION)
            .order_by(col(Analysis.created_at).desc(), col(Analysis.id).desc())).first()
        return AnalysisResult.model_validate_json(row.result_json) if row else None
