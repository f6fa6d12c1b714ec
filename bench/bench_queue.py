"""Benchmark: the analysis queue (Celery over Redis) against in-process analysis.

Side by side in one run, on the ten 3-6 minute 48 kHz stereo tracks of
``bench_analyze.py`` (rendered once, cached in bench/out/):
  - in-process: ``analyses.analyse_files`` in this process (the command line's path:
    one file after the other, the next one decoded on a thread), engine warm;
  - through the queue with 1 worker process, then with 2 (``python -m zz_core worker
    --concurrency 1``, each started and warm before the clock starts): the ten files
    submitted as a batch (``AnalysisQueue.submit_file``), the clock stopped at the last
    outcome; audio on the local store, Redis on loopback (``redis-server``);
and the overhead a job pays for the queue: a 1 s file, 20 times, analysed in-process vs
sent as a batch file vs as an app job (upload checked and stored, record in SQLite,
progress written by the worker) through the in-process pool and through the queue,
medians. Prints one table.

Run: python bench/bench_queue.py   (needs redis-server: apt-get install redis-server)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_analyze import batch, render_track  # noqa: E402  (after the path)
from zz_core.config import Settings, load_settings  # noqa: E402
from zz_core.judge.models import AnalysisOptions  # noqa: E402
from zz_core.judge.pipeline import analyze_file  # noqa: E402
from zz_core.services import analyses, jobs  # noqa: E402
from zz_core.services.queue import AnalysisQueue, CeleryRunner  # noqa: E402
from zz_core.services.runner import PoolRunner  # noqa: E402
from zz_core.services.workspace import Workspace  # noqa: E402
from zz_core.store import db, users  # noqa: E402

OPTIONS = AnalysisOptions(context="master")
OVERHEAD_RUNS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[str]:
    port = free_port()
    folder = tempfile.mkdtemp(prefix="zz-bench-redis-")
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", folder],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        for _ in range(100):
            try:
                redis.Redis(port=port).ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def workers(count: int, env: dict[str, str], logs: Path) -> Iterator[None]:
    """``count`` worker processes of one analysis each, started and warm."""
    started = []
    for index in range(count):
        log = (logs / f"worker{count}-{index}.log").open("wb")
        started.append((subprocess.Popen(
            [sys.executable, "-m", "zz_core", "worker", "--concurrency=1", "--loglevel=INFO"],
            cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True), log, logs / f"worker{count}-{index}.log"))
    try:
        for process, _log, path in started:
            while " ready." not in path.read_text(errors="replace"):
                if process.poll() is not None:
                    raise RuntimeError(path.read_text(errors="replace")[-2000:])
                time.sleep(0.2)
        yield
    finally:
        for process, log, _path in started:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)
            log.close()


def stage_files(settings: Settings, files: list[Path]) -> list[tuple[str, str, str]]:
    """Copy the files into the store's batch area: (key, sha256, name) each."""
    staged = []
    for path in files:
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        target = settings.data_dir / "batch" / f"{sha}{path.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.write_bytes(data)
        staged.append((f"batch/{sha}{path.suffix}", sha, path.name))
    return staged


def through_queue(settings: Settings, staged: list[tuple[str, str, str]],
                  options: AnalysisOptions = OPTIONS) -> float:
    queue = AnalysisQueue(settings)
    try:
        start = time.perf_counter()
        tickets = [queue.submit_file(key, options, sha256=sha, name=name)
                   for key, sha, name in staged]
        outcomes = list(queue.results(tickets, timeout_s=3600))
        elapsed = time.perf_counter() - start
    finally:
        queue.close()
    failed = [o.error for o in outcomes if o.error]
    if failed:
        raise RuntimeError(f"{len(failed)} failed: {failed[0]}")
    return elapsed


