"""The storage layer on a real SQLite file and a real PostgreSQL database: migrations,
every repository function, user isolation, upload safety, analysis reuse and cascades."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile as sf
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from tests.signals import sine
from zz_core.errors import AudioDecodeError
from zz_core.judge.models import AnalysisResult
from zz_core.store import storage
from zz_core.store.storage import InvalidValueError, NotFoundError

TABLES = {"user", "project", "track", "analysis", "chat_message", "token_usage"}
STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{1,5}")
RATE = 48000


def sine_wav(seconds: float = 2.0, freq_hz: float = 440.0) -> bytes:
    """A stereo sine as 16-bit WAV bytes."""
    buffer = io.BytesIO()
    sf.write(buffer, sine(-12.0, seconds, freq_hz=freq_hz).T, RATE, format="WAV",
             subtype="PCM_16")
    return buffer.getvalue()


WAV = sine_wav()


@pytest.fixture
def engine(db_engine: Engine) -> Engine:
    return db_engine


@dataclass
class World:
    """Two users; Ada owns a project with a track, an analysis, chat and token usage."""

    engine: Engine
    data_dir: Path
    ada: int
    bob: int
    project: storage.Project
    track: storage.Track
    analysis: storage.Analysis
    message: storage.ChatMessage

    def upload(self, user_id: int, project_id: int | None, data: bytes = WAV,
               name: str = "mix.wav", role: str = "main") -> storage.Track:
        track, _ = storage.store_upload(self.engine, user_id, project_id, data, name, role,
                                        self.data_dir)
        return track

    def files(self) -> list[Path]:
        return sorted(p for p in (self.data_dir / "audio").rglob("*") if p.is_file())


def _user(engine: Engine, username: str) -> int:
    user = storage.create_user(engine, username=username, name=username.title(),
                               email=f"{username}@example.com", password_hash="$2b$12$hash")
    assert user.id is not None
    return user.id


@pytest.fixture
def world(engine: Engine, tmp_data_dir: Path, analysis_result: AnalysisResult) -> World:
    ada, bob = _user(engine, "ada"), _user(engine, "bob")
    project = storage.create_project(engine, ada, "Album")
    track, _ = storage.store_upload(engine, ada, project.id, WAV, "mix.wav", "main",
                                    tmp_data_dir)
    analysis = storage.save_analysis(engine, ada, track.id, analysis_result)
    message = storage.append_message(engine, ada, project.id, "feedback", "assistant",
                                     "Too loud.", track_id=track.id, provider="offline")
    storage.record_token_usage(engine, ada, provider="openai", model="gpt", stage="feedback",
                               prompt_tokens=10, completion_tokens=5, cost_usd=0.01,
                               project_id=project.id, track_id=track.id)
    return World(engine, tmp_data_dir, ada, bob, project, track, analysis, message)


# --- migrations and engine ---------------------------------------------------------------


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    engine = storage.create_db_engine(database_url)
    try:
        storage.upgrade_schema(engine)
        storage.upgrade_schema(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert tables == TABLES | {"alembic_version"}
        head = ScriptDirectory.from_config(storage.alembic_config()).get_current_head()
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()


def test_schema_from_migrations_matches_the_models(database_url: str) -> None:
    engine = storage.create_db_engine(database_url)
    try:
        storage.upgrade_schema(database_url)  # the URL form opens and closes its own engine
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_the_drift_check_does_detect_drift(sqlite_engine: Engine) -> None:
    drifted = sa.MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["track"].append_column(sa.Column("mood", sa.String(20)))
    sa.Index("ix_analysis_bpm", drifted.tables["analysis"].c.bpm)
    with sqlite_engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), drifted)
    kinds = {entry[0] for entry in diff}
    assert {"add_column", "add_index"} <= kinds


def test_downgrade_refuses_to_drop_user_data(world: World) -> None:
    with world.engine.begin() as connection, pytest.raises(NotImplementedError):
        command.downgrade(storage.alembic_config(connection), "base")
    assert storage.get_project(world.engine, world.ada, world.project.id).name == "Album"


def test_sqlite_uses_wal_and_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ZZ_DATA_DIR", str(tmp_path / "d"))
    assert storage.data_dir_from_env() == tmp_path / "d"
    assert storage.database_url() == f"sqlite:///{tmp_path / 'd' / 'zoundzcope.db'}"
    engine = storage.create_db_engine()
    try:
        storage.upgrade_schema(engine)
        assert (tmp_path / "d" / "zoundzcope.db").is_file()
    finally:
        engine.dispose()
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/zz")
    assert storage.database_url() == "postgres://u:p@db.example/zz"
    assert storage.create_db_engine().dialect.name == "postgresql"


def test_timestamps_come_back_timezone_aware(world: World) -> None:
    project = storage.get_project(world.engine, world.ada, world.project.id)
    assert project.created_at.tzinfo is not None
    assert project.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


# --- users -------------------------------------------------------------------------------


def test_users(engine: Engine) -> None:
    assert storage.count_users(engine) == 0
    ada = storage.create_user(engine, username="  Ada ", name="Ada", email="a@x.org",
                              password_hash="$2b$12$one")
    assert ada.username == "ada"
    with pytest.raises(storage.AlreadyExistsError):
        storage.create_user(engine, username="ADA", name="A", email="", password_hash="x")
    found = storage.get_user_by_username(engine, "Ada")
    assert found is not None and found.id == ada.id
    assert storage.get_user_by_username(engine, "nobody") is None
    storage.set_password_hash(engine, "ada", "$2b$12$two")
    assert storage.get_user(engine, ada.id).password_hash == "$2b$12$two"  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        storage.set_password_hash(engine, "nobody", "x")
    with pytest.raises(NotFoundError):
        storage.get_user(engine, 10**12)
    _user(engine, "bob")
    assert storage.count_users(engine) == 2
    assert [u.username for u in storage.list_users(engine)] == ["ada", "bob"]


# --- projects ----------------------------------------------------------------------------


def test_projects_create_list_rename(engine: Engine) -> None:
    ada = _user(engine, "ada")
    first = storage.create_project(engine, ada, "  First  ")
    second = storage.create_project(engine, ada, "Second")
    assert first.name == "First"
    assert [p.id for p in storage.list_projects(engine, ada)] == [second.id, first.id]
    renamed = storage.rename_project(engine, ada, first.id, " EP 2 ")
    assert renamed.name == "EP 2"
    assert storage.get_project(engine, ada, first.id).name == "EP 2"
    assert renamed.updated_at >= renamed.created_at


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "\x00\x01"])
def test_project_names_are_validated(engine: Engine, name: str) -> None:
    ada = _user(engine, "ada")
    with pytest.raises(InvalidValueError):
        storage.create_project(engine, ada, name)
    project = storage.create_project(engine, ada, "ok")
    with pytest.raises(InvalidValueError):
        storage.rename_project(engine, ada, project.id, name)
    assert storage.get_project(engine, ada, project.id).name == "ok"
    assert storage.create_project(engine, ada, "y" * 100).name == "y" * 100


def test_creating_a_project_for_a_missing_user_fails_cleanly(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        storage.create_project(engine, 12345, "ghost")


def test_deleting_a_project_cascades_and_spares_the_rest(world: World,
                                                         analysis_result: AnalysisResult) -> None:
    engine, ada = world.engine, world.ada
    other = storage.create_project(engine, ada, "Other")
    kept = world.upload(ada, other.id)  # the same content in another project
    storage.save_analysis(engine, ada, kept.id, analysis_result)
    storage.append_message(engine, ada, other.id, "summary", "assistant", "Fine.")
    storage.append_message(engine, ada, world.project.id, "docs", "user", "project-level")
    kept_path = storage.audio_path(ada, kept, world.data_dir)
    doomed_path = storage.audio_path(ada, world.track, world.data_dir)
    assert kept_path is not None and doomed_path is not None

    storage.delete_project(engine, ada, world.project.id, world.data_dir)

    with pytest.raises(NotFoundError):
        storage.get_project(engine, ada, world.project.id)
    with pytest.raises(NotFoundError):
        storage.get_track(engine, ada, world.track.id)
    with pytest.raises(NotFoundError):
        storage.get_analysis(engine, ada, world.analysis.id)
    assert not doomed_path.exists() and kept_path.is_file()
    assert [p.id for p in storage.list_projects(engine, ada)] == [other.id]
    assert [t.id for t in storage.list_tracks(engine, ada, other.id)] == [kept.id]
    assert storage.latest_analysis(engine, ada, kept.id) == analysis_result
    assert [m.content for m in storage.list_project_messages(engine, ada, other.id)] == ["Fine."]
    with Session(engine) as session:
        assert session.get(storage.Analysis, world.analysis.id) is None
        assert session.get(storage.ChatMessage, world.message.id) is None
    [usage] = storage.list_token_usage(engine, ada)
    assert (usage.project_id, usage.track_id, usage.cost_usd) == (None, None, 0.01)


# --- tracks ------------------------------------------------------------------------------


def test_store_upload_keeps_the_bytes_under_a_generated_name(engine: Engine,
                                                             tmp_data_dir: Path) -> None:
    ada = _user(engine, "ada")
    project = storage.create_project(engine, ada, "Album")
    track, audio = storage.store_upload(engine, ada, project.id, WAV, "My Mix.WAV", "main",
                                        tmp_data_dir)
    assert STORED_NAME.fullmatch(track.stored_name) and track.stored_name.endswith(".wav")
    path = storage.audio_path(ada, track, tmp_data_dir)
    assert path == tmp_data_dir / "audio" / str(ada) / track.stored_name
    assert path.read_bytes() == WAV
    assert track.original_name == "My Mix.WAV"
    assert track.content_sha256 == hashlib.sha256(WAV).hexdigest()
    assert track.size_bytes == len(WAV)
    assert (track.sample_rate_hz, track.channels) == (RATE, 2)
    assert track.duration_s == pytest.approx(2.0)
    assert audio.samples.shape == (2, 2 * RATE)
    assert storage.get_track(engine, ada, track.id).stored_name == track.stored_name


@pytest.mark.parametrize("hostile", [
    "../../etc/passwd.wav",
    "..\\..\\windows\\system32\\evil.wav",
    "/absolute/path/mix.wav",
    "🎛️ Mïx — ünïcødé 🔥.wav",
    "nul\x00byte\u202egnp.wav",
    "..",
    "",
    "x" * 500 + ".wav",
])
def test_upload_names_never_reach_the_file_system(engine: Engine, tmp_data_dir: Path,
                                                  tmp_path: Path, hostile: str) -> None:
    ada = _user(engine, "ada")
    project = storage.create_project(engine, ada, "Album")
    before = set(tmp_path.rglob("*"))
    track, _ = storage.store_upload(engine, ada, project.id, WAV, hostile, "main", tmp_data_dir)
    assert STORED_NAME.fullmatch(track.stored_name)
    new_files = {p for p in set(tmp_path.rglob("*")) - before if p.is_file()}
    assert new_files == {tmp_data_dir / "audio" / str(ada) / track.stored_name}
    name = storage.get_track(engine, ada, track.id).original_name
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert "\u202e" not in name and len(name) <= storage.TRACK_NAME_MAX
    if hostile.startswith("🎛️"):
        assert name == hostile
    if hostile.startswith("x"):
        assert name.endswith(".wav")


@pytest.mark.parametrize(("label", "data"), [
    ("empty", b""),
    ("text", b"this is a text file, not audio\n" * 50),
    ("truncated wav", WAV[: len(WAV) // 3]),
    ("header only", WAV[:44]),
    ("too short", sine_wav(seconds=0.2)),
])
def test_bad_uploads_store_nothing(engine: Engine, tmp_data_dir: Path, label: str,
                                   data: bytes) -> None:
    ada = _user(engine, "ada")
    project = storage.create_project(engine, ada, "Album")
    with pytest.raises(AudioDecodeError):
        storage.store_upload(engine, ada, project.id, data, f"{label}.wav", "main",
                             tmp_data_dir)
    assert storage.list_tracks(engine, ada, project.id) == []
    audio_dir = tmp_data_dir / "audio"
    assert not audio_dir.exists() or not any(p.is_file() for p in audio_dir.rglob("*"))


def test_oversized_upload_is_refused_before_decoding(world: World,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    before = world.files()
    monkeypatch.setenv("ZZ_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(InvalidValueError, match="the most we accept is"):
        world.upload(world.ada, world.project.id)
    assert world.files() == before


def test_bad_role_or_foreign_project_store_nothing(world: World) -> None:
    before = world.files()
    with pytest.raises(InvalidValueError):
        world.upload(world.ada, world.project.id, role="master")
    with pytest.raises(NotFoundError):
        world.upload(world.bob, world.project.id)
    with pytest.raises(NotFoundError):
        world.upload(world.ada, 987654)
    assert world.files() == before
    assert len(storage.list_tracks(world.engine, world.ada, world.project.id)) == 1


def test_uploading_the_same_file_again_never_loses_earlier_audio(world: World) -> None:
    again = world.upload(world.ada, world.project.id)
    assert again.id != world.track.id and again.stored_name != world.track.stored_name
    assert again.content_sha256 == world.track.content_sha256
    first = storage.audio_path(world.ada, world.track, world.data_dir)
    second = storage.audio_path(world.ada, again, world.data_dir)
    assert first is not None and second is not None and first != second
    assert first.read_bytes() == second.read_bytes() == WAV
    found = storage.find_tracks_by_sha256(world.engine, world.ada, again.content_sha256)
    assert [t.id for t in found] == [world.track.id, again.id]
    storage.delete_track(world.engine, world.ada, again.id, world.data_dir)
    assert first.is_file() and not second.exists()
    assert storage.latest_analysis(world.engine, world.ada, world.track.id) is not None


def test_reference_tracks(world: World) -> None:
    reference, _ = storage.store_upload(
        world.engine, world.ada, world.project.id, sine_wav(freq_hz=220.0), "ref.wav",
        "reference", world.data_dir, reference_of_track_id=world.track.id)
    assert (reference.role, reference.reference_of_track_id) == ("reference", world.track.id)
    storage.delete_track(world.engine, world.ada, world.track.id, world.data_dir)
    kept = storage.get_track(world.engine, world.ada, reference.id)
    assert kept.reference_of_track_id is None
    assert storage.audio_path(world.ada, kept, world.data_dir) is not None


def test_list_rename_move_delete_tracks(world: World) -> None:
    engine, ada = world.engine, world.ada
    second = world.upload(ada, world.project.id, sine_wav(freq_hz=330.0), "two.wav")
    assert [t.id for t in storage.list_tracks(engine, ada, world.project.id)] == [
        second.id, world.track.id]
    renamed = storage.rename_track(engine, ada, world.track.id, "  Final mix  ")
    assert renamed.original_name == "Final mix"
    assert renamed.stored_name == world.track.stored_name
    with pytest.raises(InvalidValueError):
        storage.rename_track(engine, ada, world.track.id, " ")

    target = storage.create_project(engine, ada, "Singles")
    moved = storage.move_track(engine, ada, world.track.id, target.id)
    assert moved.project_id == target.id
    assert [t.id for t in storage.list_tracks(engine, ada, target.id)] == [world.track.id]
    assert [m.id for m in storage.list_project_messages(engine, ada, target.id)] == [
        world.message.id]
    assert storage.list_project_messages(engine, ada, world.project.id) == []
    storage.delete_project(engine, ada, world.project.id, world.data_dir)  # the old home
    assert storage.latest_analysis(engine, ada, world.track.id) is not None
    assert [m.content for m in storage.list_thread(engine, ada, world.track.id)] == ["Too loud."]

    path = storage.audio_path(ada, moved, world.data_dir)
    assert path is not None
    storage.delete_track(engine, ada, world.track.id, world.data_dir)
    assert not path.exists()
    with pytest.raises(NotFoundError):
        storage.get_track(engine, ada, world.track.id)
    with Session(engine) as session:
        assert session.get(storage.Analysis, world.analysis.id) is None
        assert session.get(storage.ChatMessage, world.message.id) is None
    [usage] = storage.list_token_usage(engine, ada)
    assert usage.track_id is None


def test_audio_path_is_none_once_the_audio_is_gone(world: World) -> None:
    path = storage.audio_path(world.ada, world.track, world.data_dir)
    assert path is not None
    assert storage.audio_path(world.bob, world.track, world.data_dir) is None
    path.unlink()
    assert storage.audio_path(world.ada, world.track, world.data_dir) is None
    forged = world.track.model_copy(update={"stored_name": "../../etc/passwd"})
    assert storage.audio_path(world.ada, forged, world.data_dir) is None


# --- analyses ----------------------------------------------------------------------------


def test_analysis_round_trip_and_headline_columns(world: World,
                                                  analysis_result: AnalysisResult) -> None:
    loaded = storage.load_analysis(world.engine, world.ada, world.analysis.id)
    assert loaded.model_dump_json() == analysis_result.model_dump_json()
    row = storage.get_analysis(world.engine, world.ada, world.analysis.id)
    assert row.integrated_lufs == pytest.approx(analysis_result.loudness.integrated_lufs)
    assert row.true_peak_dbtp == pytest.approx(analysis_result.loudness.true_peak_dbtp)
    assert row.key_label == analysis_result.key.label
    assert row.correlation == pytest.approx(analysis_result.stereo.correlation)
    assert (row.context, row.genre, row.subgenre) == ("mixdown", "electronic", "techno")
    assert row.schema_version == analysis_result.schema_version


def test_latest_analysis(world: World, analysis_result: AnalysisResult) -> None:
    newer = analysis_result.model_copy(update={"context": "master"})
    storage.save_analysis(world.engine, world.ada, world.track.id, newer)
    latest = storage.latest_analysis(world.engine, world.ada, world.track.id)
    assert latest is not None and latest.context == "master"
    assert len(storage.list_analyses(world.engine, world.ada, world.track.id)) == 2
    fresh = world.upload(world.ada, world.project.id, sine_wav(freq_hz=330.0))
    assert storage.latest_analysis(world.engine, world.ada, fresh.id) is None


def test_find_analysis_reuses_identical_content_and_options(world: World) -> None:
    engine, ada, sha = world.engine, world.ada, world.track.content_sha256
    found = storage.find_analysis(engine, ada, sha, "mixdown", "electronic", "techno")
    assert found is not None
    assert storage.find_analysis(engine, ada, sha, "mixdown", "Electronic", "Techno") == found
    assert storage.find_analysis(engine, ada, sha, "master", "electronic", "techno") is None
    assert storage.find_analysis(engine, ada, sha, "mixdown", "rock", None) is None
    assert storage.find_analysis(engine, ada, sha, "mixdown", "electronic", None) is None
    assert storage.find_analysis(engine, ada, sha, "mixdown", "no such genre") is None
    assert storage.find_analysis(engine, ada, "0" * 64, "mixdown", "electronic",
                                 "techno") is None
    # a re-upload of the same bytes (another project even) finds it by content
    other = storage.create_project(engine, ada, "Other")
    again = world.upload(ada, other.id, name="renamed.wav")
    assert storage.find_analysis(engine, ada, again.content_sha256, "mixdown", "electronic",
                                 "techno") == found
    # Bob uploading the very same bytes must not see Ada's analysis
    bob_project = storage.create_project(engine, world.bob, "Bob's")
    bobs = world.upload(world.bob, bob_project.id)
    assert bobs.content_sha256 == sha
    assert storage.find_analysis(engine, world.bob, sha, "mixdown", "electronic",
                                 "techno") is None


def test_find_analysis_with_a_free_text_subgenre(world: World,
                                                 analysis_result: AnalysisResult) -> None:
    free = analysis_result.model_copy(update={"genre": analysis_result.genre.model_copy(update={
        "subgenre": None, "subgenre_label": "Minimal Dub", "subgenre_known": False})})
    storage.save_analysis(world.engine, world.ada, world.track.id, free)
    found = storage.find_analysis(world.engine, world.ada, world.track.content_sha256,
                                  "mixdown", "electronic", "minimal  dub")
    assert found is not None and found.genre.subgenre_label == "Minimal Dub"


# --- chat --------------------------------------------------------------------------------


def test_chat_threads(world: World) -> None:
    engine, ada, pid, tid = world.engine, world.ada, world.project.id, world.track.id
    storage.append_message(engine, ada, pid, "follow_up", "user", "Why?", track_id=tid)
    storage.append_message(engine, ada, pid, "follow_up", "assistant", "Because\x00.",
                           track_id=tid, provider="groq", model="llama")
    storage.append_message(engine, ada, pid, "comparison", "assistant", "Cohesive.")
    thread = storage.list_thread(engine, ada, tid)
    assert [m.content for m in thread] == ["Too loud.", "Why?", "Because."]
    assert [m.role for m in thread] == ["assistant", "user", "assistant"]
    assert (thread[2].provider, thread[2].model) == ("groq", "llama")
    follow_ups = storage.list_thread(engine, ada, tid, kinds={"follow_up"})
    assert [m.content for m in follow_ups] == ["Why?", "Because."]
    assert len(storage.list_project_messages(engine, ada, pid)) == 4
    storage.delete_message(engine, ada, thread[1].id)
    assert len(storage.list_thread(engine, ada, tid)) == 2


def test_chat_validation(world: World) -> None:
    engine, ada, pid, tid = world.engine, world.ada, world.project.id, world.track.id
    with pytest.raises(InvalidValueError):
        storage.append_message(engine, ada, pid, "gossip", "user", "x")
    with pytest.raises(InvalidValueError):
        storage.append_message(engine, ada, pid, "feedback", "robot", "x")
    other = storage.create_project(engine, ada, "Other")
    with pytest.raises(NotFoundError):  # the track is not in that project
        storage.append_message(engine, ada, other.id, "feedback", "user", "x", track_id=tid)
    assert len(storage.list_project_messages(engine, ada, pid)) == 1


# --- token usage -------------------------------------------------------------------------


def test_token_usage_archive_keeps_rows(world: World) -> None:
    engine, ada = world.engine, world.ada
    storage.record_token_usage(engine, ada, provider="groq", model="llama", stage="summary",
                               prompt_tokens=100, completion_tokens=50, cost_usd=0.002,
                               estimated=True)
    storage.record_token_usage(engine, world.bob, provider="groq", model="llama",
                               stage="feedback", prompt_tokens=1, completion_tokens=1,
                               cost_usd=0.0)
    current = storage.list_token_usage(engine, ada)
    assert [u.stage for u in current] == ["summary", "feedback"]
    assert current[0].estimated and not current[1].estimated
    assert storage.archive_token_usage(engine, ada) == 2
    assert storage.archive_token_usage(engine, ada) == 0
    assert storage.list_token_usage(engine, ada) == []
    archived = storage.list_token_usage(engine, ada, archived=True)
    assert len(archived) == 2 and all(u.archived for u in archived)
    assert len(storage.list_token_usage(engine, ada, archived=None)) == 2
    assert len(storage.list_token_usage(engine, world.bob)) == 1  # Bob's are untouched


# --- isolation ---------------------------------------------------------------------------


def _attempts(w: World) -> dict[str, Callable[[], object]]:
    """Every way Bob could reach Ada's data through the repository functions."""
    e, bob, pid, tid = w.engine, w.bob, w.project.id, w.track.id
    bobs_project = storage.create_project(e, bob, "Bob's")
    bobs_track = w.upload(bob, bobs_project.id, sine_wav(freq_hz=550.0))
    return {
        "get_project": lambda: storage.get_project(e, bob, pid),
        "rename_project": lambda: storage.rename_project(e, bob, pid, "pwned"),
        "delete_project": lambda: storage.delete_project(e, bob, pid, w.data_dir),
        "list_tracks": lambda: storage.list_tracks(e, bob, pid),
        "store_upload": lambda: w.upload(bob, pid),
        "get_track": lambda: storage.get_track(e, bob, tid),
        "rename_track": lambda: storage.rename_track(e, bob, tid, "pwned"),
        "move_track_out": lambda: storage.move_track(e, bob, tid, bobs_project.id),
        "move_track_in": lambda: storage.move_track(e, bob, bobs_track.id, pid),
        "delete_track": lambda: storage.delete_track(e, bob, tid, w.data_dir),
        "reference_of": lambda: storage.store_upload(
            e, bob, bobs_project.id, WAV, "r.wav", "reference", w.data_dir,
            reference_of_track_id=tid),
        "get_analysis": lambda: storage.get_analysis(e, bob, w.analysis.id),
        "load_analysis": lambda: storage.load_analysis(e, bob, w.analysis.id),
        "list_analyses": lambda: storage.list_analyses(e, bob, tid),
        "latest_analysis": lambda: storage.latest_analysis(e, bob, tid),
        "save_analysis": lambda: storage.save_analysis(
            e, bob, tid, storage.load_analysis(e, w.ada, w.analysis.id)),
        "append_to_project": lambda: storage.append_message(e, bob, pid, "feedback", "user", "x"),
        "append_to_track": lambda: storage.append_message(
            e, bob, bobs_project.id, "feedback", "user", "x", track_id=tid),
        "list_thread": lambda: storage.list_thread(e, bob, tid),
        "list_project_messages": lambda: storage.list_project_messages(e, bob, pid),
        "delete_message": lambda: storage.delete_message(e, bob, w.message.id),
        "usage_on_project": lambda: storage.record_token_usage(
            e, bob, provider="p", model="m", stage="s", prompt_tokens=1, completion_tokens=1,
            cost_usd=0.0, project_id=pid),
        "usage_on_track": lambda: storage.record_token_usage(
            e, bob, provider="p", model="m", stage="s", prompt_tokens=1, completion_tokens=1,
            cost_usd=0.0, track_id=tid),
    }


