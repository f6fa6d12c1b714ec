"""The Docs Assistant's documents and their chunks.

A ``Document`` is one Markdown file of the bundled knowledge base (``knowledge/``), a
generated page, or a user's own upload (Markdown, plain text or PDF). ``chunk_document``
cuts it into ``Chunk``s along its ``#``, ``##`` and ``###`` headings; a section longer than
the cap is split on paragraph, line, sentence and finally word boundaries, and each piece
after the first repeats the end of the previous one (the overlap). A chunk's
``embedding_text`` starts with the document title and heading path, so a section is found
by its topic even when its body never names it.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from zz_core.datafiles import KNOWLEDGE_DIR
from zz_core.errors import ZzError
from zz_core.text import printable

DEFAULT_KNOWLEDGE_DIR = KNOWLEDGE_DIR

USER_PREFIX = "user/"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_CHARS = 300_000  # about 150 pages of prose: embedding it takes ~15 s on 2 cores
MAX_PDF_PAGES = 500
MAX_NAME_CHARS = 100
DEFAULT_MAX_CHARS = 1200
DEFAULT_OVERLAP_CHARS = 200
HEADING_SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,3})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BINARY_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")  # never in text files
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


class DocumentError(ZzError):
    """A document could not be read or used."""


class UnreadableDocumentError(DocumentError):
    """Not Markdown, text or a PDF we can read (binary data, a broken or locked PDF)."""


class EmptyDocumentError(DocumentError):
    """The document holds no text (an empty file, a scanned PDF without a text layer)."""


class DocumentTooLargeError(DocumentError):
    """The upload is over the byte or character cap."""


class Document(BaseModel):
    """One document of a knowledge base."""

    doc_id: str  # POSIX path under the knowledge dir, "user/<name>" for an upload
    title: str  # first "# " heading, else the file stem
    text: str
    sha256: str  # of ``text``


class Chunk(BaseModel):
    """One retrievable piece of a document."""

    doc_id: str
    title: str
    heading: str  # heading path, e.g. "True peak › Why limiters miss overs"
    text: str
    ordinal: int  # position within the document, from 0

    @property
    def embedding_text(self) -> str:
        """What is embedded and indexed: title and heading path, then the text."""
        return f"{heading_context(self.title, self.heading)}\n\n{self.text}"


def heading_context(title: str, heading: str) -> str:
    """The heading path with the title in front (once)."""
    if not heading or heading == title:
        return title
    if heading.startswith(title + HEADING_SEPARATOR):
        return heading
    return f"{title}{HEADING_SEPARATOR}{heading}"


def make_document(doc_id: str, text: str, title: str | None = None) -> Document:
    """A ``Document`` from text (sanitised); ``title`` defaults to the first heading."""
    clean = sanitize_text(text)
    stem = PurePosixPath(doc_id).stem or doc_id
    return Document(doc_id=doc_id, title=title or first_heading(clean) or stem, text=clean,
                    sha256=hashlib.sha256(clean.encode("utf-8")).hexdigest())


def sanitize_text(text: str) -> str:
    """Unix newlines, NFC, no control/zero-width characters, at most one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = printable(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def first_heading(text: str) -> str | None:
    """Text of the first level-1 heading outside code fences, if any."""
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("# "):
            title = line[2:].strip().rstrip("#").strip()
            if title:
                return title
    return None


def load_documents(directory: Path) -> list[Document]:
    """Every ``*.md`` under ``directory`` (recursively), sorted by doc id."""
    documents = []
    for path in sorted(directory.rglob("*.md")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise UnreadableDocumentError(f"cannot read {path}: {err}") from None
        documents.append(make_document(path.relative_to(directory).as_posix(), text))
    return documents


# --- uploads --------------------------------------------------------------------------


def document_from_upload(name: str, data: bytes) -> Document:
    """A user's Markdown, plain-text or PDF file as a ``Document`` with id "user/<name>".

    Raises ``DocumentTooLargeError`` over ``MAX_UPLOAD_BYTES`` or ``MAX_UPLOAD_CHARS``,
    ``UnreadableDocumentError`` for binary data or a broken/locked PDF and
    ``EmptyDocumentError`` when no text is left.
    """
    safe_name = _safe_name(name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise DocumentTooLargeError(
            f"{safe_name} is {len(data) / 2**20:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 2**20} MB")
    if not data.strip():
        raise EmptyDocumentError(f"{safe_name} is empty")
    is_pdf = data.lstrip()[:5] == b"%PDF-"
    text = _pdf_text(safe_name, data) if is_pdf else _decode_text(safe_name, data)
    if len(text) > MAX_UPLOAD_CHARS:
        raise DocumentTooLargeError(
            f"{safe_name} holds more than {MAX_UPLOAD_CHARS:,} characters of text (about "
            "150 pages): split it into smaller files")
    document = make_document(USER_PREFIX + safe_name, text,
                             title=None if not is_pdf else PurePosixPath(safe_name).stem)
    if not document.text:
        what = "no text layer (a scanned PDF?)" if is_pdf else "no text"
        raise EmptyDocumentError(f"{safe_name} has {what}")
    return document


def _safe_name(name: str) -> str:
    """The base name of an uploaded file, without path or control characters."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = printable(base).strip()
    return base[:MAX_NAME_CHARS] or "upload"


def _decode_text(name: str, data: bytes) -> str:
    """UTF-8 (or UTF-16 with a BOM, or Windows-1252) text; binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableDocumentError(f"{name} is not valid UTF-16 text") from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = len(_BINARY_CHARS.findall(text))
        if controls <= max(2, len(text) // 200):  # a few stray NULs are cleaned away
            return text
        break
    raise UnreadableDocumentError(
        f"{name} looks like a binary file, not text: upload Markdown, plain text or a PDF")


def _pdf_text(name: str, data: bytes) -> str:
    """The text layer of a PDF, page after page."""
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a requirement
        raise UnreadableDocumentError("reading PDFs needs the pypdf package") from None
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocumentError(f"{name} is password-protected")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentTooLargeError(
                f"{name} has {len(reader.pages)} pages; the limit is {MAX_PDF_PAGES}")
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            total += len(pages[-1])
            if total > MAX_UPLOAD_CHARS:
                break
    except DocumentError:
        raise
    except Exception as err:  # pypdf fails in many ways on a hostile or broken file
        raise UnreadableDocumentError(f"{name} is not a readable PDF ({err})") from None
    return "\n\n".join(pages)


# --- chunking -------------------------------------------------------------------------


def chunk_document(doc: Document, max_chars: int = DEFAULT_MAX_CHARS,
                   overlap_chars: int = DEFAULT_OVERLAP_CHARS) -> list[Chunk]:
    """``doc`` cut along its headings; no chunk's text is longer than ``max_chars``."""
    if max_chars < 100 or not 0 <= overlap_chars <= max_chars // 2:
        raise ValueError("need max_chars >= 100 and 0 <= overlap_chars <= max_chars / 2")
    chunks: list[Chunk] = []
    for path, body in _sections(doc.text):
        heading = HEADING_SEPARATOR.join(path) or doc.title
        for piece in _split_body(body, max_chars, overlap_chars):
            chunks.append(Chunk(doc_id=doc.doc_id, title=doc.title, heading=heading,
                                text=piece, ordinal=len(chunks)))
    return chunks


def _sections(text: str) -> list[tuple[list[str], str]]:
    """(heading path, body) per section; headings inside code fences are body text."""
    sections: list[tuple[list[str], str]] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        sections.append(([title for _, title in path], "\n".join(body)))
        level = len(match.group(1))
        path = [(lv, title) for lv, title in path if lv < level] + [(level, match.group(2))]
        body = []
    sections.append(([title for _, title in path], "\n".join(body)))
    return [(p, b.strip()) for p, b in sections if b.strip()]


def _split_body(body: str, max_chars: int, overlap_chars: int) -> list[str]:
    """``body`` in pieces of at most ``max_chars``, each after the first starting with
    (at most) the last ``overlap_chars`` of the previous piece."""
    if len(body) <= max_chars:
        return [body]
    limit = max_chars - overlap_chars - 2
    pieces: list[str] = []
    current = ""
    for unit, separator in _units(body, limit):
        if not current:
            current = unit
        elif len(current) + len(separator) + len(unit) <= max_chars:
            current += separator + unit
        else:
            pieces.append(current)
            tail = _tail(current, overlap_chars)
            current = f"{tail}{separator}{unit}" if tail else unit
    if current:
        pieces.append(current)
    return pieces


def _units(body: str, limit: int) -> list[tuple[str, str]]:
    """(piece, separator before it): paragraphs, else lines, else sentences, else words,
    each no longer than ``limit``."""
    units: list[tuple[str, str]] = []
    levels: list[tuple[re.Pattern[str], str]] = [
        (_BLANK_LINES, "\n\n"), (re.compile(r"\n"), "\n"), (_SENTENCE_END, " "),
        (re.compile(r"\s+"), " ")]

    def split(text: str, level: int, separator: str) -> None:
        if len(text) <= limit:
            units.append((text, separator))
            return
        if level == len(levels):
            for start in range(0, len(text), limit):
                units.append((text[start:start + limit], separator if start == 0 else ""))
            return
        pattern, inner = levels[level]
        parts = [p.strip() for p in pattern.split(text) if p.strip()]
        for index, part in enumerate(parts):
            split(part, level + 1, separator if index == 0 else inner)

    split(body, 0, "\n\n")
    return units


def _tail(text: str, overlap_chars: int) -> str:
    """The end of ``text``, at most ``overlap_chars`` long, starting at a sentence or line
    start when there is one in that window, else at a word."""
    if overlap_chars == 0:
        return ""
    if len(text) <= overlap_chars:
        return text
    window = text[-overlap_chars:]
    boundary = re.search(r"(?<=[.!?:;])\s+|\n+", window)
    if boundary and len(window) - boundary.end() >= overlap_chars // 4:
        return window[boundary.end():]
    space = re.search(r"\s+", window)
    return window[space.end():] if space else window
