"""The batch command's output files: one row per file, written as the outcomes come.

- ``.jsonl``: one JSON object per line: ``file`` (absolute path or ``s3://`` URL),
  ``content_sha256``, ``size_bytes``, ``etag`` (S3 objects), ``error`` (None when
  analysed), then the full analysis under exactly the keys and values of
  ``analyze --json`` (the same serialiser writes them).
- ``.csv`` and ``.parquet``: those first columns, then the headline figures flattened
  (``COLUMNS``: loudness, peaks, dynamics, tempo, key, stereo, the issue codes separated by
  spaces); units in the column names (LUFS, dBTP, dBFS, LU, dB, Hz, s).

Each row is flushed as written (and synced to disk at least every second), so a crash
leaves a valid file up to the last row; a row cut short by the crash is dropped when the
batch resumes. Parquet cannot be appended to: the file is rewritten atomically (a
temporary file renamed over it) every ``PARQUET_EVERY_ROWS`` rows or ``PARQUET_EVERY_S``
seconds, and the rows since are kept in ``<out>.journal.jsonl`` (merged back on resume,
removed when the batch ends).
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from zz_core.errors import InvalidValueError
from zz_core.judge.models import AnalysisResult
from zz_core.store.objects import Objects
from zz_core.text import one_line

__all__ = ["COLUMNS", "FORMATS", "BatchItem", "BatchOutput", "FileOutcome", "flat_row",
           "json_row", "open_output"]

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
PARQUET_EVERY_ROWS = 200
PARQUET_EVERY_S = 30.0
SYNC_EVERY_S = 1.0


@dataclass(frozen=True)
class BatchItem:
    """One input: ``file`` is its absolute path or ``s3://bucket/key``; ``objects`` and
    ``key`` locate an S3 object (None for a local file); ``sha256`` is set once known."""

    file: str
    name: str
    size_bytes: int | None = None
    objects: Objects | None = None
    key: str | None = None
    etag: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class FileOutcome:
    """One file's analysis, or the one sentence why it has none."""

    item: BatchItem
    sha256: str | None = None
    result: AnalysisResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class Column:
    """One flat column: its name, its type ("text", "float", "int") and how a result
    gives its value."""

    name: str
    kind: str
    value: Callable[[AnalysisResult], Any]


def _issues(result: AnalysisResult) -> str:
    return " ".join(issue.code for issue in result.issues)


FILE_COLUMNS = (("file", "text"), ("content_sha256", "text"), ("size_bytes", "int"),
                ("etag", "text"), ("error", "text"))
COLUMNS: tuple[Column, ...] = (
    Column("file_name", "text", lambda r: r.file_name),
    Column("duration_s", "float", lambda r: r.duration_s),
    Column("sample_rate_hz", "int", lambda r: r.sample_rate_hz),
    Column("channels", "int", lambda r: r.channels),
    Column("source_format", "text", lambda r: r.source_format),
    Column("context", "text", lambda r: r.context),
    Column("genre", "text", lambda r: r.genre.genre_label),
    Column("subgenre", "text", lambda r: r.genre.subgenre_label),
    Column("integrated_lufs", "float", lambda r: r.loudness.integrated_lufs),
    Column("momentary_max_lufs", "float", lambda r: r.loudness.momentary_max_lufs),
    Column("short_term_max_lufs", "float", lambda r: r.loudness.short_term_max_lufs),
    Column("lra_lu", "float", lambda r: r.loudness.lra_lu),
    Column("true_peak_dbtp", "float", lambda r: r.loudness.true_peak_dbtp),
    Column("sample_peak_dbfs", "float", lambda r: r.loudness.sample_peak_dbfs),
    Column("rms_dbfs", "float", lambda r: r.loudness.rms_dbfs),
    Column("plr_db", "float", lambda r: r.loudness.plr_db),
    Column("psr_db", "float", lambda r: r.loudness.psr_db),
    Column("crest_db", "float", lambda r: r.loudness.crest_db),
    Column("dr", "int", lambda r: r.loudness.dr),
    Column("bpm", "float", lambda r: r.tempo.bpm),
    Column("tempo_confidence", "float", lambda r: r.tempo.confidence),
    Column("key", "text", lambda r: r.key.label),
    Column("key_camelot", "text", lambda r: r.key.camelot),
    Column("key_confidence", "float", lambda r: r.key.confidence),
    Column("stereo_width", "float", lambda r: r.stereo.width),
    Column("correlation", "float", lambda r: r.stereo.correlation),
    Column("low_end_correlation", "float", lambda r: r.stereo.low_end_correlation),
    Column("balance_db", "float", lambda r: r.stereo.balance_db),
    Column("mono_loss_db", "float", lambda r: r.stereo.mono_loss_db),
    Column("issues", "text", _issues),
)
HEADER = [name for name, _ in FILE_COLUMNS] + [c.name for c in COLUMNS]
KINDS = dict(FILE_COLUMNS) | {c.name: c.kind for c in COLUMNS}


