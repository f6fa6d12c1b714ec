"""Fixtures of the store tests: ``engine`` (each backend, migrated) and ``world``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.store.helpers import WAV, World, make_user, upload
from zz_core.judge.models import AnalysisResult
from zz_core.store import analyses, messages, projects
from zz_core.store import usage as token_usage


@pytest.fixture
def engine(db_engine: Engine) -> Engine:
    return db_engine


@pytest.fixture
def world(engine: Engine, tmp_data_dir: Path, analysis_result: AnalysisResult) -> World:
    ada, bob = make_user(engine, "ada"), make_user(engine, "bob")
    project = projects.create_project(engine, ada, "Album")
    track = upload(engine, ada, project.id, WAV, "mix.wav", "main", tmp_data_dir)
    analysis = analyses.save_analysis(engine, ada, track.id, analysis_result)
    message = messages.append_message(engine, ada, project.id, "feedback", "assistant",
                                      "Too loud.", track_id=track.id, provider="offline")
    token_usage.record_token_usage(engine, ada, provider="openai", model="gpt",
                                   stage="feedback", prompt_tokens=10, completion_tokens=5,
                                   cost_usd=0.01, project_id=project.id, track_id=track.id)
    return World(engine, tmp_data_dir, ada, bob, project, track, analysis, message)
