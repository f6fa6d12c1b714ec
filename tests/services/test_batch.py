"""Catalogue batches through the service: real files in a folder and in an S3 bucket (moto
on 127.0.0.1), real worker processes, every output format, resuming, a worker that dies,
and the seam to the queue (a stand-in queue object with the ``AnalysisQueue`` calls)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from tests.signals import sine, write_wav
from zz_core.config import Settings, load_settings
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_file
from zz_core.services import batch, batchfiles
from zz_core.services.batch import BatchItem, FileOutcome, find_inputs, in_process, run_batch
from zz_core.store.objects import LocalObjects, S3Objects

OPTIONS = AnalysisOptions(context="master", genre="electronic")


@dataclass
class Catalogue:
    root: Path
    good: list[Path]
    bad: Path  # truncated WAV
    fake: Path  # text under an audio extension
    ignored: Path  # not audio, no audio extension
    bare: Path  # audio without an extension (found by its header)

    @property
    def failing(self) -> set[str]:
        return {str(self.bad), str(self.fake)}


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    root = tmp_path / "catalogue"
    (root / "album" / ".hidden").mkdir(parents=True)
    good = [write_wav(root / "one.wav", sine(-14.0, 2.0), subtype="PCM_16"),
            write_wav(root / "album" / "two.wav", sine(-20.0, 2.0, freq_hz=220.0),
                      subtype="PCM_16")]
    data = good[0].read_bytes()
    bad = root / "album" / "cut.wav"
    bad.write_bytes(data[: len(data) // 3])
    fake = root / "cover.mp3"
    fake.write_bytes(b"this is a picture, honestly " * 20)
    ignored = root / "notes.txt"
    ignored.write_text("mastering notes")
    bare = root / "album" / "bounce"
    shutil.copy(good[1], bare)
    shutil.copy(good[0], root / "album" / ".hidden" / "skip.wav")
    (root / "._one.wav").write_bytes(b"AppleDouble")  # hidden: never taken
    return Catalogue(root, good, bad, fake, ignored, bare)


def _settings(tmp_path: Path) -> Settings:
    return load_settings(environ={"ZZ_DATA_DIR": str(tmp_path / "data")})


def _jsonl(path: Path) -> dict[str, dict]:
    return {row["file"]: row for row in map(json.loads, path.read_text().splitlines())}


def test_a_folder_one_row_per_audio_file(catalogue: Catalogue, tmp_path: Path) -> None:
    items, ignored = find_inputs([str(catalogue.root)], _settings(tmp_path))
    files = [i.file for i in items]
    assert sorted(files) == sorted(str(p) for p in [*catalogue.good, catalogue.bad,
                                                   catalogue.fake, catalogue.bare])
    assert ignored == 1  # notes.txt; hidden files are not even looked at
    out = tmp_path / "results.jsonl"
    summary = run_batch([str(catalogue.root)], out, OPTIONS, _settings(tmp_path), workers=2)
    assert (summary.files, summary.analysed, summary.skipped, summary.ignored) == (5, 3, 0, 1)
    assert {f for f, _ in summary.failures} == catalogue.failing
    reasons = dict(summary.failures)
    assert "truncated" in reasons[str(catalogue.bad)]
    assert "not an audio file" in reasons[str(catalogue.fake)]
    rows = _jsonl(out)
    assert set(rows) == set(files)
    for path in catalogue.good:
        row = rows[str(path)]
        assert row["error"] is None and row["size_bytes"] == path.stat().st_size
        assert row["content_sha256"] == batch.file_sha256(path)
        assert AnalysisResult.model_validate(row) == analyze_file(path, OPTIONS)
    assert rows[str(catalogue.bare)]["file_name"] == "bounce"
    failed = rows[str(catalogue.bad)]
    assert failed["error"] == reasons[str(catalogue.bad)] and "loudness" not in failed
    assert summary.seconds > 0


def test_resume_skips_what_the_output_holds(catalogue: Catalogue, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    settings = _settings(tmp_path)
    run_batch([str(p) for p in catalogue.good], out, OPTIONS, settings, workers=1)
    # a crash in the middle of writing the last row, then a changed and a new file
    text = out.read_text()
    out.write_text(text + text.splitlines()[0][:100])
    write_wav(catalogue.good[1], sine(-9.0, 2.0, freq_hz=220.0), subtype="PCM_16")
    new = write_wav(tmp_path / "new.wav", sine(-16.0, 2.0), subtype="PCM_16")
    paths = [*(str(p) for p in catalogue.good), str(new)]
    summary = run_batch(paths, out, OPTIONS, settings, resume=True, workers=1)
    assert (summary.files, summary.skipped, summary.analysed) == (3, 1, 2)
    lines = out.read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line) for line in lines)  # the cut row is gone
    again = run_batch(paths, out, OPTIONS, settings, resume=True, workers=1)
    assert (again.skipped, again.analysed, again.failures) == (3, 0, [])
    fresh = run_batch(paths[:1], out, OPTIONS, settings, workers=1)  # no --resume: anew
    assert fresh.skipped == 0 and len(out.read_text().splitlines()) == 1


def test_csv_and_parquet_flatten_the_headline_figures(catalogue: Catalogue,
                                                      tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    paths = [str(catalogue.good[0]), str(catalogue.bad)]
    csv_out, parquet_out = tmp_path / "r.csv", tmp_path / "r.parquet"
    run_batch(paths, csv_out, OPTIONS, settings, workers=1)
    run_batch(paths, parquet_out, OPTIONS, settings, workers=1)
    expected = analyze_file(catalogue.good[0], OPTIONS)
    for frame in (pd.read_csv(csv_out), pd.read_parquet(parquet_out)):
        assert list(frame.columns) == batchfiles.HEADER
        good = frame[frame["file"] == paths[0]].iloc[0]
        assert good["integrated_lufs"] == expected.loudness.integrated_lufs
        assert good["true_peak_dbtp"] == expected.loudness.true_peak_dbtp
        assert good["dr"] == expected.loudness.dr and good["key"] == expected.key.label
        assert str(good["issues"] if isinstance(good["issues"], str) else "") == " ".join(
            i.code for i in expected.issues)
        assert good["content_sha256"] == batch.file_sha256(catalogue.good[0])
        bad = frame[frame["file"] == paths[1]].iloc[0]
        assert "truncated" in bad["error"] and pd.isna(bad["integrated_lufs"])
    assert not (tmp_path / "r.parquet.journal.jsonl").exists()
    summary = run_batch(paths, csv_out, OPTIONS, settings, resume=True, workers=1)
    assert summary.skipped == 2


def test_parquet_rows_survive_a_crash_in_the_journal(tmp_path: Path,
                                                     catalogue: Catalogue) -> None:
    """Rows written after the last rewrite of the Parquet file are in its journal: a
    resumed batch keeps them (and the file is valid Parquet at every moment)."""
    out = tmp_path / "r.parquet"
    item = BatchItem(str(catalogue.good[0]), "one.wav", 1)
    output = batchfiles.open_output(out, resume=False)
    output.write(FileOutcome(item, "ab" * 32, error="an earlier failure"))
    assert pd.read_parquet(out).empty  # written anew, not yet rewritten: still valid
    output._handle.close()  # the process dies here: no final rewrite
    resumed = batchfiles.open_output(out, resume=True)
    assert resumed.holds(str(catalogue.good[0]), sha256="ab" * 32)
    resumed.close()
    assert list(pd.read_parquet(out)["error"]) == ["an earlier failure"]


def test_an_s3_prefix_as_input(s3_storage: S3Objects, tmp_path: Path,
                               catalogue: Catalogue) -> None:
    """Objects under ``s3://bucket/prefix`` are streamed to the worker processes; the rows
    name them by URL, with their ETag for --resume."""
    for path in (*catalogue.good, catalogue.fake):
        s3_storage.put_file(f"in/{path.name}", path)
    s3_storage.put_bytes("in/readme.txt", b"not audio")
    s3_storage.put_bytes("elsewhere/x.wav", b"not under the prefix")
    settings = load_settings()  # the environment points at moto
    url = f"s3://{s3_storage.bucket}/{s3_storage.prefix}/in"
    out = tmp_path / "s3.jsonl"
    summary = run_batch([url], out, OPTIONS, settings, workers=2)
    assert (summary.files, summary.analysed, len(summary.failures)) == (3, 2, 1)
    rows = _jsonl(out)
    for path in catalogue.good:
        row = rows[f"{url}/{path.name}"]
        assert row["content_sha256"] == batch.file_sha256(path) and row["etag"]
        assert AnalysisResult.model_validate(row) == analyze_file(path, OPTIONS)
    assert "not an audio file" in rows[f"{url}/cover.mp3"]["error"]
    again = run_batch([url, f"{url}/one.wav"], out, OPTIONS, settings, resume=True)
    assert (again.files, again.skipped) == (4, 4)


def dying_analysis(item: BatchItem, options: AnalysisOptions) -> FileOutcome:
    """Kills its worker process on files named ``crash*`` (as the OOM killer would)."""
    if item.name.startswith("crash"):
        os._exit(9)
    return FileOutcome(item, "0" * 64, error=f"pretend {item.name}")


def test_a_worker_that_dies_costs_only_its_file() -> None:
    items = [BatchItem(f"/x/{name}", name) for name in
             ("a.wav", "b.wav", "crash.wav", "c.wav", "d.wav", "e.wav")]
    outcomes = {o.item.name: o for o in in_process(items, OPTIONS, 2, dying_analysis)}
    assert set(outcomes) == {i.name for i in items}
    assert outcomes["crash.wav"].error == batch.WORKER_DIED
    assert all(o.error == f"pretend {n}" for n, o in outcomes.items() if n != "crash.wav")


@dataclass
class StandInQueue:
    """The ``AnalysisQueue`` calls the batch makes, answered in this process from the store
    the keys name (what a worker does)."""

    store: LocalObjects
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    closed: bool = False

    def submit_file(self, key: str, options: AnalysisOptions, *, sha256: str, name: str,
                    queue: str = "batch") -> str:
        assert queue == "batch" and self.store.exists(key)
        self.sent.append((key, sha256, name))
        return f"ticket-{sha256}"

    def results(self, tickets: Iterable[str], timeout_s: float | None = None
                ) -> Iterator[object]:
        @dataclass
        class Outcome:
            ticket: str
            result: AnalysisResult | None = None
            error: str | None = None

        for ticket in list(tickets):
            key, _, name = next(s for s in self.sent if f"ticket-{s[1]}" == ticket)
            with self.store.local_copy(key) as path:
                result = analyze_file(path, OPTIONS).model_copy(update={"file_name": name})
            yield Outcome(ticket, result)

    def close(self) -> None:
        self.closed = True


def test_through_the_queue_local_files_travel_by_key(tmp_path: Path,
                                                     catalogue: Catalogue) -> None:
    store = LocalObjects(tmp_path / "data")
    queue = StandInQueue(store)
    items = [BatchItem(str(p), p.name, p.stat().st_size) for p in catalogue.good]
    items.append(BatchItem(str(tmp_path / "missing.wav"), "missing.wav"))
    outcomes = {o.item.name: o for o in batch.through_queue(items, OPTIONS, queue, store)}
    assert outcomes["missing.wav"].error == batch.NOT_FOUND
    for path in catalogue.good:
        sha = batch.file_sha256(path)
        assert (f"batch/{sha}.wav", sha, path.name) in queue.sent
        outcome = outcomes[path.name]
        assert outcome.sha256 == sha and outcome.result == analyze_file(path, OPTIONS)
    assert list(store.list("batch/")) == []  # each copy removed once answered
