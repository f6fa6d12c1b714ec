"""Projects (the app's "sessions"): a user's named groups of tracks and conversations."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import col, delete, select, update

from zz_core.store.db import checked_name, session, utcnow
from zz_core.store.objects import Storage
from zz_core.store.records import ProjectRecord
from zz_core.store.tables import (
    PROJECT_NAME_MAX,
    ChatMessage,
    Project,
    TokenUsage,
    Track,
    owned,
    require_user,
    row_id,
)
from zz_core.store.tracks import delete_track_rows, remove_audio


def create_project(engine: Engine, user_id: int, name: str) -> ProjectRecord:
    """A new project (name 1-100 characters, stripped)."""
    project = Project(user_id=user_id, name=checked_name(name, PROJECT_NAME_MAX, "project name"))
    with session(engine) as db:
        require_user(db, user_id)
        db.add(project)
        db.commit()
        return ProjectRecord.of(project)


def get_project(engine: Engine, user_id: int, project_id: int | None) -> ProjectRecord:
    """One of the user's projects."""
    with session(engine) as db:
        return ProjectRecord.of(owned(db, Project, user_id, project_id))


def list_projects(engine: Engine, user_id: int) -> list[ProjectRecord]:
    """The user's projects, newest first."""
    with session(engine) as db:
        return [ProjectRecord.of(p) for p in db.exec(
            select(Project).where(Project.user_id == user_id)
            .order_by(col(Project.created_at).desc(), col(Project.id).desc()))]


def rename_project(engine: Engine, user_id: int, project_id: int | None,
                   name: str) -> ProjectRecord:
    """Rename one of the user's projects (1-100 characters, stripped)."""
    cleaned = checked_name(name, PROJECT_NAME_MAX, "project name")
    with session(engine) as db:
        project = owned(db, Project, user_id, project_id)
        project.name, project.updated_at = cleaned, utcnow()
        db.add(project)
        db.commit()
        return ProjectRecord.of(project)


def delete_project(engine: Engine, user_id: int, project_id: int | None,
                   data_dir: Storage = None) -> None:
    """Delete a project with its tracks (and their audio), analyses and chat.

    Token usage rows stay (costs are history) with their project and track cleared.
    """
    with session(engine) as db:
        project = owned(db, Project, user_id, project_id)
        tracks = list(db.exec(select(Track).where(
            Track.user_id == user_id, Track.project_id == row_id(project))).all())
        delete_track_rows(db, user_id, [row_id(t) for t in tracks])
        db.exec(update(TokenUsage).where(
            col(TokenUsage.user_id) == user_id, col(TokenUsage.project_id) == row_id(project))
            .values(project_id=None))
        db.exec(delete(ChatMessage).where(
            col(ChatMessage.user_id) == user_id, col(ChatMessage.project_id) == row_id(project)))
        db.delete(project)
        db.commit()
    remove_audio(data_dir, tracks)
