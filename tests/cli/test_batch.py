"""``python -m zz_core batch``, run as a user runs it: a real process over a real folder
(and a bucket on moto's S3 server), its rows against ``analyze --json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import QueueWorker
from tests.mixes import RATE, clean_mixdown
from tests.s3server import s3_environment
from tests.signals import sine, write_wav
from zz_core.store.objects import S3Objects

BATCH_KEYS = {"file", "content_sha256", "size_bytes", "etag", "error"}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zz_core", *args], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("catalogue")
    (root / "ep").mkdir()
    write_wav(root / "mix.wav", clean_mixdown(6.0), RATE, "PCM_24")
    tone = write_wav(root / "ep" / "tone.wav", sine(-23.0, 3.0), RATE, "PCM_16")
    data = tone.read_bytes()
    (root / "ep" / "cut.wav").write_bytes(data[: len(data) // 2])
    (root / "notes.wav").write_bytes(b"this is not audio at all")
    (root / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 not audio")
    return root


def test_jsonl_rows_equal_analyze_json_figure_for_figure(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    done = run("batch", str(folder), "--out", str(out), "--genre", "electronic",
               "--context", "master", "--workers", "2")
    assert done.returncode == 2, done.stderr  # two files failed; the batch finished
    assert "analysed: 2" in done.stdout and "failed: 2" in done.stdout
    assert "other files (not audio, ignored): 1" in done.stdout
    failed = [line for line in done.stderr.splitlines() if line.startswith("zz_core: ")]
    assert len(failed) == 2 and any("cut.wav" in line and "truncated" in line
                                    for line in failed)
    assert any("notes.wav" in line and "not an audio file" in line for line in failed)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4
    good = sorted((r for r in rows if r["error"] is None), key=lambda r: r["file"])
    files = [r["file"] for r in good]
    analysed = run("analyze", *files, "--json", "--genre", "electronic", "--context", "master")
    assert analysed.returncode == 0, analysed.stderr
    for row, line in zip(good, analysed.stdout.splitlines(), strict=True):
        assert {k: v for k, v in row.items() if k not in BATCH_KEYS} == json.loads(line)
    again = run("batch", str(folder), "--out", str(out), "--resume", "--genre",
                "electronic", "--context", "master")
    assert again.returncode == 0, again.stderr
    assert "already in the output (skipped): 4" in again.stdout
    assert len(out.read_text().splitlines()) == 4


def test_csv_and_parquet_and_a_bad_output_name(folder: Path, tmp_path: Path) -> None:
    tone = str(folder / "ep" / "tone.wav")
    for name in ("r.csv", "r.parquet"):
        done = run("batch", tone, "--out", str(tmp_path / name), "--workers", "1")
        assert done.returncode == 0, done.stderr
    csv_rows = pd.read_csv(tmp_path / "r.csv")
    parquet_rows = pd.read_parquet(tmp_path / "r.parquet")
    assert list(csv_rows["file"]) == list(parquet_rows["file"]) == [tone]
    assert csv_rows["integrated_lufs"][0] == parquet_rows["integrated_lufs"][0]
    refused = run("batch", tone, "--out", str(tmp_path / "r.xlsx"))
    assert refused.returncode == 2 and ".jsonl, .ndjson, .csv, .parquet" in refused.stderr
    assert refused.stdout == "" and not (tmp_path / "r.xlsx").exists()


def test_an_s3_prefix(folder: Path, tmp_path: Path, s3_endpoint: str,
                      s3_storage: S3Objects) -> None:
    s3_storage.put_file("masters/tone.wav", folder / "ep" / "tone.wav")
    s3_storage.put_bytes("masters/notes.txt", b"not audio")
    url = f"s3://{s3_storage.bucket}/{s3_storage.prefix}/masters/"
    out = tmp_path / "s3.jsonl"
    done = run("batch", url, "--out", str(out), "--workers", "1",
               env=s3_environment(s3_endpoint, s3_storage.url))
    assert done.returncode == 0, done.stderr
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["file"] == url + "tone.wav" and row["file_name"] == "tone.wav"
    assert row["error"] is None and row["etag"]


def test_through_the_queue_workers(folder: Path, tmp_path: Path, s3_endpoint: str,
                                   s3_storage: S3Objects, queue_url: str,
                                   queue_workers: Callable[..., QueueWorker]) -> None:
    """With ``ZZ_QUEUE_URL`` the files go to a real worker process (Redis on 127.0.0.1):
    local files travel through the bucket by key, an ``s3://`` object is read where it is,
    the bad ones are rows with the decoder's reason, and the rows equal in-process ones."""
    env = {**s3_environment(s3_endpoint, s3_storage.url), "ZZ_QUEUE_URL": queue_url,
           "ZZ_DATA_DIR": str(tmp_path / "data")}
    queue_workers({**env, "ZZ_DATA_DIR": str(tmp_path / "worker")}, 2, "batch").wait_ready()
    s3_storage.put_file("masters/tone.wav", folder / "ep" / "tone.wav")
    url = f"s3://{s3_storage.bucket}/{s3_storage.prefix}/masters/tone.wav"
    queued, local = tmp_path / "queued.jsonl", tmp_path / "local.jsonl"
    done = run("batch", str(folder), url, "--out", str(queued), env=env)
    assert done.returncode == 2, done.stderr
    assert "analysed: 3" in done.stdout and "failed: 2" in done.stdout
    assert list(s3_storage.list("batch/")) == []  # the copies went once answered
    env.pop("ZZ_QUEUE_URL")
    assert run("batch", str(folder), url, "--out", str(local), "--workers", "2",
               env=env).returncode == 2
    rows = {r["file"]: r for r in map(json.loads, queued.read_text().splitlines())}
    expected = {r["file"]: r for r in map(json.loads, local.read_text().splitlines())}
    assert rows.keys() == expected.keys()
    for file, row in rows.items():
        if file == url:  # the worker reads the object: only it knows the content hash
            row, expected[file] = ({k: v for k, v in r.items() if k != "content_sha256"}
                                   for r in (row, expected[file]))
        assert row == expected[file]
