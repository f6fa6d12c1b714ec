"""Accounts: usernames are stored stripped and lower-case, and compared that way."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select, update

from zz_core.errors import AlreadyExistsError, NotFoundError
from zz_core.store.db import checked_name, session, valid_id
from zz_core.store.records import UserRecord
from zz_core.store.tables import USERNAME_MAX, User
from zz_core.text import one_line


def normalise_username(username: str) -> str:
    """A username as it is stored and compared: stripped, lower-case."""
    return (username or "").strip().lower()


def create_user(engine: Engine, *, username: str, name: str, email: str,
                password_hash: str) -> UserRecord:
    """Add an account (username stored stripped and lower-case)."""
    user = User(username=checked_name(normalise_username(username), USERNAME_MAX, "username"),
                name=one_line(name)[:200], email=one_line(email)[:320],
                password_hash=password_hash)
    with session(engine) as db:
        db.add(user)
        try:
            db.commit()
        except IntegrityError:
            raise AlreadyExistsError("this username is already taken") from None
        return UserRecord.of(user)


def get_user_by_username(engine: Engine, username: str) -> UserRecord | None:
    """The account with this username, or None."""
    with session(engine) as db:
        user = db.exec(
            select(User).where(User.username == normalise_username(username))).first()
        return UserRecord.of(user) if user is not None else None


def email_taken(engine: Engine, email: str) -> bool:
    """True when an account already uses this email address (compared case-insensitively)."""
    wanted = one_line(email or "").lower()
    if not wanted:
        return False
    with session(engine) as db:
        return db.exec(select(User.id).where(
            func.lower(col(User.email)) == wanted)).first() is not None


def get_user(engine: Engine, user_id: int) -> UserRecord:
    """The account with this id; NotFoundError if there is none."""
    with session(engine) as db:
        user = db.get(User, user_id) if valid_id(user_id) else None
        if user is None:
            raise NotFoundError("user not found")
        return UserRecord.of(user)


def list_users(engine: Engine) -> list[UserRecord]:
    """Every account, by username."""
    with session(engine) as db:
        return [UserRecord.of(u) for u in db.exec(select(User).order_by(col(User.username)))]


def count_users(engine: Engine) -> int:
    """How many accounts exist."""
    with session(engine) as db:
        return int(db.exec(select(func.count()).select_from(User)).one())


def set_password_hash(engine: Engine, username: str, password_hash: str) -> None:
    """Replace an account's password hash; NotFoundError for an unknown username."""
    with session(engine) as db:
        result = db.exec(update(User).where(
            col(User.username) == normalise_username(username)).values(
            password_hash=password_hash))
        if result.rowcount == 0:
            raise NotFoundError("user not found")
        db.commit()
