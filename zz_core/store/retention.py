"""Audio-file retention: uploaded audio is kept for a while, analyses and chat for good.

``apply_retention`` removes AUDIO FILES only (older than the age limit; then, per user, the
oldest first until their total is within the size cap) and sets ``track.audio_deleted_at``.
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
from zz_core.errors import NotFoundError
from zz_core.store.db import data_dir_from_env, utcnow
from zz_core.store.tables import Track
from zz_core.store.tracks import audio_file_path

DEFAULT_MAX_AGE_DAYS: float = SETTINGS["retention_days"].default
DEFAULT_MAX_BYTES_PER_USER: int = int(SETTINGS["retention_max_bytes"].default)
DEFAULT_INTERVAL_S: float = SETTINGS["retention_interval_s"].default
# The size rule never takes audio younger than this: it may be under analysis right now.
DEFAULT_GRACE_S = 3600.0
LISTENING_MAX_AGE_S = 24 * 3600.0  # level-matched A/B copies: made again on demand

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
                    grace_s: float = DEFAULT_GRACE_S) -> RetentionReport:
    """Remove expired audio files and mark their tracks; rows are never deleted."""
    now = _aware(now or utcnow())
    with Session(engine) as session:
        live = list(session.exec(
            select(Track).where(col(Track.audio_deleted_at).is_(None))
            .order_by(col(Track.user_id), col(Track.created_at), col(Track.id))).all())
    expired = _too_old(live, now, max_age_days)
    taken = {t.id for t in expired}
    expired += _over_cap([t for t in live if t.id not in taken], now, max_bytes_per_user,
                         timedelta(seconds=grace_s))
    report = _expire(engine, data_dir, expired, now)
    copies, copy_bytes = sweep_listening_copies(
        Path(data_dir) if data_dir is not None else data_dir_from_env(), now)
    return RetentionReport(files_removed=report.files_removed + copies,
                           bytes_freed=report.bytes_freed + copy_bytes,
                           tracks_expired=report.tracks_expired)


def sweep_listening_copies(data_dir: Path, now: datetime,
                           max_age_s: float = LISTENING_MAX_AGE_S) -> tuple[int, int]:
    """Remove level-matched A/B copies (``listening/<user>/``) older than ``max_age_s``;
    they are derived from the stored audio and written again when next needed. Returns
    (files removed, bytes freed)."""
    removed, freed = 0, 0
    for path in (data_dir / "listening").glob("*/*.wav"):
        try:
            info = path.stat()
            if now.timestamp() - info.st_mtime > max_age_s:
                path.unlink()
                removed, freed = removed + 1, freed + info.st_size
        except OSError:
            continue  # gone meanwhile, or not ours to remove: try again next pass
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


def _expire(engine: Engine, data_dir: str | os.PathLike[str] | None,
            tracks: Sequence[Track], now: datetime) -> RetentionReport:
    folder = Path(data_dir) if data_dir is not None else data_dir_from_env()
    files, freed, done = 0, 0, []
    for track in tracks:
        try:
            size = _remove_audio(folder, track)
        except OSError as error:
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


def _remove_audio(folder: Path, track: Track) -> int | None:
    """Delete the track's file; its size in bytes, or None when it was already gone."""
    try:
        path = audio_file_path(folder, track)
    except NotFoundError:
        return None
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return None
    return size


class RetentionWorker:
    """A daemon thread running ``apply_retention`` now and then every ``interval_s``."""

    def __init__(self, engine: Engine, data_dir: str | os.PathLike[str] | None,
                 settings: RetentionSettings) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.settings = settings
        self.last_report: RetentionReport | None = None
        self.ran = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="zz-retention", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.last_report = apply_retention(
                    self.engine, self.data_dir, self.settings.max_age_days,
                    self.settings.max_bytes_per_user)
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
                           settings: RetentionSettings | None = None) -> RetentionWorker:
    """Start the retention daemon thread (settings from the environment by default)."""
    worker = RetentionWorker(engine, data_dir, settings or RetentionSettings.from_env())
    worker.thread.start()
    return worker
