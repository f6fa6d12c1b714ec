"""What the store hands to its callers: frozen copies of stored rows, never ORM objects.

Every record has a plain ``int`` id (it was stored); timestamps are timezone-aware UTC.
Field names are the column names. Changing stored data goes through the store's
functions, which return fresh records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict

from zz_core.vocab import JobState, LoginScope, MessageKind, MessageRole, TrackRole


class Record(BaseModel):
    """Base of the records: immutable, built from a row's attributes."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int

    @classmethod
    def of(cls, row: object) -> Self:
        """The record of a stored row (``ValidationError`` if the row was never flushed)."""
        return cls.model_validate(row)


class UserRecord(Record):
    """An account; ``password_hash`` is the bcrypt hash the authenticator checks."""

    username: str
    name: str
    email: str
    password_hash: str
    created_at: datetime


class ProjectRecord(Record):
    """A session: a named group of tracks, analyses and conversations."""

    user_id: int
    name: str
    created_at: datetime
    updated_at: datetime


class TrackRecord(Record):
    """An uploaded audio file. ``stored_name`` is the generated file name (the upload's own
    name is ``original_name``, metadata only); ``audio_deleted_at`` is set once retention
    removed the audio. Duration in seconds, sample rate in Hz, size in bytes.
    ``reference_of_track_id``: the track it is a reference of; ``previous_version_of_track_id``:
    the earlier version of the song it is a new version of (None: the first, or unlinked)."""

    user_id: int
    project_id: int
    role: TrackRole
    original_name: str
    stored_name: str
    content_sha256: str
    size_bytes: int
    duration_s: float
    sample_rate_hz: int
    channels: int
    audio_deleted_at: datetime | None
    created_at: datetime
    reference_of_track_id: int | None
    previous_version_of_track_id: int | None = None


class AnalysisRecord(Record):
    """A stored analysis: its options, the full ``AnalysisResult`` JSON and the headline
    figures (LUFS, dBTP, LU, dB, BPM; ``None`` where not measurable)."""

    user_id: int
    track_id: int
    context: str
    genre: str | None
    subgenre: str | None
    result_json: str
    schema_version: int
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    lra_lu: float | None
    plr_db: float | None
    bpm: float | None
    key_label: str | None
    width: float | None
    correlation: float | None
    created_at: datetime


class MessageRecord(Record):
    """One message of a project's (or one of its tracks') conversation."""

    user_id: int
    project_id: int
    track_id: int | None
    kind: MessageKind
    role: MessageRole
    content: str
    provider: str | None
    model: str | None
    created_at: datetime


class UsageRecord(Record):
    """Tokens and cost (US dollars) of one model call; ``archived`` once counters were reset.
    ``would_cost_usd``: what an offline-engine call would have cost on a priced model."""

    user_id: int
    project_id: int | None
    track_id: int | None
    provider: str
    model: str
    stage: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    estimated: bool
    would_cost_usd: float | None
    archived: bool
    created_at: datetime


class JobRecord(Record):
    """One analysis job: the track (and the reference it is compared with), the options
    (``AnalysisOptions`` as JSON), the content hash, and where it stands: ``queued`` ->
    ``running`` (``progress`` 0..1, ``stage`` text, the worker and its last heartbeat) ->
    ``done`` (``analysis_id``) | ``failed`` (``reason``, one sentence). ``attempts``
    counts the runs started; timestamps are UTC. ``project_created``: the session was made
    for this job's upload. A deleted track or session leaves its id None here."""

    user_id: int
    project_id: int | None
    project_created: bool
    track_id: int | None
    reference_track_id: int | None
    options_json: str
    content_sha256: str
    state: JobState
    progress: float
    stage: str
    analysis_id: int | None
    reason: str | None
    attempts: int
    worker_id: str | None
    heartbeat_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        """True once the job is done or failed."""
        return self.state in ("done", "failed")


class LoginThrottleRecord(Record):
    """Failed sign-ins for one username or client: ``failures`` since the last lock,
    ``locks`` in a row, ``locked_until`` while locked (UTC), ``updated_at`` the last
    failure."""

    scope: LoginScope
    subject: str
    failures: int
    locks: int
    locked_until: datetime | None
    updated_at: datetime


class LoginSessionRecord(Record):
    """A signed-in browser of one account, valid until ``expires_at`` (UTC)."""

    user_id: int
    created_at: datetime
    expires_at: datetime

