"""End to end in a real browser: Debian's Chromium driven by Playwright against
``streamlit run app.py`` on 127.0.0.1 with a fresh data directory."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
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
    # a fresh server shares 2 cores with its warm-up: allow it time
    expect(page.get_by_text("Account created")).to_be_visible(timeout=30_000)
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
              "--disable-component-update", "--disable-sync",
              "--autoplay-policy=no-user-gesture-required"])


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
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
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


# --- the meter: the player, A/B and the views -------------------------------------------------

CLOCK_SPAN = re.compile(r"(\d+):(\d\d\.\d)-(\d+):(\d\d\.\d)$")
"""An issue button's label, zz_core.fmt.clock_span: "0:04.0-0:07.0" (after its icon)."""


def seconds_of(label: str) -> tuple[float, float]:
    """(start, end) in s from a clock_span label."""
    found = CLOCK_SPAN.search(label.strip())
    assert found, label
    return (int(found[1]) * 60 + float(found[2]), int(found[3]) * 60 + float(found[4]))


def player_state(player: Any) -> dict[str, Any]:
    """The player's data-* attributes (its live state) and its last report, parsed."""
    state: dict[str, Any] = player.evaluate("element => ({...element.dataset})")
    state["reported"] = json.loads(state.get("reported") or "null")
    return state


def wait_for_state(player: Any, check: Callable[[dict[str, Any]], bool],
                   timeout_s: float = 30.0) -> dict[str, Any]:
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            state = player_state(player)
        except Error as error:  # the frame is being replaced: read the new one
            state = {"error": str(error), "reported": None}
        else:
            if check(state):
                return state
        assert time.monotonic() < deadline, f"the player never got there: {state}"
        time.sleep(0.1)


def plot_has_data(plot: Any) -> bool:
    """True when a plotly chart draws a trace with points (x/y) or cells (z)."""
    return bool(plot.evaluate(  # _fullData: the traces as drawn (binary arrays decoded)
        "element => (element._fullData || []).some(trace => ['x', 'y', 'z'].some("
        "axis => trace[axis] && trace[axis].length > 0))"))


def mixes(folder: Path) -> tuple[Path, Path]:
    """tests/app/test_views.py's flawed mixdown (right channel polarity-flipped from 4 to
    7 s, in 12 s) and a reference: the clean mixdown, 4 dB louder."""
    from tests.mixes import RATE, clean_mixdown, polarity_flipped

    clean = clean_mixdown(12.0)
    track = write_wav(folder / "flawed.wav", polarity_flipped(clean, 4.0, 7.0), RATE, "PCM_16")
    reference = write_wav(folder / "reference.wav", clean * 10 ** (4 / 20), RATE, "PCM_16")
    return track, reference


def test_an_issue_loops_in_the_player_ab_keeps_the_position_and_every_view_has_data(
        server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from ui.views import TABS

    track, reference = mixes(tmp_path)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        expect.set_options(timeout=30_000)
        page.goto(server.url)
        register_and_log_in(page, "cleo", "Cleo", "Meter")
        field(page, "New session name").fill("Meter")
        field(page, "New session name").press("Enter")
        inputs = page.locator("input[type=file]")
        upload(page, inputs.nth(1), reference)
        upload_and_analyse(page, inputs.nth(0), track)
        expect(page.get_by_text("Integrated loudness", exact=True)).to_be_visible(
            timeout=180_000)
        _settle(page)

        frame = page.frame_locator("iframe[src*='zz_player']")
        player = frame.locator("#zz-player")
        wait_for_state(player, lambda s: s.get("ready") == "true")

        # the issue's button: seeks to the start of its worst stretch and loops it
        card = (page.get_by_test_id("stVerticalBlock")
                .filter(has_text="Phase cancellation")
                .filter(has=page.get_by_role("button", name=CLOCK_SPAN)).last)
        button = card.get_by_role("button", name=CLOCK_SPAN)
        start, end = seconds_of(button.inner_text())
        assert end - start >= 2.0  # looped as it is (a shorter stretch gets context)
        assert 3.0 <= start <= 5.0 and 6.0 <= end <= 8.0, (start, end)
        _settle(page)
        button.click()
        state = wait_for_state(player, lambda s: s["reported"] is not None
                               and s["reported"]["event"] == "command")
        loop_start, loop_end = float(state["loopStart"]), float(state["loopEnd"])
        assert abs(loop_start - start) <= 0.06 and abs(loop_end - end) <= 0.06
        assert abs(state["reported"]["position"] - loop_start) <= 0.01  # at the loop start
        assert state["reported"]["loop"] == [loop_start, loop_end]

        # it plays the span over and over: never outside it, and back to its start
        wait_for_state(player, lambda s: s["playing"] == "true")
        positions = []
        deadline = time.monotonic() + (loop_end - loop_start) * 1.8
        while time.monotonic() < deadline:
            positions.append(float(player_state(player)["position"]))
            time.sleep(0.05)
        assert all(loop_start - 0.05 <= p <= loop_end + 0.3 for p in positions), positions
        assert max(positions) - min(positions) > 1.0, positions
        assert any(b < a - 1.0 for a, b in itertools.pairwise(positions)), positions

        # A/B: the reference takes over at the same position
        frame.locator("#play").click()  # pause, so the position holds still
        paused = wait_for_state(player, lambda s: s["playing"] == "false")
        frame.locator("#sources button[data-source='1']").click()
        switched = wait_for_state(player, lambda s: s["source"] == "1")
        assert switched["reported"]["event"] == "source"
        assert abs(float(switched["position"]) - float(paused["position"])) <= 0.02
        assert switched["loopStart"] == paused["loopStart"]  # still looping the issue
        frame.locator("#sources button[data-source='0']").click()
        back = wait_for_state(player, lambda s: s["source"] == "0")
        assert abs(float(back["position"]) - float(paused["position"])) <= 0.02

        # every view of the meter draws data
        for name in TABS:
            page.get_by_role("tab", name=name, exact=True).click()
            panel = page.get_by_test_id("stTabPanel").filter(visible=True)
            if name == "Platforms":
                expect(panel.locator("table").first).to_be_visible()
                assert panel.locator("tbody tr").count() >= 3
                continue
            plots = panel.locator(".js-plotly-plot")
            expect(plots.first, f"the {name} view draws no chart").to_be_visible()
            page.wait_for_timeout(300)
            assert plots.count() >= 1, name
            for index in range(plots.count()):
                assert plot_has_data(plots.nth(index)), f"{name}: plot {index} has no data"

        # usable at phone width: nothing wider than the screen
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(1500)
        page.screenshot(path=str(tmp_path / "phone.png"), full_page=False)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1] + 1, widths
        browser.close()
