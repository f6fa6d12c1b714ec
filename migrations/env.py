"""Alembic environment: ``target_metadata`` is ``SQLModel.metadata`` with the tables of
zz_core.store.tables.

The connection comes from ``config.attributes["connection"]`` when the app runs the
migrations itself (``zz_core.store.db.upgrade_schema``); otherwise from ``sqlalchemy.url``
in alembic.ini, else ``DATABASE_URL``, else the SQLite file in ``ZZ_DATA_DIR``. SQLite gets
batch mode (``render_as_batch``), which ALTER TABLE on SQLite needs, and runs the migrations
with foreign-key enforcement off (a batch rebuild drops the old table, which would
otherwise cascade); it is turned back on, and checked, once they are committed.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection, make_url
from sqlmodel import SQLModel

from zz_core.store import db, tables  # noqa: F401  (tables: registers the metadata)

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    if connection is not None:
        dialect = connection.dialect.name
    else:
        dialect = make_url(url or "").get_backend_name()
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=dialect == "sqlite",
        compare_type=True,
        literal_binds=connection is None,
    )


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or db.database_url()


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``)."""
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        db.sqlite_foreign_keys(connection, on=False)  # a batch rebuild must not cascade
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the given connection, or one opened for the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = db.create_db_engine(_url())
    try:
        with engine.connect() as new_connection:
            _run_on(new_connection)
            new_connection.commit()
            if new_connection.dialect.name == "sqlite":
                db.sqlite_foreign_keys(new_connection, on=True)
    finally:
        engine.dispose()


if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
