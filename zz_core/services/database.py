"""Opening the database (schema migrated to the latest revision) and starting the audio
retention thread: what a process does once before serving pages."""

from __future__ import annotations

import os

from sqlalchemy.engine import Engine

from zz_core.store import db, retention
from zz_core.store.objects import Objects
from zz_core.store.retention import RetentionWorker

__all__ = ["Database", "RetentionWorker", "open_database", "start_retention"]

Database = Engine
"""The handle the pages keep for the process (a SQLAlchemy engine; only services use it)."""


def open_database(url: str | None = None) -> Engine:
    """An engine on ``url`` (default: ``DATABASE_URL``, else the SQLite file in the data
    folder), with the schema upgraded to the latest migration (idempotent)."""
    engine = db.create_db_engine(url)
    db.upgrade_schema(engine)
    return engine


def start_retention(engine: Engine, data_dir: str | os.PathLike[str] | None = None,
                    objects: Objects | None = None) -> RetentionWorker:
    """Remove expired audio in a background thread (analyses are kept); settings
    ``ZZ_RETENTION_*`` from the environment; ``objects``: the audio store (default: the
    one configured in the environment for ``data_dir``)."""
    return retention.start_retention_thread(engine, data_dir, objects=objects)
