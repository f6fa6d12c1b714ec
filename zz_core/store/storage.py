"""Persistence: accounts, projects, tracks, analyses, chat and token usage (SQLModel).

SQLite under ``<data_dir>/zoundzcope.db`` by default (WAL, foreign keys on), any SQLAlchemy
URL through ``DATABASE_URL``; the schema is managed by the Alembic migrations in
``migrations/`` (``upgrade_schema``). Uploaded audio lives in
``<data_dir>/audio/<user_id>/<generated name>``.

Every repository function takes the acting ``user_id`` and scopes every query to it: another
user's object behaves exactly like a missing one (``NotFoundError``). Rows come back detached
from their session; change them only through these functions.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete, func, select, update

from zz_core.config import load_settings
from zz_core.datafiles import MIGRATIONS_DIR
from zz_core.errors import UnknownOptionError, ZzError
from zz_core.judge import genres
from zz_core.judge.models import SCHEMA_VERSION, AnalysisResult
from zz_core.measure.decoding import Audio, decode_bytes
from zz_core.text import one_line
from zz_core.vocab import AUDIO_EXTENSIONS, MESSAGE_KINDS, MESSAGE_ROLES, TRACK_ROLES, sql_in

AUDIO_DIR_NAME = "audio"

PROJECT_NAME_MAX = 100
TRACK_NAME_MAX = 200
USERNAME_MAX = 100

_STORED_NAME = re.compile(r"[0-9a-f]{32}(\.[a-z0-9]{1,5})?")
_MAX_DB_ID = 2**31 - 1
_UPGRADE_LOCK_KEY = 0x5A5A0001

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class NotFoundError(ZzError):
    """The object does not exist, or it belongs to another user (the two look the same)."""


class InvalidValueError(ZzError, ValueError):
    """A name, role or kind that cannot be stored."""


class AlreadyExistsError(ZzError):
    """A unique value (a username) is already taken."""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


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


# --- tables ------------------------------------------------------------------------------


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
    """One uploaded audio file; ``audio_deleted_at`` is set once its audio file is gone."""

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


_Owned = TypeVar("_Owned", Project, Track, Analysis, ChatMessage)


# --- engine and schema -------------------------------------------------------------------


def data_dir_from_env() -> Path:
    """The data folder (``zz_core.config``: ``ZZ_DATA_DIR``, default ``./data``)."""
    return load_settings().data_dir


def database_url(data_dir: str | os.PathLike[str] | None = None) -> str:
    """The configured database (``DATABASE_URL``), else the SQLite file in the data folder."""
    if data_dir is None:
        return load_settings().database_url
    return load_settings(environ={**os.environ, "ZZ_DATA_DIR": str(data_dir)}).database_url


def create_db_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: ``database_url()``); SQLite gets WAL and foreign keys."""
    parsed = make_url(_normalise_url(url or database_url()))
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _normalise_url(url: str) -> str:
    """Accept the ``postgres://`` spelling some hosts hand out."""
    return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for ``migrations/``, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_schema(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Run ``alembic upgrade`` programmatically (idempotent; migrations never drop data)."""
    engine = engine_or_url if isinstance(engine_or_url, Engine) else create_db_engine(
        engine_or_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _UPGRADE_LOCK_KEY})
            command.upgrade(alembic_config(connection), revision)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


# --- validation --------------------------------------------------------------------------


def _valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_DB_ID


def _checked_name(name: str, max_chars: int, what: str) -> str:
    cleaned = one_line(name if isinstance(name, str) else "")
    if not 1 <= len(cleaned) <= max_chars:
        raise InvalidValueError(f"the {what} must be 1 to {max_chars} characters long")
    return cleaned


def _checked_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InvalidValueError(f"the {what} must be one of: {', '.join(choices)}")
    return value


def clean_original_name(name: str | None) -> str:
    """An upload's name as metadata: no folders, no control characters, at most 200 chars."""
    base = re.split(r"[\\/]", one_line(name or ""))[-1].strip()
    if len(base) > TRACK_NAME_MAX:
        stem, ext = os.path.splitext(base)
        base = stem[:TRACK_NAME_MAX - len(ext)] + ext if len(ext) <= 16 else base[
            :TRACK_NAME_MAX]
    return base or "untitled"


def _safe_extension(original_name: str, audio: Audio) -> str:
    suffix = os.path.splitext(original_name)[1].lower()
    if suffix in AUDIO_EXTENSIONS:
        return suffix
    guess = "." + audio.source_format.split(" ")[0].lower()
    return guess if guess in AUDIO_EXTENSIONS else ""


def _normalise_username(username: str) -> str:
    return (username or "").strip().lower()


# --- users -------------------------------------------------------------------------------


def create_user(engine: Engine, *, username: str, name: str, email: str,
                password_hash: str) -> User:
    """Add an account (username stored stripped and lower-case, as the authenticator does)."""
    user = User(username=_checked_name(_normalise_username(username), USERNAME_MAX, "username"),
                name=one_line(name)[:200], email=one_line(email)[:320],
                password_hash=password_hash)
    with _session(engine) as session:
        session.add(user)
        try:
            session.commit()
        except IntegrityError:
            raise AlreadyExistsError("this username is already taken") from None
    return user


def get_user_by_username(engine: Engine, username: str) -> User | None:
    """The account with this username, or None."""
    with _session(engine) as session:
        return session.exec(
            select(User).where(User.username == _normalise_username(username))).first()


def get_user(engine: Engine, user_id: int) -> User:
    """The account with this id; NotFoundError if there is none."""
    with _session(engine) as session:
        user = session.get(User, user_id) if _valid_id(user_id) else None
    if user is None:
        raise NotFoundError("user not found")
    return user


def list_users(engine: Engine) -> list[User]:
    """Every account, by username."""
    with _session(engine) as session:
        return list(session.exec(select(User).order_by(col(User.username))).all())


def count_users(engine: Engine) -> int:
    """How many accounts exist."""
    with _session(engine) as session:
        return int(session.exec(select(func.count()).select_from(User)).one())


def set_password_hash(engine: Engine, username: str, password_hash: str) -> None:
    """Replace an account's password hash; NotFoundError for an unknown username."""
    with _session(engine) as session:
        result = session.exec(update(User).where(
            col(User.username) == _normalise_username(username)).values(
            password_hash=password_hash))
        if result.rowcount == 0:
            raise NotFoundError("user not found")
        session.commit()


def _require_user(session: Session, user_id: int) -> None:
    if not _valid_id(user_id) or session.get(User, user_id) is None:
        raise NotFoundError("user not found")


# --- ownership ---------------------------------------------------------------------------

_LABELS = {Project: "project", Track: "track", Analysis: "analysis", ChatMessage: "message"}


def _owned(session: Session, model: type[_Owned], user_id: int, obj_id: int | None) -> _Owned:
    """The user's row of ``model`` with this id; NotFoundError when missing or not theirs."""
    found = None
    if _valid_id(obj_id) and _valid_id(user_id):
        found = session.exec(select(model).where(
            col(model.id) == obj_id, col(model.user_id) == user_id)).first()
    if found is None:
        raise NotFoundError(f"{_LABELS[model]} not found")
    return found


def _id(row: Project | Track | Analysis | ChatMessage | User) -> int:
    assert row.id is not None, "row was not flushed"
    return row.id


# --- projects ----------------------------------------------------------------------------


def create_project(engine: Engine, user_id: int, name: str) -> Project:
    """A new project (name 1-100 characters, stripped)."""
    project = Project(user_id=user_id, name=_checked_name(name, PROJECT_NAME_MAX, "project name"))
    with _session(engine) as session:
        _require_user(session, user_id)
        session.add(project)
        session.commit()
    return project


def get_project(engine: Engine, user_id: int, project_id: int | None) -> Project:
    """One of the user's projects."""
    with _session(engine) as session:
        return _owned(session, Project, user_id, project_id)


def list_projects(engine: Engine, user_id: int) -> list[Project]:
    """The user's projects, newest first."""
    with _session(engine) as session:
        return list(session.exec(
            select(Project).where(Project.user_id == user_id)
            .order_by(col(Project.created_at).desc(), col(Project.id).desc())).all())


def rename_project(engine: Engine, user_id: int, project_id: int | None,
                   name: str) -> Project:
    """Rename one of the user's projects (1-100 characters, stripped)."""
    cleaned = _checked_name(name, PROJECT_NAME_MAX, "project name")
    with _session(engine) as session:
        project = _owned(session, Project, user_id, project_id)
        project.name, project.updated_at = cleaned, utcnow()
        session.add(project)
        session.commit()
    return project


def delete_project(engine: Engine, user_id: int, project_id: int | None,
                   data_dir: str | os.PathLike[str] | None = None) -> None:
    """Delete a project with its tracks (and their audio), analyses and chat.

    Token usage rows stay (costs are history) with their project and track cleared.
    """
    with _session(engine) as session:
        project = _owned(session, Project, user_id, project_id)
        tracks = list(session.exec(select(Track).where(
            Track.user_id == user_id, Track.project_id == _id(project))).all())
        _delete_tracks(session, user_id, [_id(t) for t in tracks])
        session.exec(update(TokenUsage).where(
            col(TokenUsage.user_id) == user_id, col(TokenUsage.project_id) == _id(project))
            .values(project_id=None))
        session.exec(delete(ChatMessage).where(
            col(ChatMessage.user_id) == user_id, col(ChatMessage.project_id) == _id(project)))
        session.delete(project)
        session.commit()
    _remove_files(audio_file_path(data_dir, t) for t in tracks)


# --- tracks ------------------------------------------------------------------------------


def store_upload(engine: Engine, user_id: int, project_id: int | None, data: bytes,
                 original_name: str, role: str = "main",
                 data_dir: str | os.PathLike[str] | None = None, *,
                 reference_of_track_id: int | None = None) -> tuple[Track, Audio]:
    """Check ``data`` is audio, keep it under a generated name, and add its track.

    A file that does not decode raises ``AudioDecodeError`` and stores nothing (no row, no
    file). Every upload gets its own file: earlier audio is never replaced or removed.
    """
    role = _checked_choice(role, TRACK_ROLES, "track role")
    name = clean_original_name(original_name)
    _check_upload_size(len(data))
    with _session(engine) as session:
        project = _owned(session, Project, user_id, project_id)
        if reference_of_track_id is not None:
            _owned(session, Track, user_id, reference_of_track_id)
    audio = decode_bytes(data, name)
    track = Track(user_id=user_id, project_id=_id(project), role=role, original_name=name,
                  stored_name=uuid.uuid4().hex + _safe_extension(name, audio),
                  content_sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                  duration_s=audio.duration_s, sample_rate_hz=audio.sample_rate_hz,
                  channels=audio.channels, reference_of_track_id=reference_of_track_id)
    path = audio_file_path(data_dir, track)
    _write_new_file(path, data)
    try:
        _insert_track(engine, track)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return track, audio


def max_upload_bytes() -> int:
    """Largest upload accepted (env ZZ_MAX_UPLOAD_MB, default 400 MB: a 10-minute 24-bit
    stereo WAV at 96 kHz is 346 MB)."""
    return load_settings().max_upload_bytes


def _check_upload_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise InvalidValueError(f"the file is {size / 1024**2:.0f} MB; the most we accept is "
                                f"{limit / 1024**2:.0f} MB")


def _insert_track(engine: Engine, track: Track) -> None:
    with _session(engine) as session:
        project = _owned(session, Project, track.user_id, track.project_id)
        project.updated_at = utcnow()
        session.add_all([project, track])
        session.commit()


def _write_new_file(path: Path, data: bytes) -> None:
    """Write ``data`` to a file that must not exist yet (never overwrites); a failed write
    leaves no partial file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("xb")
    try:
        with handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def get_track(engine: Engine, user_id: int, track_id: int | None) -> Track:
    """One of the user's tracks."""
    with _session(engine) as session:
        return _owned(session, Track, user_id, track_id)


def list_tracks(engine: Engine, user_id: int, project_id: int | None) -> list[Track]:
    """The tracks of one of the user's projects, newest first."""
    with _session(engine) as session:
        _owned(session, Project, user_id, project_id)
        return list(session.exec(
            select(Track).where(Track.user_id == user_id, Track.project_id == project_id)
            .order_by(col(Track.created_at).desc(), col(Track.id).desc())).all())


def find_tracks_by_sha256(engine: Engine, user_id: int, content_sha256: str) -> list[Track]:
    """The user's tracks with exactly this content, oldest first."""
    with _session(engine) as session:
        return list(session.exec(
            select(Track).where(Track.user_id == user_id, Track.content_sha256 == content_sha256)
            .order_by(col(Track.created_at), col(Track.id))).all())


def latest_reference(engine: Engine, user_id: int, track_id: int | None) -> Track | None:
    """The reference most recently uploaded for one of the user's tracks, if any."""
    with _session(engine) as session:
        track = _owned(session, Track, user_id, track_id)
        return session.exec(select(Track).where(
            Track.user_id == user_id, Track.reference_of_track_id == _id(track))
            .order_by(col(Track.created_at).desc(), col(Track.id).desc())).first()


def rename_track(engine: Engine, user_id: int, track_id: int | None, name: str) -> Track:
    """Change a track's display name (1-200 characters; the stored file keeps its name)."""
    cleaned = _checked_name(name, TRACK_NAME_MAX, "track name")
    with _session(engine) as session:
        track = _owned(session, Track, user_id, track_id)
        track.original_name = cleaned
        session.add(track)
        session.commit()
    return track


def move_track(engine: Engine, user_id: int, track_id: int | None,
               project_id: int | None) -> Track:
    """Move a track, its references, their conversations and usage to another project.

    Both the track and the target project must be the user's.
    """
    with _session(engine) as session:
        track = _owned(session, Track, user_id, track_id)
        target = _owned(session, Project, user_id, project_id)
        moving = [_id(track), *session.exec(select(Track.id).where(
            Track.user_id == user_id, Track.project_id == track.project_id,
            Track.reference_of_track_id == _id(track))).all()]
        new_project = {"project_id": _id(target)}
        session.exec(update(Track).where(
            col(Track.user_id) == user_id, col(Track.id).in_(moving)).values(new_project))
        session.exec(update(ChatMessage).where(
            col(ChatMessage.user_id) == user_id, col(ChatMessage.track_id).in_(moving))
            .values(new_project))
        session.exec(update(TokenUsage).where(
            col(TokenUsage.user_id) == user_id, col(TokenUsage.track_id).in_(moving))
            .values(new_project))
        target.updated_at = utcnow()
        session.add(target)
        session.commit()
        session.refresh(track)
    return track


def delete_track(engine: Engine, user_id: int, track_id: int | None,
                 data_dir: str | os.PathLike[str] | None = None) -> None:
    """Delete a track with its analyses, its conversation and its audio file.

    Tracks that used it as their reference are kept; token usage rows stay as history.
    """
    with _session(engine) as session:
        track = _owned(session, Track, user_id, track_id)
        _delete_tracks(session, user_id, [_id(track)])
        session.commit()
    _remove_files([audio_file_path(data_dir, track)])


def _delete_tracks(session: Session, user_id: int, track_ids: list[int]) -> None:
    """Delete these tracks' rows and everything hanging off them (not their files)."""
    if not track_ids:
        return
    session.exec(update(TokenUsage).where(
        col(TokenUsage.user_id) == user_id, col(TokenUsage.track_id).in_(track_ids))
        .values(track_id=None))
    session.exec(update(Track).where(
        col(Track.user_id) == user_id, col(Track.reference_of_track_id).in_(track_ids))
        .values(reference_of_track_id=None))
    session.exec(delete(Analysis).where(
        col(Analysis.user_id) == user_id, col(Analysis.track_id).in_(track_ids)))
    session.exec(delete(ChatMessage).where(
        col(ChatMessage.user_id) == user_id, col(ChatMessage.track_id).in_(track_ids)))
    session.exec(delete(Track).where(col(Track.user_id) == user_id, col(Track.id).in_(track_ids)))


def _remove_files(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def audio_file_path(data_dir: str | os.PathLike[str] | None, track: Track) -> Path:
    """Where a track's audio file is (or was) kept: ``<data_dir>/audio/<user_id>/<name>``."""
    if not _STORED_NAME.fullmatch(track.stored_name) or not _valid_id(track.user_id):
        raise NotFoundError("track not found")
    folder = Path(data_dir) if data_dir is not None else data_dir_from_env()
    return folder / AUDIO_DIR_NAME / str(track.user_id) / track.stored_name


def audio_path(user_id: int, track: Track,
               data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The track's audio file, or None once it expired or was deleted (or is not theirs)."""
    if track.user_id != user_id or track.audio_deleted_at is not None:
        return None
    try:
        path = audio_file_path(data_dir, track)
    except NotFoundError:
        return None
    return path if path.is_file() else None


# --- analyses ----------------------------------------------------------------------------


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
                  result: AnalysisResult) -> Analysis:
    """Store an analysis of one of the user's tracks (full JSON plus headline columns)."""
    genre, subgenre = _choice_key(result.genre)
    with _session(engine) as session:
        track = _owned(session, Track, user_id, track_id)
        row = Analysis(user_id=user_id, track_id=_id(track), context=result.context,
                       genre=genre, subgenre=subgenre, result_json=result.model_dump_json(),
                       schema_version=result.schema_version, **_headline(result))
        session.add(row)
        session.commit()
    return row


def get_analysis(engine: Engine, user_id: int, analysis_id: int | None) -> Analysis:
    """One of the user's analysis rows (headline columns and JSON)."""
    with _session(engine) as session:
        return _owned(session, Analysis, user_id, analysis_id)


def load_analysis(engine: Engine, user_id: int, analysis_id: int | None) -> AnalysisResult:
    """One of the user's analyses as an ``AnalysisResult``."""
    return AnalysisResult.model_validate_json(
        get_analysis(engine, user_id, analysis_id).result_json)


def list_analyses(engine: Engine, user_id: int, track_id: int | None) -> list[Analysis]:
    """The analyses of one of the user's tracks, newest first."""
    with _session(engine) as session:
        _owned(session, Track, user_id, track_id)
        return list(session.exec(
            select(Analysis).where(Analysis.user_id == user_id, Analysis.track_id == track_id)
            .order_by(col(Analysis.created_at).desc(), col(Analysis.id).desc())).all())


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
    with _session(engine) as session:
        row = session.exec(
            select(Analysis).join(Track, col(Track.id) == col(Analysis.track_id))
            .where(Analysis.user_id == user_id, Track.user_id == user_id,
                   Track.content_sha256 == content_sha256, Analysis.context == context,
                   Analysis.genre == genre_key, Analysis.subgenre == subgenre_key,
                   Analysis.schema_version == SCHEMA_VERSION)
            .order_by(col(Analysis.created_at).desc(), col(Analysis.id).desc())).first()
    return AnalysisResult.model_validate_json(row.result_json) if row else None


# --- chat --------------------------------------------------------------------------------


def append_message(engine: Engine, user_id: int, project_id: int | None, kind: str, role: str,
                   content: str, *, track_id: int | None = None, provider: str | None = None,
                   model: str | None = None) -> ChatMessage:
    """Add a message to a project's conversation (or a track's, which must be in it)."""
    kind = _checked_choice(kind, MESSAGE_KINDS, "message kind")
    role = _checked_choice(role, MESSAGE_ROLES, "message role")
    with _session(engine) as session:
        project = _owned(session, Project, user_id, project_id)
        if track_id is not None and _owned(session, Track, user_id, track_id).project_id != (
                project.id):
            raise NotFoundError("track not found")
        message = ChatMessage(user_id=user_id, project_id=_id(project), track_id=track_id,
                              kind=kind, role=role, content=content.replace("\x00", ""),
                              provider=provider, model=model)
        session.add(message)
        session.commit()
    return message


def list_thread(engine: Engine, user_id: int, track_id: int | None,
                kinds: Collection[str] | None = None) -> list[ChatMessage]:
    """The conversation about one of the user's tracks, oldest first (optionally some kinds)."""
    with _session(engine) as session:
        _owned(session, Track, user_id, track_id)
        query = select(ChatMessage).where(
            ChatMessage.user_id == user_id, ChatMessage.track_id == track_id)
        if kinds is not None:
            query = query.where(col(ChatMessage.kind).in_(list(kinds)))
        return list(session.exec(
            query.order_by(col(ChatMessage.created_at), col(ChatMessage.id))).all())


def list_project_messages(engine: Engine, user_id: int,
                          project_id: int | None) -> list[ChatMessage]:
    """Every message of one of the user's projects (its tracks' too), oldest first."""
    with _session(engine) as session:
        _owned(session, Project, user_id, project_id)
        return list(session.exec(
            select(ChatMessage).where(
                ChatMessage.user_id == user_id, ChatMessage.project_id == project_id)
            .order_by(col(ChatMessage.created_at), col(ChatMessage.id))).all())


def delete_message(engine: Engine, user_id: int, message_id: int | None) -> None:
    """Delete one of the user's messages."""
    with _session(engine) as session:
        session.delete(_owned(session, ChatMessage, user_id, message_id))
        session.commit()


# --- token usage -------------------------------------------------------------------------


def record_token_usage(engine: Engine, user_id: int, *, provider: str, model: str, stage: str,
                       prompt_tokens: int, completion_tokens: int, cost_usd: float,
                       estimated: bool = False, would_cost_usd: float | None = None,
                       project_id: int | None = None,
                       track_id: int | None = None) -> TokenUsage:
    """Record one LLM call's tokens and cost (project and track, if given, must be the user's)."""
    row = TokenUsage(user_id=user_id, project_id=project_id, track_id=track_id,
                     provider=provider, model=model, stage=stage, prompt_tokens=prompt_tokens,
                     completion_tokens=completion_tokens, cost_usd=cost_usd, estimated=estimated,
                     would_cost_usd=would_cost_usd)
    with _session(engine) as session:
        _require_user(session, user_id)
        if project_id is not None:
            _owned(session, Project, user_id, project_id)
        if track_id is not None:
            _owned(session, Track, user_id, track_id)
        session.add(row)
        session.commit()
    return row


def list_token_usage(engine: Engine, user_id: int,
                     archived: bool | None = False) -> list[TokenUsage]:
    """The user's usage rows, newest first: current ones by default, ``None`` for all."""
    query = select(TokenUsage).where(TokenUsage.user_id == user_id)
    if archived is not None:
        query = query.where(TokenUsage.archived == archived)
    with _session(engine) as session:
        return list(session.exec(
            query.order_by(col(TokenUsage.created_at).desc(), col(TokenUsage.id).desc())).all())


def archive_token_usage(engine: Engine, user_id: int) -> int:
    """Mark all the user's usage rows archived (the 'reset'); returns how many changed."""
    with _session(engine) as session:
        result = session.exec(update(TokenUsage).where(
            col(TokenUsage.user_id) == user_id, col(TokenUsage.archived).is_(False))
            .values(archived=True))
        session.commit()
    return int(result.rowcount)
