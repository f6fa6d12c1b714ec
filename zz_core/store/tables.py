"""The SQLModel tables and the ownership checks every query goes through (internal to
``zz_core.store``: callers get the frozen records of ``zz_core.store.records``).

The CHECK constraints derive from ``zz_core.vocab``; the schema itself is created and
changed only by the Alembic migrations in ``migrations/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from zz_core.errors import NotFoundError
from zz_core.store.db import utcnow, valid_id
from zz_core.vocab import (
    JOB_STATES,
    LOGIN_SCOPES,
    MESSAGE_KINDS,
    MESSAGE_ROLES,
    TRACK_ROLES,
    sql_in,
)

PROJECT_NAME_MAX = 100
TRACK_NAME_MAX = 200
USERNAME_MAX = 100

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware, on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None,
                             dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _user_fk() -> Any:
    return Field(foreign_key="user.id", index=True, ondelete="CASCADE")


class User(SQLModel, table=True):
    """An account; ``password_hash`` is a bcrypt hash made by the auth layer."""

    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=USERNAME_MAX, unique=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    password_hash: str = Field(max_length=255)
    created_at: datetime = _created_at()


class Project(SQLModel, table=True):
    """A producer's session: a named group of tracks, analyses and conversations."""

    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk()
    name: str = Field(max_length=PROJECT_NAME_MAX)
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()


