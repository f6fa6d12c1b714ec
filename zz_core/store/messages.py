"""Conversations: the messages about a project or one of its tracks (feedback, follow-ups,
summaries, album narratives)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from zz_core.errors import NotFoundError
from zz_core.store.db import checked_choice, session
from zz_core.store.records import MessageRecord
from zz_core.store.tables import ChatMessage, Project, Track, owned, row_id
from zz_core.vocab import MESSAGE_KINDS, MESSAGE_ROLES


def append_message(engine: Engine, user_id: int, project_id: int | None, kind: str, role: str,
                   content: str, *, track_id: int | None = None, provider: str | None = None,
                   model: str | None = None) -> MessageRecord:
    """Add a message to a project's conversation (or a track's, which must be in it)."""
    kind = checked_choice(kind, MESSAGE_KINDS, "message kind")
    role = checked_choice(role, MESSAGE_ROLES, "message role")
    with session(engine) as db:
        project = owned(db, Project, user_id, project_id)
        if track_id is not None and owned(db, Track, user_id, track_id).project_id != (
                project.id):
            raise NotFoundError("track not found")
        message = ChatMessage(user_id=user_id, project_id=row_id(project), track_id=track_id,
                              kind=kind, role=role, content=content.replace("\x00", ""),
                              provider=provider, model=model)
        db.add(message)
        db.commit()
        return MessageRecord.of(message)


def list_thread(engine: Engine, user_id: int, track_id: int | None,
                kinds: Collection[str] | None = None) -> list[MessageRecord]:
    """The conversation about one of the user's tracks, oldest first (optionally some kinds)."""
    with session(engine) as db:
        owned(db, Track, user_id, track_id)
        query = select(ChatMessage).where(
            ChatMessage.user_id == user_id, ChatMessage.track_id == track_id)
        if kinds is not None:
            query = query.where(col(ChatMessage.kind).in_(list(kinds)))
        return [MessageRecord.of(m) for m in db.exec(
            query.order_by(col(ChatMessage.created_at), col(ChatMessage.id)))]


def list_project_messages(engine: Engine, user_id: int,
                          project_id: int | None) -> list[MessageRecord]:
    """Every message of one of the user's projects (its tracks' too), oldest first."""
    with session(engine) as db:
        owned(db, Project, user_id, project_id)
        return [MessageRecord.of(m) for m in db.exec(
            select(ChatMessage).where(
                ChatMessage.user_id == user_id, ChatMessage.project_id == project_id)
            .order_by(col(ChatMessage.created_at), col(ChatMessage.id)))]


def delete_message(engine: Engine, user_id: int, message_id: int | None) -> None:
    """Delete one of the user's messages."""
    with session(engine) as db:
        db.delete(owned(db, ChatMessage, user_id, message_id))
        db.commit()
