"""Signing in through the real app (AppTest): the navigation holds the sign-in page alone
until someone is signed in, the four pages after, the sign-in page alone after logging
out; a new browser session with the cookie is still signed in, one with a logged-out
cookie is not; the login throttle refuses the right password while locked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import APP, PASSWORD, TIMEOUT, engine_for, login, make_user
from ui import auth
from zz_core.services import accounts as accounts_service
from zz_core.store import logins, users

SIGNED_IN_PAGES = ["Analyze", "Docs Assistant", "History & Compare", "Token Usage"]


def routed(at: AppTest) -> list[str]:
    """The titles of the pages the last run's st.navigation holds (each once: while nobody
    is signed in, the sign-in page also answers at the pages' URL paths)."""
    return sorted({str(info.get("page_name")) for info in at._registered_pages.values()})


def attempt(at: AppTest, username: str, password: str) -> AppTest:
    next(t for t in at.text_input if t.label == "Username").input(username)
    next(t for t in at.text_input if t.label == "Password").input(password)
    next(b for b in at.button if b.label == "Login").click()
    return at.run()


def log_out(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Log out").click()
    return at.run()


def test_before_login_only_the_sign_in_page_is_routed(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert routed(at) == ["Sign in"]
    assert [t.label for t in at.tabs] == ["Log in", "Register"]
    assert not at.sidebar.children  # no page list, no account panel
    paths = {str(info.get("url_pathname")) for info in at._registered_pages.values()}
    assert paths == {"", "history", "docs_assistant", "token_usage"}  # all the sign-in page
    for page in ("pages/analyze.py", "pages/history.py", "pages/docs_assistant.py",
                 "pages/token_usage.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_a_page_run_without_the_entry_point_routes_the_sign_in_page(data_dir: Path) -> None:
    """Streamlit's legacy pages/ mode runs a page by its URL on a fresh server's first run:
    the page itself routes the sign-in page and shows nothing of its own."""
    make_user(data_dir, "ada")
    for page in ("analyze", "history", "docs_assistant", "token_usage"):
        at = AppTest.from_file(str(Path(APP).parent / "pages" / f"{page}.py"),
                               default_timeout=TIMEOUT).run()
        assert not at.exception, at.exception
        assert routed(at) == ["Sign in"]
        assert [t.value for t in at.title] == ["ZoundZcope"]
        assert [t.label for t in at.tabs] == ["Log in", "Register"]


def test_login_routes_the_pages_and_logout_only_the_sign_in_page(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = login("ada")
    assert routed(at) == SIGNED_IN_PAGES
    assert any(h.value == "Analyze a track" for h in at.title)
    assert any("Signed in as **Ada** (ada)" in m.value for m in at.sidebar.markdown)
    value = at.session_state[auth.TOKEN_KEY]
    engine = engine_for(data_dir)
    assert accounts_service.Accounts(engine, secret="test-cookie-key-" * 4).resume(
        value) == users.get_user(engine, user_id)

    log_out(at)
    assert not at.exception, at.exception
    assert routed(at) == ["Sign in"]
    assert not any(h.value == "Analyze a track" for h in at.title)
    assert auth.USER_KEY not in at.session_state and auth.TOKEN_KEY not in at.session_state
    assert accounts_service.Accounts(engine, secret="test-cookie-key-" * 4).resume(
        value) is None  # the cookie no longer signs anyone in, even a copy of it
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/analyze.py")


def test_a_new_browser_session_with_the_cookie_stays_signed_in(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(data_dir, "ada")
    first = login("ada")
    value = first.session_state[auth.TOKEN_KEY]
    monkeypatch.setattr(auth, "_browser_cookie", lambda name: value)
    reloaded = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not reloaded.exception, reloaded.exception
    assert routed(reloaded) == SIGNED_IN_PAGES
    assert any(h.value == "Analyze a track" for h in reloaded.title)

    log_out(first)  # logging out in one tab ends the session everywhere
    reloaded.run()
    assert routed(reloaded) == ["Sign in"]
    again = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert routed(again) == ["Sign in"]


def test_a_forged_cookie_signs_nobody_in(data_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(data_dir, "ada")
    value = login("ada").session_state[auth.TOKEN_KEY]
    token, _, _ = value.partition(".")
    monkeypatch.setattr(auth, "_browser_cookie", lambda name: f"{token}.forged")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert routed(at) == ["Sign in"]
    assert at.session_state[auth.DROP_COOKIE_KEY] is True  # the browser is told to drop it


def test_thirty_wrong_passwords_then_the_right_one_is_refused_until_the_lock_ends(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(data_dir, "ada")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for _ in range(30):
        attempt(at, "ada", "Wrong-pass-1")
    attempt(at, "ada", PASSWORD)
    assert not at.exception, at.exception
    [error] = at.error
    assert re.fullmatch(r"Too many attempts for this account: try again in \d+ s\.",
                        error.value), error.value
    assert routed(at) == ["Sign in"]
    [record] = logins.get_throttles(engine_for(data_dir), [("username", "ada")])
    assert record.locks == 1  # attempts refused while locked are not even checked

    later = datetime.now(UTC) + timedelta(seconds=31)
    monkeypatch.setattr(accounts_service, "utcnow", lambda: later)
    attempt(at, "ada", PASSWORD)
    assert not at.exception, at.exception
    assert routed(at) == SIGNED_IN_PAGES
    assert logins.get_throttles(engine_for(data_dir), [("username", "ada")]) == []


def test_the_fifth_wrong_password_says_the_account_is_locked(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for _ in range(4):
        attempt(at, "ada", "Wrong-pass-1")
        assert [e.value for e in at.error] == ["Username or password is incorrect."]
    attempt(at, "ada", "Wrong-pass-1")
    assert [e.value for e in at.error] == [
        "Username or password is incorrect. Too many attempts for this account: "
        "try again in 30 s."]


def test_registration_refuses_what_it_cannot_store(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    fields = {"First name": "Bob", "Last name": "Builder", "Email": "bob@example.com",
              "Username": "ada", "Password": PASSWORD, "Repeat password": PASSWORD}
    for label, value in fields.items():
        [*_, field] = [t for t in at.text_input if t.label == label]  # the Register tab
        field.input(value)
    next(b for b in at.button if b.label == "Register").click()
    at.run()
    assert [e.value for e in at.error] == ["This username is already taken."]
    [*_, username] = [t for t in at.text_input if t.label == "Username"]
    username.input("bob")
    [*_, repeat] = [t for t in at.text_input if t.label == "Repeat password"]
    repeat.input("Other-pass-2")
    next(b for b in at.button if b.label == "Register").click()
    at.run()
    assert [e.value for e in at.error] == ["Passwords do not match."]
    assert users.get_user_by_username(engine_for(data_dir), "bob") is None
    [*_, repeat] = [t for t in at.text_input if t.label == "Repeat password"]
    repeat.input(PASSWORD)
    next(b for b in at.button if b.label == "Register").click()
    at.run()
    assert [s.value for s in at.success] == ["Account created. You can log in now."]
    bob = users.get_user_by_username(engine_for(data_dir), "bob")
    assert bob is not None and bob.password_hash.startswith("$2b$12$")