def _file_fields(outcome: FileOutcome) -> dict[str, Any]:
    item = outcome.item
    return {"file": item.file, "content_sha256": outcome.sha256, "size_bytes": item.size_bytes,
            "etag": item.etag, "error": None if outcome.result is not None else (
                one_line(outcome.error or "failed"))}


def flat_row(outcome: FileOutcome) -> dict[str, Any]:
    """The CSV/Parquet row: the file columns, then the headline figures (empty for a
    failure)."""
    row = _file_fields(outcome)
    for column in COLUMNS:
        row[column.name] = column.value(outcome.result) if outcome.result is not None else None
    return row


def json_row(outcome: FileOutcome) -> str:
    """The JSON Lines row: the file fields, then ``analyze --json``'s object as is."""
    head = json.dumps(_file_fields(outcome), ensure_ascii=False)
    if outcome.result is None:
        return head
    return f"{head[:-1]}, {outcome.result.model_dump_json()[1:]}"


# --- the outputs ---------------------------------------------------------------------------


class BatchOutput:
    """An output file being written; knows which files (with which content) it holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._held: dict[str, set[str]] = {}
        self._synced = time.monotonic()

    def _remember(self, row: dict[str, Any]) -> None:
        file = row.get("file")
        if not file:
            return
        marks = self._held.setdefault(str(file), set())
        for name in ("content_sha256", "etag"):
            if row.get(name):
                marks.add(f"{name}:{row[name]}")

    def holds_path(self, file: str) -> bool:
        """True when some row is about ``file``."""
        return file in self._held

    def holds(self, file: str, *, sha256: str | None = None, etag: str | None = None) -> bool:
        """True when a row is about ``file`` with this content (SHA-256, or S3 ETag)."""
        marks = self._held.get(file, set())
        return bool((sha256 and f"content_sha256:{sha256}" in marks)
                    or (etag and f"etag:{etag}" in marks))

    def write(self, outcome: FileOutcome) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _flush(self, handle: IO[Any], force: bool = False) -> None:
        handle.flush()
        if force or time.monotonic() - self._synced >= SYNC_EVERY_S:
            os.fsync(handle.fileno())
            self._synced = time.monotonic()


def _complete_lines(path: Path) -> list[bytes]:
    """The file's complete lines; a last line cut short (no newline) is cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(path, "r+b") as handle:
            handle.truncate(end)
    return data[:end].splitlines()


