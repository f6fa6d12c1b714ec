"""The Analyze page with the audio in S3 (``ZZ_STORAGE_URL`` on moto's server on
127.0.0.1), through AppTest with the real pages and the in-process pool: the upload is an
object in the bucket, nothing lands in the data folder's audio folder, the player still
plays it, and the analysis stored is the one the local store gives for the same file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.helpers import analyse, engine_for, login, make_user, wav
from zz_core.judge.models import AnalysisResult
from zz_core.services import analyses, uploads
from zz_core.services.analyses import analysis_options
from zz_core.services.workspace import Workspace
from zz_core.store import analyses as analysis_store
from zz_core.store import db, projects, tracks, users
from zz_core.store.objects import LocalObjects, S3Objects


def _stored(data_dir: Path, user_id: int) -> tuple[tracks.TrackRecord, dict]:
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    [track] = tracks.list_tracks(engine, user_id, project.id)
    [row] = analysis_store.list_analyses(engine, user_id, track.id)
    return track, json.loads(row.result_json)


def test_analyze_with_the_audio_in_s3_stores_what_local_storage_stores(
        data_dir: Path, s3_storage: S3Objects, tmp_path: Path) -> None:
    ada = make_user(data_dir, "ada")
    audio = wav(-16.0, seconds=6.0)
    at = analyse(login("ada"), audio, "mix.wav")
    assert not at.exception, at.exception
    assert any(m.label == "Integrated loudness" for m in at.metric)
    track, in_s3 = _stored(data_dir, ada)
    key = tracks.audio_key(track)
    assert s3_storage.read_bytes(key) == audio
    assert not (data_dir / "audio").exists()
    assert (data_dir / "cache" / key).read_bytes() == audio  # the player streams this copy

    # the same upload kept in a local folder, through the same services
    local_dir = tmp_path / "local"
    engine = db.create_db_engine(f"sqlite:///{local_dir / 'local.db'}")
    db.upgrade_schema(engine)
    workspace = Workspace(engine, users.create_user(
        engine, username="bob", name="Bob", email="", password_hash="h").id, local_dir,
        LocalObjects(local_dir))
    stored = uploads.store_upload(workspace, workspace.create_project("Album").id, audio,
                                  "mix.wav").track
    assert workspace.audio_path(stored) == local_dir / "audio" / str(workspace.user_id) / (
        stored.stored_name)
    result = AnalysisResult.model_validate(in_s3)
    options = analysis_options(result.context, result.genre.genre, result.genre.subgenre)
    on_disk = analyses.analyse_track(workspace, stored, options).result
    assert on_disk.model_dump(mode="json") == in_s3
