"""Accounts for the sign-in layer, on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from zz_core.errors import AlreadyExistsError, NotFoundError
from zz_core.services.accounts import Accounts, UserRecord


def test_register_find_and_change_password(engine: Engine) -> None:
    accounts = Accounts(engine)
    assert accounts.credentials() == {} and accounts.count() == 0
    accounts.add_user(" Ada ", "Ada Lovelace", "ada@example.com", "$2b$12$one")
    with pytest.raises(AlreadyExistsError):
        accounts.add_user("ADA", "Another", "", "$2b$12$two")
    user = accounts.user("ada")
    assert isinstance(user, UserRecord)
    assert (user.username, user.name, user.email) == ("ada", "Ada Lovelace", "ada@example.com")
    assert accounts.user("nobody") is None
    assert accounts.credentials() == {"ada": {
        "email": "ada@example.com", "first_name": "Ada Lovelace", "last_name": "",
        "password": "$2b$12$one", "logged_in": False, "roles": None}}
    accounts.set_password("Ada", "$2b$12$new")
    assert accounts.credentials()["ada"]["password"] == "$2b$12$new"
    with pytest.raises(NotFoundError):
        accounts.set_password("nobody", "x")
    assert accounts.count() == 1
