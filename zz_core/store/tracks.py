"""Tracks and their audio: the object ``audio/<user_id>/<generated name>`` of the audio
store (``zz_core.store.objects``: the file ``<data_dir>/audio/<user_id>/<name>`` by
default, or an object in an S3 bucket).

The store never decodes audio: the service checks an upload is audio and passes what it
learned (``AudioFacts``); the store keeps the bytes under a generated name (the upload's
own name is metadata only, never a path) and adds the track. Every function takes the
acting user and scopes every query to them. Where a function takes ``data_dir`` it takes
a store too (``objects.Storage``: a data folder means the store configured for it).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select, update

from zz_core.config import load_settings
from zz_core.errors import InvalidValueError, NotFoundError
from zz_core.store.db import (
    checked_choice,
    checked_name,
    data_dir_from_env,
    session,
    utcnow,
    valid_id,
)
from zz_core.store.objects import Storage, join_key, resolve
from zz_core.store.records import TrackRecord
from zz_core.store.tables import (
    TRACK_NAME_MAX,
    Analysis,
    ChatMessage,
    Project,
    TokenUsage,
    Track,
    owned,
    row_id,
)
from zz_core.text import one_line
from zz_core.vocab import AUDIO_EXTENSIONS, TRACK_ROLES

AUDIO_DIR_NAME = "audio"

_STORED_NAME = re.compile(r"[0-9a-f]{32}(\.[a-z0-9]{1,5})?")


@dataclass(frozen=True)
class AudioFacts:
    """What decoding an upload found: length in seconds, sample rate in Hz, channel count,
    and the decoder's format description (e.g. ``"WAV PCM_16"``, used to pick a file
    extension when the upload's name has none)."""

    duration_s: float
    sample_rate_hz: int
    channels: int
    source_format: str = ""


class StoredAudio(Protocol):
    """What locates a track's audio file (a ``TrackRecord``, or a row inside the store)."""

    @property
    def user_id(self) -> int: ...

    @property
    def stored_name(self) -> str: ...


# --- names and sizes ---------------------------------------------------------------------


def clean_original_name(name: str | None) -> str:
    """An upload's name as metadata: no folders, no control characters, at most 200 chars."""
    base = re.split(r"[\\/]", one_line(name or ""))[-1].strip()
    if len(base) > TRACK_NAME_MAX:
        stem, ext = os.path.splitext(base)
        base = stem[:TRACK_NAME_MAX - len(ext)] + ext if len(ext) <= 16 else base[
            :TRACK_NAME_MAX]
    return base or "untitled"


def _safe_extension(original_name: str, source_format: str) -> str:
    suffix = os.path.splitext(original_name)[1].lower()
    if suffix in AUDIO_EXTENSIONS:
        return suffix
    guess = "." + source_format.split(" ")[0].lower()
    return guess if guess in AUDIO_EXTENSIONS else ""


def max_upload_bytes() -> int:
    """Largest upload accepted (env ZZ_MAX_UPLOAD_MB, default 400 MB: a 10-minute 24-bit
    stereo WAV at 96 kHz is 346 MB)."""
    return load_settings().max_upload_bytes


def _check_upload_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise InvalidValueError(f"the file is {size / 1024**2:.0f} MB; the most we accept is "
                                f"{limit / 1024**2:.0f} MB")


# --- uploads -----------------------------------------------------------------------------


def check_upload(engine: Engine, user_id: int, project_id: int | None, size_bytes: int,
                 role: str = "main", *, reference_of_track_id: int | None = None,
                 previous_version_of_track_id: int | None = None) -> int:
    """Everything about an upload that can be refused before looking at its bytes: the role
    (``InvalidValueError``), the size limit (``InvalidValueError``), and that the project,
    the track it is a reference of and the track it is a new version of are the user's
    (``NotFoundError``). Returns the project's id."""
    checked_choice(role, TRACK_ROLES, "track role")
    _check_upload_size(size_bytes)
    with session(engine) as db:
        project = owned(db, Project, user_id, project_id)
        for linked in (reference_of_track_id, previous_version_of_track_id):
            if linked is not None:
                owned(db, Track, user_id, linked)
        return row_id(project)


