"""Accounts on each backend: registering, signing in with the login throttle (a clock
injected through ``now``), changing a password, and signed-in browsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from zz_core.config import load_settings
from zz_core.errors import (
    AlreadyExistsError,
    InvalidValueError,
    NotFoundError,
    SignInError,
    SignInLockedError,
)
from zz_core.services import accounts as accounts_module
from zz_core.services.accounts import (
    Accounts,
    LoginPolicy,
    UserRecord,
    hash_password,
    password_problem,
    verify_password,
    wait_text,
)
from zz_core.store import logins

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PASSWORD = "Secret-pass-1"
WRONG = "Wrong-pass-1"
SECRET = "s" * 64


def seconds(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """bcrypt at its lowest cost: the same checks, a fraction of the CPU."""
    monkeypatch.setattr(accounts_module, "BCRYPT_ROUNDS", 4)


@pytest.fixture
def accounts(engine: Engine) -> Accounts:
    service = Accounts(engine, secret=SECRET)
    service.register("Ada", "Lovelace", "ada@example.com", "Ada", PASSWORD, PASSWORD)
    return service


def test_register_find_and_change_password(engine: Engine) -> None:
    accounts = Accounts(engine)
    assert accounts.count() == 0
    accounts.add_user(" Ada ", "Ada Lovelace", "ada@example.com", "$2b$12$one")
    with pytest.raises(AlreadyExistsError):
        accounts.add_user("ADA", "Another", "", "$2b$12$two")
    user = accounts.user("ada")
    assert isinstance(user, UserRecord)
    assert (user.username, user.name, user.email) == ("ada", "Ada Lovelace", "ada@example.com")
    assert accounts.user("nobody") is None
    accounts.set_password("Ada", "$2b$12$new")
    assert accounts.user("ada").password_hash == "$2b$12$new"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        accounts.set_password("nobody", "x")
    assert accounts.count() == 1


def test_registration_checks_every_field(engine: Engine) -> None:
    accounts = Accounts(engine)
    user = accounts.register(" Ada ", "Lovelace", "ada@example.com", "Ada", PASSWORD, PASSWORD)
    assert (user.username, user.name) == ("ada", "Ada Lovelace")
    assert user.password_hash.startswith("$2b$") and verify_password(PASSWORD,
                                                                     user.password_hash)
    fields = ("Bob", "Builder", "bob@example.com", "bob", PASSWORD, PASSWORD)
    for index, value, message in [
        (0, "B", "First name is not valid."),
        (1, "<b>", "Last name is not valid."),
        (2, "bob@", "Email is not valid."),
        (3, "bob smith", "Username is not valid"),
        (5, "Other-pass-2", "Passwords do not match."),
    ]:
        changed = list(fields)
        changed[index] = value
        with pytest.raises(InvalidValueError, match=message):
            accounts.register(*changed)
    with pytest.raises(InvalidValueError, match="The password needs 8 to 72 characters, "
                                                "an upper-case letter, a digit"):
        accounts.register("Bob", "Builder", "bob@example.com", "bob", "weakpass", "weakpass")
    with pytest.raises(AlreadyExistsError, match=r"This username is already taken\."):
        accounts.register("Bob", "Builder", "bob@example.com", "ADA", PASSWORD, PASSWORD)
    with pytest.raises(AlreadyExistsError, match=r"This email is already in use\."):
        accounts.register("Bob", "Builder", "ADA@example.com", "bob", PASSWORD, PASSWORD)
    assert accounts.count() == 1


def test_passwords() -> None:
    hashed = hash_password("Ünïcode-pass-1")
    assert verify_password("Ünïcode-pass-1", hashed) and not verify_password("other", hashed)
    assert not verify_password("x" * 73, hashed)  # never cut to 72 bytes
    assert not verify_password(PASSWORD, "not a bcrypt hash")
    with pytest.raises(InvalidValueError):
        hash_password("é" * 40)  # 80 bytes
    assert password_problem("Long-enough-1") is None
    assert password_problem("a" * 8) == ("The password needs 8 to 72 characters, an upper-case "
                                         "letter, a digit, a special character such as "
                                         "@$!%*?&.")


def test_sign_in_with_the_right_password_only(accounts: Accounts) -> None:
    assert accounts.sign_in(" ADA ", PASSWORD, now=T0).username == "ada"
    for username, password in [("ada", WRONG), ("nobody", PASSWORD), ("", PASSWORD),
                               ("ada", "x" * 100)]:
        with pytest.raises(SignInError) as refused:
            accounts.sign_in(username, password, now=T0)
        assert str(refused.value) == "Username or password is incorrect."
        assert not isinstance(refused.value, SignInLockedError)


def test_five_failures_lock_the_account_and_the_right_password_waits(
        accounts: Accounts) -> None:
    for attempt in range(4):
        with pytest.raises(SignInError, match=r"^Username or password is incorrect\.$"):
            accounts.sign_in("ada", WRONG, now=seconds(attempt))
    with pytest.raises(SignInLockedError) as locked:
        accounts.sign_in("ada", WRONG, now=seconds(4))
    assert str(locked.value) == ("Username or password is incorrect. Too many attempts for "
                                 "this account: try again in 30 s.")
    for attempt in range(25):  # 30 wrong in all, then the right one: refused while locked
        with pytest.raises(SignInLockedError):
            accounts.sign_in("ada", WRONG, now=seconds(5 + attempt * 0.5))
    with pytest.raises(SignInLockedError) as still:
        accounts.sign_in("ada", PASSWORD, now=seconds(20))
    assert str(still.value) == "Too many attempts for this account: try again in 14 s."
    assert still.value.retry_after_s == pytest.approx(14.0)
    assert accounts.lock("ada", now=seconds(20)) is not None

    assert accounts.sign_in("ada", PASSWORD, now=seconds(34.5)).username == "ada"
    assert logins.get_throttles(accounts.engine, [("username", "ada")]) == []  # reset
    assert accounts.lock("ada", now=seconds(35)) is None


def test_each_further_round_doubles_the_lock_up_to_the_cap(accounts: Accounts) -> None:
    now = 0.0
    lengths = []
    for _ in range(8):
        for _ in range(5):
            with pytest.raises(SignInError) as refused:
                accounts.sign_in("ada", WRONG, now=seconds(now))
        assert isinstance(refused.value, SignInLockedError)  # the fifth locks
        lengths.append(refused.value.retry_after_s)
        now += lengths[-1] + 1  # wait the lock out
    assert lengths == [30, 60, 120, 240, 480, 900, 900, 900]
    assert wait_text(900) == "15 min" and wait_text(61) == "2 min" and wait_text(0.2) == "1 s"


def test_counters_idle_for_a_day_start_afresh(accounts: Accounts) -> None:
    for attempt in range(4):
        with pytest.raises(SignInError):
            accounts.sign_in("ada", WRONG, now=seconds(attempt))
    later = 86400 + 10
    for attempt in range(4):
        with pytest.raises(SignInError) as refused:
            accounts.sign_in("ada", WRONG, now=seconds(later + attempt))
        assert not isinstance(refused.value, SignInLockedError)


def test_one_client_is_limited_across_usernames(accounts: Accounts) -> None:
    client = "203.0.113.9"
    for attempt in range(19):
        with pytest.raises(SignInError):
            accounts.sign_in(f"user{attempt}", WRONG, client, now=seconds(attempt))
    with pytest.raises(SignInLockedError, match=r"Too many attempts from this address: try "
                                                r"again in 30 s\."):
        accounts.sign_in("user19", WRONG, client, now=seconds(19))
    with pytest.raises(SignInLockedError, match="from this address"):
        accounts.sign_in("ada", PASSWORD, client, now=seconds(20))
    assert accounts.sign_in("ada", PASSWORD, "198.51.100.7", now=seconds(20)).username == "ada"
    assert accounts.sign_in("ada", PASSWORD, client, now=seconds(50)).username == "ada"
    assert logins.get_throttles(accounts.engine, [("client", client)]) == []


def test_the_policy_comes_from_the_settings(tmp_path: Path) -> None:
    settings = load_settings(environ={"ZZ_DATA_DIR": str(tmp_path), "ZZ_LOGIN_MAX_FAILURES": "3",
                                      "ZZ_LOGIN_LOCK_S": "10", "ZZ_LOGIN_LOCK_MAX_S": "60"})
    policy = LoginPolicy.of(settings)
    assert (policy.max_failures, policy.client_max_failures) == (3, 20)
    assert [policy.lock_seconds(n) for n in (1, 2, 3, 4, 50)] == [10, 20, 40, 60, 60]
    assert LoginPolicy.of(load_settings(environ={"ZZ_DATA_DIR": str(tmp_path)})) == LoginPolicy()


def test_sessions_resume_until_logout_or_expiry(accounts: Accounts) -> None:
    ada = accounts.user("ada")
    assert ada is not None
    value = accounts.start_session(ada.id, now=T0)
    token, _, signature = value.partition(".")
    assert len(token) >= 43 and signature
    assert accounts.resume(value, now=T0 + timedelta(days=29)) == ada
    assert accounts.resume(value, now=T0 + timedelta(days=30, seconds=1)) is None  # expired
    for forged in (f"{token}.{signature[:-2]}xx", token, f"{token}.", "", None, "a.b.c", "é.é"):
        assert accounts.resume(forged, now=T0) is None
    other_key = Accounts(accounts.engine, secret="another key")
    assert other_key.resume(value, now=T0) is None  # signed with the configured key only

    second = accounts.start_session(ada.id, now=T0)
    accounts.end_session(value)
    assert accounts.resume(value, now=T0) is None  # a copy of the cookie no longer works
    assert accounts.resume(second, now=T0) == ada
    accounts.end_session("garbage")  # fine


def test_changing_the_password_signs_out_the_other_browsers(accounts: Accounts) -> None:
    ada = accounts.user("ada")
    assert ada is not None
    here, there = accounts.start_session(ada.id), accounts.start_session(ada.id)
    with pytest.raises(InvalidValueError, match=r"Passwords do not match\."):
        accounts.change_password("ada", PASSWORD, "New-pass-22", "New-pass-23")
    with pytest.raises(SignInError):
        accounts.change_password("ada", WRONG, "New-pass-22", "New-pass-22")
    accounts.change_password("ada", PASSWORD, "New-pass-22", "New-pass-22", keep_session=here)
    assert accounts.resume(here) is not None and accounts.resume(there) is None
    assert accounts.sign_in("ada", "New-pass-22").username == "ada"
    with pytest.raises(SignInError):
        accounts.sign_in("ada", PASSWORD)


def test_a_session_of_a_zero_day_cookie_lasts_a_day_on_the_server(engine: Engine) -> None:
    accounts = Accounts(engine, secret=SECRET, session_days=0)
    user = accounts.register("Ada", "Lovelace", "ada@example.com", "ada", PASSWORD, PASSWORD)
    value = accounts.start_session(user.id, now=T0)
    assert accounts.resume(value, now=T0 + timedelta(hours=23)) is not None
    assert accounts.resume(value, now=T0 + timedelta(hours=25)) is None
