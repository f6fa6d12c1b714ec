"""Benchmark: a freshly started app, time to the first figures of a 5-minute track and to
the first chat answer (targets: 10 s each, on this 2-core machine).

Two ways to start fresh, each timed from the moment the server would have started:

- ``service`` (default): a new Python process does what the app's resources do at start
  (``ui/resources.py``): the job runner's pool warmed (workers spawned, the engine
  imported and run once) and the knowledge base with the embedding model loaded on a
  background thread. Once both report ready it stores a rendered 5-minute 48 kHz stereo
  track, queues its analysis and waits for the job's record to say done with the result
  loaded (what the page draws its figures from); then answers a follow-up question with
  the knowledge passages (the offline engine: no network).
- ``--server``: ``streamlit run app.py`` on a free port with a fresh data folder,
  Debian's Chromium (Playwright) registers, waits for the sidebar's warm-up to finish,
  uploads the track and clicks Analyze, and times until the first metric card shows. The
  server's log is searched for "missing ScriptRunContext" warnings (there were 125).

The knowledge-base index is kept under bench/out/index, as a server keeps it in its data
folder: the first run ever builds it (about a minute, reported), later starts only load it.

Run: python bench/bench_first_figures.py [--server]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TRACK_S = 300.0
QUESTION = "How can I make the low end tighter?"
TARGET_S = 10.0


def five_minute_track() -> Path:
    """A rendered 5-minute 48 kHz 24-bit stereo mix (cached in bench/out)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_analyze import render_track  # the benchmark tracks' renderer

    OUT.mkdir(exist_ok=True)
    path = OUT / "five_minutes.wav"
    if not path.exists():
        render_track(path, TRACK_S, 124.0, 5)
    return path


# --- the service layer in a fresh process ------------------------------------------------


def child(track: Path, data_dir: Path) -> dict[str, float]:
    """Runs in the fresh process: start as the app does, then time the two first uses."""
    began = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from zz_core.advise.providers import provider_config
    from zz_core.config import load_settings
    from zz_core.judge.models import AnalysisOptions
    from zz_core.services import conversations, database, docs, jobs
    from zz_core.services.runner import PoolRunner
    from zz_core.services.workspace import Workspace
    from zz_core.store import users

    settings = load_settings()
    engine = database.open_database(settings.database_url)
    runner = PoolRunner(engine, settings.data_dir)
    runner.warm()
    knowledge: dict[str, object] = {}
    loader = threading.Thread(target=lambda: knowledge.update(index=docs.knowledge_base()))
    loader.start()
    user = users.create_user(engine, username="bench", name="Bench", email="b@example.com",
                             password_hash="$2b$12$bench")
    workspace = Workspace(engine, user.id, settings.data_dir)
    runner.warm_up.wait(300)
    pool_ready = time.perf_counter() - began
    loader.join()
    knowledge_ready = time.perf_counter() - began

    clicked = time.perf_counter()
    job = jobs.start_analysis(workspace, runner, None,
                              jobs.Upload(track.read_bytes(), track.name),
                              AnalysisOptions(context="master", genre="electronic"),
                              new_project_name="Bench")
    job = jobs.wait(workspace, job.id, 600)
    outcome = jobs.job_outcome(workspace, job)
    assert outcome is not None, job.reason
    first_figures = time.perf_counter() - clicked
    asked = time.perf_counter()
    answer = conversations.track_answer(provider_config(settings), outcome.result, QUESTION,
                                        indexes=[knowledge["index"]])  # type: ignore[list-item]
    first_answer = time.perf_counter() - asked
    runner.shutdown()
    return {"pool_ready_s": pool_ready, "knowledge_ready_s": knowledge_ready,
            "first_figures_s": first_figures, "first_answer_s": first_answer,
            "integrated_lufs": outcome.result.loudness.integrated_lufs or float("nan"),
            "answer_chars": float(len(answer.answer)), "sources": float(len(answer.sources))}


def service(track: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="zz-bench-") as data_dir:
        env = {**os.environ, "ZZ_DATA_DIR": data_dir, "ZZ_INDEX_DIR": str(OUT / "index")}
        for name in ("DATABASE_URL", "ZZ_LLM_PROVIDER", "OPENAI_API_KEY", "ZZ_LLM_API_KEY"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, __file__, "--child", str(track), data_dir],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"the fresh process failed:\n{done.stderr[-3000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- a real server and browser ------------------------------------------------------------


