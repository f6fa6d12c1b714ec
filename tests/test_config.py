"""zz_core.config: every setting from the secrets, then the environment, then a default."""

from __future__ import annotations

from pathlib import Path

import pytest

from zz_core.config import SettingsError, load_settings, persistent_cookie_key


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
