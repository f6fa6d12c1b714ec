"""The AppTest suites' fixture: a fresh data directory and empty resource caches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ZZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZZ_COOKIE_KEY", "test-cookie-key-" * 4)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name in ("OPENAI_API_KEY", "ZZ_LLM_PROVIDER", "ZZ_LLM_API_KEY", "ZZ_LLM_MODEL",
                 "ZZ_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)  # the offline engine unless a test says
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()
