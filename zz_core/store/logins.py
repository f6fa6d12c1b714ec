"""Sign-in state kept in the database, so that it holds across reruns, browser sessions,
server threads and restarts: failed sign-ins counted per username and per client
(``login_throttle``), and the signed-in browsers (``login_session``, by the sha256 of the
token their cookie carries).

The store only counts and remembers; the rule (how many failures lock, for how long) is
the caller's (``zz_core.services.accounts``), passed in as a function so that counting a
failure stays one atomic step on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from zz_core.store.db import session, valid_id
from zz_core.store.records import LoginSessionRecord, LoginThrottleRecord, UserRecord
from zz_core.store.tables import (
    THROTTLE_SUBJECT_MAX,
    TOKEN_SHA256_CHARS,
    LoginSession,
    LoginThrottle,
    User,
    require_user,
)
from zz_core.vocab import LOGIN_SCOPES, LoginScope

ThrottleKey = tuple[LoginScope, str]
"""(scope, subject): ``("username", "ada")`` or ``("client", "203.0.113.9")``."""

ThrottleStep = Callable[[LoginThrottleRecord], LoginThrottleRecord]
"""The rule: the counters before a failure -> the counters after it."""


def _subject(scope: str, subject: str) -> tuple[str, str]:
    if scope not in LOGIN_SCOPES:
        raise ValueError(f"unknown login throttle scope {scope!r}")
    return scope, (subject or "")[:THROTTLE_SUBJECT_MAX]


def _where(key: ThrottleKey) -> ColumnElement[bool]:
    scope, subject = _subject(*key)
    return and_(col(LoginThrottle.scope) == scope, col(LoginThrottle.subject) == subject)


# --- throttle ----------------------------------------------------------------------------


def get_throttles(engine: Engine, keys: Iterable[ThrottleKey]) -> list[LoginThrottleRecord]:
    """The counters kept for these keys (keys with no failure on record are left out)."""
    found: list[LoginThrottleRecord] = []
    with session(engine) as db:
        for key in keys:
            row = db.exec(select(LoginThrottle).where(_where(key))).first()
            if row is not None:
                found.append(LoginThrottleRecord.of(row))
    return found


def record_failure(engine: Engine, key: ThrottleKey, now: datetime,
                   step: ThrottleStep) -> LoginThrottleRecord:
    """Count one failed sign-in for ``key``: ``step`` turns the counters on record (zeros
    for a first failure) into the new ones, which are stored with ``updated_at = now``.

    Atomic: the row is written first (SQLite takes its write lock, PostgreSQL locks the
    row), so failures counted at the same moment by two server threads are both kept.
    """
    scope, subject = _subject(*key)
    with session(engine) as db:
        _insert_if_missing(db, scope, subject, now)
        row = db.exec(select(LoginThrottle).where(_where(key)).with_for_update()).one()
        after = step(LoginThrottleRecord.of(row))
        row.failures, row.locks = after.failures, after.locks
        row.locked_until, row.updated_at = after.locked_until, now
        db.add(row)
        db.commit()
        return LoginThrottleRecord.of(row)


def _insert_if_missing(db: Session, scope: str, subject: str, now: datetime) -> None:
    row = LoginThrottle(scope=scope, subject=subject, failures=0, locks=0, updated_at=now)
    dialect = db.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(LoginThrottle)
        values = {"scope": scope, "subject": subject, "failures": 0, "locks": 0,
                  "locked_until": None, "updated_at": now}
        db.exec(insert.values(values).on_conflict_do_nothing(
            index_elements=["scope", "subject"]))
        return
    if db.exec(select(LoginThrottle.id).where(
            col(LoginThrottle.scope) == scope, col(LoginThrottle.subject) == subject)).first():
        return
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:  # counted at the same moment by another thread
        pass


def clear_throttles(engine: Engine, keys: Iterable[ThrottleKey]) -> None:
    """Forget the counters of these keys (after a successful sign-in)."""
    with session(engine) as db:
        for key in keys:
            db.exec(delete(LoginThrottle).where(_where(key)))
        db.commit()


def prune_throttles(engine: Engine, idle_before: datetime, now: datetime) -> int:
    """Delete the counters whose last failure is older than ``idle_before`` and that hold
    no lock past ``now``; returns how many went."""
    with session(engine) as db:
        result = db.exec(delete(LoginThrottle).where(
            col(LoginThrottle.updated_at) < idle_before,
            (col(LoginThrottle.locked_until).is_(None))
            | (col(LoginThrottle.locked_until) <= now)))
        db.commit()
        return int(result.rowcount or 0)


# --- signed-in browsers ------------------------------------------------------------------


def _checked_sha256(token_sha256: str) -> str:
    if not (isinstance(token_sha256, str) and len(token_sha256) == TOKEN_SHA256_CHARS):
        raise ValueError("a session token digest is 64 hexadecimal characters")
    return token_sha256


def create_session(engine: Engine, user_id: int, token_sha256: str, expires_at: datetime,
                   now: datetime) -> LoginSessionRecord:
    """Remember a signed-in browser of this account until ``expires_at`` (and drop every
    session that has expired by ``now``). ``NotFoundError`` for an unknown account."""
    with session(engine) as db:
        require_user(db, user_id)
        db.exec(delete(LoginSession).where(
            col(LoginSession.expires_at) <= now))
        row = LoginSession(user_id=user_id, token_sha256=_checked_sha256(token_sha256),
                           created_at=now, expires_at=expires_at)
        db.add(row)
        db.commit()
        return LoginSessionRecord.of(row)


def session_user(engine: Engine, token_sha256: str, now: datetime) -> UserRecord | None:
    """The account signed in with this token, or None (unknown, or expired by ``now``)."""
    if not (isinstance(token_sha256, str) and len(token_sha256) == TOKEN_SHA256_CHARS):
        return None
    with session(engine) as db:
        user = db.exec(select(User).join(LoginSession).where(
            col(LoginSession.token_sha256) == token_sha256,
            col(LoginSession.expires_at) > now)).first()
        return UserRecord.of(user) if user is not None else None


def delete_session(engine: Engine, token_sha256: str) -> None:
    """Forget one signed-in browser (logging out); an unknown token is fine."""
    with session(engine) as db:
        db.exec(delete(LoginSession).where(
            col(LoginSession.token_sha256) == token_sha256))
        db.commit()


def delete_user_sessions(engine: Engine, user_id: int, *,
                         keep_token_sha256: str | None = None) -> int:
    """Sign this account out everywhere (but the browser holding ``keep_token_sha256``);
    returns how many sessions ended."""
    if not valid_id(user_id):
        return 0
    with session(engine) as db:
        condition = col(LoginSession.user_id) == user_id
        if keep_token_sha256 is not None:
            condition = condition & (col(LoginSession.token_sha256) != keep_token_sha256)
        result = db.exec(delete(LoginSession).where(condition))
        db.commit()
        return int(result.rowcount or 0)
