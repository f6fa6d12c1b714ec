"""Uploads through the service on each backend: the bytes checked as audio first, kept
under a generated name, and nothing stored for a refused upload."""

from __future__ import annotations

import errno
import hashlib
import io
import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import sqlalchemy.exc
from sqlalchemy.engine import Engine

from tests.store.helpers import RATE, STORED_NAME, WAV, World, make_user, sine_wav
from zz_core.errors import AudioDecodeError, InvalidValueError, NotFoundError
from zz_core.measure.decoding import MAX_DURATION_S, PROBE_SAMPLE_S, BlockStream
from zz_core.services import uploads
from zz_core.services.workspace import Workspace
from zz_core.store import projects, tracks
from zz_core.store.objects import LocalObjects, S3Objects


def test_store_upload_keeps_the_bytes_under_a_generated_name(engine: Engine,
                                                             tmp_data_dir: Path) -> None:
    ada = make_user(engine, "ada")
    project = projects.create_project(engine, ada, "Album")
    track, info = uploads.store_upload(Workspace(engine, ada, tmp_data_dir), project.id, WAV,
                                       "My Mix.WAV", "main")
    assert STORED_NAME.fullmatch(track.stored_name) and track.stored_name.endswith(".wav")
    path = tracks.audio_path(ada, track, tmp_data_dir)
    assert path == tmp_data_dir / "audio" / str(ada) / track.stored_name
    assert path.read_bytes() == WAV
    assert track.original_name == "My Mix.WAV"
    assert track.content_sha256 == hashlib.sha256(WAV).hexdigest()
    assert track.size_bytes == len(WAV)
    assert (track.sample_rate_hz, track.channels) == (RATE, 2)
    assert track.duration_s == pytest.approx(2.0)
    assert (info.frames, info.length_exact, info.container) == (2 * RATE, True, "WAV")
    assert tracks.get_track(engine, ada, track.id).stored_name == track.stored_name


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
    ada = make_user(engine, "ada")
    project = projects.create_project(engine, ada, "Album")
    before = set(tmp_path.rglob("*"))
    track, _ = uploads.store_upload(Workspace(engine, ada, tmp_data_dir), project.id, WAV,
                                    hostile, "main")
    assert STORED_NAME.fullmatch(track.stored_name)
    new_files = {p for p in set(tmp_path.rglob("*")) - before if p.is_file()}
    assert new_files == {tmp_data_dir / "audio" / str(ada) / track.stored_name}
    name = tracks.get_track(engine, ada, track.id).original_name
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert "\u202e" not in name and len(name) <= tracks.TRACK_NAME_MAX
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
    ada = make_user(engine, "ada")
    project = projects.create_project(engine, ada, "Album")
    with pytest.raises(AudioDecodeError):
        uploads.store_upload(Workspace(engine, ada, tmp_data_dir), project.id, data,
                             f"{label}.wav", "main")
    assert tracks.list_tracks(engine, ada, project.id) == []
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
    assert len(tracks.list_tracks(world.engine, world.ada, world.project.id)) == 1


# --- bounded checks, full disk ---------------------------------------------------------------


def long_wav(seconds: float, rate: int = 8000) -> bytes:
    """A long mono 8-bit WAV (cheap to hold: 8 kB a second)."""
    buffer = io.BytesIO()
    quiet = (0.1 * np.sin(np.arange(round(seconds * rate)) * 0.05)).astype(np.float32)
    sf.write(buffer, quiet, rate, format="WAV", subtype="PCM_U8")
    return buffer.getvalue()


def claiming(data: bytes, seconds: float) -> bytes:
    """The WAV with its RIFF and data sizes rewritten to announce ``seconds`` of audio."""
    rate, block = struct.unpack_from("<I", data, 24)[0], struct.unpack_from("<H", data, 32)[0]
    start = data.index(b"data") + 8
    size = round(seconds * rate) * block
    return (data[:4] + struct.pack("<I", start - 8 + size) + data[8:start - 4]
            + struct.pack("<I", size) + data[start:])