def test_another_user_gets_not_found_for_everything(world: World) -> None:
    before = world.files()
    attempts = _attempts(world)
    files_with_bobs = world.files()
    for name, attempt in attempts.items():
        with pytest.raises(NotFoundError) as caught:
            attempt()
        assert "ada" not in str(caught.value).lower(), name
    assert world.files() == files_with_bobs and set(before) <= set(files_with_bobs)
    engine, ada = world.engine, world.ada
    assert storage.get_project(engine, ada, world.project.id).name == "Album"
    track = storage.get_track(engine, ada, world.track.id)
    assert (track.original_name, track.project_id) == ("mix.wav", world.project.id)
    assert storage.latest_analysis(engine, ada, world.track.id) is not None
    assert len(storage.list_thread(engine, ada, world.track.id)) == 1
    assert len(storage.list_token_usage(engine, ada)) == 1
    assert storage.list_token_usage(engine, world.bob) == []


def test_another_users_object_looks_exactly_like_a_missing_one(world: World) -> None:
    e, bob = world.engine, world.bob
    calls: list[tuple[Callable[[int | None], object], int | None]] = [
        (lambda i: storage.get_project(e, bob, i), world.project.id),
        (lambda i: storage.get_track(e, bob, i), world.track.id),
        (lambda i: storage.get_analysis(e, bob, i), world.analysis.id),
        (lambda i: storage.delete_message(e, bob, i), world.message.id),
    ]
    for call, adas_id in calls:
        with pytest.raises(NotFoundError) as theirs:
            call(adas_id)
        with pytest.raises(NotFoundError) as missing:
            call(999_999)
        assert str(theirs.value) == str(missing.value)


