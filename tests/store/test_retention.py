"""Audio retention on real databases and real files: only audio files go, rows stay."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import soundfile as sf
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, update

from tests.signals import sine
from tests.store.helpers import upload
from zz_core.judge.models import AnalysisResult
from zz_core.store import analyses, messages, projects, retention, tables, tracks, users
from zz_core.store import usage as token_usage
from zz_core.store.objects import S3Objects
from zz_core.store.records import TrackRecord
from zz_core.store.retention import (
    LISTENING_DIR_NAME,
    RetentionReport,
    RetentionSettings,
    apply_retention,
)

NOW = datetime.fromisoformat("2026-06-01T12:00:00+00:00")
RATE = 48000


def wav(freq_hz: float) -> bytes:
    """A 2 s stereo sine as 16-bit WAV bytes (a different pitch, different content)."""
    buffer = io.BytesIO()
    sf.write(buffer, sine(-12.0, 2.0, freq_hz=freq_hz).T, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@dataclass
class Library:
    engine: Engine
    data_dir: Path
    ada: int
    bob: int
    project: int

    def track(self, age: timedelta, user_id: int | None = None,
              freq_hz: float = 440.0) -> TrackRecord:
        """Upload a track and backdate it to ``NOW - age``."""
        user = user_id or self.ada
        project = self.project if user == self.ada else projects.create_project(
            self.engine, user, "Theirs").id
        track = upload(self.engine, user, project, wav(freq_hz), "t.wav", "main", self.data_dir)
        with Session(self.engine) as session:
            session.exec(update(tables.Track).where(col(tables.Track.id) == track.id)
                         .values(created_at=NOW - age))
            session.commit()
        return tracks.get_track(self.engine, user, track.id)

    def path(self, track: TrackRecord) -> Path:
        return tracks.audio_file_path(self.data_dir, track)

    def reload(self, track: TrackRecord) -> TrackRecord:
        return tracks.get_track(self.engine, track.user_id, track.id)


def _user(engine: Engine, name: str) -> int:
    user = users.create_user(engine, username=name, name=name, email="", password_hash="h")
    assert user.id is not None
    return user.id


@pytest.fixture
def library(db_engine: Engine, tmp_data_dir: Path) -> Library:
    ada, bob = _user(db_engine, "ada"), _user(db_engine, "bob")
    project = projects.create_project(db_engine, ada, "Album")
    assert project.id is not None
    return Library(db_engine, tmp_data_dir, ada, bob, project.id)


def test_old_audio_goes_and_everything_else_stays(library: Library,
                                                  analysis_result: AnalysisResult) -> None:
    engine, ada = library.engine, library.ada
    old = library.track(timedelta(days=15))
    recent = library.track(timedelta(days=13), freq_hz=330.0)
    analyses.save_analysis(engine, ada, old.id, analysis_result)
    messages.append_message(engine, ada, library.project, "feedback", "assistant", "Loud.",
                            track_id=old.id)
    token_usage.record_token_usage(engine, ada, provider="p", model="m", stage="feedback",
                                   prompt_tokens=1, completion_tokens=1, cost_usd=0.1,
                                   track_id=old.id)

    report = apply_retention(engine, library.data_dir, max_age_days=14, now=NOW)

    assert report == RetentionReport(files_removed=1, bytes_freed=old.size_bytes,
                                     tracks_expired=1)
    assert not library.path(old).exists() and library.path(recent).is_file()
    expired = library.reload(old)
    assert expired.audio_deleted_at == NOW
    assert tracks.audio_path(ada, expired, library.data_dir) is None
    assert library.reload(recent).audio_deleted_at is None
    loaded = analyses.latest_analysis(engine, ada, old.id)
    assert loaded is not None and loaded.model_dump_json() == analysis_result.model_dump_json()
    assert analyses.find_analysis(engine, ada, old.content_sha256, "mixdown", "electronic",
                                  "techno") is not None
    assert [m.content for m in messages.list_thread(engine, ada, old.id)] == ["Loud."]
    assert len(token_usage.list_token_usage(engine, ada)) == 1
    assert len(tracks.list_tracks(engine, ada, library.project)) == 2
    assert apply_retention(engine, library.data_dir, max_age_days=14, now=NOW) == (
        RetentionReport())


def test_size_cap_removes_the_oldest_first_per_user(library: Library) -> None:
    oldest = library.track(timedelta(days=3), freq_hz=220.0)
    middle = library.track(timedelta(days=2), freq_hz=330.0)
    newest = library.track(timedelta(days=1), freq_hz=440.0)
    bobs = [library.track(timedelta(days=5), library.bob, f) for f in (550.0, 660.0)]
    cap = 2 * oldest.size_bytes  # Ada has three files, Bob two: only Ada is over

    report = apply_retention(library.engine, library.data_dir, max_age_days=30,
                             max_bytes_per_user=cap, now=NOW)

    assert (report.files_removed, report.bytes_freed) == (1, oldest.size_bytes)
    assert library.reload(oldest).audio_deleted_at == NOW
    for kept in (middle, newest, *bobs):
        assert library.reload(kept).audio_deleted_at is None
        assert library.path(kept).is_file()


def test_age_and_size_rules_together(library: Library) -> None:
    ancient = library.track(timedelta(days=40), freq_hz=220.0)
    older = library.track(timedelta(days=3), freq_hz=330.0)
    newer = library.track(timedelta(days=2), freq_hz=440.0)
    report = apply_retention(library.engine, library.data_dir, max_age_days=14,
                             max_bytes_per_user=newer.size_bytes, now=NOW)
    assert report.files_removed == 2
    assert library.reload(ancient).audio_deleted_at is not None
    assert library.reload(older).audio_deleted_at is not None
    assert library.path(newer).is_file()


def test_the_size_rule_spares_audio_that_just_arrived(library: Library) -> None:
    fresh = library.track(timedelta(minutes=5))
    report = apply_retention(library.engine, library.data_dir, max_bytes_per_user=1, now=NOW)
    assert report == RetentionReport() and library.path(fresh).is_file()
    report = apply_retention(library.engine, library.data_dir, max_bytes_per_user=1, now=NOW,
                             grace_s=0)
    assert report.files_removed == 1 and not library.path(fresh).exists()


def test_rules_can_be_switched_off(library: Library) -> None:
    ancient = library.track(timedelta(days=400))
    report = apply_retention(library.engine, library.data_dir, max_age_days=None,
                             max_bytes_per_user=None, now=NOW)
    assert report == RetentionReport() and library.path(ancient).is_file()


def test_a_file_already_missing_is_marked_but_not_counted(library: Library) -> None:
    gone = library.track(timedelta(days=20))
    library.path(gone).unlink()
    report = apply_retention(library.engine, library.data_dir, now=NOW)
    assert report == RetentionReport(files_removed=0, bytes_freed=0, tracks_expired=1)
    assert library.reload(gone).audio_deleted_at == NOW


def test_an_expired_track_can_still_be_moved_and_deleted(library: Library) -> None:
    old = library.track(timedelta(days=20))
    apply_retention(library.engine, library.data_dir, now=NOW)
    other = projects.create_project(library.engine, library.ada, "Other")
    assert tracks.move_track(library.engine, library.ada, old.id, other.id).project_id == (
        other.id)
    tracks.delete_track(library.engine, library.ada, old.id, library.data_dir)
    assert tracks.list_tracks(library.engine, library.ada, other.id) == []


def test_settings_from_the_environment() -> None:
    assert RetentionSettings.from_env({}) == RetentionSettings()
    settings = RetentionSettings.from_env({"ZZ_RETENTION_DAYS": "7",
                                           "ZZ_RETENTION_MAX_BYTES": "1048576",
                                           "ZZ_RETENTION_INTERVAL_S": "60"})
    assert settings == RetentionSettings(max_age_days=7.0, max_bytes_per_user=1048576,
                                         interval_s=60.0)
    off = RetentionSettings.from_env({"ZZ_RETENTION_DAYS": "0", "ZZ_RETENTION_MAX_BYTES": "0"})
    assert (off.max_age_days, off.max_bytes_per_user) == (None, None)
    for bad in ({"ZZ_RETENTION_DAYS": "two weeks"}, {"ZZ_RETENTION_MAX_BYTES": "-5"},
                {"ZZ_RETENTION_INTERVAL_S": "0"}, {"ZZ_RETENTION_DAYS": "nan"}):
        with pytest.raises(ValueError):
            RetentionSettings.from_env(bad)


def test_the_background_thread_runs_and_stops(sqlite_engine: Engine, tmp_data_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ada = _user(sqlite_engine, "ada")
    project = projects.create_project(sqlite_engine, ada, "Album")
    library = Library(sqlite_engine, tmp_data_dir, ada, ada, project.id or 0)
    old = library.track(NOW - datetime.now(UTC) + timedelta(days=20))  # 20 days ago
    monkeypatch.setenv("ZZ_RETENTION_INTERVAL_S", "0.05")
    worker = retention.start_retention_thread(sqlite_engine, tmp_data_dir)
    try:
        assert worker.thread.daemon and worker.ran.wait(10)
        assert worker.settings.interval_s == 0.05
    finally:
        worker.stop()
    assert not worker.is_alive()
    assert worker.last_report is not None and worker.last_report.files_removed == 1
    assert not library.path(old).exists()
    assert library.reload(old).audio_deleted_at is not None


def test_old_listening_copies_are_swept_and_fresh_ones_kept(tmp_path: Path) -> None:
    import os
    from datetime import UTC, datetime

    from zz_core.store.retention import LISTENING_MAX_AGE_S, sweep_listening_copies

    folder = tmp_path / "listening" / "7"
    folder.mkdir(parents=True)
    old, fresh = folder / "old.wav", folder / "fresh.wav"
    old.write_bytes(b"x" * 100)
    fresh.write_bytes(b"y" * 10)
    now = datetime.now(UTC)
    stale = now.timestamp() - LISTENING_MAX_AGE_S - 60
    os.utime(old, (stale, stale))
    assert sweep_listening_copies(tmp_path, now) == (1, 100)
    assert not old.exists() and fresh.exists()


def test_retention_on_an_s3_store(sqlite_engine: Engine, tmp_data_dir: Path,
                                  s3_storage: S3Objects) -> None:
    """The same rules on a bucket (``ZZ_STORAGE_URL`` points at moto): the objects go, the
    rows stay, and nothing is written to the data folder's audio folder."""
    ada = _user(sqlite_engine, "ada")
    project = projects.create_project(sqlite_engine, ada, "Album")
    library = Library(sqlite_engine, tmp_data_dir, ada, ada, project.id or 0)
    old = library.track(timedelta(days=15))
    recent = library.track(timedelta(days=13), freq_hz=330.0)
    keys = {t.id: tracks.audio_key(t) for t in (old, recent)}
    assert all(s3_storage.exists(k) for k in keys.values())
    assert not (tmp_data_dir / "audio").exists()
    size = s3_storage.size(keys[old.id])
    report = apply_retention(sqlite_engine, tmp_data_dir, max_age_days=14, now=NOW)
    assert report == RetentionReport(files_removed=1, bytes_freed=size, tracks_expired=1)
    assert not s3_storage.exists(keys[old.id]) and s3_storage.exists(keys[recent.id])
    assert library.reload(old).audio_deleted_at == NOW
    assert tracks.audio_path(ada, library.reload(old), tmp_data_dir) is None
    assert tracks.stored_audio_key(ada, library.reload(recent)) == keys[recent.id]
    # the size rule, then the level-matched copies and the player's local copies
    report = apply_retention(sqlite_engine, tmp_data_dir, max_age_days=None,
                             max_bytes_per_user=1, now=NOW, grace_s=0)
    assert report.tracks_expired == 1 and not s3_storage.exists(keys[recent.id])
    s3_storage.put_bytes(f"{LISTENING_DIR_NAME}/{ada}/copy.wav", b"x" * 50)
    cached = tmp_data_dir / "cache" / "listening" / str(ada) / "copy.wav"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x" * 50)
    later = datetime.now(UTC) + timedelta(days=2)
    report = apply_retention(sqlite_engine, tmp_data_dir, max_age_days=None,
                             max_bytes_per_user=None, now=later, objects=s3_storage)
    assert report == RetentionReport(files_removed=2, bytes_freed=100)
    assert list(s3_storage.list()) == [] and not cached.exists()


def test_the_background_thread_on_an_s3_store(sqlite_engine: Engine, tmp_data_dir: Path,
                                              s3_storage: S3Objects,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ada = _user(sqlite_engine, "ada")
    project = projects.create_project(sqlite_engine, ada, "Album")
    library = Library(sqlite_engine, tmp_data_dir, ada, ada, project.id or 0)
    old = library.track(NOW - datetime.now(UTC) + timedelta(days=20))
    monkeypatch.setenv("ZZ_RETENTION_INTERVAL_S", "0.05")
    worker = retention.start_retention_thread(sqlite_engine, tmp_data_dir,
                                              objects=s3_storage)
    try:
        assert worker.ran.wait(10)
    finally:
        worker.stop()
    assert worker.last_report is not None and worker.last_report.files_removed == 1
    assert not s3_storage.exists(tracks.audio_key(old))
