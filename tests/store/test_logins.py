"""Sign-in state on each backend: failed-sign-in counters (atomic under concurrent
failures), and the signed-in browsers."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.store.helpers import make_user
from zz_core.errors import NotFoundError
from zz_core.store import logins, users
from zz_core.store.records import LoginThrottleRecord

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def count(before: LoginThrottleRecord) -> LoginThrottleRecord:
    """A rule that only counts (and locks for a minute at the third failure)."""
    failures = before.failures + 1
    locked = T0 + timedelta(minutes=1) if failures == 3 else before.locked_until
    return before.model_copy(update={"failures": failures, "locked_until": locked})


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_failures_are_counted_per_scope_and_subject(engine: Engine) -> None:
    assert logins.get_throttles(engine, [("username", "ada")]) == []
    first = logins.record_failure(engine, ("username", "ada"), T0, count)
    assert (first.scope, first.subject, first.failures, first.locks) == ("username", "ada", 1, 0)
    assert first.locked_until is None and first.updated_at == T0
    logins.record_failure(engine, ("username", "ada"), T0 + timedelta(seconds=1), count)
    third = logins.record_failure(engine, ("username", "ada"), T0 + timedelta(seconds=2), count)
    assert third.failures == 3 and third.locked_until == T0 + timedelta(minutes=1)
    logins.record_failure(engine, ("client", "ada"), T0, count)  # same subject, other scope
    found = {(r.scope, r.failures) for r in logins.get_throttles(
        engine, [("username", "ada"), ("client", "ada"), ("client", "203.0.113.9")])}
    assert found == {("username", 3), ("client", 1)}

    logins.clear_throttles(engine, [("username", "ada")])
    assert [r.scope for r in logins.get_throttles(
        engine, [("username", "ada"), ("client", "ada")])] == ["client"]


def test_a_long_subject_is_cut_and_an_unknown_scope_refused(engine: Engine) -> None:
    long = "x" * 5000
    record = logins.record_failure(engine, ("username", long), T0, count)
    assert len(record.subject) == 200
    assert logins.get_throttles(engine, [("username", long)])[0].failures == 1
    with pytest.raises(ValueError):
        logins.record_failure(engine, ("device", "x"), T0, count)  # type: ignore[arg-type]


def test_failures_counted_at_the_same_moment_are_all_kept(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: logins.record_failure(engine, ("username", "ada"), T0, count),
                      range(24)))
    [record] = logins.get_throttles(engine, [("username", "ada")])
    assert record.failures == 24


def test_pruning_keeps_recent_and_locked_counters(engine: Engine) -> None:
    logins.record_failure(engine, ("client", "old"), T0, count)
    for _ in range(3):  # locked until T0 + 1 min
        logins.record_failure(engine, ("client", "locked"), T0, count)
    logins.record_failure(engine, ("client", "recent"), T0 + timedelta(hours=2), count)
    keys: list[logins.ThrottleKey] = [("client", "old"), ("client", "locked"),
                                      ("client", "recent")]
    assert logins.prune_throttles(engine, T0 + timedelta(hours=1), T0 + timedelta(seconds=30)) == 1
    assert {r.subject for r in logins.get_throttles(engine, keys)} == {"locked", "recent"}
    assert logins.prune_throttles(engine, T0 + timedelta(hours=1), T0 + timedelta(minutes=2)) == 1
    assert {r.subject for r in logins.get_throttles(engine, keys)} == {"recent"}


def test_signed_in_browsers(engine: Engine) -> None:
    ada, bob = make_user(engine, "ada"), make_user(engine, "bob")
    record = logins.create_session(engine, ada, digest("a1"), T0 + timedelta(days=30), T0)
    assert (record.user_id, record.expires_at) == (ada, T0 + timedelta(days=30))
    logins.create_session(engine, ada, digest("a2"), T0 + timedelta(days=30), T0)
    logins.create_session(engine, bob, digest("b1"), T0 + timedelta(hours=1), T0)
    found = logins.session_user(engine, digest("a1"), T0 + timedelta(days=29))
    assert found == users.get_user(engine, ada)
    assert logins.session_user(engine, digest("a1"), T0 + timedelta(days=30)) is None  # expired
    assert logins.session_user(engine, digest("nope"), T0) is None
    assert logins.session_user(engine, "not a digest", T0) is None

    logins.delete_session(engine, digest("a1"))
    assert logins.session_user(engine, digest("a1"), T0) is None
    assert logins.session_user(engine, digest("a2"), T0) is not None
    logins.delete_session(engine, digest("a1"))  # again: fine

    assert logins.delete_user_sessions(engine, ada, keep_token_sha256=digest("a2")) == 0
    logins.create_session(engine, ada, digest("a3"), T0 + timedelta(days=30), T0)
    assert logins.delete_user_sessions(engine, ada, keep_token_sha256=digest("a2")) == 1
    assert logins.session_user(engine, digest("a2"), T0) is not None
    assert logins.delete_user_sessions(engine, ada) == 1
    assert logins.session_user(engine, digest("b1"), T0) is not None  # Bob's is untouched

    # a new session drops the expired ones
    logins.create_session(engine, ada, digest("a4"), T0 + timedelta(days=30),
                          T0 + timedelta(hours=2))
    assert logins.session_user(engine, digest("b1"), T0) is None
    with pytest.raises(NotFoundError):
        logins.create_session(engine, 10**6, digest("x"), T0 + timedelta(days=1), T0)
    with pytest.raises(ValueError):
        logins.create_session(engine, ada, "short", T0 + timedelta(days=1), T0)
