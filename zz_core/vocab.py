"""Every closed vocabulary of the product, defined once.

Each is a ``Literal`` type with the tuple of its values derived from it (``get_args``),
so a new value is added in one place and reaches the type checker, the option lists of
the pages and the command line, the data-file validation and the database constraints.
"""

from __future__ import annotations

from typing import Literal, get_args

Context = Literal["mixdown", "mastering", "master"]
"""What the producer says the track is: judged on headroom (mixdown), as a master in
progress (mastering) or as a finished master (master)."""
CONTEXTS: tuple[Context, ...] = get_args(Context)

Severity = Literal["info", "warning", "critical"]
"""How much an issue matters; critical = must fix before release."""
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
SEVERITY_RANK: dict[Severity, int] = {"critical": 0, "warning": 1, "info": 2}
"""Sort key: the most severe first."""

IssueCode = Literal[
    "clipping", "true_peak_over", "dc_offset", "phase_cancellation", "wide_low_end",
    "channel_imbalance", "mono", "too_quiet", "too_loud", "over_compressed", "too_dynamic",
    "low_end_excess", "low_end_lacking", "low_mid_excess", "harshness", "dull_highs",
    "silence", "narrow_image", "wide_image",
]
ISSUE_CODES: tuple[IssueCode, ...] = get_args(IssueCode)

Status = Literal["good", "warn", "bad", "unknown"]
"""The judgement of one headline figure against its target ("unknown": not judged)."""
STATUSES: tuple[Status, ...] = get_args(Status)

Profile = Literal["simple", "detailed", "pro"]
"""How technical the feedback should be."""
PROFILES: tuple[Profile, ...] = get_args(Profile)

ProviderName = Literal["offline", "openai", "compatible"]
PROVIDERS: tuple[ProviderName, ...] = get_args(ProviderName)

Stage = Literal["feedback", "follow_up", "summary", "comparison", "docs", "presets"]
"""What a model call (or an offline answer) was for; also the kind of a stored message."""
STAGES: tuple[Stage, ...] = get_args(Stage)

MessageKind = Stage
MESSAGE_KINDS: tuple[MessageKind, ...] = STAGES

MessageRole = Literal["user", "assistant", "system"]
MESSAGE_ROLES: tuple[MessageRole, ...] = get_args(MessageRole)

TrackRole = Literal["main", "reference"]
TRACK_ROLES: tuple[TrackRole, ...] = get_args(TrackRole)

Naming = Literal["generic", "ableton"]
"""Device names in the preset tables."""
NAMINGS: tuple[Naming, ...] = get_args(Naming)

UPLOAD_TYPES: tuple[str, ...] = ("wav", "aif", "aiff", "flac", "ogg", "mp3", "m4a", "opus")
"""File types offered by the upload widgets (without the dot)."""

AUDIO_EXTENSIONS: frozenset[str] = frozenset({
    ".wav", ".wave", ".w64", ".rf64", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga",
    ".opus", ".mp3", ".mp2", ".mp1", ".m4a", ".mp4", ".m4b", ".aac", ".webm", ".mka", ".mkv",
    ".wma",
}) | {f".{t}" for t in UPLOAD_TYPES}
"""Extensions an audio file may keep when stored (anything else is stored without one)."""

DOCUMENT_TYPES: tuple[str, ...] = ("md", "markdown", "txt", "pdf")
"""File types a producer may add to the Docs Assistant."""


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's condition: ``column IN ('a', 'b')`` from a vocabulary."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"

JobState = Literal["queued", "running", "done", "failed"]
"""An analysis job: waiting, in a worker (with progress), finished, or failed (a reason)."""
JOB_STATES: tuple[JobState, ...] = get_args(JobState)

LoginScope = Literal["username", "client"]
"""What a login throttle counts failed sign-ins for: one account name, or one client
(an IP address)."""
LOGIN_SCOPES: tuple[LoginScope, ...] = get_args(LoginScope)

QueueName = Literal["interactive", "batch"]
"""A queue of analysis work (with ``ZZ_QUEUE_URL``): a producer waiting in the browser, or a
catalogue batch; two queues so a batch never starves a producer."""
QUEUE_NAMES: tuple[QueueName, ...] = get_args(QueueName)

Trend = Literal["improved", "regressed", "unchanged", "changed"]
"""What a headline figure did from one version of a track to the next: improved or
regressed (towards or away from its target by at least its judging margin), unchanged
(moved less than that margin), or changed (moved past the margin but neither towards nor
away from a target: within it both times, or not judged)."""
TRENDS: tuple[Trend, ...] = get_args(Trend)

SectionKind = Literal["intro", "verse", "chorus", "drop", "breakdown", "bridge", "outro"]
"""What a section of a song is, best effort (``measure/sections.py``); "drop" is the
chorus of electronic music."""
SECTION_KINDS: tuple[SectionKind, ...] = get_args(SectionKind)
