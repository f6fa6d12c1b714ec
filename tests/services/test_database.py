"""Opening the database (migrated) and the retention thread, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from zz_core.services import database


def test_open_database_creates_and_migrates(tmp_data_dir: Path) -> None:
    url = f"sqlite:///{tmp_data_dir / 'fresh' / 'zoundzcope.db'}"
    engine = database.open_database(url)
    try:
        assert {"user", "project", "track", "analysis", "chat_message",
                "token_usage"} <= set(sa.inspect(engine).get_table_names())
        database.open_database(url).dispose()  # again: nothing to do
    finally:
        engine.dispose()


def test_the_retention_thread_starts_and_stops(tmp_data_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZZ_RETENTION_INTERVAL_S", "0.05")
    engine = database.open_database(f"sqlite:///{tmp_data_dir / 'zoundzcope.db'}")
    worker = database.start_retention(engine, tmp_data_dir)
    try:
        assert worker.ran.wait(10) and worker.is_alive()
    finally:
        worker.stop()
        engine.dispose()
    assert not worker.is_alive() and worker.last_report is not None
