"""Process-wide resources, created once and shared by every session (st.cache_resource):
settings, the database engine (schema upgraded on start), the analysis process pool, the
retention thread, the embedding model with the knowledge-base index, and each user's own
document library (keyed by user id)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import streamlit as st

from ui.settings import app_settings
from zz_core.config import Settings
from zz_core.knowledge import retrieval
from zz_core.knowledge.userdocs import UserLibrary
from zz_core.services import database, docs
from zz_core.services.database import Database

ANALYSIS_WORKERS = 2


@st.cache_resource
def settings() -> Settings:
    return app_settings()


@st.cache_resource
def engine() -> Database:
    """The database engine, with the schema migrated to the latest revision."""
    config = settings()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return database.open_database(config.database_url)


@st.cache_resource
def analysis_pool() -> ProcessPoolExecutor:
    """Worker processes for the engine, so an analysis never blocks other sessions' scripts.

    'spawn' because the server is multi-threaded (fork would copy locks mid-use).
    """
    return ProcessPoolExecutor(max_workers=ANALYSIS_WORKERS,
                               mp_context=multiprocessing.get_context("spawn"))


@st.cache_resource
def retention_thread() -> object:
    """Start removing expired audio files in the background (analyses are kept)."""
    config = settings()
    return database.start_retention(engine(), config.data_dir)


@st.cache_resource(show_spinner="Loading the knowledge base...")
def knowledge_index() -> retrieval.KnowledgeIndex:
    """The bundled knowledge base and the generated app reference, indexed once (only
    changed documents are embedded again after an upgrade)."""
    return docs.knowledge_base(settings())


@st.cache_resource(show_spinner="Loading your documents...")
def user_library(user_id: int) -> UserLibrary:
    return docs.user_library(settings(), user_id)
