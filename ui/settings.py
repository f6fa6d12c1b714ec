"""App settings: from ``st.secrets`` first, then the environment, then safe defaults,
so the app starts with nothing configured (SQLite under ./data, offline feedback)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from zz_core.advise.providers import ProviderConfig, config_from_env

COOKIE_KEY_FILE = ".cookie_key"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    index_dir: Path  # knowledge-base indexes (rebuilt from the documents if removed)
    database_url: str
    cookie_name: str
    cookie_key: str
    cookie_expiry_days: float


def _secret(section: str, key: str) -> Any | None:
    """A value from st.secrets[section][key], or None when there is no secrets file."""
    try:
        return st.secrets.get(section, {}).get(key)
    except (FileNotFoundError, AttributeError, KeyError):
        return None
    except Exception:
        return None


def _value(section: str, key: str, env: str, default: str | None = None) -> str | None:
    found = _secret(section, key)
    if found is not None:
        return str(found)
    return os.environ.get(env, default)


def _persistent_cookie_key(data_dir: Path) -> str:
    """A random key kept in the data directory (0600), so that nothing secret is in the
    code or the repository and logins survive a restart when none is configured."""
    path = data_dir / COOKIE_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def load_settings() -> Settings:
    data_dir = Path(_value("storage", "data_dir", "ZZ_DATA_DIR", "data") or "data").resolve()
    database_url = _value("storage", "database_url", "DATABASE_URL") or (
        f"sqlite:///{data_dir / 'zoundzcope.db'}")
    cookie_key = _value("auth", "cookie_key", "ZZ_COOKIE_KEY") or _persistent_cookie_key(data_dir)
    return Settings(
        data_dir=data_dir,
        index_dir=Path(_value("storage", "index_dir", "ZZ_INDEX_DIR") or data_dir / "index"),
        database_url=database_url,
        cookie_name=_value("auth", "cookie_name", "ZZ_COOKIE_NAME", "zoundzcope_auth")
        or "zoundzcope_auth",
        cookie_key=cookie_key,
        cookie_expiry_days=float(_value("auth", "cookie_expiry_days", "ZZ_COOKIE_DAYS", "30")
                                 or 30),
    )


LLM_SECRET_TO_ENV = {"provider": "ZZ_LLM_PROVIDER", "api_key": "ZZ_LLM_API_KEY",
                     "model": "ZZ_LLM_MODEL", "base_url": "ZZ_LLM_BASE_URL",
                     "timeout_s": "ZZ_LLM_TIMEOUT_S"}


def llm_config() -> ProviderConfig:
    """The configured language model: ``[llm]`` in st.secrets, else the environment
    (see ``zz_core.advise.providers.config_from_env``); offline when nothing is set."""
    env = dict(os.environ)
    for key, name in LLM_SECRET_TO_ENV.items():
        found = _secret("llm", key)
        if found is not None and str(found) != "":
            env[name] = str(found)
    return config_from_env(env)
