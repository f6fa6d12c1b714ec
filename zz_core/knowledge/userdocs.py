"""A producer's own documents for the Docs Assistant (Markdown, text, PDF), kept under
generated names in their own folder and indexed for them alone."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from zz_core.errors import ZzError
from zz_core.knowledge.documents import Document, document_from_upload
from zz_core.knowledge.retrieval import Encoder, KnowledgeIndex

MAX_DOCUMENTS = 50


class LibraryFullError(ZzError):
    """The user already keeps the most documents allowed."""


class UserLibrary:
    """One user's uploaded documents and their index (thread-safe)."""

    def __init__(self, documents_dir: Path, index_dir: Path, embedder: Encoder) -> None:
        self.documents_dir = documents_dir
        self._lock = threading.Lock()
        self._index = KnowledgeIndex.open_or_build(self._read(), index_dir, embedder)

    @property
    def index(self) -> KnowledgeIndex:
        return self._index

    def documents(self) -> list[Document]:
        with self._lock:
            return self._read()

    def add(self, name: str, data: bytes) -> Document:
        """Check, store and index an upload (``DocumentError`` for a bad one)."""
        document = document_from_upload(name, data)
        with self._lock:
            existing = [d for d in self._read() if d.doc_id != document.doc_id]
            if len(existing) >= MAX_DOCUMENTS:
                raise LibraryFullError(f"You keep {MAX_DOCUMENTS} documents already: remove "
                                       "one first.")
            self.documents_dir.mkdir(parents=True, exist_ok=True)
            self._path(document.doc_id).write_text(document.model_dump_json(),
                                                   encoding="utf-8")
            self._index.update([*existing, document])
        return document

    def remove(self, doc_id: str) -> None:
        with self._lock:
            self._path(doc_id).unlink(missing_ok=True)
            self._index.update(self._read())

    def _path(self, doc_id: str) -> Path:
        return self.documents_dir / (hashlib.sha256(doc_id.encode()).hexdigest()[:32] + ".json")

    def _read(self) -> list[Document]:
        if not self.documents_dir.is_dir():
            return []
        return sorted((Document.model_validate_json(path.read_text(encoding="utf-8"))
                       for path in self.documents_dir.glob("*.json")),
                      key=lambda d: d.doc_id)
