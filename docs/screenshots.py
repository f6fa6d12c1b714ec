"""Take the README screenshots from the real app (run by hand, not in the tests).

Starts ``streamlit run app.py`` on a throwaway data directory, registers a user, analyses
a rendered demo mix against a brighter reference, asks the Docs Assistant a question, and
saves docs/analyze.png, docs/compare.png, docs/feedback.png and docs/docs-assistant.png
(offline engine). Needs Debian's Chromium: ``python docs/screenshots.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.e2e.test_browser import (  # noqa: E402
    CHROMIUM,
    _free_port,
    _wait_healthy,
    register_and_log_in,
    upload,
)
from tests.mixes import RATE, clean_mixdown, equalised  # noqa: E402
from tests.music import render_drums  # noqa: E402
from tests.signals import write_wav  # noqa: E402


def main() -> None:
    import os
    import subprocess

    work = Path(tempfile.mkdtemp())
    mix = clean_mixdown(40.0) + render_drums(124.0, 40.0, rate=RATE).audio[:, : 40 * RATE]
    mix[:, 20 * RATE:20 * RATE + 400] = 0.999  # a clipped moment to show on the waveform
    track = write_wav(work / "my-mix.wav", mix, RATE, "PCM_24")
    reference = write_wav(work / "reference.wav", equalised(mix * 1.6, 3000, 12000, 3.0), RATE)
    port = _free_port()
    env = {**os.environ, "ZZ_DATA_DIR": str(work / "data"), "ZZ_COOKIE_KEY": "s" * 48}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py",
                               "--server.headless", "true", "--server.port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.set_default_timeout(120_000)
            page.goto(url)

            register_and_log_in(page, "demo", "Demo", "Producer")
            uploads = page.locator("input[type=file]")
            upload(page, uploads.nth(0), track)
            upload(page, uploads.nth(1), reference)
            page.get_by_role("button", name="Analyze").click()
            try:
                expect(page.get_by_text("Integrated loudness", exact=True)).to_be_visible(
                    timeout=180_000)
            except AssertionError:
                page.screenshot(path=str(work / "failed.png"))
                print(f"analysis did not show; see {work / 'failed.png'}")
                raise
            page.wait_for_timeout(2500)
            page.screenshot(path=str(ROOT / "docs" / "analyze.png"))
            page.get_by_text("Against the reference").scroll_into_view_if_needed()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ROOT / "docs" / "compare.png"))
            page.get_by_text("Feedback", exact=True).scroll_into_view_if_needed()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ROOT / "docs" / "feedback.png"))
            page.get_by_role("link", name="Docs Assistant").click()
            box = page.get_by_placeholder("Ask a question", exact=False)
            box.fill("What does the PLR card mean?")
            box.press("Enter")
            expect(page.get_by_text("[1]", exact=False).first).to_be_visible(timeout=180_000)
            page.wait_for_timeout(2000)
            page.screenshot(path=str(ROOT / "docs" / "docs-assistant.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
