"""Catalogue batches: every audio file under some paths analysed, one output row per file.

``run_batch`` takes files, folders (walked recursively; a file is taken when its extension
is an audio one or, failing that, when the decoder recognises its header; hidden files are
left out) and ``s3://bucket/prefix`` prefixes (objects with an audio extension). Each file
becomes one row: the file, its content hash (SHA-256), its size, the headline figures and
issue codes, or the one sentence why it could not be analysed: a bad file is a row, never
the end of the batch.

Where the work runs: without a queue, in a pool of ``os.cpu_count()`` worker processes
('spawn'), at most two files per worker in flight, so memory stays bounded whatever the
catalogue's size; a worker that dies (the OOM killer, a decoder crash) costs only its file,
found by running the files it held one at a time. With ``ZZ_QUEUE_URL``, through the
Celery workers (``zz_core.services.queue``): a local file is first put in the configured
store under ``batch/<sha256><ext>`` (a worker elsewhere cannot read this machine's disk),
an ``s3://`` object is read by the worker where it is; tasks carry keys, never bytes.

The output files are ``zz_core.services.batchfiles``: ``.jsonl`` rows carry the full
analysis JSON under the same keys as ``analyze --json``, ``.csv`` and ``.parquet`` the
flat headline columns; rows are written as they come, so a crash leaves a valid file up to
the last row. ``resume`` skips the files the output already holds with the same content
(path and SHA-256; for an S3 object, path and ETag).
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zz_core.config import Settings
from zz_core.errors import ZzError
from zz_core.judge.models import AnalysisOptions
from zz_core.judge.pipeline import analyze_file
from zz_core.measure.decoding import probe
from zz_core.services.analyses import OUT_OF_MEMORY
from zz_core.services.batchfiles import BatchItem, BatchOutput, FileOutcome, open_output
from zz_core.store.objects import Objects, join_key, objects_from_settings, open_objects
from zz_core.vocab import AUDIO_EXTENSIONS

__all__ = ["BatchItem", "BatchSummary", "FileOutcome", "find_inputs", "run_batch"]

BATCH_PREFIX = "batch"
"""Keys ``batch/<sha256><ext>``: local files copied to the store for the queue's workers."""
WORKER_DIED = ("the analysis process ended abruptly on this file (it may have run out of "
               "memory, or the decoder crashed)")
NOT_FOUND = "no such file or folder"
QUEUE_WINDOW = 256  # files sent to the queue and not yet answered, at most
_HASH_CHUNK = 1 << 20


@dataclass
class BatchSummary:
    """What a batch did: files taken, analysed, failed (file, reason), skipped as already
    in the output, ignored as not audio, and the wall-clock seconds it took."""

    files: int = 0
    analysed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0
    ignored: int = 0
    seconds: float = 0.0


# --- inputs ----------------------------------------------------------------------------------


def find_inputs(paths: Sequence[str], settings: Settings) -> tuple[list[BatchItem], int]:
    """Every input under ``paths`` in order (folders sorted, recursively), and how many
    files were ignored as not audio. A path that does not exist is one input (its row
    says so)."""
    items: list[BatchItem] = []
    ignored = 0
    for path in paths:
        if path.startswith("s3://"):
            items += _s3_inputs(path, settings)
            continue
        local = Path(path).expanduser().absolute()
        if not local.is_dir():
            items.append(_local_item(local))
            continue
        for top, dirs, files in os.walk(local):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                candidate = Path(top) / name
                if name.startswith(".") or not candidate.is_file():
                    continue
                if is_audio_file(candidate):
                    items.append(_local_item(candidate))
                else:
                    ignored += 1
    return items, ignored


def _local_item(path: Path) -> BatchItem:
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    return BatchItem(str(path), path.name, size)


def is_audio_file(path: Path) -> bool:
    """An audio extension, or a header the decoder recognises (an extension-less file)."""
    if path.suffix.lower() in AUDIO_EXTENSIONS:
        return True
    try:
        probe(path)
    except (ZzError, OSError, ValueError):
        return False
    return True


