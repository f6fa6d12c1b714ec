"""Signing in: the sign-in page (log in, register), who is signed in to this browser, the
session cookie, and the account panel in the sidebar.

This is the one place that knows how people sign in: switching to ``st.login`` (OIDC)
later means rewriting this module only. Pages ask ``require_user()`` for the signed-in
user and get an ``AuthUser`` whose ``id`` scopes every query.

How a sign-in survives a reload: signing in creates a session on the server
(``Accounts.start_session``, a row keyed by the sha256 of a random token) and the browser
keeps ``<token>.<signature>`` in a cookie. A reload starts a new Streamlit session whose
first run reads the cookie from ``st.context.cookies`` (the cookies the page's connection
sent) and resumes the user when the server still knows the token. The cookie is written
by a few lines of JavaScript running in the page (``st.components.v2``, no iframe),
mounted on every run while someone is signed in: it writes the cookie when the browser
does not hold it yet, so a write lost to a rerun is made on the next run. Logging out
deletes the server's row (the cookie no longer signs anyone in, even a copy of it), clears
this session's state and has the component delete the cookie.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui import resources
from zz_core.errors import AlreadyExistsError, InvalidValueError, SignInError
from zz_core.services.accounts import Accounts, LoginPolicy, hash_password
from zz_core.text import escape_markdown

__all__ = ["AuthUser", "SessionCookie", "client_address", "current_user", "hash_password",
           "require_user", "route_sign_in", "setup", "sidebar_account", "signed_in"]

PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
USER_KEY = "zz_user"
TOKEN_KEY = "zz_session_cookie"
"""This browser session's cookie value (the signed token) while someone is signed in."""
DROP_COOKIE_KEY = "zz_drop_cookie"
"""Set once this session logged out (or found a dead cookie): the browser must drop it."""

_COOKIE_JS = """
export default function (component) {
  const data = component.data;
  if (!data || !data.name) {
    return;
  }
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const attributes = "; Path=/; SameSite=Strict" + secure;
  const held = document.cookie.split("; ").find((c) => c.startsWith(data.name + "="));
  if (data.value) {
    if (held !== data.name + "=" + data.value) {
      const age = data.maxAge ? "; Max-Age=" + data.maxAge : "";
      document.cookie = data.name + "=" + data.value + age + attributes;
    }
  } else if (held !== undefined) {
    document.cookie = data.name + "=; Max-Age=0" + attributes;
  }
}
"""
_cookie_component = st.components.v2.component("zoundzcope_session_cookie", js=_COOKIE_JS)


@dataclass(frozen=True)
class AuthUser:
    id: int
    username: str
    name: str


@dataclass(frozen=True)
class SessionCookie:
    """The browser cookie that keeps a sign-in: its name and how long it lasts in days
    (0: until the browser closes)."""

    name: str
    expiry_days: float

    @property
    def max_age_s(self) -> int | None:
        return int(self.expiry_days * 86400) if self.expiry_days > 0 else None


def setup() -> tuple[Accounts, SessionCookie]:
    """The accounts service and the session cookie, as configured."""
    config = resources.settings()
    accounts = Accounts(resources.engine(), secret=config.cookie_key or "",
                        session_days=config.cookie_expiry_days, policy=LoginPolicy.of(config))
    return accounts, SessionCookie(config.cookie_name, config.cookie_expiry_days)


# --- who is signed in --------------------------------------------------------------------


def signed_in(accounts: Accounts, cookie: SessionCookie) -> AuthUser | None:
    """The user signed in to this browser, checked with the server on every run (a session
    that ended elsewhere or expired signs out here too); on a new browser session, the
    one its cookie names. None when nobody is."""
    value = st.session_state.get(TOKEN_KEY)
    if value is None and not st.session_state.get(DROP_COOKIE_KEY):
        value = _browser_cookie(cookie.name)
    found = accounts.resume(value) if value else None
    if found is None:
        if value or st.session_state.get(USER_KEY) is not None:
            _forget()
        return None
    user = AuthUser(id=found.id, username=found.username, name=found.name)
    st.session_state[TOKEN_KEY] = value
    st.session_state[USER_KEY] = user
    return user


