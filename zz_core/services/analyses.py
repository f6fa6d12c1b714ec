"""Analyses: run or reuse one for a stored track, compare it with a reference and with
the previous version of the song, the level-matched A/B pair, and (for the command line)
analyse files one after the other.

A reused analysis is an earlier one of the user's identical audio with the same options
(context, genre, subgenre); every track still keeps its own analysis row.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from zz_core.config import private_dir
from zz_core.errors import AudioDecodeError, NotFoundError, ZzError
from zz_core.judge import genres
from zz_core.judge.models import SCHEMA_VERSION, AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_file, with_reference
from zz_core.judge.versions import with_previous
from zz_core.measure.levelmatch import matched_gains_db, write_with_gain
from zz_core.services.workspace import Workspace
from zz_core.store import analyses, tracks
from zz_core.store.objects import cache_path, cached_copy, join_key
from zz_core.store.records import TrackRecord
from zz_core.store.retention import LISTENING_DIR_NAME
from zz_core.vocab import Context

OUT_OF_MEMORY = "not enough memory to analyse this file"

Runner = Callable[[Path, AnalysisOptions], AnalysisResult]
"""Analyses an audio file with the options (the pages run it in a worker process)."""
Progress = Callable[[float, str], None]
"""Told how far a job is (0..1) and what it is doing (a short sentence)."""
REUSED = "Same audio analysed before with these options: reusing that analysis."


def analysis_options(context: Context, genre: str | None = None,
                     subgenre: str | None = None) -> AnalysisOptions:
    """The options of an analysis, the genre checked first (``UnknownOptionError`` naming
    the valid ones)."""
    genres.resolve_targets(genre, subgenre)
    return AnalysisOptions(context=context, genre=genre, subgenre=subgenre)


# --- stored tracks -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrackAnalysis:
    """A track's analysis as stored; ``reused`` when it came from identical earlier audio."""

    result: AnalysisResult
    reused: bool
    analysis_id: int | None = None


def latest_analysis(workspace: Workspace, track_id: int | None) -> AnalysisResult | None:
    """The newest analysis of one of the user's tracks; None if it has none."""
    return analyses.latest_analysis(workspace.engine, workspace.user_id, track_id)


def reusable_analysis(workspace: Workspace, track: TrackRecord,
                      options: AnalysisOptions) -> AnalysisResult | None:
    """An earlier analysis of the same content with the same options, if any."""
    return analyses.find_analysis(workspace.engine, workspace.user_id, track.content_sha256,
                                  options.context, options.genre, options.subgenre)


def stored_analysis(workspace: Workspace, analysis_id: int | None) -> AnalysisResult:
    """One of the user's stored analyses (``NotFoundError`` if missing or not theirs)."""
    return analyses.load_analysis(workspace.engine, workspace.user_id, analysis_id)


def save_analysis(workspace: Workspace, track_id: int | None, result: AnalysisResult) -> int:
    """Keep an analysis of one of the user's tracks; its id."""
    return analyses.save_analysis(workspace.engine, workspace.user_id, track_id, result).id


def analyse_track(workspace: Workspace, track: TrackRecord, options: AnalysisOptions,
                  run: Runner = analyze_file) -> TrackAnalysis:
    """Reuse or run the analysis of a stored track and keep it as the track's own.

    A reused analysis may hold an earlier comparison (or changes since a previous
    version): this track has none of its own yet, so they are dropped; the file name is
    the track's.
    """
    result = reusable_analysis(workspace, track, options)
    reused = result is not None
    if result is None:
        result = _run_stored(workspace, track, options, run)
    result = result.model_copy(update={"file_name": track.original_name, "comparison": None,
                                       "changes": None})
    return TrackAnalysis(result, reused, save_analysis(workspace, track.id, result))


def _run_stored(workspace: Workspace, track: TrackRecord, options: AnalysisOptions,
                run: Runner) -> AnalysisResult:
    """Run the analysis on the track's stored audio, read by its key (a remote object is
    streamed to a temporary file for the decoder, removed afterwards)."""
    gone = NotFoundError("the track's audio is no longer kept")
    key = workspace.audio_key(track)
    if key is None:
        raise gone
    try:
        with workspace.objects.local_copy(key) as path:
            return run(path, options)
    except NotFoundError as error:
        if workspace.objects.exists(key):
            raise  # not the audio: something the analysis itself did not find
        raise gone from error


def compare_and_save(workspace: Workspace, track_id: int, result: AnalysisResult,
                     reference: AnalysisResult) -> AnalysisResult:
    """The track's analysis compared with its reference's, kept (History shows it again)."""
    compared = with_reference(result, reference)
    save_analysis(workspace, track_id, compared)
    return compared


