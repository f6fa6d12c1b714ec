"""Tracks on each backend: uploads never lose earlier audio, references, list, rename,
move, delete, and audio paths."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.store.helpers import STORED_NAME, WAV, World, sine_wav, upload
from zz_core.errors import InvalidValueError, NotFoundError
from zz_core.store import analyses, messages, projects, tables, tracks, users
from zz_core.store import usage as token_usage
from zz_core.store.objects import S3Objects
from zz_core.store.tracks import AudioFacts


def test_uploading_the_same_file_again_never_loses_earlier_audio(world: World) -> None:
    again = world.upload(world.ada, world.project.id)
    assert again.id != world.track.id and again.stored_name != world.track.stored_name
    assert again.content_sha256 == world.track.content_sha256
    first = tracks.audio_path(world.ada, world.track, world.data_dir)
    second = tracks.audio_path(world.ada, again, world.data_dir)
    assert first is not None and second is not None and first != second
    assert first.read_bytes() == second.read_bytes() == WAV
    found = tracks.find_tracks_by_sha256(world.engine, world.ada, again.content_sha256)
    assert [t.id for t in found] == [world.track.id, again.id]
    tracks.delete_track(world.engine, world.ada, again.id, world.data_dir)
    assert first.is_file() and not second.exists()
    assert analyses.latest_analysis(world.engine, world.ada, world.track.id) is not None


def test_reference_tracks(world: World) -> None:
    reference = upload(
        world.engine, world.ada, world.project.id, sine_wav(freq_hz=220.0), "ref.wav",
        "reference", world.data_dir, reference_of=world.track.id)
    assert (reference.role, reference.reference_of_track_id) == ("reference", world.track.id)
    tracks.delete_track(world.engine, world.ada, world.track.id, world.data_dir)
    kept = tracks.get_track(world.engine, world.ada, reference.id)
    assert kept.reference_of_track_id is None
    assert tracks.audio_path(world.ada, kept, world.data_dir) is not None


def test_list_rename_move_delete_tracks(world: World) -> None:
    engine, ada = world.engine, world.ada
    second = world.upload(ada, world.project.id, sine_wav(freq_hz=330.0), "two.wav")
    assert [t.id for t in tracks.list_tracks(engine, ada, world.project.id)] == [
        second.id, world.track.id]
    renamed = tracks.rename_track(engine, ada, world.track.id, "  Final mix  ")
    assert renamed.original_name == "Final mix"
    assert renamed.stored_name == world.track.stored_name
    with pytest.raises(InvalidValueError):
        tracks.rename_track(engine, ada, world.track.id, " ")

    target = projects.create_project(engine, ada, "Singles")
    moved = tracks.move_track(engine, ada, world.track.id, target.id)
    assert moved.project_id == target.id
    assert [t.id for t in tracks.list_tracks(engine, ada, target.id)] == [world.track.id]
    assert [m.id for m in messages.list_project_messages(engine, ada, target.id)] == [
        world.message.id]
    assert messages.list_project_messages(engine, ada, world.project.id) == []
    projects.delete_project(engine, ada, world.project.id, world.data_dir)  # the old home
    assert analyses.latest_analysis(engine, ada, world.track.id) is not None
    assert [m.content for m in messages.list_thread(engine, ada, world.track.id)] == ["Too loud."]

    path = tracks.audio_path(ada, moved, world.data_dir)
    assert path is not None
    tracks.delete_track(engine, ada, world.track.id, world.data_dir)
    assert not path.exists()
    with pytest.raises(NotFoundError):
        tracks.get_track(engine, ada, world.track.id)
    with Session(engine) as session:
        assert session.get(tables.Analysis, world.analysis.id) is None
        assert session.get(tables.ChatMessage, world.message.id) is None
    [usage] = token_usage.list_token_usage(engine, ada)
    assert usage.track_id is None


def test_audio_path_is_none_once_the_audio_is_gone(world: World) -> None:
    path = tracks.audio_path(world.ada, world.track, world.data_dir)
    assert path is not None
    assert tracks.audio_path(world.bob, world.track, world.data_dir) is None
    path.unlink()
    assert tracks.audio_path(world.ada, world.track, world.data_dir) is None
    forged = world.track.model_copy(update={"stored_name": "../../etc/passwd"})
    assert tracks.audio_path(world.ada, forged, world.data_dir) is None


def test_latest_reference_is_the_users_own(engine: Engine, tmp_data_dir: Path) -> None:
    ada, bob = (users.create_user(engine, username=n, name=n, email=f"{n}@x.org",
                                  password_hash="x").id for n in ("ada", "bob"))
    project = projects.create_project(engine, ada, "EP").id
    data = sine_wav(1.0)
    main = upload(engine, ada, project, data, "mix.wav", "main", tmp_data_dir)
    assert tracks.latest_reference(engine, ada, main.id) is None
    for name in ("ref1.wav", "ref2.wav"):
        upload(engine, ada, project, data, name, "reference", tmp_data_dir,
               reference_of=main.id)
    found = tracks.latest_reference(engine, ada, main.id)
    assert found is not None and found.original_name == "ref2.wav"
    with pytest.raises(NotFoundError):
        tracks.latest_reference(engine, bob, main.id)


def test_the_store_keeps_what_the_service_checked(world: World) -> None:
    """The store does not decode: it keeps the bytes with the facts it is given (the
    service decodes first) and picks the extension from the decoder's format."""
    data = b"bytes the service has already decoded"
    facts = AudioFacts(duration_s=3.5, sample_rate_hz=44100, channels=1,
                       source_format="FLAC PCM_24")
    track = tracks.store_upload(world.engine, world.ada, world.project.id, data, "no extension",
                                facts, "main", world.data_dir)
    assert (track.duration_s, track.sample_rate_hz, track.channels) == (3.5, 44100, 1)
    assert STORED_NAME.fullmatch(track.stored_name) and track.stored_name.endswith(".flac")
    path = tracks.audio_path(world.ada, track, world.data_dir)
    assert path is not None and path.read_bytes() == data
    with pytest.raises(InvalidValueError):
        tracks.store_upload(world.engine, world.ada, world.project.id, data, "x.wav", facts,
                            "master", world.data_dir)
    assert len(world.files()) == 2


