"""A producer's own documents: stored under generated names, indexed for them alone,
replaced on re-upload, removed from the index with the file, bad uploads refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zz_core.knowledge.documents import DocumentError
from zz_core.knowledge.retrieval import load_embedder
from zz_core.knowledge.userdocs import MAX_DOCUMENTS, LibraryFullError, UserLibrary

NOTE = b"# Zorblax compressor\n\n## Settings\n\nOur Zorblax bus compressor runs at 3:1.\n"


@pytest.fixture(scope="module")
def embedder() -> Any:
    return load_embedder()


def _library(tmp_path: Path, embedder: Any, user: str = "1") -> UserLibrary:
    return UserLibrary(tmp_path / "docs" / user, tmp_path / "index" / user, embedder)


def test_added_document_is_found_and_stored_under_a_generated_name(tmp_path: Path,
                                                                   embedder: Any) -> None:
    library = _library(tmp_path, embedder)
    added = library.add("../../etc/zorblax notes.md", NOTE)
    assert added.title == "Zorblax compressor"
    [stored] = list((tmp_path / "docs" / "1").iterdir())
    assert "zorblax" not in stored.name and stored.suffix == ".json"
    hits = library.index.search("what ratio does the zorblax use")
    assert hits[0].doc_id == added.doc_id


def test_library_survives_a_restart_and_other_users_do_not_see_it(tmp_path: Path,
                                                                   embedder: Any) -> None:
    _library(tmp_path, embedder).add("zorblax.md", NOTE)
    again = _library(tmp_path, embedder)
    assert [d.title for d in again.documents()] == ["Zorblax compressor"]
    assert again.index.last_refresh.embedded == ()  # reopened, not re-embedded
    assert _library(tmp_path, embedder, user="2").documents() == []


def test_same_name_replaces_and_remove_forgets(tmp_path: Path, embedder: Any) -> None:
    library = _library(tmp_path, embedder)
    first = library.add("zorblax.md", NOTE)
    library.add("zorblax.md", NOTE.replace(b"3:1", b"8:1"))
    [only] = library.documents()
    assert "8:1" in only.text and only.doc_id == first.doc_id
    library.remove(first.doc_id)
    assert library.documents() == [] and library.index.doc_ids == []


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02binary" * 100, b"%PDF-1.4 broken"])
def test_bad_uploads_change_nothing(tmp_path: Path, embedder: Any, data: bytes) -> None:
    library = _library(tmp_path, embedder)
    with pytest.raises(DocumentError):
        library.add("bad.pdf" if data.startswith(b"%PDF") else "bad.md", data)
    assert library.documents() == []


def test_library_size_is_capped(tmp_path: Path, embedder: Any,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("zz_core.knowledge.userdocs.MAX_DOCUMENTS", 2)
    library = _library(tmp_path, embedder)
    library.add("a.md", NOTE)
    library.add("b.md", NOTE)
    with pytest.raises(LibraryFullError):
        library.add("c.md", NOTE)
    assert len(library.documents()) == 2 and MAX_DOCUMENTS == 50
