"""Process-wide resources, created once and shared by every session (st.cache_resource):
settings, the database engine (schema upgraded on start), the audio store, the analysis
job runner (a pool of worker processes; with ``ZZ_QUEUE_URL``, the queue's workers), the
retention thread, the embedding model with the knowledge-base index, and each user's own
document library (keyed by user id).

Warm start: the first page load of a fresh server (``retention_thread``, which the entry
point calls on every run; the Analyze page's status asks too) starts the job runner, which
resumes the jobs a dead server left and warms its worker processes (spawned, the engine
imported and run once), and loads the embedding model and the knowledge base on a
background thread; ``warm_status`` reports their progress. Streamlit has no hook before
the first page load. Under AppTest (no real server) nothing is warmed in advance. Nothing
here runs Streamlit calls off the script thread.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

import streamlit as st
from streamlit.runtime import Runtime

from ui.settings import app_settings
from zz_core.config import Settings, private_data_dir
from zz_core.knowledge import retrieval
from zz_core.knowledge.userdocs import UserLibrary
from zz_core.services import database, docs
from zz_core.services.database import Database
from zz_core.services.queue import CeleryRunner
from zz_core.services.runner import ANALYSIS_WORKERS, PoolRunner, WarmStep, WarmUp
from zz_core.services.workspace import Objects, Workspace, configured_storage

__all__ = ["ANALYSIS_WORKERS", "WarmStep", "background", "engine", "job_runner",
           "knowledge_index", "queued", "retention_thread", "settings", "storage",
           "user_library", "warm_status", "workspace"]


@st.cache_resource
def settings() -> Settings:
    return app_settings()


@st.cache_resource
def engine() -> Database:
    """The database engine, with the schema migrated to the latest revision."""
    config = settings()
    private_data_dir(config.data_dir)
    return database.open_database(config.database_url)


@st.cache_resource
def storage() -> Objects:
    """The audio store: the data folder, or the S3-compatible bucket of ``storage.url``."""
    return configured_storage(settings())


def workspace(user_id: int) -> Workspace:
    """The signed-in user's workspace on this server's database and audio store."""
    return Workspace(engine(), user_id, settings().data_dir, storage())


def queued() -> bool:
    """True when analyses run on the queue's workers (``ZZ_QUEUE_URL``): the pages then
    follow a job from its record and a new session picks up the latest upload's job."""
    return bool(settings().queue_url)


def _stop_runner(runner: PoolRunner | CeleryRunner) -> None:
    runner.shutdown()


@st.cache_resource(on_release=_stop_runner, show_spinner=False)
def job_runner() -> PoolRunner | CeleryRunner:
    """The analysis job runner: worker processes so an analysis never blocks other
    sessions' scripts, warmed in the background; jobs a dead server left unfinished are
    resumed. With ``ZZ_QUEUE_URL`` the jobs go to the queue's workers instead (on other
    machines), and jobs whose worker vanished are sent again."""
    config = settings()
    runner: PoolRunner | CeleryRunner
    if config.queue_url:
        runner = CeleryRunner(engine(), config, storage())
    else:
        runner = PoolRunner(engine(), config.data_dir, ANALYSIS_WORKERS, objects=storage())
        if _serving():
            runner.warm()
    runner.recover()
    return runner


@st.cache_resource(show_spinner=False)
def background() -> WarmUp:
    """Start warming everything slow (once per server): the analysis workers and the
    embedding model with the knowledge base. Returns their progress."""
    runner = job_runner()
    config = settings()
    if _serving():
        runner.warm_up.start("knowledge", "Knowledge base",
                             lambda _report: _knowledge(config).result())
    return runner.warm_up


def _serving() -> bool:
    """True in a real server. AppTest's runtime is a stand-in: there the workers start
    and the knowledge base loads on first use, so a test that never analyses or asks
    anything does not pay for them."""
    return Runtime.exists() and isinstance(Runtime.instance(), Runtime)


def warm_status() -> list[WarmStep]:
    """What is still loading in the background (empty once everything is ready)."""
    return [step for step in background().steps() if not step.done or step.error]


@st.cache_resource
def retention_thread() -> object:
    """Start removing expired audio files in the background (analyses are kept), and
    the warm-up of the analysis workers and the knowledge base."""
    config = settings()
    worker = database.start_retention(engine(), config.data_dir, storage())
    background()
    return worker


_KNOWLEDGE: dict[Path, Future[retrieval.KnowledgeIndex]] = {}
_KNOWLEDGE_LOCK = threading.Lock()


def _knowledge(config: Settings) -> Future[retrieval.KnowledgeIndex]:
    """The knowledge base indexed under the configured index folder, loaded once per
    process on a background thread (a failed load is tried again by the next caller)."""
    with _KNOWLEDGE_LOCK:
        found = _KNOWLEDGE.get(config.index_dir)
        if found is not None and not (found.done() and found.exception() is not None):
            return found
        future: Future[retrieval.KnowledgeIndex] = Future()
        _KNOWLEDGE[config.index_dir] = future

    def load() -> None:
        try:
            future.set_result(docs.knowledge_base(config))
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=load, name="zz-knowledge", daemon=True).start()
    return future


@st.cache_resource(show_spinner="Loading the knowledge base...")
def knowledge_index() -> retrieval.KnowledgeIndex:
    """The bundled knowledge base and the generated app reference, indexed once (only
    changed documents are embedded again after an upgrade); loaded in the background
    from the first page load, waited for here."""
    return _knowledge(settings()).result()


@st.cache_resource(show_spinner="Loading your documents...")
def user_library(user_id: int) -> UserLibrary:
    return docs.user_library(settings(), user_id)
