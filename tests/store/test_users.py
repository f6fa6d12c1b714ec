"""Accounts on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tests.store.helpers import make_user
from zz_core.errors import AlreadyExistsError, NotFoundError
from zz_core.store import users


def test_users(engine: Engine) -> None:
    assert users.count_users(engine) == 0
    ada = users.create_user(engine, username="  Ada ", name="Ada", email="a@x.org",
                            password_hash="$2b$12$one")
    assert ada.username == "ada"
    with pytest.raises(AlreadyExistsError):
        users.create_user(engine, username="ADA", name="A", email="", password_hash="x")
    found = users.get_user_by_username(engine, "Ada")
    assert found is not None and found.id == ada.id
    assert users.get_user_by_username(engine, "nobody") is None
    users.set_password_hash(engine, "ada", "$2b$12$two")
    assert users.get_user(engine, ada.id).password_hash == "$2b$12$two"
    with pytest.raises(NotFoundError):
        users.set_password_hash(engine, "nobody", "x")
    with pytest.raises(NotFoundError):
        users.get_user(engine, 10**12)
    make_user(engine, "bob")
    assert users.count_users(engine) == 2
    assert [u.username for u in users.list_users(engine)] == ["ada", "bob"]


def test_email_in_use_and_username_normalisation(engine: Engine) -> None:
    assert users.normalise_username("  AdA ") == "ada" and users.normalise_username("") == ""
    assert not users.email_taken(engine, "ada@example.com")
    users.create_user(engine, username="ada", name="Ada", email="Ada@Example.com",
                      password_hash="$2b$12$one")
    assert users.email_taken(engine, " ada@example.COM ")
    assert not users.email_taken(engine, "bob@example.com") and not users.email_taken(engine, "")
