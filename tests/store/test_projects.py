"""Projects on each backend: create, list, rename, names checked, cascading delete."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.store.helpers import World, make_user
from zz_core.errors import InvalidValueError, NotFoundError
from zz_core.judge.models import AnalysisResult
from zz_core.store import analyses, messages, projects, tables, tracks
from zz_core.store import usage as token_usage


def test_projects_create_list_rename(engine: Engine) -> None:
    ada = make_user(engine, "ada")
    first = projects.create_project(engine, ada, "  First  ")
    second = projects.create_project(engine, ada, "Second")
    assert first.name == "First"
    assert [p.id for p in projects.list_projects(engine, ada)] == [second.id, first.id]
    renamed = projects.rename_project(engine, ada, first.id, " EP 2 ")
    assert renamed.name == "EP 2"
    assert projects.get_project(engine, ada, first.id).name == "EP 2"
    assert renamed.updated_at >= renamed.created_at


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "\x00\x01"])
def test_project_names_are_validated(engine: Engine, name: str) -> None:
    ada = make_user(engine, "ada")
    with pytest.raises(InvalidValueError):
        projects.create_project(engine, ada, name)
    project = projects.create_project(engine, ada, "ok")
    with pytest.raises(InvalidValueError):
        projects.rename_project(engine, ada, project.id, name)
    assert projects.get_project(engine, ada, project.id).name == "ok"
    assert projects.create_project(engine, ada, "y" * 100).name == "y" * 100


def test_creating_a_project_for_a_missing_user_fails_cleanly(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        projects.create_project(engine, 12345, "ghost")


def test_deleting_a_project_cascades_and_spares_the_rest(world: World,
                                                         analysis_result: AnalysisResult) -> None:
    engine, ada = world.engine, world.ada
    other = projects.create_project(engine, ada, "Other")
    kept = world.upload(ada, other.id)  # the same content in another project
    analyses.save_analysis(engine, ada, kept.id, analysis_result)
    messages.append_message(engine, ada, other.id, "summary", "assistant", "Fine.")
    messages.append_message(engine, ada, world.project.id, "docs", "user", "project-level")
    kept_path = tracks.audio_path(ada, kept, world.data_dir)
    doomed_path = tracks.audio_path(ada, world.track, world.data_dir)
    assert kept_path is not None and doomed_path is not None

    projects.delete_project(engine, ada, world.project.id, world.data_dir)

    with pytest.raises(NotFoundError):
        projects.get_project(engine, ada, world.project.id)
    with pytest.raises(NotFoundError):
        tracks.get_track(engine, ada, world.track.id)
    with pytest.raises(NotFoundError):
        analyses.get_analysis(engine, ada, world.analysis.id)
    assert not doomed_path.exists() and kept_path.is_file()
    assert [p.id for p in projects.list_projects(engine, ada)] == [other.id]
    assert [t.id for t in tracks.list_tracks(engine, ada, other.id)] == [kept.id]
    assert analyses.latest_analysis(engine, ada, kept.id) == analysis_result
    assert [m.content for m in messages.list_project_messages(engine, ada, other.id)] == ["Fine."]
    with Session(engine) as session:
        assert session.get(tables.Analysis, world.analysis.id) is None
        assert session.get(tables.ChatMessage, world.message.id) is None
    [usage] = token_usage.list_token_usage(engine, ada)
    assert (usage.project_id, usage.track_id, usage.cost_usd) == (None, None, 0.01)
