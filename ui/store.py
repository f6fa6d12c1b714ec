"""The pages' data layer: the signed-in user's view of the database and the upload
folder. Every method is scoped to that user (``zz_core.store.storage`` enforces it); pages hold
no SQL and no file paths of their own."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ui.auth import AuthUser
from zz_core.advise.feedback import ChatTurn
from zz_core.advise.providers import Reply
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.measure.levelmatch import matched_gains_db, write_with_gain
from zz_core.store import storage
from zz_core.vocab import Stage


class UserDirectory:
    """Accounts for the authenticator, kept in the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def credentials(self) -> dict[str, dict[str, Any]]:
        return {
            user.username: {"email": user.email, "first_name": user.name, "last_name": "",
                            "password": user.password_hash, "logged_in": False, "roles": None}
            for user in storage.list_users(self.engine)
        }

    def add_user(self, username: str, name: str, email: str, password_hash: str) -> None:
        storage.create_user(self.engine, username=username, name=name, email=email,
                            password_hash=password_hash)

    def set_password(self, username: str, password_hash: str) -> None:
        storage.set_password_hash(self.engine, username, password_hash)

    def user(self, username: str) -> AuthUser | None:
        found = storage.get_user_by_username(self.engine, username)
        if found is None or found.id is None:
            return None
        return AuthUser(id=found.id, username=found.username, name=found.name)


@dataclass(frozen=True)
class Workspace:
    """One user's projects, tracks and analyses."""

    engine: Engine
    user_id: int
    data_dir: Path

    def projects(self) -> list[storage.Project]:
        return storage.list_projects(self.engine, self.user_id)

    def create_project(self, name: str) -> storage.Project:
        return storage.create_project(self.engine, self.user_id, name)

    def rename_project(self, project_id: int | None, name: str) -> None:
        storage.rename_project(self.engine, self.user_id, project_id, name)

    def delete_project(self, project_id: int | None) -> None:
        storage.delete_project(self.engine, self.user_id, project_id, self.data_dir)

    def tracks(self, project_id: int | None) -> list[storage.Track]:
        return storage.list_tracks(self.engine, self.user_id, project_id)

    def rename_track(self, track_id: int | None, name: str) -> None:
        storage.rename_track(self.engine, self.user_id, track_id, name)

    def move_track(self, track_id: int | None, project_id: int | None) -> None:
        storage.move_track(self.engine, self.user_id, track_id, project_id)

    def delete_track(self, track_id: int | None) -> None:
        storage.delete_track(self.engine, self.user_id, track_id, self.data_dir)

    def store_upload(self, project_id: int | None, data: bytes, name: str,
                     role: str, reference_of: int | None = None) -> storage.Track:
        """Check the bytes are audio, then keep them under a generated name (a reference
        remembers the track it was uploaded with)."""
        track, _ = storage.store_upload(self.engine, self.user_id, project_id, data, name,
                                        role, self.data_dir,
                                        reference_of_track_id=reference_of)
        return track

    def reference_for(self, track_id: int | None) -> tuple[storage.Track,
                                                           AnalysisResult] | None:
        """The latest reference uploaded with a track, and its analysis."""
        reference = storage.latest_reference(self.engine, self.user_id, track_id)
        if reference is None:
            return None
        result = self.analysis(reference.id)
        return (reference, result) if result is not None else None

    def audio_path(self, track: storage.Track) -> Path | None:
        return storage.audio_path(self.user_id, track, self.data_dir)

    def audio_path_of(self, track_id: int | None) -> Path | None:
        """The stored audio of one of the user's tracks; None if expired or not theirs."""
        if track_id is None:
            return None
        try:
            return self.audio_path(storage.get_track(self.engine, self.user_id, track_id))
        except storage.NotFoundError:
            return None

    def reusable_analysis(self, track: storage.Track,
                          options: AnalysisOptions) -> AnalysisResult | None:
        """An earlier analysis of the same content with the same options, if any."""
        return storage.find_analysis(self.engine, self.user_id, track.content_sha256,
                                     options.context, options.genre, options.subgenre)

    def save_analysis(self, track_id: int | None, result: AnalysisResult) -> None:
        storage.save_analysis(self.engine, self.user_id, track_id, result)

    def level_matched_pair(self, track_id: int | None, reference_id: int | None,
                           result: AnalysisResult,
                           reference: AnalysisResult) -> tuple[Path, Path] | None:
        """Audio of the track and its reference at equal integrated loudness (the louder
        one turned down, written once under a generated name); None if audio expired."""
        try:
            pair = [storage.get_track(self.engine, self.user_id, i)
                    for i in (track_id, reference_id)]
        except storage.NotFoundError:
            return None
        sources = [self.audio_path(t) for t in pair]
        gains = matched_gains_db(result.loudness.integrated_lufs,
                                 reference.loudness.integrated_lufs)
        out = []
        for track, source, gain in zip(pair, sources, gains, strict=True):
            if source is None:
                return None
            name = hashlib.sha256(f"{track.stored_name}{gain:.3f}".encode()).hexdigest()[:24]
            target = self.data_dir / "listening" / str(self.user_id) / f"{name}.wav"
            out.append(source if gain == 0.0 else
                       target if target.exists() else write_with_gain(source, target, gain))
        return out[0], out[1]

    def analysis(self, track_id: int | None) -> AnalysisResult | None:
        return storage.latest_analysis(self.engine, self.user_id, track_id)

    # --- conversation ---------------------------------------------------------------

    def thread(self, track_id: int | None) -> list[storage.ChatMessage]:
        """Feedback, follow-ups and summaries about one of the user's tracks, oldest first."""
        return storage.list_thread(self.engine, self.user_id, track_id,
                                   kinds=("feedback", "follow_up", "summary"))

    def project_narratives(self, project_id: int | None) -> list[storage.ChatMessage]:
        return [m for m in storage.list_project_messages(self.engine, self.user_id, project_id)
                if m.kind == "comparison"]

    def save_reply(self, reply: Reply, *, kind: str, stage: Stage, project_id: int | None,
                   track_id: int | None = None, question: str | None = None) -> None:
        """Keep a finished reply (and the question it answers) and record its usage.
        Only called once the reply is complete: a failed call leaves nothing behind."""
        if question is not None:
            storage.append_message(self.engine, self.user_id, project_id, kind, "user",
                                   question, track_id=track_id)
        storage.append_message(self.engine, self.user_id, project_id, kind, "assistant",
                               reply.text.strip(), track_id=track_id, provider=reply.provider,
                               model=reply.model)
        self.record_usage(reply, stage, project_id, track_id)

    def record_usage(self, reply: Reply, stage: Stage, project_id: int | None,
                     track_id: int | None) -> None:
        usage = reply.usage
        storage.record_token_usage(
            self.engine, self.user_id, provider=reply.provider, model=reply.model,
            stage=stage, prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens, cost_usd=usage.cost_usd,
            estimated=usage.estimated, would_cost_usd=usage.would_cost_usd,
            project_id=project_id, track_id=track_id)


def as_turns(messages: list[storage.ChatMessage]) -> list[ChatTurn]:
    """A stored thread as prompt turns: feedback and answers are the assistant's."""
    return [ChatTurn(role="summary" if message.kind == "summary"
                     else "user" if message.role == "user" else "assistant",
                     content=message.content) for message in messages]
