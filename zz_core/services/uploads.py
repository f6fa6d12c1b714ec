"""Uploads: check the bytes are audio, then keep them under a generated name.

The order matters: what can be refused without looking at the bytes (role, size, whose
project) is refused first; then the bytes are decoded (``AudioDecodeError`` for anything
that is not audio we can analyse); only then does the store write the file and add the
track. A refused upload leaves no row and no file.
"""

from __future__ import annotations

from typing import NamedTuple

from zz_core.measure.decoding import Audio, decode_bytes
from zz_core.services.workspace import Workspace
from zz_core.store import tracks
from zz_core.store.records import TrackRecord
from zz_core.store.tracks import AudioFacts


class StoredUpload(NamedTuple):
    """A stored upload: its track, and the audio decoded to check it (ready to analyse)."""

    track: TrackRecord
    audio: Audio


def store_upload(workspace: Workspace, project_id: int | None, data: bytes,
                 original_name: str, role: str = "main", *,
                 reference_of: int | None = None) -> StoredUpload:
    """Check ``data`` is audio, keep it under a generated name, and add its track to one of
    the user's projects (a reference remembers the track it was uploaded with).

    ``InvalidValueError`` for a bad role or an upload over the size limit, ``NotFoundError``
    for a project or track that is not the user's, ``AudioDecodeError`` for bytes that are
    not audio; each stores nothing. Earlier audio is never replaced.
    """
    engine, user_id = workspace.engine, workspace.user_id
    tracks.check_upload(engine, user_id, project_id, len(data), role,
                        reference_of_track_id=reference_of)
    name = tracks.clean_original_name(original_name)
    audio = decode_bytes(data, name)
    facts = AudioFacts(duration_s=audio.duration_s, sample_rate_hz=audio.sample_rate_hz,
                       channels=audio.channels, source_format=audio.source_format)
    track = tracks.store_upload(engine, user_id, project_id, data, name, facts, role,
                                workspace.data_dir, reference_of_track_id=reference_of)
    return StoredUpload(track, audio)
