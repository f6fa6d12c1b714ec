"""The README's screenshots, taken from the real app (run by hand: ``python bench/screenshots.py``).

Starts ``streamlit run app.py`` on a throwaway data directory, registers a user, uploads
two synthesized songs at once with a louder, brighter reference (one job each), loops the
first song's located issue in the player, and saves to ``docs/screenshots/``:

- ``analyze.png``: the Analyze page: headline cards, the waveform player with the issue
  regions (one looping) and the issue list;
- ``meter-views.png``: the meter's views (the spectrogram tab when the analysis has one,
  else the spectrum analyser);
- ``stereo-view.png``: the Stereo tab (vectorscope, correlation and width over time);
- ``compare.png``: History & Compare's Compare view of both songs and the reference;
- ``docs-assistant.png``: a Docs Assistant answer (offline engine);
- ``phone.png``: the Analyze page at phone width (390 px).

Needs Debian's Chromium and Playwright (as the browser tests). Audio is synthesized here;
nothing is downloaded. ``--out DIR`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.e2e.test_browser import (  # noqa: E402
    CLOCK_SPAN,
    _free_port,
    _settle,
    _wait_healthy,
    field,
    launch,
    register_and_log_in,
    upload,
)
from tests.mixes import RATE, at_loudness, equalised, limited, polarity_flipped, shaped_noise  # noqa: E402
from tests.music import render_song  # noqa: E402
from tests.signals import write_wav  # noqa: E402

SECONDS = 32.0
WIDE = {"width": 1400, "height": 2400}
PHONE = {"width": 390, "height": 844}


def song(tonic: str, mode: str, progression: list[str], seed: int, bpm: float) -> np.ndarray:
    """Chords, bass, melody and drums, widened above 250 Hz (a 12 ms delayed copy as the
    side signal), on a quiet noise bed; 48 kHz stereo."""
    music = render_song(tonic, mode, progression, seconds=SECONDS, bpm=bpm, rate=RATE,
                        seed=seed, drums=True)
    delay = int(0.012 * RATE)
    side = np.zeros_like(music[:1])
    side[:, delay:] = music[:1, :-delay]
    side = equalised(side, 0.0, 250.0, -80.0)
    bed = shaped_noise(SECONDS, "pop", seed=seed)[:, :music.shape[1]]
    return (music + 0.6 * np.vstack([side, -side]) + 0.08 * bed).astype(np.float32)


def demo_files(folder: Path) -> tuple[Path, Path, Path]:
    """Two songs of an EP and a reference: the first with its right channel
    polarity-flipped for 4 s (phase cancellation), the second squashed and clipped, the
    reference the first one brighter and louder."""
    first = at_loudness(polarity_flipped(song("A", "minor", ["i", "VI", "III", "VII"], 0,
                                               120.0), 12.0, 16.0), -16.0)
    second = limited(song("C", "major", ["I", "V", "vi", "IV"], 1, 124.0), -8.0, -0.1)
    second[:, int(20 * RATE):int(20 * RATE) + 600] = 0.999  # a clipped moment
    reference = limited(equalised(first, 3000, 14000, 3.0), -10.0, -1.0)
    return (write_wav(folder / "01 Opening.wav", first, RATE, "PCM_24"),
            write_wav(folder / "02 Single.wav", second, RATE, "PCM_24"),
            write_wav(folder / "Reference.wav", reference, RATE, "PCM_24"))


def track_ids(data: Path) -> dict[str, int]:
    """The stored tracks' ids by file name (the references: their first copy)."""
    with sqlite3.connect(data / "zoundzcope.db") as connection:
        rows = connection.execute("SELECT id, original_name FROM track ORDER BY id").fetchall()
    found: dict[str, int] = {}
    for track_id, name in rows:
        found.setdefault(name, track_id)
    return found


