"""Shared fixtures: a temporary data folder (``tmp_data_dir``), a migrated SQLite engine on
a real file (``sqlite_engine``), ``database_url`` (an empty database of every backend the
storage layer must work on: SQLite and PostgreSQL), ``db_engine`` (the same, migrated) and
one real ``analysis_result`` to store.

PostgreSQL comes from ``ZZ_TEST_POSTGRES_URL`` (a role allowed to CREATE DATABASE: each test
gets a database of its own, dropped afterwards) or, failing that, from a throwaway server
this session starts with the Debian binaries (``apt-get install postgresql``) in a temporary
folder, on a free port of 127.0.0.1, as an unprivileged user when running as root. When
neither is possible the PostgreSQL cases are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine, make_url

from tests.llm_server import LLMServer
from tests.s3server import s3_endpoint, s3_storage  # noqa: F401  (fixtures: moto S3)

if TYPE_CHECKING:
    from zz_core.judge.models import AnalysisResult
    from zz_core.knowledge.retrieval import KnowledgeIndex

PG_TEST_USER = "zztest"
PG_START_TIMEOUT_S = 60


@pytest.fixture(scope="session", autouse=True)
def shared_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One knowledge-base index for the whole run (``ZZ_INDEX_DIR``): the app and CLI
    tests build it once instead of re-embedding the knowledge base in every test."""
    folder = tmp_path_factory.mktemp("index")
    previous = os.environ.get("ZZ_INDEX_DIR")
    os.environ["ZZ_INDEX_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("ZZ_INDEX_DIR", None)
    else:
        os.environ["ZZ_INDEX_DIR"] = previous


@pytest.fixture(scope="session")
def _running_llm_server() -> Iterator[LLMServer]:
    server = LLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_server(_running_llm_server: LLMServer) -> LLMServer:
    """The OpenAI-compatible test server on 127.0.0.1, with nothing scripted yet."""
    _running_llm_server.reset()
    return _running_llm_server


@pytest.fixture(scope="session")
def knowledge_index(shared_index_dir: Path) -> KnowledgeIndex:
    """The app's knowledge-base index (knowledge/ plus the generated reference pages), in
    the run's shared index folder: the app, CLI and retrieval tests build it once."""
    from zz_core.advise.answers import open_knowledge_base

    return open_knowledge_base(shared_index_dir / "knowledge")


@pytest.fixture(scope="session")
def analysis_result() -> AnalysisResult:
    """One real analysis of a 2 s stereo sine (electronic/techno, mixdown)."""
    from tests.signals import sine
    from zz_core.judge.models import AnalysisOptions
    from zz_core.judge.pipeline import analyze_audio
    from zz_core.measure.decoding import Audio

    options = AnalysisOptions(context="mixdown", genre="electronic", subgenre="techno")
    audio = Audio(sine(-12.0, 2.0, freq_hz=440.0), 48000, "WAV PCM_16")
    return analyze_audio(audio, options, file_name="a.wav")


@pytest.fixture
def tmp_data_dir(tmp_path: Path) -> Path:
    """An empty data folder (audio files and the SQLite database go there)."""
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def sqlite_engine(tmp_data_dir: Path) -> Iterator[Engine]:
    """An engine on a real SQLite file in ``tmp_data_dir``, schema migrated to head."""
    from zz_core.config import DB_FILE_NAME
    from zz_core.store import db

    engine = db.create_db_engine(f"sqlite:///{tmp_data_dir / DB_FILE_NAME}")
    db.upgrade_schema(engine)
    yield engine
    engine.dispose()


# --- PostgreSQL ------------------------------------------------------------------------


def _postgres_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest version."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    """The command prefix that runs a program as an unprivileged user (postgres refuses root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(PG_TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        PG_TEST_USER], check=True, capture_output=True)
    if shutil.which("runuser"):
        return ["runuser", "-u", PG_TEST_USER, "--"]
    return ["su", PG_TEST_USER, "-s", "/bin/sh", "-c", '"$0" "$@"']


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-500:]}")


