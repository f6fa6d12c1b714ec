"""The product's settings, read in one place.

Each setting comes from the Streamlit secrets (``[section] key`` in
``.streamlit/secrets.toml``, handed in by the app as a plain mapping), else from the
environment, else from a safe default, so the app and the command line start with nothing
configured: SQLite and audio under ``./data``, offline feedback, the bundled knowledge
base. The table below is the whole list; the README's configuration table mirrors it.
"""

from __future__ import annotations

import math
import os
import secrets as token_source
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from zz_core.errors import ZzError

DB_FILE_NAME = "zoundzcope.db"
COOKIE_KEY_FILE = ".cookie_key"


class SettingsError(ZzError, ValueError):
    """A configured value cannot be used (the message names the setting)."""


@dataclass(frozen=True)
class Setting:
    """Where one setting is read from, and its default."""

    section: str | None  # in st.secrets; None: environment only
    key: str
    env: tuple[str, ...]
    default: Any
    kind: type = str


SETTINGS: dict[str, Setting] = {
    "data_dir": Setting("storage", "data_dir", ("ZZ_DATA_DIR",), "data"),
    "database_url": Setting("storage", "database_url", ("DATABASE_URL",), None),
    "index_dir": Setting("storage", "index_dir", ("ZZ_INDEX_DIR",), None),
    "max_upload_mb": Setting("storage", "max_upload_mb", ("ZZ_MAX_UPLOAD_MB",), 400.0, float),
    "retention_days": Setting("storage", "retention_days", ("ZZ_RETENTION_DAYS",), 14.0, float),
    "retention_max_bytes": Setting("storage", "retention_max_bytes",
                                   ("ZZ_RETENTION_MAX_BYTES",), 2 * 1024**3, float),
    "retention_interval_s": Setting("storage", "retention_interval_s",
                                    ("ZZ_RETENTION_INTERVAL_S",), 3600.0, float),
    "cookie_name": Setting("auth", "cookie_name", ("ZZ_COOKIE_NAME",), "zoundzcope_auth"),
    "cookie_key": Setting("auth", "cookie_key", ("ZZ_COOKIE_KEY",), None),
    "cookie_expiry_days": Setting("auth", "cookie_expiry_days", ("ZZ_COOKIE_DAYS",), 30.0,
                                  float),
    "llm_provider": Setting("llm", "provider", ("ZZ_LLM_PROVIDER",), None),
    "llm_api_key": Setting("llm", "api_key", ("ZZ_LLM_API_KEY", "OPENAI_API_KEY"), None),
    "llm_model": Setting("llm", "model", ("ZZ_LLM_MODEL",), None),
    "llm_base_url": Setting("llm", "base_url", ("ZZ_LLM_BASE_URL",), None),
    "llm_timeout_s": Setting("llm", "timeout_s", ("ZZ_LLM_TIMEOUT_S",), 60.0, float),
}


@dataclass(frozen=True)
class Settings:
    """Every setting, resolved (see ``SETTINGS`` for where each comes from)."""

    data_dir: Path
    database_url: str
    index_dir: Path
    max_upload_mb: float
    retention_days: float
    retention_max_bytes: float
    retention_interval_s: float
    cookie_name: str
    cookie_key: str | None
    cookie_expiry_days: float
    llm_provider: str | None
    llm_api_key: str | None
    llm_model: str | None
    llm_base_url: str | None
    llm_timeout_s: float

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024**2)

    @property
    def audio_dir(self) -> Path:
        return self.data_dir / "audio"


def _from_secrets(secrets: Mapping[str, Any] | None, setting: Setting) -> Any:
    if secrets is None or setting.section is None:
        return None
    try:
        section = secrets.get(setting.section)
        value = section.get(setting.key) if section is not None else None
    except (AttributeError, KeyError, TypeError):
        return None
    return None if value is None or str(value) == "" else value


def _raw(name: str, setting: Setting, secrets: Mapping[str, Any] | None,
         environ: Mapping[str, str]) -> Any:
    found = _from_secrets(secrets, setting)
    if found is not None:
        return found
    for env in setting.env:
        text = environ.get(env, "").strip()
        if text:
            return text
    return setting.default


def _number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"the setting {name} must be a number, not {value!r}") from None
    if not (math.isfinite(number) and number >= 0):
        raise SettingsError(f"the setting {name} must be 0 or more, not {value!r}")
    return number


_PARSERS: dict[type, Callable[[str, Any], Any]] = {
    float: _number,
    str: lambda _name, value: None if value is None else str(value),
}


def load_settings(secrets: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting; ``secrets`` is ``st.secrets`` as a mapping (the app),
    ``environ`` defaults to ``os.environ``. ``SettingsError`` names a bad value."""
    env = os.environ if environ is None else environ
    values = {name: _PARSERS[s.kind](name, _raw(name, s, secrets, env))
              for name, s in SETTINGS.items()}
    data_dir = Path(values["data_dir"] or "data").expanduser().resolve()
    values["data_dir"] = data_dir
    values["database_url"] = values["database_url"] or f"sqlite:///{data_dir / DB_FILE_NAME}"
    values["index_dir"] = Path(values["index_dir"]) if values["index_dir"] else (
        data_dir / "index")
    if values["retention_interval_s"] <= 0:
        raise SettingsError("the setting retention_interval_s must be a positive number "
                            "of seconds")
    return Settings(**{f.name: values[f.name] for f in fields(Settings)})


def persistent_cookie_key(data_dir: Path) -> str:
    """A random login-cookie key kept in the data folder (mode 0600), so nothing secret
    is in the code or the repository and logins survive a restart when none is set."""
    path = data_dir / COOKIE_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = token_source.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
