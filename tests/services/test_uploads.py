"""Uploads through the service on each backend: the bytes checked as audio first, kept
under a generated name, and nothing stored for a refused upload."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.store.helpers import RATE, STORED_NAME, WAV, World, make_user, sine_wav
from zz_core.errors import AudioDecodeError, InvalidValueError, NotFoundError
from zz_core.services import uploads
from zz_core.services.workspace import Workspace
from zz_core.store import projects, tracks


def test_store_upload_keeps_the_bytes_under_a_generated_name(engine: Engine,
                                                             tmp_data_dir: Path) -> None:
    ada = make_user(engine, "ada")
    project = projects.create_project(engine, ada, "Album")
    track, audio = uploads.store_upload(Workspace(engine, ada, tmp_data_dir), project.id, WAV,
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
    assert audio.samples.shape == (2, 2 * RATE)
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
