"""Accounts for the sign-in layer (streamlit-authenticator today): the credentials it
checks, registering, changing a password, and finding the signed-in user.

Passwords arrive already hashed (bcrypt, by the authenticator); usernames are compared
stripped and lower-case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from zz_core.store import users
from zz_core.store.records import UserRecord

__all__ = ["Accounts", "UserRecord"]


@dataclass(frozen=True)
class Accounts:
    """The accounts kept in the database."""

    engine: Engine

    def credentials(self) -> dict[str, dict[str, Any]]:
        """Every account as streamlit-authenticator's ``credentials["usernames"]``."""
        return {
            user.username: {"email": user.email, "first_name": user.name, "last_name": "",
                            "password": user.password_hash, "logged_in": False, "roles": None}
            for user in users.list_users(self.engine)
        }

    def add_user(self, username: str, name: str, email: str, password_hash: str) -> None:
        """Register an account (``AlreadyExistsError`` when the username is taken)."""
        users.create_user(self.engine, username=username, name=name, email=email,
                          password_hash=password_hash)

    def set_password(self, username: str, password_hash: str) -> None:
        """Replace an account's password hash (``NotFoundError`` for an unknown username)."""
        users.set_password_hash(self.engine, username, password_hash)

    def user(self, username: str) -> UserRecord | None:
        """The account with this username, or None."""
        return users.get_user_by_username(self.engine, username)

    def count(self) -> int:
        """How many accounts exist."""
        return users.count_users(self.engine)