def shoot(element: Any, path: Path) -> None:
    """The element, scrolled to the top of the view (clear of the chat input at the
    bottom)."""
    element.evaluate("e => e.scrollIntoView({block: 'start'})")
    element.page.wait_for_timeout(1500)
    element.screenshot(path=str(path))
    print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def region(page: Any, top: Any, bottom: Any, path: Path, margin: int = 16) -> None:
    """The page from ``top``'s top edge down to ``bottom``'s bottom edge (both in view)."""
    page.wait_for_timeout(1500)
    first, last = top.bounding_box(), bottom.bounding_box()
    width = page.viewport_size["width"]
    y = max(0, first["y"] - margin)
    page.screenshot(path=str(path), clip={"x": 0, "y": y, "width": width,
                                          "height": last["y"] + last["height"] + margin - y})
    print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def analyze_shots(page: Any, out: Path, files: tuple[Path, Path, Path]) -> None:
    first, second, reference = files
    field(page, "New session name").fill("Demo EP")
    field(page, "New session name").press("Enter")
    inputs = page.locator("input[type=file]")
    upload(page, inputs.nth(1), reference)
    _settle(page)
    inputs.nth(0).set_input_files([str(first), str(second)])
    expect(page.get_by_text(second.name)).to_be_visible(timeout=30_000)
    _settle(page)
    page.get_by_role("button", name="Analyze").click()
    expect(page.get_by_text("Integrated loudness", exact=True)).to_be_visible(timeout=300_000)
    _settle(page)

    player = page.frame_locator("iframe[src*='zz_player']").locator("#zz-player[data-ready='true']")
    expect(player).to_be_attached(timeout=60_000)
    card = (page.get_by_test_id("stVerticalBlock").filter(has_text="Phase cancellation")
            .filter(has=page.get_by_role("button", name=CLOCK_SPAN)).last)
    loop = page.frame_locator("iframe[src*='zz_player']").locator("#loop")
    for attempt in range(3):  # a click landing while the page reruns can be lost
        _settle(page)
        card.get_by_role("button", name=CLOCK_SPAN).click()
        try:
            expect(loop).to_be_visible(timeout=15_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    _settle(page)
    page.frame_locator("iframe[src*='zz_player']").locator("#play").click()  # pause
    region(page, page.get_by_text("Show the analysis of"),
           page.get_by_test_id("stTabs").first.get_by_role("tablist"), out / "analyze.png")

    tabs = page.get_by_test_id("stTabs").first
    spectrogram = page.get_by_role("tab", name="Spectrogram", exact=True)
    spectrogram.click()
    page.wait_for_timeout(800)
    if tabs.get_by_test_id("stTabPanel").filter(visible=True).locator(".js-plotly-plot").count():
        shoot(tabs, out / "meter-views.png")
    else:  # an engine without the spectrogram: the spectrum analyser instead
        page.get_by_role("tab", name="Spectrum", exact=True).click()
        shoot(tabs, out / "meter-views.png")
    page.get_by_role("tab", name="Stereo", exact=True).click()
    shoot(tabs, out / "stereo-view.png")

    page.set_viewport_size(PHONE)
    page.wait_for_timeout(1500)
    page.locator("iframe[src*='zz_player']").evaluate(
        "e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(out / "phone.png"))
    print("saved phone.png")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] + 1, f"wider than a phone: {widths}"
    page.set_viewport_size(WIDE)


def compare_shot(page: Any, url: str, data: Path, out: Path) -> None:
    ids = track_ids(data)
    picked = ",".join(str(ids[name]) for name in ("01 Opening.wav", "02 Single.wav",
                                                  "Reference.wav"))
    page.goto(f"{url}/history?view=compare&tracks={picked}")
    expect(page.get_by_role("heading", name="Side by side")).to_be_visible(timeout=120_000)
    _settle(page)
    expect(page.frame_locator("iframe[src*='zz_player']").locator(
        "#zz-player[data-ready='true']")).to_be_attached(timeout=60_000)
    region(page, page.get_by_text("Tracks to compare (any sessions)"),
           page.locator(".js-plotly-plot").nth(1), out / "compare.png")


def docs_shot(page: Any, out: Path) -> None:
    page.get_by_role("link", name="Docs Assistant").click()
    box = page.get_by_placeholder("Ask a question", exact=False)
    box.fill("What does the PLR card mean, and what should it be for a pop master?")
    box.press("Enter")
    expect(page.get_by_text("[1]", exact=False).first).to_be_visible(timeout=180_000)
    _settle(page)
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(out / "docs-assistant.png"))
    print("saved docs-assistant.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="zz-screens-"))
    files = demo_files(work)
    data = work / "data"
    port = _free_port()
    env = {**os.environ, "ZZ_DATA_DIR": str(data), "ZZ_COOKIE_KEY": "screens-" * 6}
    env.pop("DATABASE_URL", None)
    with (work / "server.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=WIDE, device_scale_factor=1)
            page.set_default_timeout(120_000)
            page.goto(url)
            register_and_log_in(page, "demo", "Demo", "Producer")
            try:
                analyze_shots(page, out, files)
                compare_shot(page, url, data, out)
                docs_shot(page, out)
            except Exception:
                page.screenshot(path=str(work / "failed.png"))
                print(f"failed; see {work / 'failed.png'} and {work / 'server.log'}")
                raise
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