def _browser_cookie(name: str) -> str | None:
    """The cookie the browser sent when this session's connection opened (a reload opens a
    new one), or None."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) and value else None


def _forget() -> None:
    """Forget everything this browser session held (the user, their widgets' values, the
    selected track...) and have the browser drop the cookie."""
    st.session_state.clear()
    st.session_state[DROP_COOKIE_KEY] = True


def current_user() -> AuthUser | None:
    """The signed-in user of this browser session, if any."""
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, AuthUser) else None


def require_user() -> AuthUser:
    """The signed-in user, checked with the server again. When nobody is signed in, the
    sign-in page is routed in place of the page and the page stops: the entry point only
    routes pages to a signed-in user, but Streamlit's legacy ``pages/`` mode runs a page
    by its URL without the entry point (the first run of a fresh server, and AppTest)."""
    accounts, cookie = setup()
    user = signed_in(accounts, cookie)
    if user is None:
        route_sign_in(accounts, cookie, also_at=_page_paths())
        st.stop()
    return user


def client_address() -> str | None:
    """Where a sign-in comes from, for the per-client throttle: the connection's IP
    address; for a local connection (a reverse proxy on the same host) the last address
    of ``X-Forwarded-For``, the one the proxy saw; None for a local connection without
    it (then only the per-username throttle applies)."""
    try:
        address = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For")
    except Exception:  # no browser connection (a bare script run)
        return None
    if isinstance(address, str) and address:
        return address
    last = forwarded.split(",")[-1].strip() if isinstance(forwarded, str) else ""
    return last or None


def _sync_cookie(cookie: SessionCookie, value: str | None) -> None:
    """Have the browser hold ``value`` in the cookie (None: drop it)."""
    data = {"name": cookie.name, "value": value, "maxAge": cookie.max_age_s}
    tag = hashlib.sha256((value or "drop").encode("ascii")).hexdigest()[:12]
    _cookie_component(key=f"zz_cookie_{tag}", data=data, height=0)


# --- the sign-in page --------------------------------------------------------------------


def route_sign_in(accounts: Accounts, cookie: SessionCookie,
                  also_at: Iterable[str] = ()) -> None:
    """Route the sign-in page alone and run it: nothing else is listed or reachable. It
    also answers at ``also_at``, the URL paths of the app's pages (hidden), so that a
    bookmarked page shows the sign-in page rather than Streamlit's "Page not found"
    dialog, and signing in there opens that page (a page's identity is its URL path)."""

    def sign_in() -> None:
        _sign_in_screen(accounts, cookie)

    pages = [st.Page(sign_in, title="Sign in", icon=":material/login:", default=True)]
    pages += [st.Page(sign_in, title="Sign in", url_path=path, visibility="hidden")
              for path in dict.fromkeys(also_at) if path]
    st.navigation(pages, position="hidden").run()


def _page_paths() -> list[str]:
    """The URL paths Streamlit's legacy ``pages/`` mode answers: the page files' names."""
    return sorted(path.stem for path in PAGES_DIR.glob("*.py") if not path.name.startswith("_"))


def _sign_in_screen(accounts: Accounts, cookie: SessionCookie) -> None:
    st.title("ZoundZcope")
    st.caption("Mix and master analysis for producers. Sign in to keep your sessions.")
    has_users = accounts.count() > 0
    tabs = st.tabs(["Log in", "Register"] if has_users else ["Register", "Log in"])
    login_tab, register_tab = (tabs[0], tabs[1]) if has_users else (tabs[1], tabs[0])
    with login_tab:
        _login_form(accounts)
    with register_tab:
        _register_form(accounts)
    if st.session_state.get(DROP_COOKIE_KEY):
        _sync_cookie(cookie, None)


def _login_form(accounts: Accounts) -> None:
    with st.form("Login"):
        st.subheader("Login")
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Login")
    if not submitted:
        return
    try:
        found = accounts.sign_in(username, password, client_address())
    except SignInError as error:
        st.error(str(error))
        return
    st.session_state.clear()
    st.session_state[TOKEN_KEY] = accounts.start_session(found.id)
    st.rerun()


def _register_form(accounts: Accounts) -> None:
    with st.form("Register user"):
        st.subheader("Register user")
        left, right = st.columns(2)
        first = left.text_input("First name", autocomplete="given-name")
        last = right.text_input("Last name", autocomplete="family-name")
        email = left.text_input("Email", autocomplete="email")
        username = right.text_input("Username", autocomplete="username")
        password = left.text_input("Password", type="password", autocomplete="new-password")
        repeat = right.text_input("Repeat password", type="password",
                                  autocomplete="new-password")
        submitted = st.form_submit_button("Register")
    if not submitted:
        return
    try:
        accounts.register(first, last, email, username, password, repeat)
    except (InvalidValueError, AlreadyExistsError) as error:
        st.error(str(error))
        return
    st.success("Account created. You can log in now.")


# --- the account panel -------------------------------------------------------------------


def sidebar_account(accounts: Accounts, cookie: SessionCookie) -> None:
    """Who is signed in, change password and log out, in the sidebar; keeps the browser's
    cookie in step with this session."""
    user = current_user()
    value = st.session_state.get(TOKEN_KEY)
    if user is None or not isinstance(value, str):
        return
    with st.sidebar:
        st.markdown(f"Signed in as **{escape_markdown(user.name)}** "
                    f"({escape_markdown(user.username)})")
        with st.expander("Change password"):
            _change_password_form(accounts, user, value)
        st.button("Log out", key="zz_logout", on_click=_log_out, args=(accounts,))
        _sync_cookie(cookie, value)


def _change_password_form(accounts: Accounts, user: AuthUser, value: str) -> None:
    with st.form("Reset password", clear_on_submit=True):
        current = st.text_input("Current password", type="password",
                                autocomplete="current-password")
        new = st.text_input("New password", type="password", autocomplete="new-password")
        repeat = st.text_input("Repeat password", type="password",
                               autocomplete="new-password")
        submitted = st.form_submit_button("Reset")
    if not submitted:
        return
    try:
        accounts.change_password(user.username, current, new, repeat, client_address(),
                                 keep_session=value)
    except (SignInError, InvalidValueError) as error:
        st.error(str(error))
        return
    st.success("Password changed. Other browsers signed in to this account are signed out.")


def _log_out(accounts: Accounts) -> None:
    accounts.end_session(st.session_state.get(TOKEN_KEY))
    _forget()