def test_lists_never_show_another_users_data(world: World) -> None:
    engine, bob = world.engine, world.bob
    assert storage.list_projects(engine, bob) == []
    assert storage.find_tracks_by_sha256(engine, bob, world.track.content_sha256) == []
    assert storage.list_token_usage(engine, bob, archived=None) == []
    assert storage.archive_token_usage(engine, bob) == 0
    assert storage.list_token_usage(engine, world.ada)[0].archived is False


@pytest.mark.parametrize("bad_id", [0, -1, 2**40, 2**63, None, True, "1"])
def test_odd_ids_are_simply_not_found(world: World, bad_id: object) -> None:
    for call in (
        lambda: storage.get_project(world.engine, world.ada, bad_id),  # type: ignore[arg-type]
        lambda: storage.get_track(world.engine, world.ada, bad_id),  # type: ignore[arg-type]
        lambda: storage.get_track(world.engine, bad_id, world.track.id),  # type: ignore[arg-type]
        lambda: storage.delete_track(world.engine, world.ada, bad_id),  # type: ignore[arg-type]
    ):
        with pytest.raises(NotFoundError):
            call()


def test_latest_reference_is_the_users_own(engine: Engine, tmp_data_dir: Path) -> None:
    ada, bob = (storage.create_user(engine, username=n, name=n, email=f"{n}@x.org",
                                    password_hash="x").id for n in ("ada", "bob"))
    project = storage.create_project(engine, ada, "EP").id
    data = sine_wav(1.0)
    main, _ = storage.store_upload(engine, ada, project, data, "mix.wav", "main", tmp_data_dir)
    assert storage.latest_reference(engine, ada, main.id) is None
    for name in ("ref1.wav", "ref2.wav"):
        storage.store_upload(engine, ada, project, data, name, "reference", tmp_data_dir,
                             reference_of_track_id=main.id)
    found = storage.latest_reference(engine, ada, main.id)
    assert found is not None and found.original_name == "ref2.wav"
    with pytest.raises(storage.NotFoundError):
        storage.latest_reference(engine, bob, main.id)