class _ThrowawayServer:
    """A PostgreSQL cluster in a temporary folder, trust auth on 127.0.0.1 only."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.prefix = _as_server_user()
        self.root = Path(tempfile.mkdtemp(prefix="zz-postgres-"))
        self.data = self.root / "data"
        self.port = _free_port()
        if self.prefix:
            shutil.chown(self.root, user=PG_TEST_USER, group=PG_TEST_USER)

    def start(self) -> str:
        _run([*self.prefix, str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
              "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"])
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -F -c fsync=off"
        _run([*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
              str(self.root / "server.log"), "-o", options, "-w", "-t",
              str(PG_START_TIMEOUT_S), "start"])
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data),
                            "-m", "immediate", "-w", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A URL to a PostgreSQL server where the tests may create and drop databases."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests need the psycopg driver: pip install 'psycopg[binary]'")
    configured = os.environ.get("ZZ_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL tests need ZZ_TEST_POSTGRES_URL or the server binaries "
                    "(apt-get install postgresql)")
    server = _ThrowawayServer(bin_dir)
    try:
        url = server.start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        server.stop()
        pytest.skip(f"could not start a throwaway PostgreSQL server: {error}")
    try:
        yield url
    finally:
        server.stop()


def _admin(url: str, sql: str) -> None:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    name = f"zz_test_{uuid.uuid4().hex[:12]}"
    _admin(postgres_admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(postgres_admin_url).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _admin(postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_data_dir: Path) -> str:
    """An empty database of each backend: a real SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_data_dir / 'zoundzcope.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def db_engine(database_url: str) -> Iterator[Engine]:
    """An engine on ``database_url`` (each backend), schema migrated to head."""
    from zz_core.store import db

    engine = db.create_db_engine(database_url)
    db.upgrade_schema(engine)
    yield engine
    engine.dispose()


SLOW_FIXTURES = frozenset({"postgres_admin_url", "postgres_url", "embedder", "knowledge_index",
                           "index"})
"""Tests that need these (a PostgreSQL server, the embedding model) are marked slow."""
SLOW_FOLDERS = frozenset({"e2e"})
"""Folders whose tests are all slow (a real browser against a running app)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow tests in one place, so ``-m "not slow"`` gives a quick full check of
    the rest: the browser, PostgreSQL and the embedding model run in CI's full suite."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and "postgresql" in callspec.id
        fixtures = set(getattr(item, "fixturenames", ()))
        if on_postgres or fixtures & SLOW_FIXTURES or SLOW_FOLDERS & set(item.path.parts):
            item.add_marker(pytest.mark.slow)


# --- Redis and queue workers (the scale-out issue) ------------------------------------------

REDIS_START_TIMEOUT_S = 20
WORKER_START_TIMEOUT_S = 120
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway Redis (Debian's ``redis-server``, ``apt-get install redis-server``) on a
    free port of 127.0.0.1, nothing persisted; its URL (database 0). Skipped when the
    binary is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("the queue tests need redis-server (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(folder), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    import redis

    deadline = time.monotonic() + REDIS_START_TIMEOUT_S
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            break
        except redis.exceptions.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.skip("could not start a throwaway redis-server")
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def queue_url(redis_server: str) -> Iterator[str]:
    """An empty Redis database for one test (flushed before and after)."""
    import redis

    url = f"{redis_server}/1"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


class QueueWorker:
    """One ``python -m zz_core worker`` process (its own process group, so a SIGKILL of
    the group takes its forked processes with it); output in ``log``."""

    def __init__(self, env: dict[str, str], log: Path, concurrency: int, queues: str) -> None:
        self.log = log
        self._handle = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "zz_core", "worker", f"--concurrency={concurrency}",
             f"--queues={queues}", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=self._handle, stderr=subprocess.STDOUT,
            start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout_s: float = WORKER_START_TIMEOUT_S) -> QueueWorker:
        deadline = time.monotonic() + timeout_s
        while " ready." not in self.output():
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{self.output()[-3000:]}")
            time.sleep(0.2)
        return self

    def children(self) -> list[int]:
        """The worker's forked processes (the ones that run the analyses)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                if f"\nPPid:\t{self.pid}\n" in status:
                    found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """SIGKILL the whole worker: its main process and every forked one."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._handle.close()


@pytest.fixture
def queue_workers(tmp_path: Path) -> Iterator[Callable[..., QueueWorker]]:
    """Start real queue workers: ``start(env, concurrency=1, queues=...)`` with the
    settings in ``env`` (added to this environment); all stopped at the end."""
    started: list[QueueWorker] = []

    def start(env: dict[str, str], concurrency: int = 1,
              queues: str = "interactive,batch") -> QueueWorker:
        worker = QueueWorker({**os.environ, **env}, tmp_path / f"worker{len(started)}.log",
                             concurrency, queues)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
