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
    "storage_url": Setting("storage", "url", ("ZZ_STORAGE_URL",), None),
    "storage_endpoint_url": Setting("storage", "endpoint_url", ("AWS_ENDPOINT_URL",), None),
    "storage_region": Setting("storage", "region", ("AWS_REGION", "AWS_DEFAULT_REGION"), None),
    "storage_access_key_id": Setting("storage", "access_key_id", ("AWS_ACCESS_KEY_ID",), None),
    "storage_secret_access_key": Setting("storage", "secret_access_key",
                                         ("AWS_SECRET_ACCESS_KEY",), None),
    "queue_url": Setting("queue", "url", ("ZZ_QUEUE_URL",), None),
    "cookie_name": Setting("auth", "cookie_name", ("ZZ_COOKIE_NAME",), "zoundzcope_auth"),
    "cookie_key": Setting("auth", "cookie_key", ("ZZ_COOKIE_KEY",), None),
    "cookie_expiry_days": Setting("auth", "cookie_expiry_days", ("ZZ_COOKIE_DAYS",), 30.0,
                                  float),
    "login_max_failures": Setting("auth", "login_max_failures", ("ZZ_LOGIN_MAX_FAILURES",),
                                  5.0, float),
    "login_client_max_failures": Setting("auth", "login_client_max_failures",
                                         ("ZZ_LOGIN_CLIENT_MAX_FAILURES",), 20.0, float),
    "login_lock_s": Setting("auth", "login_lock_s", ("ZZ_LOGIN_LOCK_S",), 30.0, float),
    "login_lock_max_s": Setting("auth", "login_lock_max_s", ("ZZ_LOGIN_LOCK_MAX_S",), 900.0,
                                float),
    "llm_provider": Setting("llm", "provider", ("ZZ_LLM_PROVIDER",), None),
    "llm_api_key": Setting("llm", "api_key", ("ZZ_LLM_API_KEY", "OPENAI_API_KEY"), None),
    "llm_model": Setting("llm", "model", ("ZZ_LLM_MODEL",), None),
    "llm_base_url": Setting("llm", "base_url", ("ZZ_LLM_BASE_URL",), None),
    "llm_timeout_s": Setting("llm", "timeout_s", ("ZZ_LLM_TIMEOUT_S",), 60.0, float),
}

# --- the queue (Celery over Redis, the scale-out issue): unset, analysis runs in-process ---
SETTINGS.update({  # queue_url ("ZZ_QUEUE_URL", secrets [queue] url) is above
    "queue_soft_time_limit_s": Setting("queue", "soft_time_limit_s",
                                       ("ZZ_QUEUE_SOFT_TIME_LIMIT_S",), 900.0, float),
    "queue_time_limit_s": Setting("queue", "time_limit_s", ("ZZ_QUEUE_TIME_LIMIT_S",),
                                  1200.0, float),
    "queue_visibility_timeout_s": Setting("queue", "visibility_timeout_s",
                                          ("ZZ_QUEUE_VISIBILITY_TIMEOUT_S",), 1800.0, float),
    "queue_result_expires_s": Setting("queue", "result_expires_s",
                                      ("ZZ_QUEUE_RESULT_EXPIRES_S",), 86400.0, float),
})


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
    login_max_failures: float
    login_client_max_failures: float
    login_lock_s: float
    login_lock_max_s: float
    llm_provider: str | None
    llm_api_key: str | None
    llm_model: str | None
    llm_base_url: str | None
    llm_timeout_s: float
    storage_url: str | None = None
    """None: audio under ``data_dir/audio``; ``s3://bucket/prefix``: an S3-compatible store."""
    storage_endpoint_url: str | None = None
    storage_region: str | None = None
    storage_access_key_id: str | None = None
    storage_secret_access_key: str | None = None
    queue_url: str | None = None
    """None: analysis in this process's pool; ``redis://...``: the Celery workers."""
    # the queue's limits, in seconds (see the queue block of SETTINGS)
    queue_soft_time_limit_s: float = 900.0
    """A task past this is stopped with a plain reason (its job fails, its upload kept)."""
    queue_time_limit_s: float = 1200.0
    """A worker process still running a task this long is killed and replaced."""
    queue_visibility_timeout_s: float = 1800.0
    """A task taken by a worker that vanished (SIGKILL, power) goes back to the queue
    after this long (Redis); keep it above ``queue_time_limit_s``."""
    queue_result_expires_s: float = 86400.0
    """How long Redis keeps a batch file's result that nobody collected."""

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
    for name in ("login_max_failures", "login_client_max_failures"):
        if values[name] < 1:
            raise SettingsError(f"the setting {name} must be 1 or more")
    if values["retention_interval_s"] <= 0:
        raise SettingsError("the setting retention_interval_s must be a positive number "
                            "of seconds")
    _check_queue(values)
    return Settings(**{f.name: values[f.name] for f in fields(Settings)})


def _check_queue(values: dict[str, Any]) -> None:
    """The queue's URL is a Redis one, and its hard time limit comes after the soft one."""
    url = values["queue_url"]
    if url is not None and not url.startswith(("redis://", "rediss://", "redis+socket://")):
        raise SettingsError("the setting queue_url must be a Redis URL (redis://host:port/db)")
    for name in ("queue_soft_time_limit_s", "queue_visibility_timeout_s"):
        if values[name] <= 0:
            raise SettingsError(f"the setting {name} must be a positive number of seconds")
    if values["queue_time_limit_s"] <= values["queue_soft_time_limit_s"]:
        raise SettingsError("the setting queue_time_limit_s must be longer than "
                            "queue_soft_time_limit_s")


def persistent_cookie_key(data_dir: Path) -> str:
    """A random login-cookie key kept in the data folder (mode 0600), so nothing secret
    is in the code or the repository and logins survive a restart when none is set."""
    path = data_dir / COOKIE_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    private_data_dir(data_dir)
    key = token_source.token_hex(32)
    with os.fdopen(private_file(path, exclusive=True), "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


# --- private files: what the data folder holds is the producers' alone --------------------

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a folder, creating it and any missing parent with mode 0700 (set
    explicitly, whatever the umask); a folder that already exists keeps its mode."""
    folder = Path(path)
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # made at the same moment by another thread or process
            continue
        os.chmod(created, PRIVATE_DIR_MODE)
    return folder


def private_data_dir(data_dir: str | os.PathLike[str]) -> Path:
    """The data folder, created if missing and set to mode 0700 even when it exists (it
    holds the database, the audio and the cookie key: nobody else may list or read it)."""
    folder = private_dir(data_dir)
    if folder.stat().st_mode & 0o777 != PRIVATE_DIR_MODE:
        os.chmod(folder, PRIVATE_DIR_MODE)
    return folder


def private_file(path: str | os.PathLike[str], *, exclusive: bool = False) -> int:
    """Open ``path`` for writing as a mode-0600 file and return the descriptor: created if
    missing (``exclusive``: it must not exist yet, ``FileExistsError``), never truncated,
    its mode set explicitly whatever the umask. The caller closes the descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags | (os.O_EXCL if exclusive else 0), PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor
