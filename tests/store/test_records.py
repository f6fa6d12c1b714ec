"""What the store hands out: frozen records with plain ``int`` ids, never ORM rows."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import SQLModel

from tests.store.helpers import World
from zz_core.store import analyses, messages, projects, tracks, users
from zz_core.store import usage as token_usage
from zz_core.store.records import (
    AnalysisRecord,
    MessageRecord,
    ProjectRecord,
    Record,
    TrackRecord,
    UsageRecord,
    UserRecord,
)


def test_every_function_returns_records_not_rows(world: World) -> None:
    e, ada, pid, tid = world.engine, world.ada, world.project.id, world.track.id
    returned: list[tuple[object, type[Record]]] = [
        (users.get_user(e, ada), UserRecord),
        (users.get_user_by_username(e, "ada"), UserRecord),
        (users.list_users(e)[0], UserRecord),
        (projects.get_project(e, ada, pid), ProjectRecord),
        (projects.list_projects(e, ada)[0], ProjectRecord),
        (projects.rename_project(e, ada, pid, "Renamed"), ProjectRecord),
        (tracks.get_track(e, ada, tid), TrackRecord),
        (tracks.list_tracks(e, ada, pid)[0], TrackRecord),
        (tracks.find_tracks_by_sha256(e, ada, world.track.content_sha256)[0], TrackRecord),
        (tracks.rename_track(e, ada, tid, "Renamed"), TrackRecord),
        (analyses.get_analysis(e, ada, world.analysis.id), AnalysisRecord),
        (analyses.list_analyses(e, ada, tid)[0], AnalysisRecord),
        (messages.list_thread(e, ada, tid)[0], MessageRecord),
        (messages.list_project_messages(e, ada, pid)[0], MessageRecord),
        (token_usage.list_token_usage(e, ada)[0], UsageRecord),
        (world.project, ProjectRecord), (world.track, TrackRecord),
        (world.analysis, AnalysisRecord), (world.message, MessageRecord),
    ]
    for value, kind in returned:
        assert type(value) is kind and not isinstance(value, SQLModel)
        assert isinstance(value, Record)
        assert isinstance(value.id, int) and value.id > 0


def test_records_are_frozen(world: World) -> None:
    with pytest.raises(ValidationError):
        world.track.original_name = "changed"
    assert tracks.get_track(world.engine, world.ada, world.track.id).original_name == "mix.wav"


def test_a_record_needs_an_id() -> None:
    with pytest.raises(ValidationError):
        ProjectRecord.model_validate({"id": None, "user_id": 1, "name": "x",
                                      "created_at": "2026-01-01T00:00:00+00:00",
                                      "updated_at": "2026-01-01T00:00:00+00:00"})
