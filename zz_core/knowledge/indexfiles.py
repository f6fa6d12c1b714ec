"""The knowledge index on disk: ``index.faiss`` (the FAISS flat index), ``chunks.json`` and
``manifest.json`` (model, chunking parameters, per-document sha256 and chunk row range, and
the sha256 of the two other files), and the immutable in-memory ``IndexState`` they hold.

Files are written to temporary names and renamed, the manifest last; a set of files that
does not match its manifest, or was made with other settings, is not read (the caller
rebuilds it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from pydantic import BaseModel, ValidationError

from zz_core.knowledge.documents import Chunk
from zz_core.knowledge.lexical import Bm25

INDEX_FORMAT = 1  # bump when chunking, tokenizing or the embedded text changes
INDEX_FILE = "index.faiss"
CHUNKS_FILE = "chunks.json"
MANIFEST_FILE = "manifest.json"

log = logging.getLogger(__name__)


class DocumentEntry(BaseModel):
    """A document of the index and its rows ``[start, end)``."""

    doc_id: str
    title: str
    sha256: str
    start: int
    end: int


class Manifest(BaseModel):
    """What ``manifest.json`` records."""

    format: int
    model: str
    dimension: int
    max_chars: int
    overlap_chars: int
    rows: int
    chunks_sha256: str
    index_sha256: str
    documents: list[DocumentEntry]


@dataclasses.dataclass(frozen=True)
class IndexSettings:
    """What an index was built with: the model and the chunking parameters."""

    model: str
    max_chars: int
    overlap_chars: int


@dataclasses.dataclass(frozen=True)
class IndexState:
    """One immutable version of an index."""

    chunks: tuple[Chunk, ...]
    vectors: np.ndarray  # (rows, dimension) float32, unit length
    faiss_index: Any
    bm25: Bm25
    documents: tuple[DocumentEntry, ...]
    dimension: int

    @classmethod
    def create(cls, chunks: Sequence[Chunk], vectors: np.ndarray,
               documents: Sequence[DocumentEntry], dimension: int) -> IndexState:
        flat = faiss.IndexFlatIP(dimension)
        if len(chunks):
            flat.add(vectors)
        return cls(tuple(chunks), vectors, flat,
                   Bm25.build([c.embedding_text for c in chunks]), tuple(documents),
                   dimension)


def write_files(state: IndexState, directory: Path, settings: IndexSettings) -> None:
    """Write the index, chunks and (last) manifest, each atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    chunks_data = json.dumps([c.model_dump() for c in state.chunks], ensure_ascii=False,
                             indent=0).encode("utf-8")
    index_data = faiss.serialize_index(state.faiss_index).tobytes()
    manifest = Manifest(
        format=INDEX_FORMAT, model=settings.model, dimension=state.dimension,
        max_chars=settings.max_chars, overlap_chars=settings.overlap_chars,
        rows=len(state.chunks), chunks_sha256=hashlib.sha256(chunks_data).hexdigest(),
        index_sha256=hashlib.sha256(index_data).hexdigest(), documents=list(state.documents))
    _write_atomic(directory / INDEX_FILE, index_data)
    _write_atomic(directory / CHUNKS_FILE, chunks_data)
    _write_atomic(directory / MANIFEST_FILE, manifest.model_dump_json(indent=1).encode())


def _write_atomic(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load_state(directory: Path, settings: IndexSettings) -> IndexState | None:
    """The stored state when its files are intact and were made with ``settings``."""
    try:
        manifest = Manifest.model_validate_json((directory / MANIFEST_FILE).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as err:
        log.warning("ignoring the knowledge index in %s: %s", directory, err)
        return None
    if (manifest.format, manifest.model, manifest.max_chars, manifest.overlap_chars) != (
            INDEX_FORMAT, settings.model, settings.max_chars, settings.overlap_chars):
        return None
    try:
        return _read_state(directory, manifest)
    except (OSError, ValueError, RuntimeError) as err:
        log.warning("rebuilding the knowledge index in %s: %s", directory, err)
        return None


def _read_state(directory: Path, manifest: Manifest) -> IndexState:
    index_data = (directory / INDEX_FILE).read_bytes()
    chunks_data = (directory / CHUNKS_FILE).read_bytes()
    if (hashlib.sha256(index_data).hexdigest() != manifest.index_sha256
            or hashlib.sha256(chunks_data).hexdigest() != manifest.chunks_sha256):
        raise ValueError("files do not match the manifest")
    chunks = [Chunk.model_validate(item) for item in json.loads(chunks_data)]
    flat = faiss.deserialize_index(np.frombuffer(index_data, dtype=np.uint8))
    _check_layout(manifest, chunks, flat)
    vectors = flat.reconstruct_n(0, flat.ntotal) if flat.ntotal else np.zeros(
        (0, manifest.dimension), np.float32)
    return IndexState(tuple(chunks), np.ascontiguousarray(vectors, dtype=np.float32), flat,
                      Bm25.build([c.embedding_text for c in chunks]),
                      tuple(manifest.documents), manifest.dimension)


def _check_layout(manifest: Manifest, chunks: Sequence[Chunk], flat: Any) -> None:
    if not (flat.ntotal == len(chunks) == manifest.rows and flat.d == manifest.dimension):
        raise ValueError("row counts do not match the manifest")
    row = 0
    for entry in manifest.documents:
        if entry.start != row or entry.end < entry.start or any(
                c.doc_id != entry.doc_id for c in chunks[entry.start:entry.end]):
            raise ValueError("document rows do not match the manifest")
        row = entry.end
    if row != len(chunks):
        raise ValueError("document rows do not cover the index")
