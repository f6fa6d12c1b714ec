"""The app's settings: ``zz_core.config`` fed with ``st.secrets`` (then the environment,
then safe defaults), so the app starts with nothing configured (SQLite under ./data,
offline feedback). The login-cookie key, when none is configured, is a random key kept in
the data folder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import streamlit as st

from zz_core.advise.providers import ProviderConfig, provider_config
from zz_core.config import Settings, load_settings, persistent_cookie_key


def _secrets() -> Mapping[str, Any] | None:
    """st.secrets as a plain mapping; None when there is no secrets file."""
    try:
        return {section: dict(values) if isinstance(values, Mapping) else values
                for section, values in st.secrets.to_dict().items()}
    except Exception:  # no secrets.toml, or an unreadable one: the environment decides
        return None


def app_settings() -> Settings:
    """Every setting, with a cookie key (configured, or the one kept in the data folder)."""
    settings = load_settings(_secrets())
    if not settings.cookie_key:
        settings = replace(settings, cookie_key=persistent_cookie_key(settings.data_dir))
    return settings


def llm_config() -> ProviderConfig:
    """The configured language model; offline when nothing is set."""
    return provider_config(load_settings(_secrets()))
