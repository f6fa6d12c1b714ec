"""The database connection: engines (SQLite pragmas), the Alembic schema upgrade, sessions,
and the checks every stored id and name goes through.

SQLite under ``<data_dir>/zoundzcope.db`` by default (WAL, foreign keys on; the file, its
``-wal`` and ``-shm`` are mode 0600 and the data folder 0700, whatever the umask), any
SQLAlchemy URL through ``DATABASE_URL``; the schema is managed by the Alembic migrations in
``migrations/`` (``upgrade_schema``), whose ``env.py`` takes the metadata of
``zz_core.store.tables``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session

from zz_core.config import (
    PRIVATE_FILE_MODE,
    load_settings,
    private_data_dir,
    private_dir,
    private_file,
)
from zz_core.datafiles import MIGRATIONS_DIR
from zz_core.errors import InvalidValueError
from zz_core.text import one_line

MAX_DB_ID = 2**31 - 1
"""Largest id any table hands out (a 32-bit signed integer on every backend)."""
_UPGRADE_LOCK_KEY = 0x5A5A0001


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


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
    path = _sqlite_file(parsed.database)
    if path is not None:
        _private_database_file(path)
    engine = sa.create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    if path is not None:
        sa.event.listen(engine, "connect", lambda *_: _private_sidecars(path))
    return engine


def _sqlite_file(database: str | None) -> Path | None:
    """The file of a SQLite URL's database; None in memory."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def _private_database_file(path: Path) -> None:
    """Create the SQLite file as an empty 0600 file before SQLite opens it (SQLite makes
    its ``-wal`` and ``-shm`` with the database's own mode); its folder is created 0700,
    and the data folder itself is kept 0700."""
    if path.parent == load_settings().data_dir:
        private_data_dir(path.parent)
    else:
        private_dir(path.parent)
    with contextlib.suppress(PermissionError):  # a file someone else owns keeps its mode
        os.close(private_file(path))


def _private_sidecars(path: Path) -> None:
    """Keep the database, ``-wal`` and ``-shm`` at 0600 (files left by an older version or
    another tool), each time a connection opens."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
                os.chmod(file, PRIVATE_FILE_MODE)
        except OSError:  # not there (yet), or not ours
            continue


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


def sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Turn SQLite's foreign-key enforcement off (the migrations: rebuilding a table must
    not cascade) or back on, outside a transaction (SQLite ignores the pragma inside one).
    Turning it on first checks every link resolves (``RuntimeError`` naming the tables
    otherwise)."""
    driver = connection.connection.driver_connection
    if getattr(driver, "in_transaction", False):
        raise RuntimeError("SQLite's foreign keys can only be switched outside a transaction")
    if on:
        broken = sorted({str(row[0]) for row in connection.exec_driver_sql(
            "PRAGMA foreign_key_check")})
        if broken:
            raise RuntimeError(f"links that do not resolve in: {', '.join(broken)}")
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if on:
        connection.commit()


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
        with engine.connect() as connection:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": _UPGRADE_LOCK_KEY})
                command.upgrade(alembic_config(connection), revision)
            if connection.dialect.name == "sqlite":  # env.py ran them with it off
                sqlite_foreign_keys(connection, on=True)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A session whose objects stay readable after commit (they are turned into records)."""
    with Session(engine, expire_on_commit=False) as opened:
        yield opened


# --- checks ------------------------------------------------------------------------------


def valid_id(value: object) -> bool:
    """True for an id a table could have handed out (a positive int, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_DB_ID


def checked_name(name: str, max_chars: int, what: str) -> str:
    """``name`` on one line, stripped; ``InvalidValueError`` unless 1 to ``max_chars`` long."""
    cleaned = one_line(name if isinstance(name, str) else "")
    if not 1 <= len(cleaned) <= max_chars:
        raise InvalidValueError(f"the {what} must be 1 to {max_chars} characters long")
    return cleaned


def checked_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``choices``; ``InvalidValueError`` naming them otherwise."""
    if value not in choices:
        raise InvalidValueError(f"the {what} must be one of: {', '.join(choices)}")
    return value
