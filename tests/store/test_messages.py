"""Conversations on each backend: threads, kinds and roles checked."""

from __future__ import annotations

import pytest

from tests.store.helpers import World
from zz_core.errors import InvalidValueError, NotFoundError
from zz_core.store import messages, projects


def test_chat_threads(world: World) -> None:
    engine, ada, pid, tid = world.engine, world.ada, world.project.id, world.track.id
    messages.append_message(engine, ada, pid, "follow_up", "user", "Why?", track_id=tid)
    messages.append_message(engine, ada, pid, "follow_up", "assistant", "Because\x00.",
                            track_id=tid, provider="groq", model="llama")
    messages.append_message(engine, ada, pid, "comparison", "assistant", "Cohesive.")
    thread = messages.list_thread(engine, ada, tid)
    assert [m.content for m in thread] == ["Too loud.", "Why?", "Because."]
    assert [m.role for m in thread] == ["assistant", "user", "assistant"]
    assert (thread[2].provider, thread[2].model) == ("groq", "llama")
    follow_ups = messages.list_thread(engine, ada, tid, kinds={"follow_up"})
    assert [m.content for m in follow_ups] == ["Why?", "Because."]
    assert len(messages.list_project_messages(engine, ada, pid)) == 4
    messages.delete_message(engine, ada, thread[1].id)
    assert len(messages.list_thread(engine, ada, tid)) == 2


def test_chat_validation(world: World) -> None:
    engine, ada, pid, tid = world.engine, world.ada, world.project.id, world.track.id
    with pytest.raises(InvalidValueError):
        messages.append_message(engine, ada, pid, "gossip", "user", "x")
    with pytest.raises(InvalidValueError):
        messages.append_message(engine, ada, pid, "feedback", "robot", "x")
    other = projects.create_project(engine, ada, "Other")
    with pytest.raises(NotFoundError):  # the track is not in that project
        messages.append_message(engine, ada, other.id, "feedback", "user", "x", track_id=tid)
    assert len(messages.list_project_messages(engine, ada, pid)) == 1
