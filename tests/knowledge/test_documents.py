"""Documents and chunks of the Docs Assistant: loading, uploads (Markdown, text, PDF made
here with fpdf2), refusals, and heading-aware chunking with its size cap and overlap."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from pathlib import Path

import pytest
from fpdf import FPDF

from zz_core.errors import ZzError
from zz_core.knowledge.documents import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_CHARS,
    DocumentTooLargeError,
    EmptyDocumentError,
    UnreadableDocumentError,
    chunk_document,
    document_from_upload,
    load_documents,
    make_document,
)

SENTENCES = [f"Sentence {i} says that limiter setting {i} changes the true peak by {i} dB."
             for i in range(80)]


def pdf_bytes(*pages: str, password: str | None = None) -> bytes:
    pdf = FPDF()
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if text:
            pdf.multi_cell(0, 6, text)
    if password is not None:
        pdf.set_encryption(owner_password="owner", user_password=password)
    return bytes(pdf.output())


# --- loading --------------------------------------------------------------------------


def test_load_documents_reads_markdown_recursively_sorted(tmp_path: Path) -> None:
    (tmp_path / "tutorials").mkdir()
    (tmp_path / "tutorials" / "true-peak.md").write_text(
        "# True peak\r\n\r\nLimiters miss overs.\n", encoding="utf-8")
    (tmp_path / "a-note.md").write_text("No heading here.\n", encoding="utf-8")
    (tmp_path / "ignored.txt").write_text("# Not markdown\n", encoding="utf-8")

    docs = load_documents(tmp_path)

    assert [d.doc_id for d in docs] == ["a-note.md", "tutorials/true-peak.md"]
    assert [d.title for d in docs] == ["a-note", "True peak"]
    assert docs[1].text == "# True peak\n\nLimiters miss overs."  # CRLF normalised
    assert docs[1].sha256 == hashlib.sha256(docs[1].text.encode()).hexdigest()


def test_title_ignores_headings_inside_code_fences() -> None:
    doc = make_document("x.md", "```\n# not a title\n```\n\n# Real title\n\nBody.")
    assert doc.title == "Real title"


# --- chunking -------------------------------------------------------------------------


def test_chunks_follow_headings_with_their_path() -> None:
    text = ("# True peak\n\nIntro about inter-sample peaks.\n\n"
            "## Why limiters miss overs\n\nThey look at samples only.\n\n"
            "### Oversampling\n\nUpsample four times.\n\n"
            "```bash\n# a comment, not a heading\n```\n\n"
            "#### Deep heading stays in the body\n\nText.\n\n"
            "## Empty section\n\n## Fixing it\n\nLower the ceiling to -1 dBTP.\n")
    chunks = chunk_document(make_document("tutorials/true-peak.md", text))

    assert [c.heading for c in chunks] == [
        "True peak", "True peak › Why limiters miss overs",
        "True peak › Why limiters miss overs › Oversampling", "True peak › Fixing it"]
    assert [c.ordinal for c in chunks] == [0, 1, 2, 3]
    assert "# a comment, not a heading" in chunks[2].text
    assert "#### Deep heading stays in the body" in chunks[2].text
    assert chunks[3].text == "Lower the ceiling to -1 dBTP."
    assert chunks[1].embedding_text.startswith("True peak › Why limiters miss overs\n\n")
    assert all(c.doc_id == "tutorials/true-peak.md" and c.title == "True peak" for c in chunks)


def test_embedding_text_puts_the_title_before_a_heading_path_without_it() -> None:
    doc = make_document("user/notes.md", "## Gain staging\n\nKeep peaks near -18 dBFS.")
    (chunk,) = chunk_document(doc)
    assert chunk.heading == "Gain staging"
    assert chunk.embedding_text == "notes › Gain staging\n\nKeep peaks near -18 dBFS."


def test_long_sections_are_capped_and_overlap() -> None:
    paragraphs = [" ".join(SENTENCES[i:i + 8]) for i in range(0, len(SENTENCES), 8)]
    doc = make_document("long.md", "# Long\n\n## Limiters\n\n" + "\n\n".join(paragraphs))

    chunks = chunk_document(doc, max_chars=600, overlap_chars=150)

    assert len(chunks) > 5
    assert all(len(c.text) <= 600 for c in chunks)
    assert all(c.heading == "Long › Limiters" for c in chunks)
    for sentence in SENTENCES:  # nothing lost
        assert any(sentence in c.text for c in chunks)
    for before, after in itertools.pairwise(chunks):
        first = re.split(r"(?<=\.)\s", after.text, maxsplit=1)[0]
        assert first in before.text  # the overlap repeats the end of the previous chunk
        assert len(first) <= 150


def test_without_overlap_the_pieces_partition_the_text() -> None:
    doc = make_document("long.md", " ".join(SENTENCES))
    chunks = chunk_document(doc, max_chars=500, overlap_chars=0)
    assert " ".join(c.text for c in chunks) == doc.text


def test_unbreakable_text_is_hard_split_under_the_cap() -> None:
    doc = make_document("blob.md", "# Blob\n\n" + "x" * 5000)
    chunks = chunk_document(doc, max_chars=1000, overlap_chars=100)
    assert all(len(c.text) <= 1000 for c in chunks)
    assert "".join(c.text for c in chunks).count("x") >= 5000


def test_tables_split_between_rows() -> None:
    rows = "\n".join(f"| Platform {i} | -14 LUFS | -1 dBTP |" for i in range(60))
    chunks = chunk_document(make_document("t.md", "# Table\n\n" + rows), 400, 50)
    assert all(len(c.text) <= 400 for c in chunks)
    assert all(line.startswith("| Platform") for c in chunks for line in c.text.split("\n"))


@pytest.mark.parametrize(("max_chars", "overlap"), [(50, 0), (1000, 600), (1000, -1)])
def test_bad_chunking_parameters_are_refused(max_chars: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_document(make_document("x.md", "text"), max_chars, overlap)


# --- uploads --------------------------------------------------------------------------


def test_markdown_upload_keeps_only_the_base_name_and_sanitises() -> None:
    data = "\ufeff# My notes\r\n\r\nUse a\x00 ceiling\x07 of -1 dBTP.\u200b\r\n".encode()
    doc = document_from_upload("../../etc/My notes.md", data)
    assert doc.doc_id == "user/My notes.md"
    assert doc.title == "My notes"
    assert doc.text == "# My notes\n\nUse a ceiling of -1 dBTP."


def test_plain_text_in_other_encodings() -> None:
    assert document_from_upload("a.txt", "Café at −14 LUFS".encode("cp1252", "replace")
                                ).text.startswith("Café")
    doc = document_from_upload("b.txt", "Tonal balance ♪".encode("utf-16"))
    assert doc.text == "Tonal balance ♪"
    assert doc.title == "b"


def test_pdf_upload_reads_every_page() -> None:
    data = pdf_bytes("Gain staging. Keep peaks near -18 dBFS on every channel.",
                     "Second page: the Camelot wheel.")
    doc = document_from_upload("Manual.pdf", data)
    assert doc.doc_id == "user/Manual.pdf"
    assert doc.title == "Manual"
    assert "Keep peaks near -18 dBFS" in doc.text
    assert "Camelot wheel" in doc.text
    assert chunk_document(doc)


@pytest.mark.parametrize(("data", "error", "words"), [
    (b"", EmptyDocumentError, "empty"),
    (b" \n\t\n ", EmptyDocumentError, "empty"),
    (b"\x00\x00\x00\x00", UnreadableDocumentError, "binary"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8, UnreadableDocumentError, "binary"),
    (bytes(range(1, 32)) * 40, UnreadableDocumentError, "binary"),
    (b"%PDF-1.7\n garbage that is no PDF", UnreadableDocumentError, "not a readable PDF"),
])
def test_bad_uploads_are_refused(data: bytes, error: type[ZzError], words: str) -> None:
    with pytest.raises(error, match=words):
        document_from_upload("upload.md", data)


def test_random_bytes_are_refused() -> None:
    data = os.urandom(20_000).replace(b"\x00", b"\x01")  # no NUL: must still be refused
    with pytest.raises(UnreadableDocumentError):
        document_from_upload("noise.txt", data)


def test_pdf_refusals() -> None:
    with pytest.raises(EmptyDocumentError, match="no text layer"):
        document_from_upload("scan.pdf", pdf_bytes(""))
    with pytest.raises(UnreadableDocumentError, match="password"):
        document_from_upload("locked.pdf", pdf_bytes("secret", password="pw"))


def test_oversized_uploads_are_refused() -> None:
    with pytest.raises(DocumentTooLargeError, match="MB"):
        document_from_upload("big.md", b"a" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(DocumentTooLargeError, match="characters"):
        document_from_upload("long.md", b"word " * (MAX_UPLOAD_CHARS // 5 + 10))


def test_upload_errors_are_zz_errors() -> None:
    for error in (DocumentTooLargeError, EmptyDocumentError, UnreadableDocumentError):
        assert issubclass(error, ZzError)
