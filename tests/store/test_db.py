"""The database on a real SQLite file and a real PostgreSQL database: migrations (and
their match with the tables), engines, timestamps."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from tests.store.helpers import World
from zz_core.store import db, projects, tables

TABLES = {"user", "project", "track", "analysis", "chat_message", "token_usage", "job",
          "login_throttle", "login_session"}


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    engine = db.create_db_engine(database_url)
    try:
        db.upgrade_schema(engine)
        db.upgrade_schema(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert tables == TABLES | {"alembic_version"}
        head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()


def test_schema_from_migrations_matches_the_models(database_url: str) -> None:
    engine = db.create_db_engine(database_url)
    try:
        db.upgrade_schema(database_url)  # the URL form opens and closes its own engine
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, tables.SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_the_drift_check_does_detect_drift(sqlite_engine: Engine) -> None:
    drifted = sa.MetaData(naming_convention=tables.SQLModel.metadata.naming_convention)
    for table in tables.SQLModel.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["track"].append_column(sa.Column("mood", sa.String(20)))
    sa.Index("ix_analysis_bpm", drifted.tables["analysis"].c.bpm)
    with sqlite_engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), drifted)
    kinds = {entry[0] for entry in diff}
    assert {"add_column", "add_index"} <= kinds


def test_downgrade_refuses_to_drop_user_data(world: World) -> None:
    with world.engine.begin() as connection, pytest.raises(NotImplementedError):
        command.downgrade(db.alembic_config(connection), "base")
    assert projects.get_project(world.engine, world.ada, world.project.id).name == "Album"


def test_sqlite_uses_wal_and_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ZZ_DATA_DIR", str(tmp_path / "d"))
    assert db.data_dir_from_env() == tmp_path / "d"
    assert db.database_url() == f"sqlite:///{tmp_path / 'd' / 'zoundzcope.db'}"
    engine = db.create_db_engine()
    try:
        db.upgrade_schema(engine)
        assert (tmp_path / "d" / "zoundzcope.db").is_file()
    finally:
        engine.dispose()
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/zz")
    assert db.database_url() == "postgres://u:p@db.example/zz"
    assert db.create_db_engine().dialect.name == "postgresql"


def test_timestamps_come_back_timezone_aware(world: World) -> None:
    project = projects.get_project(world.engine, world.ada, world.project.id)
    assert project.created_at.tzinfo is not None
    assert project.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that hides nothing (0o000): the modes must come from the code."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_database_its_wal_and_shm_and_folders_are_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None) -> None:
    data = tmp_path / "new" / "data"
    monkeypatch.setenv("ZZ_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    engine = db.create_db_engine()
    try:
        db.upgrade_schema(engine)
        with engine.connect() as connection:  # an open connection keeps -wal and -shm
            connection.exec_driver_sql("SELECT 1").all()
            files = {p.name: mode(p) for p in data.iterdir()}
            assert files == {"zoundzcope.db": 0o600, "zoundzcope.db-wal": 0o600,
                             "zoundzcope.db-shm": 0o600}
        assert mode(data) == 0o700 and mode(data.parent) == 0o700
    finally:
        engine.dispose()


def test_an_existing_data_folder_and_database_are_made_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    database = data / "zoundzcope.db"
    for name in ("zoundzcope.db", "zoundzcope.db-wal", "zoundzcope.db-shm"):
        (data / name).touch()
        os.chmod(data / name, 0o644)
    (data / "zoundzcope.db-wal").unlink()
    (data / "zoundzcope.db-shm").unlink()
    monkeypatch.setenv("ZZ_DATA_DIR", str(data))
    engine = db.create_db_engine(f"sqlite:///{database}")
    try:
        db.upgrade_schema(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").all()
            assert {p.name: mode(p) for p in data.iterdir()} == {
                "zoundzcope.db": 0o600, "zoundzcope.db-wal": 0o600, "zoundzcope.db-shm": 0o600}
        assert mode(data) == 0o700
    finally:
        engine.dispose()


def test_a_database_elsewhere_leaves_existing_folders_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    monkeypatch.setenv("ZZ_DATA_DIR", str(tmp_path / "data"))
    engine = db.create_db_engine(f"sqlite:///{shared / 'zz.db'}")
    try:
        db.upgrade_schema(engine)
        assert mode(shared) == 0o755  # not the data folder: its mode is not ours to change
        assert mode(shared / "zz.db") == 0o600
        assert not (tmp_path / "data").exists()
    finally:
        engine.dispose()
