"""Shared steps of the AppTest suites: a fresh data directory, users, a WAV, logging in
and analysing through the real pages."""

from __future__ import annotations

import io
from pathlib import Path

import soundfile as sf
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from tests.signals import RATE, sine
from ui.auth import hash_password
from zz_core.store import db, users

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PASSWORD = "Secret-pass-1"
TIMEOUT = 120


def engine_for(data_dir: Path) -> Engine:
    engine = db.create_db_engine(f"sqlite:///{data_dir / 'zoundzcope.db'}")
    db.upgrade_schema(engine)
    return engine


def make_user(data_dir: Path, username: str) -> int:
    engine = engine_for(data_dir)
    user = users.create_user(engine, username=username, name=username.title(),
                             email=f"{username}@example.com",
                             password_hash=hash_password(PASSWORD))
    assert user.id is not None
    return user.id


def wav(dbfs: float = -20.0, seconds: float = 6.0) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, sine(dbfs, seconds).T, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def login(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    login_user = next(t for t in at.text_input if t.label == "Username")
    login_password = next(t for t in at.text_input if t.label == "Password")
    login_user.input(username)
    login_password.input(PASSWORD)
    next(b for b in at.button if b.label == "Login").click()
    at.run()
    assert not at.exception, at.exception
    return at


def analyse(at: AppTest, data: bytes, name: str, session: str = "Album") -> AppTest:
    next(t for t in at.text_input if t.label == "New session name").input(session)
    at.file_uploader(key="main_upload").set_value((name, data, "audio/wav"))
    at.run()
    next(b for b in at.button if b.label == "Analyze").click()
    return at.run()


def visible_text(node: object) -> str:
    """Every value, label, body and option in an element tree, as one string."""
    parts = [str(getattr(node, attribute)) for attribute in ("value", "label", "body", "options")
             if has_value(node, attribute)]
    children = getattr(node, "children", {})
    parts += [visible_text(child) for child in children.values()]
    return " ".join(parts)


def has_value(node: object, attribute: str) -> bool:
    try:
        return getattr(node, attribute, None) is not None
    except Exception:
        return False
