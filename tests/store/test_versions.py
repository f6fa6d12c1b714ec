"""Versions of a song in the store, on each backend: the link to the previous version
(the user's own track only), a song's versions in order, deleting a version, and
migration 0005 on a database that already holds tracks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from tests.store.helpers import World, sine_wav
from zz_core.errors import NotFoundError
from zz_core.services import uploads
from zz_core.services.workspace import Workspace
from zz_core.store import analyses, db, projects, tracks


def new_version(world: World, user_id: int, previous: int | None, name: str,
                project_id: int | None = None) -> tracks.TrackRecord:
    workspace = Workspace(world.engine, user_id, world.data_dir)
    return uploads.store_upload(workspace, project_id or world.project.id,
                                sine_wav(freq_hz=300.0 + len(name)), name,
                                previous_version_of=previous).track


def test_a_new_version_links_to_the_previous_and_the_song_lists_them_in_order(
        world: World) -> None:
    v2 = new_version(world, world.ada, world.track.id, "v2.wav")
    v3 = new_version(world, world.ada, v2.id, "v3.wav")
    other = new_version(world, world.ada, None, "other song.wav")
    assert v2.previous_version_of_track_id == world.track.id
    assert other.previous_version_of_track_id is None
    song = [world.track.id, v2.id, v3.id]
    for member in song:
        assert [t.id for t in tracks.version_chain(world.engine, world.ada, member)] == song
    assert [t.id for t in tracks.version_chain(world.engine, world.ada, other.id)] == [other.id]


def test_deleting_a_version_loses_nothing_else(world: World) -> None:
    v2 = new_version(world, world.ada, world.track.id, "v2.wav")
    v3 = new_version(world, world.ada, v2.id, "v3.wav")
    tracks.delete_track(world.engine, world.ada, v2.id, world.data_dir)
    kept = tracks.get_track(world.engine, world.ada, v3.id)
    assert kept.previous_version_of_track_id is None
    assert analyses.latest_analysis(world.engine, world.ada, world.track.id) is not None
    assert tracks.audio_path(world.ada, kept, world.data_dir) is not None
    assert [t.id for t in tracks.version_chain(world.engine, world.ada, v3.id)] == [v3.id]


def test_another_users_track_as_previous_is_refused_and_changes_nothing(
        world: World) -> None:
    bob_project = projects.create_project(world.engine, world.bob, "Bob's")
    before_files = world.files()
    with pytest.raises(NotFoundError):
        new_version(world, world.bob, world.track.id, "steal.wav", bob_project.id)
    with pytest.raises(NotFoundError):  # nor an id that does not exist
        new_version(world, world.ada, 10**6, "v2.wav")
    assert world.files() == before_files
    assert tracks.list_tracks(world.engine, world.bob, bob_project.id) == []
    assert [t.id for t in tracks.list_tracks(world.engine, world.ada, world.project.id)] == [
        world.track.id]
    with pytest.raises(NotFoundError):
        tracks.version_chain(world.engine, world.bob, world.track.id)


def _row(table: sa.Table, **values: object) -> sa.Insert:
    return table.insert().values(**values)


def test_migration_0005_keeps_existing_tracks_and_what_hangs_off_them(
        database_url: str, tmp_path: Path) -> None:
    engine = db.create_db_engine(database_url)
    try:
        db.upgrade_schema(engine, "0004")
        now = datetime.now(UTC)
        meta = sa.MetaData()
        meta.reflect(engine)
        user, project, track, analysis, chat = (meta.tables[n] for n in (
            "user", "project", "track", "analysis", "chat_message"))
        with engine.begin() as connection:
            connection.execute(_row(user, id=1, username="ada", name="Ada", email="a@b.c",
                                    password_hash="x", created_at=now))
            connection.execute(_row(project, id=1, user_id=1, name="Album", created_at=now,
                                    updated_at=now))
            for track_id, reference in ((1, None), (2, 1)):
                connection.execute(_row(
                    track, id=track_id, user_id=1, project_id=1,
                    role="main" if reference is None else "reference",
                    original_name=f"t{track_id}.wav", stored_name=f"{track_id:032x}.wav",
                    content_sha256="0" * 64, size_bytes=10, duration_s=1.0,
                    sample_rate_hz=48000, channels=2, created_at=now,
                    reference_of_track_id=reference))
            connection.execute(_row(analysis, id=1, user_id=1, track_id=1, context="mixdown",
                                    result_json="{}", schema_version=2, created_at=now))
            connection.execute(_row(chat, id=1, user_id=1, project_id=1, track_id=1,
                                    kind="feedback", role="assistant", content="Too loud.",
                                    created_at=now))
        db.upgrade_schema(engine)
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT id, reference_of_track_id, previous_version_of_track_id FROM track "
                "ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(1, None, None), (2, 1, None)]
            assert connection.execute(sa.text("SELECT count(*) FROM analysis")).scalar() == 1
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.execute(sa.text("SELECT content FROM chat_message")).scalar() \
                == "Too loud."
        later = tracks.get_track(engine, 1, 1)
        assert later.previous_version_of_track_id is None
        tracks.delete_track(engine, 1, 1, tmp_path)  # enforcement is back: analyses go too
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM analysis")).scalar() == 0
    finally:
        engine.dispose()


def test_going_below_0005_is_refused(sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.connect() as connection:
        head = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert head == "0005"
    with sqlite_engine.begin() as connection, pytest.raises(NotImplementedError):
        command.downgrade(db.alembic_config(connection), "0004")