def _json_lines(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in _complete_lines(path):
        try:
            row = json.loads(line)
        except ValueError:
            continue  # not one of ours: left as is, never matched
        if isinstance(row, dict):
            rows.append(row)
    return rows


class JsonLinesOutput(BatchOutput):
    def __init__(self, path: Path, resume: bool) -> None:
        super().__init__(path)
        if resume:
            for row in _json_lines(path):
                self._remember(row)
        self._handle = open(path, "ab" if resume else "wb")  # noqa: SIM115 - closed in close

    def write(self, outcome: FileOutcome) -> None:
        self._handle.write(json_row(outcome).encode("utf-8") + b"\n")
        self._flush(self._handle)
        self._remember(_file_fields(outcome))

    def close(self) -> None:
        self._flush(self._handle, force=True)
        self._handle.close()


def _csv_text(value: Any) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


class CsvOutput(BatchOutput):
    def __init__(self, path: Path, resume: bool) -> None:
        super().__init__(path)
        lines = _complete_lines(path) if resume else []
        if lines:
            rows = csv.reader(line.decode("utf-8") for line in lines)
            if next(rows) != HEADER:
                raise InvalidValueError(f"{path} holds other columns than a batch writes: "
                                        "choose another --out, or run without --resume")
            for values in rows:
                self._remember(dict(zip(HEADER, values, strict=False)))
        self._handle = open(path, "a" if lines else "w", newline="",  # noqa: SIM115
                            encoding="utf-8")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        if not lines:
            self._writer.writerow(HEADER)
            self._flush(self._handle, force=True)

    def write(self, outcome: FileOutcome) -> None:
        row = flat_row(outcome)
        self._writer.writerow([_csv_text(row[name]) for name in HEADER])
        self._flush(self._handle)
        self._remember(row)

    def close(self) -> None:
        self._flush(self._handle, force=True)
        self._handle.close()


class ParquetOutput(BatchOutput):
    def __init__(self, path: Path, resume: bool) -> None:
        super().__init__(path)
        self.journal = path.with_name(path.name + ".journal.jsonl")
        self._rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        if resume:
            import pandas as pd

            kept = pd.read_parquet(path).to_dict("records") if path.exists() else []
            for row in [*kept, *_json_lines(self.journal)]:
                row = {name: (None if _missing(row.get(name)) else row.get(name))
                       for name in HEADER}
                self._keep(row)
        self._checkpoint()
        self._handle = open(self.journal, "ab")  # noqa: SIM115 - closed in close
        self._since, self._written = 0, time.monotonic()

    def _keep(self, row: dict[str, Any]) -> None:
        self._rows[(row["file"], row["content_sha256"], row["etag"], len(self._rows)
                    if row["content_sha256"] is None and row["etag"] is None else 0)] = row
        self._remember(row)

    def write(self, outcome: FileOutcome) -> None:
        row = flat_row(outcome)
        self._handle.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        self._flush(self._handle)
        self._keep(row)
        self._since += 1
        if (self._since >= PARQUET_EVERY_ROWS
                or time.monotonic() - self._written >= PARQUET_EVERY_S):
            self._checkpoint()
            self._handle.truncate(0)
            self._since, self._written = 0, time.monotonic()

    def _checkpoint(self) -> None:
        """Write every row so far to the Parquet file, atomically."""
        import pandas as pd

        frame = pd.DataFrame(list(self._rows.values()), columns=HEADER)
        frame = frame.astype({name: {"text": "string", "float": "float64", "int": "Int64"}[
            kind] for name, kind in KINDS.items()})
        partial = self.path.with_name(f".{self.path.name}.partial")
        frame.to_parquet(partial, engine="pyarrow", index=False)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, self.path)

    def close(self) -> None:
        self._handle.close()
        self._checkpoint()
        self.journal.unlink(missing_ok=True)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(value != value)  # None, NaN, pandas.NA
    except TypeError:
        return True  # pandas.NA refuses a truth value


def open_output(out: str | os.PathLike[str], *, resume: bool) -> BatchOutput:
    """The output ``out`` by its extension (``InvalidValueError`` naming the formats),
    kept (``resume``: its rows stay and its files are known) or written anew."""
    path = Path(out)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidValueError(f"the output must end in {', '.join(FORMATS)}: {out}")
    if path.parent and not path.parent.is_dir():
        raise InvalidValueError(f"no such folder for the output: {path.parent}")
    if kind == "jsonl":
        return JsonLinesOutput(path, resume)
    if kind == "csv":
        return CsvOutput(path, resume)
    return ParquetOutput(path, resume)
