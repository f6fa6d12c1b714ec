"""Audio-file retention: uploaded audio is kept for a while, analyses and chat for good.

``apply_retention`` removes AUDIO only (older than the age limit; then, per user, the
oldest first until their total is within the size cap) and sets ``track.audio_deleted_at``.
It works on either audio store (``zz_core.store.objects``: the data folder, or an S3
bucket, whose level-matched copies are listed with their last-modified times and whose
local player copies under ``<data_dir>/cache`` are swept too).
It never deletes a row: tracks, analyses, chat and token usage all stay, so an expired
track still opens its analysis and can still be compared. ``start_retention_thread`` runs
it periodically in a daemon thread.

Settings: ``ZZ_RETENTION_DAYS`` (default 14), ``ZZ_RETENTION_MAX_BYTES`` (per user, default
2 GiB), ``ZZ_RETENTION_INTERVAL_S`` (default 3600); 0 switches the age or size rule off.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from zz_core.config import SETTINGS, Settings, SettingsError, load_settings
from zz_core.errors import NotFoundError, ZzError
from zz_core.store.db import data_dir_from_env, utcnow
from zz_core.store.objects import (
    CACHE_DIR_NAME,
    LocalObjects,
    Objects,
    Storage,
    cache_path,
    resolve,
)
from zz_core.store.tables import Track
from zz_core.store.tracks import audio_key

DEFAULT_MAX_AGE_DAYS: float = SETTINGS["retention_days"].default
DEFAULT_MAX_BYTES_PER_USER: int = int(SETTINGS["retention_max_bytes"].default)
DEFAULT_INTERVAL_S: float = SETTINGS["retention_interval_s"].default
# The size rule never takes audio younger than this: it may be under analysis right now.
DEFAULT_GRACE_S = 3600.0
LISTENING_MAX_AGE_S = 24 * 3600.0  # level-matched A/B copies: made again on demand
LISTENING_DIR_NAME = "listening"
"""Keys ``listening/<user_id>/<name>.wav``: level-matched A/B copies."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    """What one retention pass did."""

    files_removed: int = 0
    bytes_freed: int = 0
    tracks_expired: int = 0


@dataclass(frozen=True)
class RetentionSettings:
    """Limits for one pass; ``None`` (or 0 in the environment) switches a rule off."""

    max_age_days: float | None = DEFAULT_MAX_AGE_DAYS
    max_bytes_per_user: int | None = DEFAULT_MAX_BYTES_PER_USER
    interval_s: float = DEFAULT_INTERVAL_S

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionSettings:
        """The retention settings (``ZZ_RETENTION_DAYS``, ``ZZ_RETENTION_MAX_BYTES``,
        ``ZZ_RETENTION_INTERVAL_S``; 0 switches a rule off)."""
        return cls(max_age_days=settings.retention_days or None,
                   max_bytes_per_user=int(settings.retention_max_bytes) or None,
                   interval_s=settings.retention_interval_s)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetentionSettings:
        """``from_settings`` of the settings read from ``environ`` (default: os.environ)."""
        try:
            return cls.from_settings(load_settings(environ=environ))
        except SettingsError as error:
            raise ValueError(str(error)) from None


def apply_retention(engine: Engine, data_dir: str | os.PathLike[str] | None = None,
                    max_age_days: float | None = DEFAULT_MAX_AGE_DAYS,
                    max_bytes_per_user: int | None = DEFAULT_MAX_BYTES_PER_USER,
                    now: datetime | None = None,
                    grace_s: float = DEFAULT_GRACE_S, *,
                    objects: Objects | None = None) -> RetentionReport:
    """Remove expired audio and mark their tracks; rows are never deleted. ``objects``:
    the audio store (default: the one configured for ``data_dir``)."""
    now = _aware(now or utcnow())
    folder = Path(data_dir) if data_dir is not None else data_dir_from_env()
    store = objects if objects is not None else resolve(folder)
    with Session(engine) as session:
        live = list(session.exec(
            select(Track).where(col(Track.audio_deleted_at).is_(None))
            .order_by(col(Track.user_id), col(Track.created_at), col(Track.id))).all())
    expired = _too_old(live, now, max_age_days)
    taken = {t.id for t in expired}
    expired += _over_cap([t for t in live if t.id not in taken], now, max_bytes_per_user,
                         timedelta(seconds=grace_s))
    report = _expire(engine, store, folder, expired, now)
    copies, copy_bytes = sweep_listening_copies(store, now)
    if store != LocalObjects(folder):  # a remote store: its local player copies too
        cached, cached_bytes = sweep_listening_copies(LocalObjects(folder), now,
                                                      prefix=f"{CACHE_DIR_NAME}/")
        copies, copy_bytes = copies + cached, copy_bytes + cached_bytes
    return RetentionReport(files_removed=report.files_removed + copies,
                           bytes_freed=report.bytes_freed + copy_bytes,
                           tracks_expired=report.tracks_expired)


def sweep_listening_copies(data_dir: Storage, now: datetime,
                           max_age_s: float = LISTENING_MAX_AGE_S, *,
                           prefix: str = f"{LISTENING_DIR_NAME}/") -> tuple[int, int]:
    """Remove level-matched A/B copies (``listening/<user>/``; or whatever ``prefix``
    names, e.g. the player's local copies of remote audio) last written more than
    ``max_age_s`` ago; they are derived from the stored audio and written again when next
    needed. Returns (objects removed, bytes freed)."""
    store, removed, freed = resolve(data_dir), 0, 0
    for found in list(store.list(prefix)):
        if (now - found.modified_at).total_seconds() <= max_age_s:
            continue
        try:
            size = store.delete(found.key)
        except OSError as error:  # not ours to remove: try again next pass
            log.warning("retention: could not remove %s: %s", found.key, error)
            continue
        if size is not None:
            removed, freed = removed + 1, freed + size
    return removed, freed


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _too_old(tracks: Sequence[Track], now: datetime,
             max_age_days: float | None) -> list[Track]:
    if not max_age_days or max_age_days <= 0:
        return []
    cutoff = now - timedelta(days=max_age_days)
    return [t for t in tracks if t.created_at < cutoff]


def _over_cap(tracks: Sequence[Track], now: datetime, max_bytes: int | None,
              grace: timedelta) -> list[Track]:
    """Per user, the oldest tracks to drop until the rest fit in ``max_bytes``."""
    if not max_bytes or max_bytes <= 0:
        return []
    by_user: dict[int, list[Track]] = defaultdict(list)
    for track in tracks:
        by_user[track.user_id].append(track)
    chosen: list[Track] = []
    for own in by_user.values():
        total = sum(t.size_bytes for t in own)
        for track in own:  # oldest first
            if total <= max_bytes or now - track.created_at < grace:
                break
            chosen.append(track)
            total -= track.size_bytes
    return chosen


def _expire(engine: Engine, store: Objects, folder: Path, tracks: Sequence[Track],
            now: datetime) -> RetentionReport:
    files, freed, done = 0, 0, []
    for track in tracks:
        try:
            size = _remove_audio(store, folder, track)
        except (OSError, ZzError) as error:
            log.warning("retention: could not remove the audio of track %s: %s", track.id, error)
            continue
        files, freed = files + (size is not None), freed + (size or 0)
        done.append(track.id)
    if done:
        with Session(engine) as session:
            session.exec(update(Track).where(
                col(Track.id).in_(done), col(Track.audio_deleted_at).is_(None))
                .values(audio_deleted_at=now))
            session.commit()
    return RetentionReport(files_removed=files, bytes_freed=freed, tracks_expired=len(done))


def _remove_audio(store: Objects, folder: Path, track: Track) -> int | None:
    """Delete the track's audio (and a local player copy of it); its size in bytes, or
    None when it was already gone."""
    try:
        key = audio_key(track)
    except NotFoundError:
        return None
    if store.local_path(key) is None:
        cache_path(folder, key).unlink(missing_ok=True)
    return store.delete(key)


class RetentionWorker:
    """A daemon thread running ``apply_retention`` now and then every ``interval_s``."""

    def __init__(self, engine: Engine, data_dir: str | os.PathLike[str] | None,
                 settings: RetentionSettings, objects: Objects | None = None) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.settings = settings
        self.objects = objects
        self.last_report: RetentionReport | None = None
        self.ran = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="zz-retention", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.last_report = apply_retention(
                    self.engine, self.data_dir, self.settings.max_age_days,
                    self.settings.max_bytes_per_user, objects=self.objects)
            except Exception:
                log.exception("retention pass failed; retrying at the next interval")
            self.ran.set()
            self._stop.wait(self.settings.interval_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the thread to finish and wait for it."""
        self._stop.set()
        self.thread.join(timeout_s)

    def is_alive(self) -> bool:
        """True while the thread runs."""
        return self.thread.is_alive()


def start_retention_thread(engine: Engine, data_dir: str | os.PathLike[str] | None = None,
                           settings: RetentionSettings | None = None,
                           objects: Objects | None = None) -> RetentionWorker:
    """Start the retention daemon thread (settings and store from the environment by
    default)."""
    worker = RetentionWorker(engine, data_dir, settings or RetentionSettings.from_env(),
                             objects)
    worker.thread.start()
    return worker
