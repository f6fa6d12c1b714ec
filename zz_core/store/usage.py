"""Token usage: one row per model call (tokens and US-dollar cost), kept as history —
a reset archives rows, nothing deletes them."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import col, select, update

from zz_core.store.db import session
from zz_core.store.records import UsageRecord
from zz_core.store.tables import Project, TokenUsage, Track, owned, require_user


def record_token_usage(engine: Engine, user_id: int, *, provider: str, model: str, stage: str,
                       prompt_tokens: int, completion_tokens: int, cost_usd: float,
                       estimated: bool = False, would_cost_usd: float | None = None,
                       project_id: int | None = None,
                       track_id: int | None = None) -> UsageRecord:
    """Record one LLM call's tokens and cost (project and track, if given, must be the user's)."""
    row = TokenUsage(user_id=user_id, project_id=project_id, track_id=track_id,
                     provider=provider, model=model, stage=stage, prompt_tokens=prompt_tokens,
                     completion_tokens=completion_tokens, cost_usd=cost_usd, estimated=estimated,
                     would_cost_usd=would_cost_usd)
    with session(engine) as db:
        require_user(db, user_id)
        if project_id is not None:
            owned(db, Project, user_id, project_id)
        if track_id is not None:
            owned(db, Track, user_id, track_id)
        db.add(row)
        db.commit()
        return UsageRecord.of(row)


def list_token_usage(engine: Engine, user_id: int,
                     archived: bool | None = False) -> list[UsageRecord]:
    """The user's usage rows, newest first: current ones by default, ``None`` for all."""
    query = select(TokenUsage).where(TokenUsage.user_id == user_id)
    if archived is not None:
        query = query.where(TokenUsage.archived == archived)
    with session(engine) as db:
        return [UsageRecord.of(u) for u in db.exec(
            query.order_by(col(TokenUsage.created_at).desc(), col(TokenUsage.id).desc()))]


def archive_token_usage(engine: Engine, user_id: int) -> int:
    """Mark all the user's usage rows archived (the 'reset'); returns how many changed."""
    with session(engine) as db:
        result = db.exec(update(TokenUsage).where(
            col(TokenUsage.user_id) == user_id, col(TokenUsage.archived).is_(False))
            .values(archived=True))
        db.commit()
    return int(result.rowcount)
