"""Shared pieces of the store tests: WAV bytes, users, and ``World`` (two users; Ada owns a
project with a track, an analysis, chat and token usage)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf
from sqlalchemy.engine import Engine

from tests.signals import sine
from zz_core.services import uploads
from zz_core.services.workspace import Workspace
from zz_core.store import users
from zz_core.store.records import AnalysisRecord, MessageRecord, ProjectRecord, TrackRecord

STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{1,5}")
RATE = 48000


def sine_wav(seconds: float = 2.0, freq_hz: float = 440.0) -> bytes:
    """A stereo sine as 16-bit WAV bytes."""
    buffer = io.BytesIO()
    sf.write(buffer, sine(-12.0, seconds, freq_hz=freq_hz).T, RATE, format="WAV",
             subtype="PCM_16")
    return buffer.getvalue()


WAV = sine_wav()


def make_user(engine: Engine, username: str) -> int:
    user = users.create_user(engine, username=username, name=username.title(),
                             email=f"{username}@example.com", password_hash="$2b$12$hash")
    return user.id


def upload(engine: Engine, user_id: int, project_id: int | None, data: bytes, name: str,
           role: str, data_dir: Path, *, reference_of: int | None = None) -> TrackRecord:
    """Store an upload the way the app does (checked as audio by the service first)."""
    return uploads.store_upload(Workspace(engine, user_id, data_dir), project_id, data, name,
                                role, reference_of=reference_of).track


@dataclass
class World:
    """Two users; Ada owns a project with a track, an analysis, chat and token usage."""

    engine: Engine
    data_dir: Path
    ada: int
    bob: int
    project: ProjectRecord
    track: TrackRecord
    analysis: AnalysisRecord
    message: MessageRecord

    def upload(self, user_id: int, project_id: int | None, data: bytes = WAV,
               name: str = "mix.wav", role: str = "main") -> TrackRecord:
        return upload(self.engine, user_id, project_id, data, name, role, self.data_dir)

    def files(self) -> list[Path]:
        return sorted(p for p in (self.data_dir / "audio").rglob("*") if p.is_file())