@dataclass(frozen=True)
class JobAnalysis:
    """What a job stored: the track's analysis (compared with the reference when there is
    one), its id, the reference's analysis, and whether the track's came from earlier
    identical audio."""

    result: AnalysisResult
    analysis_id: int
    reference: AnalysisResult | None
    reused: bool


def run_job_analysis(workspace: Workspace, track_id: int | None, reference_id: int | None,
                     options: AnalysisOptions, progress: Progress,
                     run: Runner = analyze_file) -> JobAnalysis:
    """A job's work: the track's analysis (run, or reused from identical audio), what
    changed since the previous version when the track is a new version of one, then the
    reference's and the comparison, each kept as its track's own as soon as it is made.

    Run again after an interruption, it finds what the earlier attempt kept (an analysis
    of the track with these options) instead of storing a second one.
    """
    track = workspace.track(track_id)
    reference = workspace.track(reference_id) if reference_id is not None else None
    share = 0.9 if reference is None else 0.45
    main = _versioned(workspace, track,
                      _kept_or_analysed(workspace, track, options, progress, 0.0, share, run))
    if reference is None:
        assert main.analysis_id is not None
        return JobAnalysis(main.result, main.analysis_id, None, main.reused)
    other = _kept_or_analysed(workspace, reference, options, progress, share, 2 * share, run,
                              "the reference")
    if main.result.comparison is not None:  # an interrupted attempt compared them already
        assert main.analysis_id is not None
        return JobAnalysis(main.result, main.analysis_id, other.result, main.reused)
    progress(0.92, "Comparing with the reference")
    compared = with_reference(main.result, other.result)
    return JobAnalysis(compared, save_analysis(workspace, track.id, compared), other.result,
                       main.reused)


def previous_version_analysis(workspace: Workspace,
                              track: TrackRecord) -> tuple[TrackRecord, AnalysisResult] | None:
    """The previous version of a track and its latest analysis; None when the track is
    no new version, or that version is gone or has no analysis."""
    if track.previous_version_of_track_id is None:
        return None
    try:
        previous = workspace.track(track.previous_version_of_track_id)
    except NotFoundError:
        return None
    result = latest_analysis(workspace, previous.id)
    return None if result is None else (previous, result)


def _versioned(workspace: Workspace, track: TrackRecord, done: TrackAnalysis) -> TrackAnalysis:
    """The track's analysis with what changed since its previous version (kept), when it
    is a new version of one that has an analysis (``judge.versions.changes``)."""
    if done.result.changes is not None:  # an interrupted attempt got this far
        return done
    previous = previous_version_analysis(workspace, track)
    if previous is None:
        return done
    result = with_previous(done.result, previous[1])
    return TrackAnalysis(result, done.reused, save_analysis(workspace, track.id, result))


def _kept_or_analysed(workspace: Workspace, track: TrackRecord, options: AnalysisOptions,
                      progress: Progress, start: float, end: float, run: Runner,
                      what: str = "the track") -> TrackAnalysis:
    kept = _own_analysis(workspace, track, options)
    if kept is not None:
        progress(end, f"Already analysed {what}")
        return kept
    with _Ticking(progress, start + 0.02, end, f"Analysing {what}", track.duration_s):
        done = analyse_track(workspace, track, options, run)
    progress(end, REUSED if done.reused else f"Analysed {what}")
    return done


class _Ticking:
    """While the engine runs (it reports nothing itself), move the progress towards
    ``end`` each second along an estimate from the track's length (it slows down as it
    nears, never reaching it), so a long analysis does not look stuck."""

    SPEED = 30.0  # seconds of audio analysed per second, a 2-core estimate
    EVERY_S = 1.0

    def __init__(self, progress: Progress, start: float, end: float, text: str,
                 duration_s: float) -> None:
        self._progress, self._start, self._end, self._text = progress, start, end, text
        self._expected_s = 2.0 + max(0.0, duration_s) / self.SPEED
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="zz-progress", daemon=True)

    def __enter__(self) -> None:
        self._progress(self._start, self._text)
        self._thread.start()

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tick(self) -> None:
        began = time.monotonic()
        while not self._stop.wait(self.EVERY_S):
            share = 1.0 - math.exp(-(time.monotonic() - began) / self._expected_s)
            self._progress(self._start + (self._end - self._start) * 0.95 * share, self._text)


def _own_analysis(workspace: Workspace, track: TrackRecord,
                  options: AnalysisOptions) -> TrackAnalysis | None:
    """The track's own stored analysis with these options, if an earlier attempt of the
    same job kept one (with the comparison that attempt made, if it got that far)."""
    rows = analyses.list_analyses(workspace.engine, workspace.user_id, track.id)
    if not rows:
        return None
    result = AnalysisResult.model_validate_json(rows[0].result_json)
    wanted = genres.resolve_targets(options.genre, options.subgenre).choice()
    if result.context != options.context or result.genre != wanted or (
            result.schema_version != SCHEMA_VERSION):
        return None
    return TrackAnalysis(result, False, rows[0].id)


