"""Accounts: registering, signing in (with the login throttle), changing a password, and
the signed-in browsers that let a reload or a browser restart keep someone signed in.

Passwords are kept as bcrypt hashes (cost 12); usernames are compared stripped and
lower-case. The throttle is kept in the database (``zz_core.store.logins``), never in a
browser session: after ``max_failures`` wrong passwords for one username (or
``client_max_failures`` from one client) sign-ins are refused, without looking at the
password, for ``lock_s`` seconds, doubling with each further round up to ``max_lock_s``;
a success clears both counters. A signed-in browser holds ``<token>.<signature>`` in its
cookie: a random 256-bit token, HMAC-SHA256-signed with the cookie key; the database keeps
only the token's sha256, so logging out (deleting the row) ends the session for good.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy.engine import Engine

from zz_core.config import Settings
from zz_core.errors import (
    AlreadyExistsError,
    InvalidValueError,
    SignInError,
    SignInLockedError,
)
from zz_core.fmt import figure
from zz_core.store import logins, users
from zz_core.store.db import utcnow
from zz_core.store.logins import ThrottleKey
from zz_core.store.records import LoginThrottleRecord, UserRecord
from zz_core.vocab import LoginScope

__all__ = ["Accounts", "LoginPolicy", "UserRecord", "hash_password", "verify_password"]

BCRYPT_ROUNDS = 12
BCRYPT_MAX_BYTES = 72
"""bcrypt reads at most 72 bytes of a password; longer ones are refused, never cut."""
PASSWORD_MIN_CHARS = 8
SESSION_TOKEN_BYTES = 32
WRONG_CREDENTIALS = "Username or password is incorrect."
_LOCKED = {"username": "Too many attempts for this account: try again in {wait}.",
           "client": "Too many attempts from this address: try again in {wait}."}
_NAME = re.compile(r"^[A-Za-z\u00C0-\u024F\u0370-\u1FFF\u2C00-\uD7FF\u4E00-\u9FFF' .-]{2,100}$")
_EMAIL = re.compile(r"^[a-zA-Z0-9._%+-]{1,254}@[a-zA-Z0-9.-]{1,253}\.[a-zA-Z]{2,63}$")
_USERNAME = re.compile(r"^([a-zA-Z0-9_-]{1,20}|[a-zA-Z0-9._%+-]{1,254}@[a-zA-Z0-9.-]{1,253}"
                       r"\.[a-zA-Z]{2,63})$")
_PASSWORD_CLASSES = (
    (re.compile(r"[a-z]"), "a lower-case letter"),
    (re.compile(r"[A-Z]"), "an upper-case letter"),
    (re.compile(r"\d"), "a digit"),
    (re.compile(r"[^A-Za-z0-9\s]"), "a special character such as @$!%*?&"),
)


# --- passwords ---------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """A bcrypt hash (``$2b$12$...``) of ``password`` (``InvalidValueError`` past 72 bytes)."""
    encoded = password.encode("utf-8")
    if len(encoded) > BCRYPT_MAX_BYTES:
        raise InvalidValueError(f"the password must be at most {BCRYPT_MAX_BYTES} bytes long")
    return bcrypt.hashpw(encoded, bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """True when ``password`` matches the bcrypt hash (False for an unusable hash)."""
    encoded = (password or "").encode("utf-8")
    if len(encoded) > BCRYPT_MAX_BYTES:
        return False
    try:
        return bool(bcrypt.checkpw(encoded, password_hash.encode("ascii")))
    except (ValueError, UnicodeEncodeError):
        return False


@functools.cache
def _stand_in_hash() -> str:
    """Checked when the username is unknown, so a wrong username takes as long as a wrong
    password and the answer does not tell which accounts exist."""
    return hash_password(secrets.token_urlsafe(16))


def password_problem(password: str, repeat: str | None = None) -> str | None:
    """Why a new password cannot be used (a sentence), or None."""
    if repeat is not None and password != repeat:
        return "Passwords do not match."
    missing = [label for pattern, label in _PASSWORD_CLASSES if not pattern.search(password)]
    size = len(password.encode("utf-8"))
    if len(password) < PASSWORD_MIN_CHARS or size > BCRYPT_MAX_BYTES or missing:
        needs = [f"{PASSWORD_MIN_CHARS} to {BCRYPT_MAX_BYTES} characters", *missing]
        return "The password needs " + ", ".join(needs) + "."
    return None


# --- the throttle rule -------------------------------------------------------------------


@dataclass(frozen=True)
class LoginPolicy:
    """When failed sign-ins lock (settings ``auth.login_*``): ``max_failures`` for one
    username or ``client_max_failures`` from one client lock them for ``lock_s`` seconds;
    each further round of failures doubles the lock, up to ``max_lock_s``. Counters with
    no failure for ``forget_s`` seconds start afresh; a successful sign-in clears them."""

    max_failures: int = 5
    client_max_failures: int = 20
    lock_s: float = 30.0
    max_lock_s: float = 900.0
    forget_s: float = 86400.0

    @classmethod
    def of(cls, settings: Settings) -> LoginPolicy:
        """The policy configured in ``settings``."""
        return cls(max_failures=int(settings.login_max_failures),
                   client_max_failures=int(settings.login_client_max_failures),
                   lock_s=settings.login_lock_s, max_lock_s=settings.login_lock_max_s)

    def limit(self, scope: LoginScope) -> int:
        """How many failures in a row lock ``scope``."""
        return max(1, self.max_failures if scope == "username" else self.client_max_failures)

    def lock_seconds(self, locks: int) -> float:
        """The length of the ``locks``-th lock in a row: ``lock_s``, doubling, capped."""
        return min(self.lock_s * 2.0 ** min(max(locks - 1, 0), 40), self.max_lock_s)

    def after_failure(self, before: LoginThrottleRecord, now: datetime) -> LoginThrottleRecord:
        """The counters after one more failure: a lock once the limit is reached."""
        failures, locks, locked_until = before.failures, before.locks, before.locked_until
        idle = before.updated_at <= now - timedelta(seconds=self.forget_s)
        if idle and (locked_until is None or locked_until <= now):
            failures, locks = 0, 0
        failures += 1
        if failures >= self.limit(before.scope):
            locks += 1
            failures = 0
            locked_until = now + timedelta(seconds=self.lock_seconds(locks))
        return before.model_copy(update={"failures": failures, "locks": locks,
                                         "locked_until": locked_until, "updated_at": now})


def wait_text(seconds: float) -> str:
    """How long to wait, for people: "30 s" under a minute, else whole minutes ("2 min")."""
    whole = max(1, math.ceil(seconds))
    return figure(whole, "s") if whole < 60 else figure(math.ceil(whole / 60), "min")


def _lock_left(records: list[LoginThrottleRecord],
               now: datetime) -> tuple[LoginScope, float] | None:
    """The longest lock still running among ``records``: (scope, seconds left)."""
    running = [(record.scope, (record.locked_until - now).total_seconds())
               for record in records
               if record.locked_until is not None and record.locked_until > now]
    return max(running, key=lambda item: item[1]) if running else None


def _locked_error(scope: LoginScope, seconds: float, prefix: str = "") -> SignInLockedError:
    message = _LOCKED[scope].format(wait=wait_text(seconds))
    return SignInLockedError(f"{prefix} {message}".strip(), retry_after_s=seconds)


# --- session tokens ----------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _signature(secret: str, token: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), token.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def _token_of(secret: str, cookie_value: str | None) -> str | None:
    """The token inside a cookie value whose signature holds, else None."""
    token, _, signature = (cookie_value or "").strip().partition(".")
    if not token or not signature or not token.isascii() or not signature.isascii():
        return None
    return token if hmac.compare_digest(signature, _signature(secret, token)) else None


# --- the service -------------------------------------------------------------------------


@dataclass(frozen=True)
class Accounts:
    """The accounts kept in the database. ``secret`` signs the session cookies (the cookie
    key), ``session_days`` is how long a sign-in lasts (0: a day on the server, and the
    browser forgets it when it closes), ``policy`` the login throttle."""

    engine: Engine
    secret: str = ""
    session_days: float = 30.0
    policy: LoginPolicy = field(default_factory=LoginPolicy)

    # accounts

    def user(self, username: str) -> UserRecord | None:
        """The account with this username, or None."""
        return users.get_user_by_username(self.engine, username)

    def count(self) -> int:
        """How many accounts exist."""
        return users.count_users(self.engine)

    def add_user(self, username: str, name: str, email: str, password_hash: str) -> None:
        """Add an account with a ready bcrypt hash (``AlreadyExistsError`` when taken)."""
        users.create_user(self.engine, username=username, name=name, email=email,
                          password_hash=password_hash)

    def set_password(self, username: str, password_hash: str) -> None:
        """Replace an account's password hash (``NotFoundError`` for an unknown username)."""
        users.set_password_hash(self.engine, username, password_hash)

    def register(self, first_name: str, last_name: str, email: str, username: str,
                 password: str, repeat: str) -> UserRecord:
        """Create an account after checking every field (``InvalidValueError`` with the
        reason; ``AlreadyExistsError`` for a username or email in use)."""
        first, last = first_name.strip(), last_name.strip()
        for value, what in ((first, "First name"), (last, "Last name")):
            if not _NAME.match(value):
                raise InvalidValueError(f"{what} is not valid.")
        if not _EMAIL.match(email.strip()):
            raise InvalidValueError("Email is not valid.")
        if not _USERNAME.match(username.strip()):
            raise InvalidValueError("Username is not valid: up to 20 letters, digits, _ or "
                                    "-, or an email address.")
        problem = password_problem(password, repeat)
        if problem:
            raise InvalidValueError(problem)
        if users.email_taken(self.engine, email.strip()):
            raise AlreadyExistsError("This email is already in use.")
        try:
            return users.create_user(self.engine, username=username, name=f"{first} {last}",
                                     email=email.strip(), password_hash=hash_password(password))
        except AlreadyExistsError:
            raise AlreadyExistsError("This username is already taken.") from None

    # signing in

    def _keys(self, username: str, client: str | None) -> list[ThrottleKey]:
        keys: list[ThrottleKey] = []
        name = users.normalise_username(username)
        if name:
            keys.append(("username", name))
        if client:
            keys.append(("client", client.strip()))
        return keys

    def lock(self, username: str, client: str | None = None,
             now: datetime | None = None) -> SignInLockedError | None:
        """The refusal a sign-in for ``username`` from ``client`` would get now, if locked."""
        when = now or utcnow()
        running = _lock_left(logins.get_throttles(self.engine, self._keys(username, client)),
                             when)
        return _locked_error(*running) if running else None

    def sign_in(self, username: str, password: str, client: str | None = None,
                now: datetime | None = None) -> UserRecord:
        """The account, when the password is right and neither the username nor the
        client is locked. ``SignInLockedError`` while locked (the password is not even
        checked), ``SignInError`` for a wrong username or password (counted)."""
        when = now or utcnow()
        keys = self._keys(username, client)
        locked = self.lock(username, client, when)
        if locked is not None:
            raise locked
        found = users.get_user_by_username(self.engine, username) if keys else None
        right = verify_password(password, found.password_hash if found else _stand_in_hash())
        if found is not None and right:
            logins.clear_throttles(self.engine, keys)
            return found
        running = _lock_left(self._count_failure(keys, when), when)
        if running is not None:
            raise _locked_error(*running, prefix=WRONG_CREDENTIALS)
        raise SignInError(WRONG_CREDENTIALS)

    def _count_failure(self, keys: list[ThrottleKey],
                       now: datetime) -> list[LoginThrottleRecord]:
        """Count one failure for each key (and drop counters idle for ``forget_s``)."""
        after = [logins.record_failure(self.engine, key, now,
                                       lambda before: self.policy.after_failure(before, now))
                 for key in keys]
        logins.prune_throttles(self.engine, now - timedelta(seconds=self.policy.forget_s), now)
        return after

    def change_password(self, username: str, current: str, new: str, repeat: str,
                        client: str | None = None, keep_session: str | None = None,
                        now: datetime | None = None) -> None:
        """Replace a password after checking the current one (throttled like a sign-in);
        every other browser signed in to the account is signed out."""
        problem = password_problem(new, repeat)
        if problem:
            raise InvalidValueError(problem)
        account = self.sign_in(username, current, client, now)
        users.set_password_hash(self.engine, account.username, hash_password(new))
        token = _token_of(self.secret, keep_session)
        logins.delete_user_sessions(self.engine, account.id,
                                    keep_token_sha256=_digest(token) if token else None)

    # signed-in browsers

    def start_session(self, user_id: int, now: datetime | None = None) -> str:
        """Remember a newly signed-in browser; returns the value for its cookie."""
        when = now or utcnow()
        token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
        days = self.session_days if self.session_days > 0 else 1.0
        logins.create_session(self.engine, user_id, _digest(token),
                              when + timedelta(days=days), when)
        return f"{token}.{_signature(self.secret, token)}"

    def resume(self, cookie_value: str | None, now: datetime | None = None) -> UserRecord | None:
        """The account a cookie value is signed in to, or None (forged, expired, logged
        out, or the account is gone)."""
        token = _token_of(self.secret, cookie_value)
        if token is None:
            return None
        return logins.session_user(self.engine, _digest(token), now or utcnow())

    def end_session(self, cookie_value: str | None) -> None:
        """Log a browser out: its cookie value no longer signs anyone in."""
        token = _token_of(self.secret, cookie_value)
        if token is not None:
            logins.delete_session(self.engine, _digest(token))