def store_upload(engine: Engine, user_id: int, project_id: int | None, data: bytes,
                 original_name: str, audio: AudioFacts, role: str = "main",
                 data_dir: Storage = None, *,
                 reference_of_track_id: int | None = None,
                 previous_version_of_track_id: int | None = None) -> TrackRecord:
    """Keep ``data`` (already checked to be audio, described by ``audio``) under a generated
    name, and add its track to one of the user's projects (a reference of one of their
    tracks, or a new version of one).

    Every upload gets its own object: earlier audio is never replaced or removed. A refused
    upload (``check_upload``'s reasons) or a failed insert leaves no row and no object.
    """
    checked_project = check_upload(engine, user_id, project_id, len(data), role,
                                   reference_of_track_id=reference_of_track_id,
                                   previous_version_of_track_id=previous_version_of_track_id)
    name = clean_original_name(original_name)
    track = Track(user_id=user_id, project_id=checked_project, role=role, original_name=name,
                  stored_name=uuid.uuid4().hex + _safe_extension(name, audio.source_format),
                  content_sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                  duration_s=audio.duration_s, sample_rate_hz=audio.sample_rate_hz,
                  channels=audio.channels, reference_of_track_id=reference_of_track_id,
                  previous_version_of_track_id=previous_version_of_track_id)
    store, key = resolve(data_dir), audio_key(track)
    store.put_bytes(key, data, exclusive=True)  # atomic, private, never overwrites
    try:
        return _insert_track(engine, track)
    except BaseException:
        store.delete(key)
        raise


def _insert_track(engine: Engine, track: Track) -> TrackRecord:
    with session(engine) as db:
        project = owned(db, Project, track.user_id, track.project_id)
        for linked in (track.reference_of_track_id, track.previous_version_of_track_id):
            if linked is not None:  # still the user's (not deleted meanwhile)
                owned(db, Track, track.user_id, linked)
        project.updated_at = utcnow()
        db.add_all([project, track])
        db.commit()
        return TrackRecord.of(track)


# --- queries -----------------------------------------------------------------------------


def get_track(engine: Engine, user_id: int, track_id: int | None) -> TrackRecord:
    """One of the user's tracks."""
    with session(engine) as db:
        return TrackRecord.of(owned(db, Track, user_id, track_id))


def list_tracks(engine: Engine, user_id: int, project_id: int | None) -> list[TrackRecord]:
    """The tracks of one of the user's projects, newest first."""
    with session(engine) as db:
        owned(db, Project, user_id, project_id)
        return [TrackRecord.of(t) for t in db.exec(
            select(Track).where(Track.user_id == user_id, Track.project_id == project_id)
            .order_by(col(Track.created_at).desc(), col(Track.id).desc()))]


def find_tracks_by_sha256(engine: Engine, user_id: int,
                          content_sha256: str) -> list[TrackRecord]:
    """The user's tracks with exactly this content, oldest first."""
    with session(engine) as db:
        return [TrackRecord.of(t) for t in db.exec(
            select(Track).where(Track.user_id == user_id, Track.content_sha256 == content_sha256)
            .order_by(col(Track.created_at), col(Track.id)))]


def latest_reference(engine: Engine, user_id: int, track_id: int | None) -> TrackRecord | None:
    """The reference most recently uploaded for one of the user's tracks, if any."""
    with session(engine) as db:
        track = owned(db, Track, user_id, track_id)
        found = db.exec(select(Track).where(
            Track.user_id == user_id, Track.reference_of_track_id == row_id(track))
            .order_by(col(Track.created_at).desc(), col(Track.id).desc())).first()
        return TrackRecord.of(found) if found is not None else None


MAX_VERSIONS = 500
"""A song's versions followed at most (a guard: links only ever point to older tracks)."""


def version_chain(engine: Engine, user_id: int, track_id: int | None) -> list[TrackRecord]:
    """Every version of the song one of the user's tracks belongs to, oldest first: back
    through ``previous_version_of_track_id`` to the first, then every later version made
    from any of them. A track that is no one's version is its own one-version song."""
    with session(engine) as db:
        first = owned(db, Track, user_id, track_id)
        seen = {row_id(first)}
        while first.previous_version_of_track_id is not None and len(seen) < MAX_VERSIONS:
            earlier = db.exec(select(Track).where(
                Track.user_id == user_id,
                Track.id == first.previous_version_of_track_id)).first()
            if earlier is None or row_id(earlier) in seen:
                break
            first = earlier
            seen.add(row_id(first))
        found, frontier = {row_id(first): first}, [row_id(first)]
        while frontier and len(found) < MAX_VERSIONS:
            later = [t for t in db.exec(select(Track).where(
                Track.user_id == user_id,
                col(Track.previous_version_of_track_id).in_(frontier))) if t.id not in found]
            found.update({row_id(t): t for t in later})
            frontier = [row_id(t) for t in later]
        ordered = sorted(found.values(), key=lambda t: (t.created_at, row_id(t)))
        return [TrackRecord.of(t) for t in ordered]


# --- changes -----------------------------------------------------------------------------


def rename_track(engine: Engine, user_id: int, track_id: int | None, name: str) -> TrackRecord:
    """Change a track's display name (1-200 characters; the stored file keeps its name)."""
    cleaned = checked_name(name, TRACK_NAME_MAX, "track name")
    with session(engine) as db:
        track = owned(db, Track, user_id, track_id)
        track.original_name = cleaned
        db.add(track)
        db.commit()
        return TrackRecord.of(track)


