"""Analyses: run or reuse one for a stored track, compare it with a reference, the
level-matched A/B pair, and (for the command line) analyse files one after the other.

A reused analysis is an earlier one of the user's identical audio with the same options
(context, genre, subgenre); every track still keeps its own analysis row.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from zz_core.errors import NotFoundError, ZzError
from zz_core.judge import genres
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_audio, analyze_file, with_reference
from zz_core.measure.decoding import Audio, load_audio
from zz_core.measure.levelmatch import matched_gains_db, write_with_gain
from zz_core.services.workspace import Workspace
from zz_core.store import analyses, tracks
from zz_core.store.records import TrackRecord
from zz_core.vocab import Context

LISTENING_DIR_NAME = "listening"
"""``<data_dir>/listening/<user_id>/``: level-matched copies (retention sweeps them)."""
OUT_OF_MEMORY = "not enough memory to analyse this file"

Runner = Callable[[Path, AnalysisOptions], AnalysisResult]
"""Analyses an audio file with the options (the pages run it in a worker process)."""


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


def latest_analysis(workspace: Workspace, track_id: int | None) -> AnalysisResult | None:
    """The newest analysis of one of the user's tracks; None if it has none."""
    return analyses.latest_analysis(workspace.engine, workspace.user_id, track_id)


def reusable_analysis(workspace: Workspace, track: TrackRecord,
                      options: AnalysisOptions) -> AnalysisResult | None:
    """An earlier analysis of the same content with the same options, if any."""
    return analyses.find_analysis(workspace.engine, workspace.user_id, track.content_sha256,
                                  options.context, options.genre, options.subgenre)


def save_analysis(workspace: Workspace, track_id: int | None, result: AnalysisResult) -> None:
    """Keep an analysis of one of the user's tracks."""
    analyses.save_analysis(workspace.engine, workspace.user_id, track_id, result)


def analyse_track(workspace: Workspace, track: TrackRecord, options: AnalysisOptions,
                  run: Runner = analyze_file) -> TrackAnalysis:
    """Reuse or run the analysis of a stored track and keep it as the track's own.

    A reused analysis may hold an earlier comparison: this track has none of its own yet,
    so it is dropped; the file name is the track's.
    """
    result = reusable_analysis(workspace, track, options)
    reused = result is not None
    if result is None:
        path = workspace.audio_path(track)
        if path is None:
            raise NotFoundError("the track's audio is no longer kept")
        result = run(path, options)
    result = result.model_copy(update={"file_name": track.original_name, "comparison": None})
    save_analysis(workspace, track.id, result)
    return TrackAnalysis(result, reused)


def compare_and_save(workspace: Workspace, track_id: int, result: AnalysisResult,
                     reference: AnalysisResult) -> AnalysisResult:
    """The track's analysis compared with its reference's, kept (History shows it again)."""
    compared = with_reference(result, reference)
    save_analysis(workspace, track_id, compared)
    return compared


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
    """Audio of the track and its reference at equal integrated loudness (the louder
    one turned down, written once under a generated name); None if audio expired."""
    try:
        pair = [workspace.track(i) for i in (track_id, reference_id)]
    except NotFoundError:
        return None
    sources = [workspace.audio_path(t) for t in pair]
    gains = matched_gains_db(result.loudness.integrated_lufs,
                             reference.loudness.integrated_lufs)
    folder = workspace.data_dir / LISTENING_DIR_NAME / str(workspace.user_id)
    out = []
    for track, source, gain in zip(pair, sources, gains, strict=True):
        if source is None:
            return None
        name = hashlib.sha256(f"{track.stored_name}{gain:.3f}".encode()).hexdigest()[:24]
        target = folder / f"{name}.wav"
        out.append(source if gain == 0.0 else
                   target if target.exists() else write_with_gain(source, target, gain))
    return out[0], out[1]


# --- files (the command line) ------------------------------------------------------------


@dataclass(frozen=True)
class FileAnalysis:
    """One file's outcome: its analysis (compared with the reference, if any), or the
    one-sentence reason it could not be analysed."""

    path: str
    result: AnalysisResult | None = None
    error: str | None = None


Decoded = Audio | ZzError | MemoryError


def analyse_files(paths: Sequence[str], reference_path: str | None,
                  options: AnalysisOptions) -> Iterator[FileAnalysis]:
    """Each file's outcome in order, compared with the reference when there is one. When
    the reference itself fails, its outcome is the only one (nothing else is analysed).

    The next file is decoded on a thread while the current one is analysed.
    """
    reference = None
    if reference_path:
        outcome = _analyse_one(reference_path, _decode(reference_path), options)
        if outcome.result is None:
            yield outcome
            return
        reference = outcome.result
    for path, decoded in _decoded_ahead(paths):
        outcome = _analyse_one(path, decoded, options)
        if outcome.result is not None and reference is not None:
            outcome = FileAnalysis(path, with_reference(outcome.result, reference))
        yield outcome


def _decode(path: str) -> Decoded:
    """The decoded audio, or the error that stopped it (reported in file order later)."""
    try:
        return load_audio(path)
    except (ZzError, MemoryError) as error:
        return error


def _decoded_ahead(paths: Sequence[str]) -> Iterator[tuple[str, Decoded]]:
    """(path, audio) in order, decoding the next file on a thread while the caller
    analyses the current one (decoding releases the GIL)."""
    if not paths:
        return
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = reader.submit(_decode, paths[0])
        for index, path in enumerate(paths):
            decoded = pending.result()
            if index + 1 < len(paths):
                pending = reader.submit(_decode, paths[index + 1])
            yield path, decoded
            del decoded


def _analyse_one(path: str, decoded: Decoded, options: AnalysisOptions) -> FileAnalysis:
    try:
        if isinstance(decoded, BaseException):
            raise decoded
        return FileAnalysis(path, analyze_audio(decoded, options,
                                                file_name=os.path.basename(path)))
    except ZzError as error:
        return FileAnalysis(path, error=str(error))
    except MemoryError:
        return FileAnalysis(path, error=OUT_OF_MEMORY)