def test_a_long_upload_is_checked_from_its_header_and_first_seconds(
        engine: Engine, tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ada = make_user(engine, "ada")
    project = projects.create_project(engine, ada, "Album")
    data = long_wav(3600.0)  # one hour: 28.8 MB
    decoded = []
    original = BlockStream.next_interleaved

    def counting(self: BlockStream) -> object:
        block = original(self)
        decoded.append(0 if block is None else len(block))
        return block

    monkeypatch.setattr(BlockStream, "next_interleaved", counting)
    tracemalloc.start()
    began = time.perf_counter()
    try:
        track, info = uploads.store_upload(Workspace(engine, ada, tmp_data_dir), project.id,
                                           data, "long.wav")
        elapsed = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.duration_s == pytest.approx(3600.0) and track.duration_s == pytest.approx(3600)
    assert sum(decoded) <= (PROBE_SAMPLE_S + 5) * 8000  # seconds, not the hour
    assert peak < len(data) + 8 * 1024**2  # the stored copy's write, not a decoded hour
    assert elapsed < 10.0


def test_an_upload_over_the_longest_duration_is_refused_from_its_header(
        engine: Engine, tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ada = make_user(engine, "ada")
    project = projects.create_project(engine, ada, "Album")
    decoded = []
    monkeypatch.setattr(BlockStream, "next_interleaved",
                        lambda self: decoded.append(1))  # must never be reached
    with pytest.raises(AudioDecodeError, match="longer than 3 h"):
        uploads.store_upload(Workspace(engine, ada, tmp_data_dir), project.id,
                             claiming(long_wav(2.0), MAX_DURATION_S + 60), "four-hours.wav")
    assert decoded == []
    assert tracks.list_tracks(engine, ada, project.id) == []


def test_a_full_disk_while_storing_leaves_nothing(engine: Engine, tmp_data_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC injected at the write (tests/services/test_jobs.py fills a real tmpfs)."""
    ada = make_user(engine, "ada")
    project = projects.create_project(engine, ada, "Album")
    original = tracks.os.fdopen

    class FullDisk:
        def __init__(self, handle: object) -> None:
            self.handle = handle

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *_exc: object) -> None:
            self.handle.close()  # type: ignore[attr-defined]

        def write(self, data: bytes) -> int:
            self.handle.write(data[:1000])  # type: ignore[attr-defined]
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tracks.os, "fdopen", lambda *a, **k: FullDisk(original(*a, **k)))
    with pytest.raises(uploads.StorageFullError, match="disk is full"):
        uploads.store_upload(Workspace(engine, ada, tmp_data_dir), project.id, WAV, "mix.wav")
    assert tracks.list_tracks(engine, ada, project.id) == []
    assert not any(p.is_file() for p in (tmp_data_dir / "audio").rglob("*"))


def test_disk_full_errors_are_recognised() -> None:
    assert uploads.is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert uploads.is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert uploads.is_disk_full(sqlalchemy.exc.OperationalError(
        "INSERT", {}, Exception("database or disk is full")))
    assert not uploads.is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not uploads.is_disk_full(ValueError("full of beans"))


def test_an_upload_kept_in_s3_is_analysed_like_a_local_one(sqlite_engine: Engine,
                                                          tmp_path: Path,
                                                          s3_storage: S3Objects) -> None:
    """``ZZ_STORAGE_URL`` on a bucket (moto on 127.0.0.1): the upload is an object, the
    analysis reads it by key (streamed to a temporary file), and stores the same analysis,
    figure for figure, as the local store does."""
    from zz_core.services import analyses

    ada = make_user(sqlite_engine, "ada")
    remote = Workspace(sqlite_engine, ada, tmp_path / "remote")  # the configured bucket
    local = Workspace(sqlite_engine, ada, tmp_path / "local", LocalObjects(tmp_path / "local"))
    assert remote.objects == s3_storage
    data = sine_wav(3.0)
    results, stored = [], []
    for workspace in (remote, local):
        project = workspace.create_project("Album").id
        track = uploads.store_upload(workspace, project, data, "mix.wav").track
        assert workspace.audio_key(track) == f"audio/{ada}/{track.stored_name}"
        options = analyses.analysis_options("mixdown", "electronic")
        done = analyses.analyse_track(workspace, track, options)
        assert not done.reused if workspace is remote else done.reused  # same content
        assert analyses.latest_analysis(workspace, track.id) == done.result
        results.append(done.result)
        stored.append(track)
    assert s3_storage.read_bytes(f"audio/{ada}/{stored[0].stored_name}") == data
    assert not (tmp_path / "remote" / "audio").exists()
    fresh = Workspace(sqlite_engine, make_user(sqlite_engine, "bob"), tmp_path / "local",
                      LocalObjects(tmp_path / "local"))
    project = fresh.create_project("Album").id
    track = uploads.store_upload(fresh, project, data, "mix.wav").track
    by_local = analyses.analyse_track(fresh, track, analyses.analysis_options(
        "mixdown", "electronic"))
    assert not by_local.reused
    assert by_local.result.model_dump() == results[0].model_dump()
