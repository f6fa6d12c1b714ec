"""Uploads: check the bytes are audio, then keep them under a generated name.

The order matters: what can be refused without looking at the bytes (role, size, whose
project) is refused first; then the header is read and the first seconds decoded
(``probe`` and ``check_sample``: bounded work and memory whatever the file's length, so a
2-hour upload costs the web server no more than a 2-minute one); a length over the
decoder's MAX_DURATION_S is refused there, from the header. Only then does the store keep
the bytes (in the workspace's audio store: the data folder or an S3 bucket) and add the
track. The full decode happens later, in the analysis worker (a file
damaged past its first seconds fails its job there, and that job discards the upload).

A refused upload leaves no row and no file; so does a full disk (``StorageFullError``).
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import sqlalchemy.exc

from zz_core.errors import AudioDecodeError, ZzError
from zz_core.fmt import duration
from zz_core.measure.decoding import MAX_DURATION_S, AudioInfo, check_sample
from zz_core.services.workspace import Workspace
from zz_core.store import tracks
from zz_core.store.records import TrackRecord
from zz_core.store.tracks import AudioFacts

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_ESTIMATE_SLACK = 1.5  # an estimated length this far over the limit is surely over it
DISK_FULL = ("the server's disk is full, so the upload could not be stored; "
             "try again later or ask the administrator to free some space")


class StorageFullError(ZzError):
    """The disk (or the database) has no room left: nothing was written."""


class StoredUpload(NamedTuple):
    """A stored upload: its track, and what its header and first seconds showed."""

    track: TrackRecord
    info: AudioInfo


def check_audio(data: bytes, name: str) -> AudioInfo:
    """Header plus a decode of the first seconds (``PROBE_SAMPLE_S``): the upload is audio
    we can analyse and not longer than MAX_DURATION_S (3 h), else ``AudioDecodeError``.

    An exact length over the limit is refused by the header alone; an estimated one (an
    MP3 without a frame count, Ogg, M4A) only when it is far over, since such estimates can
    be off (the worker's decode refuses the rest when it passes the limit). Memory and
    time stay bounded by the sample, not by the file's length.
    """
    info = check_sample(data, name)
    estimate = info.duration_s
    if estimate is not None and estimate > MAX_DURATION_S * _ESTIMATE_SLACK:
        raise AudioDecodeError(
            f"the audio is about {duration(estimate)} long; the most we can analyse is "
            f"{duration(MAX_DURATION_S)}")
    return info


def store_upload(workspace: Workspace, project_id: int | None, data: bytes,
                 original_name: str, role: str = "main", *,
                 reference_of: int | None = None,
                 previous_version_of: int | None = None) -> StoredUpload:
    """Check ``data`` is audio, keep it under a generated name, and add its track to one of
    the user's projects (a reference remembers the track it was uploaded with; a new
    version, the earlier version of the song it follows).

    ``InvalidValueError`` for a bad role or an upload over the size limit, ``NotFoundError``
    for a project or track that is not the user's, ``AudioDecodeError`` for bytes that are
    not audio (or longer than MAX_DURATION_S), ``StorageFullError`` when the disk is full;
    each stores nothing. Earlier audio is never replaced.
    """
    engine, user_id = workspace.engine, workspace.user_id
    tracks.check_upload(engine, user_id, project_id, len(data), role,
                        reference_of_track_id=reference_of,
                        previous_version_of_track_id=previous_version_of)
    name = tracks.clean_original_name(original_name)
    info = check_audio(data, name)
    facts = AudioFacts(duration_s=info.duration_s or 0.0, sample_rate_hz=info.sample_rate_hz,
                       channels=info.channels, source_format=info.source_format)
    with storage_errors():
        track = tracks.store_upload(engine, user_id, project_id, data, name, facts, role,
                                    workspace.objects, reference_of_track_id=reference_of,
                                    previous_version_of_track_id=previous_version_of)
    return StoredUpload(track, info)


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn a full disk (``ENOSPC``, a quota, the file size limit; SQLite's "database or
    disk is full") into ``StorageFullError`` with one plain sentence; other errors pass."""
    try:
        yield
    except (OSError, sqlalchemy.exc.SQLAlchemyError) as error:
        if is_disk_full(error):
            raise StorageFullError(DISK_FULL) from None
        raise


def is_disk_full(error: BaseException) -> bool:
    """True for an error saying the disk (or the database file) has no room left."""
    if isinstance(error, OSError) and error.errno in _DISK_FULL:
        return True
    text = str(getattr(error, "orig", None) or error).lower()
    return any(words in text for words in ("disk is full", "no space left", "disk full"))