def reference_for(workspace: Workspace,
                  track_id: int | None) -> tuple[TrackRecord, AnalysisResult] | None:
    """The latest reference uploaded with a track, and its analysis."""
    reference = tracks.latest_reference(workspace.engine, workspace.user_id, track_id)
    if reference is None:
        return None
    result = latest_analysis(workspace, reference.id)
    return (reference, result) if result is not None else None


def level_matched_pair(workspace: Workspace, track_id: int | None, reference_id: int | None,
                       result: AnalysisResult,
                       reference: AnalysisResult) -> tuple[Path, Path] | None:
    """Local files of the track and its reference at equal integrated loudness (the
    louder one turned down, kept once in the audio store under a generated key
    ``listening/<user_id>/<name>.wav``); None if audio expired."""
    try:
        pair = [workspace.track(i) for i in (track_id, reference_id)]
    except NotFoundError:
        return None
    keys = [workspace.audio_key(t) for t in pair]
    gains = matched_gains_db(result.loudness.integrated_lufs,
                             reference.loudness.integrated_lufs)
    out = []
    for track, key, gain in zip(pair, keys, gains, strict=True):
        if key is None:
            return None
        name = hashlib.sha256(f"{track.stored_name}{gain:.3f}".encode()).hexdigest()[:24]
        copy_key = join_key(LISTENING_DIR_NAME, workspace.user_id, f"{name}.wav")
        path = (cached_copy(workspace.objects, key, workspace.data_dir) if gain == 0.0
                else _listening_copy(workspace, key, copy_key, gain))
        if path is None:
            return None
        out.append(path)
    return out[0], out[1]


def _listening_copy(workspace: Workspace, source_key: str, copy_key: str,
                    gain_db: float) -> Path | None:
    """The level-matched copy under ``copy_key``, made (from a local copy of the source,
    in a temporary folder) and kept in the store when it is not there yet; a local file
    (on a remote store, the player's local copy)."""
    objects = workspace.objects
    found = cached_copy(objects, copy_key, workspace.data_dir)
    if found is not None:
        return found
    try:
        with objects.local_copy(source_key) as source, \
                tempfile.TemporaryDirectory(prefix="zz-listening-") as folder:
            made = write_with_gain(source, Path(folder) / "copy.wav", gain_db)
            objects.put_file(copy_key, made)
            if objects.local_path(copy_key) is None:  # remote: keep it as the local copy
                target = cache_path(workspace.data_dir, copy_key)
                private_dir(target.parent)
                shutil.move(made, target)
                return target
    except NotFoundError:
        return None
    return cached_copy(objects, copy_key, workspace.data_dir)


# --- files (the command line) ------------------------------------------------------------


@dataclass(frozen=True)
class FileAnalysis:
    """One file's outcome: its analysis (compared with the reference, if any), or the
    one-sentence reason it could not be analysed."""

    path: str
    result: AnalysisResult | None = None
    error: str | None = None


def analyse_files(paths: Sequence[str], reference_path: str | None,
                  options: AnalysisOptions,
                  previous_path: str | None = None) -> Iterator[FileAnalysis]:
    """Each file's outcome in order, compared with the reference when there is one, and
    with ``previous_path`` (the song's previous version: what changed since) when given.
    When the reference or the previous version itself fails, its outcome is the only one
    (nothing else is analysed).

    Each file is analysed as it decodes (``analyze_file``): memory does not grow with
    its length, and decoding runs alongside the measurements.
    """
    given: list[AnalysisResult | None] = []
    for extra in (reference_path, previous_path):
        outcome = _analyse_one(extra, options) if extra else None
        if outcome is not None and outcome.result is None:
            yield outcome
            return
        given.append(None if outcome is None else outcome.result)
    reference, previous = given
    for path in paths:
        outcome = _analyse_one(path, options)
        result = outcome.result
        if result is not None and previous is not None:
            result = with_previous(result, previous)
        if result is not None and reference is not None:
            result = with_reference(result, reference)
        yield FileAnalysis(path, result) if result is not None else outcome


def _analyse_one(path: str, options: AnalysisOptions) -> FileAnalysis:
    try:
        return FileAnalysis(path, analyze_file(path, options))
    except ZzError as error:
        return FileAnalysis(path, error=str(error))
    except MemoryError:
        return FileAnalysis(path, error=OUT_OF_MEMORY)
    except OSError as error:  # e.g. a name too long for the file system: this file alone
        return FileAnalysis(path, error=str(AudioDecodeError(
            f"the file cannot be read ({error.strerror or error})")))
