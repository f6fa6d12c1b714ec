"""Benchmark: the Docs Assistant's knowledge index, measured side by side in one run.

Loads the bundled all-MiniLM-L6-v2 once (reported), then times:
  - building the index of the whole ``knowledge/`` folder from scratch (chunking and
    embedding every chunk, FAISS, BM25, files written) in a fresh temporary folder, three
    times (best reported, with the CPU time: this machine is shared and wall times vary);
  - reopening it from disk (manifest checked, nothing embedded);
  - re-indexing after one document changed (only that document embedded);
  - when ``zz_core.advise.appdocs`` exists, the build with its generated reference pages too;
  - warm query latency, ``KnowledgeIndex.search`` (query embedding + hybrid search), over
    ~100 queries after a short warm-up: median and 95th percentile;
and prints each figure against its target (build < 30 s, warm query < 50 ms).

Run: python bench/bench_retrieval.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zz_core.knowledge.documents import (  # noqa: E402
    DEFAULT_KNOWLEDGE_DIR,
    Document,
    load_documents,
    make_document,
)
from zz_core.knowledge.retrieval import KnowledgeIndex, load_embedder  # noqa: E402

QUESTIONS = ROOT / "tests" / "core" / "data" / "retrieval_questions.yaml"
BUILD_TARGET_S = 30.0
LATENCY_TARGET_MS = 50.0
QUERIES = 100
BUILDS = 3
EXTRA_QUERIES = [
    "PLR", "Camelot", "-14 LUFS", "dBTP", "R128", "how loud should a techno master be",
    "why does my master clip after mp3 encoding", "what is a good attack for drums",
    "my mix sounds muddy", "how wide should the bass be",
]


def queries() -> list[str]:
    """The evaluation questions (when present) and a few short ones, ~100 in all."""
    found: list[str] = []
    if QUESTIONS.is_file():
        found = [str(item["question"]) for item in yaml.safe_load(QUESTIONS.read_text())]
    pool = found + EXTRA_QUERIES
    return [pool[i % len(pool)] for i in range(QUERIES)]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def app_reference_build(documents: list[Document], index_dir: Path
                        ) -> tuple[float | None, int]:
    """Build time of knowledge/ plus the generated app reference pages (as the app indexes
    them), when ``zz_core.advise.appdocs`` is present."""
    try:
        from zz_core.advise.appdocs import generated_documents
    except ImportError:
        return None, 0
    extra = generated_documents()
    wall, _, chunks = build([*documents, *extra], index_dir)
    return wall, chunks


def build(documents: list[Document], index_dir: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of one build from scratch, and its chunk count."""
    wall, cpu = time.perf_counter(), time.process_time()
    index = KnowledgeIndex.open_or_build(documents, index_dir, load_embedder())
    return time.perf_counter() - wall, time.process_time() - cpu, index.chunk_count


def main() -> int:
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    load_s = timed(load_embedder)
    embedder = load_embedder()
    documents = load_documents(DEFAULT_KNOWLEDGE_DIR)
    with tempfile.TemporaryDirectory() as folder:
        builds = [build(documents, Path(folder) / f"build{i}") for i in range(BUILDS)]
        index_dir = Path(folder) / "build0"
        reopen_s = timed(lambda: KnowledgeIndex.open_or_build(documents, index_dir, embedder))
        changed = [*documents[:-1], make_document(documents[-1].doc_id,
                                                  documents[-1].text + "\n\nOne more line.")]
        update_s = timed(lambda: KnowledgeIndex.open_or_build(changed, index_dir, embedder))
        with_app_s, app_chunks = app_reference_build(documents, Path(folder) / "with-app")
        index = KnowledgeIndex.open_or_build(documents, index_dir, embedder)
        for query in EXTRA_QUERIES:  # warm-up
            index.search(query)
        latencies = []
        for query in queries():
            start = time.perf_counter()
            index.search(query, top_k=3)
            latencies.append((time.perf_counter() - start) * 1000)
    walls = sorted(wall for wall, _, _ in builds)
    best, cpu = walls[0], min(cpu for _, cpu, _ in builds)
    median = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"model load (once per process): {load_s:.2f} s")
    print(f"knowledge base: {len(documents)} documents, {builds[0][2]} chunks")
    print(f"build from scratch (embed every chunk), best of {BUILDS}: {best:6.2f} s "
          f"(all: {', '.join(f'{w:.1f}' for w in walls)} s; CPU {cpu:.1f} s)   "
          f"ratio to target {best / BUILD_TARGET_S:.2f} (target < {BUILD_TARGET_S:.0f} s)")
    print(f"reopen from disk (nothing embedded): {reopen_s * 1000:6.1f} ms")
    print(f"one document changed (it alone embedded): {update_s:.2f} s")
    if with_app_s is not None:
        print(f"build with the generated app reference pages too ({app_chunks} chunks): "
              f"{with_app_s:.2f} s   ratio to target {with_app_s / BUILD_TARGET_S:.2f}")
    print(f"warm query, {len(latencies)} queries: median {median:.1f} ms, p95 {p95:.1f} ms   "
          f"ratio to target {median / LATENCY_TARGET_MS:.2f} (median), "
          f"{p95 / LATENCY_TARGET_MS:.2f} (p95) (target < {LATENCY_TARGET_MS:.0f} ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work on this machine slows "
          "every figure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