def move_track(engine: Engine, user_id: int, track_id: int | None,
               project_id: int | None) -> TrackRecord:
    """Move a track, its references, their conversations and usage to another project.

    Both the track and the target project must be the user's.
    """
    with session(engine) as db:
        track = owned(db, Track, user_id, track_id)
        target = owned(db, Project, user_id, project_id)
        moving = [row_id(track), *db.exec(select(Track.id).where(
            Track.user_id == user_id, Track.project_id == track.project_id,
            Track.reference_of_track_id == row_id(track))).all()]
        new_project = {"project_id": row_id(target)}
        db.exec(update(Track).where(
            col(Track.user_id) == user_id, col(Track.id).in_(moving)).values(new_project))
        db.exec(update(ChatMessage).where(
            col(ChatMessage.user_id) == user_id, col(ChatMessage.track_id).in_(moving))
            .values(new_project))
        db.exec(update(TokenUsage).where(
            col(TokenUsage.user_id) == user_id, col(TokenUsage.track_id).in_(moving))
            .values(new_project))
        target.updated_at = utcnow()
        db.add(target)
        db.commit()
        db.refresh(track)
        return TrackRecord.of(track)


def delete_track(engine: Engine, user_id: int, track_id: int | None,
                 data_dir: Storage = None) -> None:
    """Delete a track with its analyses, its conversation and its audio.

    Tracks that used it as their reference, or are new versions of it, are kept (the link
    cleared); token usage rows stay as history.
    """
    with session(engine) as db:
        track = owned(db, Track, user_id, track_id)
        delete_track_rows(db, user_id, [row_id(track)])
        db.commit()
    remove_audio(data_dir, [track])


def delete_track_rows(db: Session, user_id: int, track_ids: list[int]) -> None:
    """Delete these tracks' rows and everything hanging off them (not their files)."""
    if not track_ids:
        return
    db.exec(update(TokenUsage).where(
        col(TokenUsage.user_id) == user_id, col(TokenUsage.track_id).in_(track_ids))
        .values(track_id=None))
    db.exec(update(Track).where(
        col(Track.user_id) == user_id, col(Track.reference_of_track_id).in_(track_ids))
        .values(reference_of_track_id=None))
    db.exec(update(Track).where(
        col(Track.user_id) == user_id,
        col(Track.previous_version_of_track_id).in_(track_ids))
        .values(previous_version_of_track_id=None))
    db.exec(delete(Analysis).where(
        col(Analysis.user_id) == user_id, col(Analysis.track_id).in_(track_ids)))
    db.exec(delete(ChatMessage).where(
        col(ChatMessage.user_id) == user_id, col(ChatMessage.track_id).in_(track_ids)))
    db.exec(delete(Track).where(col(Track.user_id) == user_id, col(Track.id).in_(track_ids)))


def remove_files(paths: Iterable[Path]) -> None:
    """Delete these files (those already gone are fine)."""
    for path in paths:
        path.unlink(missing_ok=True)


def remove_audio(data_dir: Storage, stored: Iterable[StoredAudio]) -> int:
    """Delete these tracks' audio (those already gone, or with a forged name, are fine);
    the bytes freed."""
    store, freed = resolve(data_dir), 0
    for track in stored:
        try:
            key = audio_key(track)
        except NotFoundError:
            continue
        freed += store.delete(key) or 0
    return freed


# --- audio -------------------------------------------------------------------------------


def audio_key(track: StoredAudio) -> str:
    """The key of a track's audio in the store: ``audio/<user_id>/<stored name>``
    (``NotFoundError`` for a name the store never generates)."""
    if not _STORED_NAME.fullmatch(track.stored_name) or not valid_id(track.user_id):
        raise NotFoundError("track not found")
    return join_key(AUDIO_DIR_NAME, track.user_id, track.stored_name)


def audio_file_path(data_dir: str | os.PathLike[str] | None, track: StoredAudio) -> Path:
    """Where a track's audio file is (or was) kept in a local data folder:
    ``<data_dir>/audio/<user_id>/<name>`` (the local backend's layout)."""
    key = audio_key(track)
    folder = Path(data_dir) if data_dir is not None else data_dir_from_env()
    return folder.joinpath(*key.split("/"))


def stored_audio_key(user_id: int, track: TrackRecord, data_dir: Storage = None) -> str | None:
    """The key of the track's audio while it is kept; None once it expired or was deleted
    (or is not theirs)."""
    if track.user_id != user_id or track.audio_deleted_at is not None:
        return None
    try:
        key = audio_key(track)
    except NotFoundError:
        return None
    return key if resolve(data_dir).exists(key) else None


def audio_path(user_id: int, track: TrackRecord, data_dir: Storage = None) -> Path | None:
    """The track's audio file on a local store, or None once it expired or was deleted
    (or is not theirs, or the store is remote: read it with ``stored_audio_key``)."""
    store = resolve(data_dir)
    key = stored_audio_key(user_id, track, store)
    return None if key is None else store.local_path(key)