def median_s(run: Callable[[], object], runs: int = OVERHEAD_RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def one_second_file(folder: Path, seed: int) -> Path:
    path = folder / f"one{seed}.wav"
    noise = np.random.default_rng(seed).standard_normal((48000, 2)) * 0.1
    sf.write(str(path), noise.astype(np.float32), 48000, subtype="PCM_24")
    return path


def overheads(settings: Settings, folder: Path) -> tuple[float, float, float, float]:
    """Medians for a 1 s file: analysed in this process, as a batch file through the
    queue, as an app job through the in-process pool, as an app job through the queue."""
    files = [one_second_file(folder, seed) for seed in range(OVERHEAD_RUNS)]
    local = iter(files)
    in_process = median_s(lambda: analyze_file(next(local), OPTIONS))
    staged = iter(stage_files(settings, files))
    as_file = median_s(lambda: through_queue(settings, [next(staged)]))
    engine = db.create_db_engine(settings.database_url)
    db.upgrade_schema(engine)
    user = users.create_user(engine, username="bench", name="Bench", email="b@example.com",
                             password_hash="x")
    workspace = Workspace(engine, user.id, settings.data_dir)

    def job_median(runner: jobs.JobRunner) -> float:
        uploads = iter(files)

        def job() -> None:
            path = next(uploads)
            started = jobs.start_analysis(workspace, runner, None,
                                          jobs.Upload(path.read_bytes(), path.name), OPTIONS,
                                          new_project_name=path.stem)
            done = jobs.wait(workspace, started.id, 120, poll_s=0.01)
            assert done.state == "done", done

        try:
            return median_s(job)
        finally:
            runner.shutdown()

    pool = PoolRunner(engine, settings.data_dir, 1, objects=workspace.objects)
    pool.warm()
    pool.warm_up.wait(120)
    in_pool = job_median(pool)
    as_job = job_median(CeleryRunner(engine, settings, workspace.objects, sweep=False))
    engine.dispose()
    return in_process, as_file, in_pool, as_job


def main() -> int:
    if shutil.which("redis-server") is None:
        print("redis-server is not on PATH (apt-get install redis-server)", file=sys.stderr)
        return 2
    files = batch()
    minutes = sum(sf.info(str(f)).duration for f in files) / 60
    warm = ROOT / "bench" / "out" / "warmup.wav"
    if not warm.exists():
        render_track(warm, 5.0, 120.0, 1)
    analyze_file(warm, OPTIONS)  # this process warm, as the workers are
    start = time.perf_counter()
    for outcome in analyses.analyse_files([str(f) for f in files], None, OPTIONS):
        assert outcome.error is None, outcome.error
    in_process = time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="zz-bench-queue-") as scratch, \
            redis_server() as url:
        data = Path(scratch) / "data"
        env = {"ZZ_QUEUE_URL": url, "ZZ_DATA_DIR": str(data), "ZZ_STORAGE_URL": "",
               "DATABASE_URL": f"sqlite:///{data / 'zoundzcope.db'}"}
        data.mkdir()
        settings = load_settings(environ=env)
        staged = stage_files(settings, files)
        queued: dict[int, float] = {}
        for count in (1, 2):
            with workers(count, env, Path(scratch)):
                queued[count] = through_queue(settings, staged)
                if count == 1:
                    costs = overheads(settings, Path(scratch))

    audio_s = minutes * 60
    print(f"batch: 10 tracks, {minutes:.1f} min of 48 kHz stereo; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'':32}{'wall s':>9}{'x real time':>13}{'per process':>13}")
    for label, seconds, processes in (("in-process (one process)", in_process, 1),
                                      ("queue, 1 worker process", queued[1], 1),
                                      ("queue, 2 worker processes", queued[2], 2)):
        print(f"{label:32}{seconds:9.1f}{audio_s / seconds:13.1f}"
              f"{audio_s / seconds / processes:13.1f}")
    print("(one process already uses part of a second core: the engine's FFTs, filters and "
          "true-peak kernel run on threads)")
    in_process_1s, as_file, in_pool, as_job = costs
    print(f"a 1 s file, median of {OVERHEAD_RUNS}, and what it costs over analyze_file:")
    for label, seconds in (("analyze_file in this process", in_process_1s),
                           ("queue, batch file", as_file),
                           ("app job, in-process pool", in_pool),
                           ("app job, queue", as_job)):
        print(f"  {label:30}{seconds * 1000:7.0f} ms  (+{(seconds - in_process_1s) * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