def _s3_inputs(url: str, settings: Settings) -> list[BatchItem]:
    """The audio objects under ``s3://bucket/prefix`` (or the one object it names)."""
    bucket, _, prefix = url[len("s3://"):].partition("/")
    store = open_objects(f"s3://{bucket}", settings.data_dir, settings)
    exact = store.info(prefix) if prefix and not prefix.endswith("/") else None
    found = [exact] if exact is not None else list(
        store.list(prefix.rstrip("/") + "/" if prefix else ""))
    return [BatchItem(f"s3://{bucket}/{info.key}", info.key.rsplit("/", 1)[-1],
                      info.size_bytes, store, info.key, info.etag)
            for info in sorted(found, key=lambda i: i.key)
            if exact is not None or (
                Path(info.key).suffix.lower() in AUDIO_EXTENSIONS
                and not info.key.rsplit("/", 1)[-1].startswith("."))]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's content (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


# --- the work of one file (in a worker process) ---------------------------------------------


def analyse_item(item: BatchItem, options: AnalysisOptions) -> FileOutcome:
    """Hash and analyse one input (an S3 object is streamed to a temporary file first);
    every failure is the outcome's sentence, as ``analyze`` would print it."""
    sha256 = item.sha256
    try:
        with _local_file(item) as path:
            sha256 = sha256 or file_sha256(path)
            result = analyze_file(path, options)
    except ZzError as error:
        return FileOutcome(item, sha256, error=str(error))
    except MemoryError:
        return FileOutcome(item, sha256, error=OUT_OF_MEMORY)
    except OSError as error:
        reason = NOT_FOUND if isinstance(error, FileNotFoundError) else (
            f"the file cannot be read ({error.strerror or error})")
        return FileOutcome(item, sha256, error=reason)
    if result.file_name != item.name:
        result = result.model_copy(update={"file_name": item.name})
    return FileOutcome(item, sha256, result)


@contextlib.contextmanager
def _local_file(item: BatchItem) -> Iterator[Path]:
    if item.objects is None or item.key is None:
        yield Path(item.file)
        return
    with item.objects.local_copy(item.key) as path:
        yield path


# --- running: in this process's pool, or through the queue ----------------------------------


Outcomes = Iterator[FileOutcome]