def server(track: Path) -> dict[str, float]:
    import socket
    import urllib.request

    from playwright.sync_api import expect, sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data_dir = Path(tempfile.mkdtemp(prefix="zz-bench-server-"))
    log = data_dir / "server.log"
    env = {**os.environ, "ZZ_DATA_DIR": str(data_dir), "ZZ_INDEX_DIR": str(OUT / "index"),
           "ZZ_COOKIE_KEY": "bench-cookie-key" * 4}
    for name in ("DATABASE_URL", "ZZ_LLM_PROVIDER", "OPENAI_API_KEY", "ZZ_LLM_API_KEY"):
        env.pop(name, None)
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none", "--server.maxUploadSize", "400"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    started = time.perf_counter()
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking"])
            page = browser.new_page()
            page.goto(url)
            _register(page)
            expect(page.get_by_role("heading", name="Analyze a track")).to_be_visible(
                timeout=120_000)
            signed_in = time.perf_counter() - started
            expect(page.get_by_text("Loading:")).to_have_count(0, timeout=300_000)
            warm = time.perf_counter() - started
            page.locator("input[type=file]").first.set_input_files(str(track))
            expect(page.get_by_text(track.name)).to_be_visible(timeout=60_000)
            time.sleep(1.0)  # let the upload's rerun finish
            clicked = time.perf_counter()
            page.get_by_role("button", name="Analyze", exact=True).click()
            expect(page.get_by_text("Integrated loudness").first).to_be_visible(
                timeout=600_000)
            first_figures = time.perf_counter() - clicked
            browser.close()
    finally:
        process.terminate()
        process.wait(30)
    warnings = sum("missing ScriptRunContext" in line for line in log.read_text().splitlines())
    return {"signed_in_s": signed_in, "warm_s": warm, "first_figures_s": first_figures,
            "script_run_context_warnings": float(warnings)}


def _register(page: object) -> None:
    """Register the first account and sign in (the sign-in page's own labels)."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.get_by_role("tab", name="Register").click()
    for label, value in [("First name", "Bench"), ("Last name", "Mark"),
                         ("Email", "bench@example.com"), ("Username", "bench"),
                         ("Password", "Secret-pass-1"), ("Repeat password", "Secret-pass-1")]:
        page.get_by_label(label, exact=True).filter(visible=True).fill(value)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Account created")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Log in").click()
    page.get_by_label("Username", exact=True).filter(visible=True).fill("bench")
    page.get_by_label("Password", exact=True).filter(visible=True).fill("Secret-pass-1")
    page.get_by_role("button", name="Login").click()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(child(Path(argv[1]), Path(argv[2]))))
        return 0
    track = five_minute_track()
    index_built = (OUT / "index").exists()
    if not index_built:
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from zz_core.services import docs; "
                        "docs.knowledge_base()"], cwd=ROOT, check=True,
                       env={**os.environ, "ZZ_INDEX_DIR": str(OUT / "index")})
        print(f"first start ever: knowledge base indexed in {time.perf_counter() - began:.1f} s"
              " (kept in the data folder; later starts only load it)")
    if argv[:1] == ["--server"]:
        figures = server(track)
        print(f"fresh `streamlit run`: signed in after {figures['signed_in_s']:.1f} s, "
              f"warm-up done after {figures['warm_s']:.1f} s")
        print(f"5-minute track, click Analyze -> first metric card: "
              f"{figures['first_figures_s']:.1f} s (target {TARGET_S:.0f} s)")
        print(f"'missing ScriptRunContext' lines in the server log: "
              f"{figures['script_run_context_warnings']:.0f} (were 125)")
        return 0
    figures = service(track)
    print(f"fresh process: analysis workers warm after {figures['pool_ready_s']:.1f} s, "
          f"embedding model and knowledge base after {figures['knowledge_ready_s']:.1f} s")
    print(f"5-minute track, submit -> first figures: {figures['first_figures_s']:.1f} s "
          f"(target {TARGET_S:.0f} s; {figures['integrated_lufs']:.1f} LUFS)")
    print(f"first chat answer: {figures['first_answer_s']:.2f} s (target {TARGET_S:.0f} s; "
          f"{figures['sources']:.0f} passages cited)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