def test_audio_files_and_their_folders_are_private_whatever_the_umask(
        engine: Engine, tmp_path: Path) -> None:
    ada = users.create_user(engine, username="ada", name="Ada", email="",
                            password_hash="$2b$12$x").id
    project = projects.create_project(engine, ada, "Album")
    data_dir = tmp_path / "fresh"
    previous = os.umask(0)
    try:
        track = upload(engine, ada, project.id, WAV, "mix.wav", "main", data_dir)
    finally:
        os.umask(previous)
    path = tracks.audio_path(ada, track, data_dir)
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent, data_dir):  # audio/<user>, audio, data
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_tracks_on_an_s3_store(sqlite_engine: Engine, tmp_data_dir: Path,
                               s3_storage: S3Objects) -> None:
    """With ``ZZ_STORAGE_URL`` on a bucket the audio is an object ``<prefix>/audio/<user>/
    <name>``, nothing lands in the data folder, and deleting removes the object."""
    ada = users.create_user(sqlite_engine, username="ada", name="Ada", email="",
                            password_hash="h").id
    project = projects.create_project(sqlite_engine, ada, "Album")
    facts = AudioFacts(duration_s=2.0, sample_rate_hz=48000, channels=2,
                       source_format="WAV PCM_16")
    track = tracks.store_upload(sqlite_engine, ada, project.id, WAV, "mix.wav", facts,
                                data_dir=tmp_data_dir)
    key = tracks.audio_key(track)
    assert key == f"audio/{ada}/{track.stored_name}"
    assert s3_storage.read_bytes(key) == WAV
    assert tracks.stored_audio_key(ada, track, tmp_data_dir) == key
    assert tracks.audio_path(ada, track, tmp_data_dir) is None  # remote: read it by key
    assert not (tmp_data_dir / "audio").exists()
    other = tracks.store_upload(sqlite_engine, ada, project.id, WAV, "again.wav", facts,
                                data_dir=s3_storage)
    tracks.delete_track(sqlite_engine, ada, track.id, tmp_data_dir)
    assert not s3_storage.exists(key) and s3_storage.exists(tracks.audio_key(other))
    projects.delete_project(sqlite_engine, ada, project.id, s3_storage)
    assert list(s3_storage.list()) == []


def test_a_failed_insert_leaves_no_object(sqlite_engine: Engine, tmp_data_dir: Path,
                                          s3_storage: S3Objects,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ada = users.create_user(sqlite_engine, username="ada", name="Ada", email="",
                            password_hash="h").id
    project = projects.create_project(sqlite_engine, ada, "Album")

    def broken(*_args: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(tracks, "_insert_track", broken)
    with pytest.raises(RuntimeError):
        tracks.store_upload(sqlite_engine, ada, project.id, WAV, "mix.wav",
                            AudioFacts(2.0, 48000, 2), data_dir=tmp_data_dir)
    assert list(s3_storage.list()) == []