def in_process(items: Iterable[BatchItem], options: AnalysisOptions,
               workers: int | None = None,
               analyse: Callable[[BatchItem, AnalysisOptions], FileOutcome] = analyse_item
               ) -> Outcomes:
    """Outcomes as they complete, from ``workers`` spawned processes (default: one per
    CPU) holding at most two files each. When a worker dies, the files its pool held are
    run again one at a time: the one that kills it again is the failure."""
    workers = max(1, workers or os.cpu_count() or 1)
    pending = iter(items)
    suspects: deque[BatchItem] = deque()
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    flights: dict[Future[FileOutcome], BatchItem] = {}
    solo = False
    exhausted = False
    try:
        while True:
            if not flights:
                solo = bool(suspects)
            if solo and not flights and suspects:
                alone = suspects.popleft()
                flights[pool.submit(analyse, alone, options)] = alone
            while not solo and not exhausted and len(flights) < 2 * workers:
                following = next(pending, None)
                if following is None:
                    exhausted = True
                    break
                flights[pool.submit(analyse, following, options)] = following
            if not flights:
                return
            done, _ = wait(list(flights), return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                item = flights.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken = True
                    if solo:
                        yield FileOutcome(item, item.sha256, error=WORKER_DIED)
                    else:
                        suspects.append(item)
            if broken:
                for future, item in flights.items():  # the rest of the broken pool
                    future.cancel()
                    suspects.append(item)
                flights.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def through_queue(items: Iterable[BatchItem], options: AnalysisOptions, queue: Any,
                  store: Objects, poll_s: float = 0.25) -> Outcomes:
    """Outcomes as the queue's workers finish them. Local files go to ``store`` under
    ``batch/<sha256><ext>`` first (removed once answered); at most QUEUE_WINDOW files are
    out at a time. ``queue``: ``zz_core.services.queue.AnalysisQueue``."""
    from zz_core.services.queue import QueueError

    pending = iter(items)
    out: dict[str, list[tuple[BatchItem, str | None]]] = {}
    waiting = 0
    exhausted = False
    while True:
        while not exhausted and waiting < QUEUE_WINDOW:
            item = next(pending, None)
            if item is None:
                exhausted = True
                break
            try:
                item, ticket, copied = _send(item, options, queue, store)
            except (ZzError, OSError) as error:
                yield FileOutcome(item, item.sha256, error=_reason(error))
                continue
            out.setdefault(ticket, []).append((item, copied))
            waiting += 1
        if not waiting:
            return
        answered = 0
        with contextlib.suppress(QueueError):  # timeout 0: one look at what is ready
            for outcome in queue.results(list(out), timeout_s=0):
                item, copied = out[outcome.ticket].pop(0)
                if not out[outcome.ticket]:
                    del out[outcome.ticket]
                if copied is not None and not any(c == copied for v in out.values()
                                                  for _, c in v):
                    store.delete(copied)
                waiting -= 1
                answered += 1
                sha256 = getattr(outcome, "sha256", None) or (
                    None if item.objects is not None else item.sha256)
                yield FileOutcome(item, sha256, outcome.result, outcome.error)
        if not answered:
            time.sleep(poll_s)


def _send(item: BatchItem, options: AnalysisOptions, queue: Any,
          store: Objects) -> tuple[BatchItem, str, str | None]:
    """Queue one input: the item (with its hash when it was read here), its ticket, and
    the key it was copied to (None: an S3 object, read where it is). An S3 object's ticket
    is named by its URL, ETag and size: only the worker reads its bytes."""
    if item.objects is not None:
        identity = item.sha256 or hashlib.sha256(
            f"{item.file}\n{item.etag}\n{item.size_bytes}".encode()).hexdigest()
        return item, queue.submit_file(item.file, options, sha256=identity,
                                       name=item.name), None
    item = replace(item, sha256=item.sha256 or file_sha256(item.file))
    assert item.sha256 is not None
    key = join_key(BATCH_PREFIX, item.sha256 + Path(item.name).suffix.lower())
    if not store.exists(key):
        store.put_file(key, item.file)
    return item, queue.submit_file(key, options, sha256=item.sha256, name=item.name), key


def _reason(error: BaseException) -> str:
    if isinstance(error, FileNotFoundError):
        return NOT_FOUND
    if isinstance(error, OSError):
        return f"the file cannot be read ({error.strerror or error})"
    return str(error)


# --- the batch ---------------------------------------------------------------------------------


def run_batch(paths: Sequence[str], out: str | os.PathLike[str], options: AnalysisOptions,
              settings: Settings, *, resume: bool = False, workers: int | None = None,
              progress: Callable[[int], Callable[[FileOutcome], None]] | None = None,
              ) -> BatchSummary:
    """Analyse every input under ``paths`` into the output file ``out`` (its format by
    extension: ``.jsonl``, ``.csv``, ``.parquet``), through the queue when
    ``settings.queue_url`` is set, else in this process's pool. ``progress(total)`` returns
    the callback told of each outcome (the command line's progress bar). ``resume`` keeps
    the output's rows and skips their files; without it the output is written anew.
    ``ZzError`` before anything ran: a bad output name, an unreadable S3 prefix."""
    began = time.monotonic()
    output = open_output(out, resume=resume)
    summary = BatchSummary()
    try:
        items, summary.ignored = find_inputs(paths, settings)
        todo = [item for item in (_known(i, output) for i in items) if item is not None]
        summary.files, summary.skipped = len(items), len(items) - len(todo)
        tell = progress(len(todo)) if progress is not None else None
        for outcome in _outcomes(todo, options, settings, workers):
            output.write(outcome)
            if outcome.result is not None:
                summary.analysed += 1
            else:
                summary.failures.append((outcome.item.file, outcome.error or "failed"))
            if tell is not None:
                tell(outcome)
    finally:
        output.close()
    summary.seconds = time.monotonic() - began
    return summary


def _known(item: BatchItem, output: BatchOutput) -> BatchItem | None:
    """The item to run, or None when the output already holds its file with this content
    (hashing a local file only when its path is there)."""
    if item.objects is not None:
        return None if output.holds(item.file, etag=item.etag) else item
    if not output.holds_path(item.file):
        return item
    try:
        hashed = replace(item, sha256=file_sha256(item.file))
    except OSError:
        return item
    return None if output.holds(item.file, sha256=hashed.sha256) else hashed


def _outcomes(items: list[BatchItem], options: AnalysisOptions, settings: Settings,
              workers: int | None) -> Outcomes:
    if not items:
        return iter(())
    from zz_core.services.queue import open_queue

    queue = open_queue(settings) if settings.queue_url else None
    if queue is None:
        return in_process(items, options, workers)
    return _closing(through_queue(items, options, queue, objects_from_settings(settings)),
                    queue)


def _closing(outcomes: Outcomes, queue: Any) -> Outcomes:
    try:
        yield from outcomes
    finally:
        queue.close()

