"""zz_core.config: every setting from the secrets, then the environment, then a default."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from zz_core.config import (
    SettingsError,
    load_settings,
    persistent_cookie_key,
    private_data_dir,
    private_dir,
    private_file,
)


def test_defaults_need_nothing_configured(tmp_path: Path) -> None:
    settings = load_settings(None, {"ZZ_DATA_DIR": str(tmp_path)})
    assert settings.data_dir == tmp_path.resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'zoundzcope.db'}"
    assert settings.index_dir == tmp_path.resolve() / "index"
    assert settings.llm_provider is None and settings.llm_api_key is None
    assert settings.max_upload_bytes == 400 * 1024**2


def test_secrets_win_over_the_environment_which_wins_over_defaults(tmp_path: Path) -> None:
    env = {"ZZ_DATA_DIR": str(tmp_path), "ZZ_LLM_MODEL": "from-env", "OPENAI_API_KEY": "k1",
           "ZZ_MAX_UPLOAD_MB": "2"}
    secrets = {"llm": {"model": "from-secrets"}, "storage": {"database_url": "postgresql://x"}}
    settings = load_settings(secrets, env)
    assert settings.llm_model == "from-secrets"
    assert settings.llm_api_key == "k1"
    assert settings.database_url == "postgresql://x"
    assert settings.max_upload_bytes == 2 * 1024**2


@pytest.mark.parametrize(("name", "value"), [
    ("ZZ_MAX_UPLOAD_MB", "lots"), ("ZZ_RETENTION_DAYS", "-1"), ("ZZ_LLM_TIMEOUT_S", "inf"),
    ("ZZ_RETENTION_INTERVAL_S", "0"),
])
def test_a_bad_value_names_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match="setting"):
        load_settings(None, {name: value})


def test_the_generated_cookie_key_is_private_and_stable(tmp_path: Path) -> None:
    key = persistent_cookie_key(tmp_path / "d")
    assert len(key) == 64
    assert persistent_cookie_key(tmp_path / "d") == key
    assert ((tmp_path / "d" / ".cookie_key").stat().st_mode & 0o777) == 0o600


def test_private_folders_and_files_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        made = private_dir(tmp_path / "a" / "b")
        existing = tmp_path / "open"
        existing.mkdir()
        os.chmod(existing, 0o755)
        private_dir(existing / "inner")
        os.close(private_file(made / "f"))
        with pytest.raises(FileExistsError):
            private_file(made / "f", exclusive=True)
        data = tmp_path / "data"
        data.mkdir()
        os.chmod(data, 0o755)
        private_data_dir(data)
    finally:
        os.umask(previous)
    assert [mode(p) for p in (tmp_path / "a", made, made / "f")] == [0o700, 0o700, 0o600]
    assert mode(existing) == 0o755 and mode(existing / "inner") == 0o700
    assert mode(data) == 0o700  # the data folder is made private even when it exists


def test_login_throttle_settings(tmp_path: Path) -> None:
    settings = load_settings(environ={"ZZ_DATA_DIR": str(tmp_path)})
    assert (settings.login_max_failures, settings.login_client_max_failures,
            settings.login_lock_s, settings.login_lock_max_s) == (5, 20, 30, 900)
    with pytest.raises(SettingsError, match="login_max_failures"):
        load_settings(environ={"ZZ_DATA_DIR": str(tmp_path), "ZZ_LOGIN_MAX_FAILURES": "0"})


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
