"""User isolation on each backend: another user's object behaves exactly like a missing
one, through every store function."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.store.helpers import WAV, World, sine_wav
from zz_core.errors import NotFoundError
from zz_core.services import uploads
from zz_core.services.workspace import Workspace
from zz_core.store import analyses, messages, projects, tracks
from zz_core.store import usage as token_usage
from zz_core.store.tracks import AudioFacts


def _attempts(w: World) -> dict[str, Callable[[], object]]:
    """Every way Bob could reach Ada's data through the repository functions."""
    e, bob, pid, tid = w.engine, w.bob, w.project.id, w.track.id
    bobs_project = projects.create_project(e, bob, "Bob's")
    bobs_track = w.upload(bob, bobs_project.id, sine_wav(freq_hz=550.0))
    return {
        "get_project": lambda: projects.get_project(e, bob, pid),
        "rename_project": lambda: projects.rename_project(e, bob, pid, "pwned"),
        "delete_project": lambda: projects.delete_project(e, bob, pid, w.data_dir),
        "list_tracks": lambda: tracks.list_tracks(e, bob, pid),
        "store_upload": lambda: w.upload(bob, pid),
        "store_upload_in_store": lambda: tracks.store_upload(
            e, bob, pid, WAV, "x.wav", AudioFacts(2.0, 48000, 2), "main", w.data_dir),
        "check_upload": lambda: tracks.check_upload(e, bob, pid, len(WAV)),
        "get_track": lambda: tracks.get_track(e, bob, tid),
        "rename_track": lambda: tracks.rename_track(e, bob, tid, "pwned"),
        "move_track_out": lambda: tracks.move_track(e, bob, tid, bobs_project.id),
        "move_track_in": lambda: tracks.move_track(e, bob, bobs_track.id, pid),
        "delete_track": lambda: tracks.delete_track(e, bob, tid, w.data_dir),
        "reference_of": lambda: uploads.store_upload(
            Workspace(e, bob, w.data_dir), bobs_project.id, WAV, "r.wav", "reference",
            reference_of=tid),
        "get_analysis": lambda: analyses.get_analysis(e, bob, w.analysis.id),
        "load_analysis": lambda: analyses.load_analysis(e, bob, w.analysis.id),
        "list_analyses": lambda: analyses.list_analyses(e, bob, tid),
        "latest_analysis": lambda: analyses.latest_analysis(e, bob, tid),
        "save_analysis": lambda: analyses.save_analysis(
            e, bob, tid, analyses.load_analysis(e, w.ada, w.analysis.id)),
        "append_to_project": lambda: messages.append_message(e, bob, pid, "feedback", "user", "x"),
        "append_to_track": lambda: messages.append_message(
            e, bob, bobs_project.id, "feedback", "user", "x", track_id=tid),
        "list_thread": lambda: messages.list_thread(e, bob, tid),
        "list_project_messages": lambda: messages.list_project_messages(e, bob, pid),
        "delete_message": lambda: messages.delete_message(e, bob, w.message.id),
        "usage_on_project": lambda: token_usage.record_token_usage(
            e, bob, provider="p", model="m", stage="s", prompt_tokens=1, completion_tokens=1,
            cost_usd=0.0, project_id=pid),
        "usage_on_track": lambda: token_usage.record_token_usage(
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
    assert projects.get_project(engine, ada, world.project.id).name == "Album"
    track = tracks.get_track(engine, ada, world.track.id)
    assert (track.original_name, track.project_id) == ("mix.wav", world.project.id)
    assert analyses.latest_analysis(engine, ada, world.track.id) is not None
    assert len(messages.list_thread(engine, ada, world.track.id)) == 1
    assert len(token_usage.list_token_usage(engine, ada)) == 1
    assert token_usage.list_token_usage(engine, world.bob) == []


def test_another_users_object_looks_exactly_like_a_missing_one(world: World) -> None:
    e, bob = world.engine, world.bob
    calls: list[tuple[Callable[[int | None], object], int | None]] = [
        (lambda i: projects.get_project(e, bob, i), world.project.id),
        (lambda i: tracks.get_track(e, bob, i), world.track.id),
        (lambda i: analyses.get_analysis(e, bob, i), world.analysis.id),
        (lambda i: messages.delete_message(e, bob, i), world.message.id),
    ]
    for call, adas_id in calls:
        with pytest.raises(NotFoundError) as theirs:
            call(adas_id)
        with pytest.raises(NotFoundError) as missing:
            call(999_999)
        assert str(theirs.value) == str(missing.value)


def test_lists_never_show_another_users_data(world: World) -> None:
    engine, bob = world.engine, world.bob
    assert projects.list_projects(engine, bob) == []
    assert tracks.find_tracks_by_sha256(engine, bob, world.track.content_sha256) == []
    assert token_usage.list_token_usage(engine, bob, archived=None) == []
    assert token_usage.archive_token_usage(engine, bob) == 0
    assert token_usage.list_token_usage(engine, world.ada)[0].archived is False


@pytest.mark.parametrize("bad_id", [0, -1, 2**40, 2**63, None, True, "1"])
def test_odd_ids_are_simply_not_found(world: World, bad_id: object) -> None:
    for call in (
        lambda: projects.get_project(world.engine, world.ada, bad_id),  # type: ignore[arg-type]
        lambda: tracks.get_track(world.engine, world.ada, bad_id),  # type: ignore[arg-type]
        lambda: tracks.get_track(world.engine, bad_id, world.track.id),  # type: ignore[arg-type]
        lambda: tracks.delete_track(world.engine, world.ada, bad_id),  # type: ignore[arg-type]
    ):
        with pytest.raises(NotFoundError):
            call()