class Track(SQLModel, table=True):
    """One uploaded audio file; ``audio_deleted_at`` is set once its audio file is gone.
    ``reference_of_track_id``: the track it was uploaded as a reference for;
    ``previous_version_of_track_id``: the earlier version of the same song it is a new
    version of (both the user's own tracks; deleting that track clears the link)."""

    __tablename__ = "track"
    __table_args__ = (
        sa.Index("ix_track_user_id_content_sha256", "user_id", "content_sha256"),
        sa.CheckConstraint(sql_in("role", TRACK_ROLES), name="role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk()
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    original_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=64, unique=True)
    content_sha256: str = Field(max_length=64)
    size_bytes: int = Field(sa_type=sa.BigInteger)
    duration_s: float
    sample_rate_hz: int
    channels: int
    audio_deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created_at()
    reference_of_track_id: int | None = Field(
        default=None, foreign_key="track.id", index=True, ondelete="SET NULL")
    previous_version_of_track_id: int | None = Field(  # 0005: the song's previous version
        default=None, foreign_key="track.id", index=True, ondelete="SET NULL")


class Analysis(SQLModel, table=True):
    """A stored ``AnalysisResult`` (full JSON) with headline figures as columns.

    ``genre``/``subgenre`` hold the resolved keys (table slugs; a free-text subgenre in
    lower case), so that equal choices typed differently match.
    """

    __tablename__ = "analysis"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk()
    track_id: int = Field(foreign_key="track.id", index=True, ondelete="CASCADE")
    context: str = Field(max_length=32)
    genre: str | None = Field(default=None, max_length=100)
    subgenre: str | None = Field(default=None, max_length=100)
    result_json: str = Field(sa_type=sa.Text)
    schema_version: int
    integrated_lufs: float | None = None
    true_peak_dbtp: float | None = None
    lra_lu: float | None = None
    plr_db: float | None = None
    bpm: float | None = None
    key_label: str | None = Field(default=None, max_length=32)
    width: float | None = None
    correlation: float | None = None
    created_at: datetime = _created_at()


class ChatMessage(SQLModel, table=True):
    """One message of a conversation about a project or one of its tracks."""

    __tablename__ = "chat_message"
    __table_args__ = (
        sa.CheckConstraint(sql_in("kind", MESSAGE_KINDS), name="kind"),
        sa.CheckConstraint(sql_in("role", MESSAGE_ROLES), name="role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk()
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    track_id: int | None = Field(
        default=None, foreign_key="track.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    role: str = Field(max_length=16)
    content: str = Field(sa_type=sa.Text)
    provider: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=128)
    created_at: datetime = _created_at()


class TokenUsage(SQLModel, table=True):
    """Tokens and cost of one LLM call; kept as history (archived, never deleted)."""

    __tablename__ = "token_usage"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk()
    project_id: int | None = Field(
        default=None, foreign_key="project.id", index=True, ondelete="SET NULL")
    track_id: int | None = Field(
        default=None, foreign_key="track.id", index=True, ondelete="SET NULL")
    provider: str = Field(max_length=64)
    model: str = Field(max_length=128)
    stage: str = Field(max_length=64)
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    estimated: bool = False
    would_cost_usd: float | None = None  # offline engine: the same call on a priced model
    archived: bool = False
    created_at: datetime = _created_at()


# --- ownership ---------------------------------------------------------------------------

_Owned = TypeVar("_Owned", Project, Track, Analysis, ChatMessage)
_LABELS = {Project: "project", Track: "track", Analysis: "analysis", ChatMessage: "message"}


def owned(session: Session, model: type[_Owned], user_id: int, obj_id: int | None) -> _Owned:
    """The user's row of ``model`` with this id; NotFoundError when missing or not theirs."""
    found = None
    if valid_id(obj_id) and valid_id(user_id):
        found = session.exec(select(model).where(
            col(model.id) == obj_id, col(model.user_id) == user_id)).first()
    if found is None:
        raise NotFoundError(f"{_LABELS[model]} not found")
    return found


def require_user(session: Session, user_id: int) -> None:
    """NotFoundError unless an account with this id exists."""
    if not valid_id(user_id) or session.get(User, user_id) is None:
        raise NotFoundError("user not found")


def row_id(row: Project | Track | Analysis | ChatMessage | User | TokenUsage) -> int:
    """The id of a row that has been flushed."""
    assert row.id is not None, "row was not flushed"
    return row.id


# --- jobs (appended: the analysis job records) -------------------------------------------

JOB_STAGE_MAX = 200
JOB_REASON_MAX = 500


class Job(SQLModel, table=True):
    """One analysis job: a track (and the reference it is compared with), the options as
    JSON, the content hash (with the options: what makes a job idempotent), and its state:
    queued -> running (``progress`` 0..1, ``stage`` text, ``worker_id`` and its
    ``heartbeat_at``) -> done (``analysis_id``) | failed (``reason``, one sentence).
    Deleting the track or session keeps the record (ids set to NULL)."""

    __tablename__ = "job"
    __table_args__ = (
        sa.Index("ix_job_state", "state"),
        sa.Index("ix_job_user_id_content_sha256", "user_id", "content_sha256"),
        sa.CheckConstraint(sql_in("state", JOB_STATES), name="state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk()
    project_id: int | None = Field(
        default=None, foreign_key="project.id", index=True, ondelete="SET NULL")
    project_created: bool = False  # the session was made for this job's upload
    track_id: int | None = Field(
        default=None, foreign_key="track.id", index=True, ondelete="SET NULL")
    reference_track_id: int | None = Field(
        default=None, foreign_key="track.id", index=True, ondelete="SET NULL")
    options_json: str = Field(sa_type=sa.Text)
    content_sha256: str = Field(max_length=64)
    state: str = Field(default="queued", max_length=16)
    progress: float = 0.0
    stage: str = Field(default="", max_length=JOB_STAGE_MAX)
    analysis_id: int | None = Field(
        default=None, foreign_key="analysis.id", index=True, ondelete="SET NULL")
    reason: str | None = Field(default=None, max_length=JOB_REASON_MAX)
    attempts: int = 0
    worker_id: str | None = Field(default=None, max_length=128)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()


# --- sign-in (appended: login throttling and signed-in browsers) ------------------------

THROTTLE_SUBJECT_MAX = 200
TOKEN_SHA256_CHARS = 64


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted for one username or one client (``scope``; ``subject`` is
    the normalised username or the client address): ``failures`` since the last lock,
    ``locks`` in a row (each one longer), ``locked_until`` (UTC) while a lock lasts, and
    the time of the last failure (``updated_at``). A success deletes the row."""

    __tablename__ = "login_throttle"
    __table_args__ = (
        sa.UniqueConstraint("scope", "subject"),
        sa.CheckConstraint(sql_in("scope", LOGIN_SCOPES), name="scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)
    subject: str = Field(max_length=THROTTLE_SUBJECT_MAX)
    failures: int = 0
    locks: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime,
                                 nullable=False, index=True)


class LoginSession(SQLModel, table=True):
    """A signed-in browser: the sha256 of the random token its cookie carries (never the
    token itself), the account, and when it expires (UTC). Logging out deletes the row;
    so does deleting the account."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _user_fk()
    token_sha256: str = Field(max_length=TOKEN_SHA256_CHARS, unique=True)
    created_at: datetime = _created_at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
