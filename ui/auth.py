"""Accounts: log in, log out, register, reset password (streamlit-authenticator),
with users kept in the database.

This is the one place that knows how people sign in: switching to ``st.login`` (OIDC)
later means rewriting this module only. Pages ask ``require_user()`` for the signed-in
user and get an ``AuthUser`` whose ``id`` scopes every query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import streamlit as st
import streamlit_authenticator as stauth

from zz_core.services.accounts import UserRecord
from zz_core.text import escape_markdown

USER_KEY = "zz_user"


@dataclass(frozen=True)
class AuthUser:
    id: int
    username: str
    name: str


class UserStore(Protocol):
    """What the authenticator needs from the database."""

    def credentials(self) -> dict[str, dict[str, Any]]: ...

    def add_user(self, username: str, name: str, email: str, password_hash: str) -> None: ...

    def set_password(self, username: str, password_hash: str) -> None: ...

    def user(self, username: str) -> UserRecord | None: ...


def _authenticator(store: UserStore, cookie_name: str, cookie_key: str,
                   expiry_days: float) -> tuple[stauth.Authenticate, dict[str, Any]]:
    credentials = {"usernames": store.credentials()}
    return stauth.Authenticate(credentials, cookie_name, cookie_key, expiry_days,
                               auto_hash=False), credentials


def login_gate(store: UserStore, cookie_name: str, cookie_key: str,
               expiry_days: float) -> AuthUser | None:
    """Render the sign-in screen unless someone is signed in; return the signed-in user.

    With no users yet, registration comes first.
    """
    authenticator, credentials = _authenticator(store, cookie_name, cookie_key, expiry_days)
    st.session_state["zz_authenticator"] = authenticator
    st.session_state["zz_credentials"] = credentials  # the library edits this dict in place
    has_users = bool(credentials["usernames"])
    if st.session_state.get("authentication_status"):
        return _signed_in(store)
    st.title("ZoundZcope")
    st.caption("Mix and master analysis for producers. Sign in to keep your sessions.")
    tabs = st.tabs(["Log in", "Register"] if has_users else ["Register", "Log in"])
    login_tab, register_tab = (tabs[0], tabs[1]) if has_users else (tabs[1], tabs[0])
    with login_tab:
        _quietly(lambda: authenticator.login(location="main"))
        if st.session_state.get("authentication_status") is False:
            st.error("Username or password is incorrect.")
    with register_tab:
        _register(authenticator, credentials, store)
    if st.session_state.get("authentication_status"):
        st.rerun()
    return None


def _quietly(render: Callable[[], object]) -> None:
    """Run a widget; the library's own errors become a message, not a traceback."""
    try:
        render()
    except Exception as error:
        st.error(str(error))


def _register(authenticator: stauth.Authenticate, credentials: dict[str, Any],
              store: UserStore) -> None:
    try:
        email, username, name = authenticator.register_user(
            location="main", captcha=False, password_hint=False)
    except Exception as error:
        st.error(str(error))
        return
    if username:
        entry = credentials["usernames"][username]
        store.add_user(username, name or username, email or "", entry["password"])
        st.success("Account created. You can log in now.")


def _signed_in(store: UserStore) -> AuthUser | None:
    username = st.session_state.get("username")
    found = store.user(username) if username else None
    if found is None:  # the account vanished: sign out cleanly
        st.session_state["authentication_status"] = None
        return None
    user = AuthUser(id=found.id, username=found.username, name=found.name)
    st.session_state[USER_KEY] = user
    return user


def current_user() -> AuthUser | None:
    """The signed-in user of this browser session, if any."""
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, AuthUser) else None


def require_user() -> AuthUser:
    """The signed-in user; stops the page when nobody is (pages are only routed when
    someone is, so this guards against a stale session)."""
    user = current_user()
    if user is None:
        st.warning("Please log in.")
        st.stop()
    return user


def sidebar_account(store: UserStore) -> None:
    """Who is signed in, log out, and change password, in the sidebar."""
    user = current_user()
    authenticator = st.session_state.get("zz_authenticator")
    if user is None or authenticator is None:
        return
    with st.sidebar:
        st.markdown(f"Signed in as **{escape_markdown(user.name)}** "
                    f"({escape_markdown(user.username)})")
        with st.expander("Change password"):
            try:
                changed = authenticator.reset_password(user.username, location="main")
            except Exception as error:
                st.error(str(error))
                changed = False
            if changed:
                entry = st.session_state["zz_credentials"]["usernames"][user.username]
                store.set_password(user.username, entry["password"])
                st.success("Password changed.")
        authenticator.logout("Log out", location="sidebar", callback=_forget_user)


def _forget_user(_: object = None) -> None:
    st.session_state.pop(USER_KEY, None)


def hash_password(password: str) -> str:
    """bcrypt hash, as the authenticator stores it."""
    return str(stauth.Hasher.hash(password))
