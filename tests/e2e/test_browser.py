"""End to end in a real browser: Debian's Chromium driven by Playwright against
``streamlit run app.py`` on 127.0.0.1 with a fresh data directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.signals import sine, write_wav

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Chromium is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("e2e-data")
    log = data.parent / "server.log"
    port = _free_port()
    env = {**os.environ, "ZZ_DATA_DIR": str(data), "ZZ_COOKIE_KEY": "e2e-test-key" * 4}
    env.pop("DATABASE_URL", None)
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        yield Server(url, log)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_healthy(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("streamlit did not become healthy")


def field(page: Any, label: str) -> Any:
    """The visible input with this label (hidden tabs hold inputs with the same labels)."""
    return page.get_by_label(label, exact=True).filter(visible=True)


def register_and_log_in(page: Any, username: str, first: str, last: str,
                        password: str = "Secret-pass-1",
                        lands_on: str = "Analyze a track") -> None:
    """Register (the first tab when there are no users yet), then log in."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Register").click()
    for label, value in [("First name", first), ("Last name", last),
                         ("Email", f"{username}@example.com"), ("Username", username),
                         ("Password", password), ("Repeat password", password)]:
        field(page, label).fill(value)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Account created")).to_be_visible()
    page.get_by_role("tab", name="Log in").click()
    field(page, "Username").fill(username)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Login").click()
    # the first page after signing in on a fresh server shares 2 cores with the warm-up
    expect(page.get_by_role("heading", name=lands_on)).to_be_visible(timeout=60_000)


def upload(page: Any, file_input: Any, path: Path, attempts: int = 3) -> None:
    """Set a file on an uploader and wait until the app shows it; an upload that lands
    while the script reruns can be dropped, so it is retried."""
    from playwright.sync_api import expect

    for attempt in range(attempts):
        _settle(page)
        file_input.set_input_files(str(path))
        try:
            expect(page.get_by_text(path.name)).to_be_visible(timeout=20_000)
            break
        except AssertionError:
            if attempt == attempts - 1:
                raise
            warnings.warn(f"the app did not show {path.name}; uploading again", stacklevel=2)
    _settle(page)


def upload_and_analyse(page: Any, file_input: Any, path: Path, attempts: int = 3) -> None:
    """Upload, then click Analyze once the app has the file (the button is enabled);
    upload again when the app never got it."""
    from playwright.sync_api import expect

    button = page.get_by_role("button", name="Analyze")
    for attempt in range(attempts):
        upload(page, file_input, path)
        try:
            expect(button).to_be_enabled(timeout=20_000)
        except AssertionError:
            if attempt == attempts - 1:
                raise
            warnings.warn("the app never received the upload; uploading again", stacklevel=2)
            continue
        button.click()
        return


def _settle(page: object) -> None:
    """Wait until the app has finished rerunning (a click during a rerun can be lost)."""
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")  # type: ignore[attr-defined]


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"])


def test_register_login_upload_analyse_and_open_in_history(server: Server,
                                                           tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    wav = write_wav(tmp_path / "e2e-tone.wav", sine(-20.0, 8.0), subtype="PCM_16")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(server.url)
        register_and_log_in(page, "ada", "Ada", "Lovelace")
        field(page, "New session name").fill("Album one")
        field(page, "New session name").press("Enter")
        upload_and_analyse(page, page.locator("input[type=file]").first, wav)
        expect(page.get_by_text("Integrated loudness", exact=True)).to_be_visible(
            timeout=120_000)
        expect(page.get_by_text("-20.0 LUFS", exact=True)).to_be_visible()
        expect(page.locator(".js-plotly-plot").first).to_be_visible()
        page.screenshot(path=str(tmp_path / "analyze.png"))
        page.get_by_role("link", name="History & Compare").click()
        expect(page.get_by_role("heading", name="History & Compare")).to_be_visible()
        expect(page.get_by_text("e2e-tone.wav · 8.0 s")).to_be_visible()
        expect(page.get_by_text("-20.0 LUFS", exact=True)).to_be_visible()
        browser.close()


COOKIE = "zoundzcope_auth"


def auth_cookie(context: Any, present: bool = True, timeout_s: float = 15.0) -> Any:
    """The session cookie in the browser's cookie jar once it is there (``present``), or
    None once it is gone; the page writes it from JavaScript, so allow it a moment."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = next((c for c in context.cookies() if c["name"] == COOKIE), None)
        if (found is not None) == present or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_reload_keeps_the_sign_in_until_logout(server: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=30_000)

        # before login: the sign-in page alone, no page list, no page by its URL
        page.goto(f"{server.url}/history")
        expect(page.get_by_role("heading", name="ZoundZcope")).to_be_visible()
        _settle(page)
        assert page.get_by_test_id("stSidebarNav").count() == 0
        assert page.get_by_role("link", name="History & Compare").count() == 0
        assert page.get_by_role("heading", name="History & Compare").count() == 0

        register_and_log_in(page, "bob", "Bob", "Builder", lands_on="History & Compare")
        _settle(page)
        page.get_by_role("link", name="Analyze").click()
        expect(page.get_by_role("heading", name="Analyze a track")).to_be_visible()
        cookie = auth_cookie(context)
        assert cookie is not None, "the session cookie was never written"
        assert cookie["path"] == "/" and cookie["sameSite"] == "Strict"
        assert cookie["expires"] > time.time() + 29 * 86400  # 30 days by default

        page.reload()  # a new Streamlit session: signed in again from the cookie
        expect(page.get_by_role("heading", name="Analyze a track")).to_be_visible()
        expect(page.get_by_text("Signed in as")).to_be_visible()
        other_tab = context.new_page()  # a new tab, on another page's URL
        other_tab.goto(f"{server.url}/history")
        expect(other_tab.get_by_role("heading", name="History & Compare")).to_be_visible()
        other_tab.close()

        _settle(page)
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("tab", name="Log in")).to_be_visible()
        assert auth_cookie(context, present=False) is None, "logout left the cookie"
        assert page.get_by_test_id("stSidebarNav").count() == 0
        page.reload()
        expect(page.get_by_role("tab", name="Log in")).to_be_visible()
        _settle(page)
        assert page.get_by_role("heading", name="Analyze a track").count() == 0
        assert page.get_by_test_id("stSidebarNav").count() == 0

        context.add_cookies([cookie])  # a copy of the old cookie no longer signs in
        page.reload()
        expect(page.get_by_role("tab", name="Log in")).to_be_visible()
        _settle(page)
        assert page.get_by_role("heading", name="Analyze a track").count() == 0
        browser.close()
    assert "'zoundzcope_auth'" not in [line.strip() for line in server.lines()]
