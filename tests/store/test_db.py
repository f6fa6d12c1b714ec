"""The database on a real SQLite file and a real PostgreSQL database: migrations (and
their match with the tables), engines, timestamps."""

from __future__ import annotations

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

TABLES = {"user", "project", "track", "analysis", "chat_message", "token_usage"}



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
