"""The knowledge index with the real all-MiniLM-L6-v2 model and real FAISS: hybrid ranking,
exact terms, diversity, incremental rebuilds from the manifest, several indexes at once,
hostile queries and concurrent searches.

``RecordingEncoder`` is not a mock: it passes every call to the real model and only keeps
the texts it was asked to embed, so the tests can tell which documents were (re-)embedded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest

from zz_core.errors import ZzError
from zz_core.knowledge.documents import (
    Document,
    chunk_document,
    document_from_upload,
    make_document,
)
from zz_core.knowledge.retrieval import (
    CHUNKS_FILE,
    INDEX_FILE,
    LEXICAL_WEIGHT,
    MANIFEST_FILE,
    MAX_QUERY_CHARS,
    Bm25,
    KnowledgeIndex,
    QueryError,
    RetrievalError,
    clean_query,
    load_embedder,
    search_indexes,
    tokenize,
)

CORPUS = {
    "tutorials/dynamics.md": """# Dynamics and punch

## Peak-to-loudness ratio

The PLR of a master is its maximum true peak minus its integrated loudness. A PLR under
8 dB usually means heavy limiting; acoustic music often keeps 12 dB or more.

## Crest factor

Crest factor compares the sample peak with the RMS level of the signal.
""",
    "tutorials/keys.md": """# Harmonic mixing for DJs

## The Camelot wheel

Each key gets a code from 1A to 12B on the Camelot wheel. Neighbouring codes mix
smoothly, so 8A goes into 7A, 9A or 8B.

## Detecting the key

Key detection compares the chroma profile of the track with major and minor templates.
""",
    "tutorials/true-peak.md": """# True peak

## Why limiters miss overs

A sample-peak limiter only sees the samples. Between samples the reconstructed waveform
can rise above full scale, so a master limited to 0 dBFS can still clip in a converter.

## Setting the ceiling

Set the limiter ceiling to -1 dBTP for streaming; lossy encoders add overshoot.
""",
    "tutorials/stereo.md": """# Stereo image

## Mono compatibility

Check the mix in mono: wide synths and chorus can cancel and the lead can disappear.

## Low end in mono

Keep the kick and bass centred below about 120 Hz; a wide low end loses power on club
systems that sum the sub to mono.
""",
    "tutorials/streaming.md": """# Streaming loudness

## Normalization

Spotify plays tracks at -14 LUFS by default and turns louder masters down. YouTube also
uses -14 LUFS, Apple Music -16 LUFS. Turning a track down does not restore its dynamics.
""",
    "tutorials/broadcast.md": """# Delivering to television

## What stations ask for

Programmes are delivered at -23 LUFS integrated with peaks at or below -1 dBTP, as EBU R128
asks. Stations reject files that miss it, so check the whole programme, not one scene.
""",
}


class RecordingEncoder:
    """The real model; remembers the texts of every ``encode`` call."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.calls: list[list[str]] = []

    def encode(self, inputs: list[str], **kwargs: Any) -> Any:
        self.calls.append(list(inputs))
        return self.model.encode(inputs, **kwargs)

    @property
    def texts(self) -> list[str]:
        return [text for call in self.calls for text in call]


@pytest.fixture(scope="session")
def embedder() -> Any:
    return load_embedder()


@pytest.fixture
def documents() -> list[Document]:
    return [make_document(doc_id, text) for doc_id, text in CORPUS.items()]


@pytest.fixture(scope="module")
def index(embedder: Any, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeIndex:
    """One index of ``CORPUS`` for the tests that only search (and leave it as it was)."""
    docs = [make_document(doc_id, text) for doc_id, text in CORPUS.items()]
    return KnowledgeIndex.open_or_build(docs, tmp_path_factory.mktemp("index"), embedder)


def embedded_texts(docs: Sequence[Document]) -> list[str]:
    return sorted(chunk.embedding_text for doc in docs for chunk in chunk_document(doc))


def stored_vectors(index_dir: Path) -> dict[str, np.ndarray]:
    """The persisted vectors of each document, read through FAISS and the manifest."""
    manifest = json.loads((index_dir / MANIFEST_FILE).read_text())
    flat = faiss.read_index(str(index_dir / INDEX_FILE))
    vectors = flat.reconstruct_n(0, flat.ntotal)
    return {d["doc_id"]: vectors[d["start"]:d["end"]] for d in manifest["documents"]}


# --- tokenizer and BM25 ---------------------------------------------------------------


def test_tokenizer_keeps_acronyms_units_and_signed_numbers() -> None:
    terms = tokenize("What PLR at \u221214 LUFS and -1 dBTP per EBU R128 / BS.1770-5?")
    for term in ("plr", "-14", "14", "luf", "-1", "dbtp", "ebu", "r128", "bs", "1770"):
        assert term in terms
    assert "what" not in terms and "at" not in terms
    assert tokenize("ranges 8-14 LU") == ["range", "8", "14", "lu"]  # a range is no sign


def test_bm25_prefers_the_rarer_term_and_stays_below_one() -> None:
    bm25 = Bm25.build(["the limiter ceiling", "camelot wheel camelot", "limiter release"])
    scores = bm25.scores(tokenize("camelot limiter"))
    assert scores.argmax() == 1
    assert 0 < scores.max() < 1
    assert bm25.scores(tokenize("nothing matches")).max() == 0


# --- searching ------------------------------------------------------------------------


def test_semantic_questions_find_their_document(index: KnowledgeIndex) -> None:
    cases = {
        "my master clips on the converter although the limiter is at 0 dBFS":
            "tutorials/true-peak.md",
        "will my track sound quieter on streaming services": "tutorials/streaming.md",
        "the bass disappears on a club system": "tutorials/stereo.md",
    }
    for query, expected in cases.items():
        assert index.search(query)[0].doc_id == expected, query


@pytest.mark.parametrize(("query", "expected"), [
    ("PLR", "tutorials/dynamics.md"),
    ("what PLR is good", "tutorials/dynamics.md"),
    ("Camelot", "tutorials/keys.md"),
    ("8A 7A", "tutorials/keys.md"),
    ("-1 dBTP", "tutorials/true-peak.md"),
])
def test_exact_terms_are_found(index: KnowledgeIndex, query: str, expected: str) -> None:
    top = index.search(query)[0]
    assert top.doc_id == expected
    assert top.lexical_score > 0


def test_the_lexical_part_rescues_a_term_the_model_does_not_know(
        index: KnowledgeIndex) -> None:
    hits = index.search("R128", top_k=5)
    top = hits[0]
    assert top.doc_id == "tutorials/broadcast.md"
    # the embedding alone prefers another page; the exact term decides
    assert max(h.dense_score for h in hits) > top.dense_score
    assert top.score == pytest.approx(top.dense_score + LEXICAL_WEIGHT * top.lexical_score)


def test_results_are_distinct_documents_best_first(index: KnowledgeIndex) -> None:
    hits = index.search("limiter true peak dynamics loudness", top_k=4)
    assert len({h.doc_id for h in hits}) == 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(-1 <= h.dense_score <= 1 and 0 <= h.lexical_score < 1 for h in hits)


def test_one_document_fills_the_places_with_its_other_chunks(embedder: Any) -> None:
    doc = make_document("user/keys.md", CORPUS["tutorials/keys.md"])
    single = KnowledgeIndex.open_or_build([doc], None, embedder)
    hits = single.search("Camelot key", top_k=3)
    assert [h.doc_id for h in hits] == ["user/keys.md"] * 2  # the document has two chunks
    assert {h.ordinal for h in hits} == {0, 1}
    assert len(single.search("key", max_per_document=2, top_k=1)) == 1


def test_empty_index(embedder: Any, tmp_path: Path) -> None:
    empty = KnowledgeIndex.open_or_build([], tmp_path / "empty", embedder)
    assert empty.search("anything") == []
    assert empty.chunk_count == 0
    again = KnowledgeIndex.open_or_build([], tmp_path / "empty", embedder)
    assert again.search("anything") == []


@pytest.mark.parametrize("query", ["", "   ", "\n\t \u200b\x00"])
def test_empty_queries_are_refused(index: KnowledgeIndex, query: str) -> None:
    with pytest.raises(QueryError):
        index.search(query)
    assert issubclass(QueryError, ZzError)


@pytest.mark.parametrize("query", [
    "PLR" * 100_000,
    "camelot " * 50_000,
    "'; DROP TABLE chunks; --",
    "(*.+?[\\d{2}] ^$ |",
    "???!!!...",
    "\x00PLR\x1b[31m\u202e true peak",
    "🎛️🎚️ loudness 🔊",
    "人声 压缩 true peak",
])
def test_hostile_queries_do_not_break_search(index: KnowledgeIndex, query: str) -> None:
    hits = index.search(query, top_k=3)
    assert 1 <= len(hits) <= 3


def test_long_queries_are_cut_at_a_word() -> None:
    text = clean_query("camelot " * 50_000)
    assert len(text) <= MAX_QUERY_CHARS
    assert text.endswith("camelot")
    assert clean_query(" a\tb\n\x00c\u202e ") == "a b c"


@pytest.mark.parametrize("top_k", [0, -1, 10_000])
def test_bad_top_k_is_refused(index: KnowledgeIndex, top_k: int) -> None:
    with pytest.raises(ValueError):
        index.search("PLR", top_k=top_k)
    with pytest.raises(ValueError):
        index.search("PLR", max_per_document=0)


def test_top_k_larger_than_the_index(index: KnowledgeIndex) -> None:
    hits = index.search("mixing", top_k=50)
    assert len(hits) == index.chunk_count


# --- persistence and incremental rebuilds ---------------------------------------------


def test_build_embeds_every_chunk_once_and_saves(
        documents: list[Document], embedder: Any, tmp_path: Path) -> None:
    spy = RecordingEncoder(embedder)
    built = KnowledgeIndex.open_or_build(documents, tmp_path / "kb", spy)
    assert sorted(spy.texts) == embedded_texts(documents)
    assert built.last_refresh.saved
    assert built.doc_ids == [d.doc_id for d in documents]
    names = sorted(p.name for p in (tmp_path / "kb").iterdir())
    assert names == sorted([INDEX_FILE, CHUNKS_FILE, MANIFEST_FILE])  # no temporary files
    manifest = json.loads((tmp_path / "kb" / MANIFEST_FILE).read_text())
    assert manifest["model"].startswith("sentence-transformers/all-MiniLM-L6-v2")
    assert (manifest["max_chars"], manifest["overlap_chars"]) == (1200, 200)
    assert [d["sha256"] for d in manifest["documents"]] == [d.sha256 for d in documents]


def test_reopening_an_unchanged_index_embeds_nothing(
        documents: list[Document], embedder: Any, tmp_path: Path) -> None:
    first = KnowledgeIndex.open_or_build(documents, tmp_path / "kb", embedder)
    before = (tmp_path / "kb" / MANIFEST_FILE).stat().st_mtime_ns
    spy = RecordingEncoder(embedder)
    again = KnowledgeIndex.open_or_build(documents, tmp_path / "kb", spy)
    assert spy.calls == []
    assert not again.last_refresh.saved
    assert again.last_refresh.reused == tuple(d.doc_id for d in documents)
    assert (tmp_path / "kb" / MANIFEST_FILE).stat().st_mtime_ns == before
    assert again.search("Camelot") == first.search("Camelot")


def test_a_changed_document_is_embedded_alone(
        documents: list[Document], embedder: Any, tmp_path: Path) -> None:
    KnowledgeIndex.open_or_build(documents, tmp_path / "kb", embedder)
    old_vectors = stored_vectors(tmp_path / "kb")
    changed = make_document("tutorials/stereo.md", CORPUS["tutorials/stereo.md"]
                            + "\n## Phase\n\nA correlation meter below zero means trouble.\n")
    docs = [changed if d.doc_id == changed.doc_id else d for d in documents]

    spy = RecordingEncoder(embedder)
    index = KnowledgeIndex.open_or_build(docs, tmp_path / "kb", spy)

    assert sorted(spy.texts) == embedded_texts([changed])
    assert index.last_refresh.embedded == ("tutorials/stereo.md",)
    assert index.last_refresh.saved
    new_vectors = stored_vectors(tmp_path / "kb")
    for doc in documents:
        if doc.doc_id != changed.doc_id:  # unchanged documents keep their exact vectors
            np.testing.assert_array_equal(new_vectors[doc.doc_id], old_vectors[doc.doc_id])
    assert index.search("correlation meter below zero")[0].doc_id == "tutorials/stereo.md"


def test_a_removed_document_disappears_and_a_new_one_is_embedded_alone(
        documents: list[Document], embedder: Any, tmp_path: Path) -> None:
    spy = RecordingEncoder(embedder)
    index = KnowledgeIndex.open_or_build(documents, tmp_path / "kb", spy)
    assert index.search("Camelot")[0].doc_id == "tutorials/keys.md"
    added = make_document("tutorials/reverb.md", "# Reverb\n\nPre-delay keeps vocals clear.")
    remaining = [d for d in documents if d.doc_id != "tutorials/keys.md"] + [added]

    spy.calls.clear()
    report = index.update(remaining)  # the running app updates the instance it holds

    assert report.removed == ("tutorials/keys.md",)
    assert report.embedded == ("tutorials/reverb.md",)
    assert sorted(spy.texts) == embedded_texts([added])
    assert "tutorials/keys.md" not in index.doc_ids
    assert all(h.doc_id != "tutorials/keys.md" for h in index.search("Camelot", top_k=10))
    reopened = KnowledgeIndex.open_or_build(remaining, tmp_path / "kb", RecordingEncoder(embedder))
    assert reopened.last_refresh.embedded == ()
    assert "tutorials/keys.md" not in reopened.doc_ids
    assert reopened.search("pre-delay on vocals")[0].doc_id == "tutorials/reverb.md"


def test_other_chunking_parameters_rebuild_everything(
        documents: list[Document], embedder: Any, tmp_path: Path) -> None:
    KnowledgeIndex.open_or_build(documents, tmp_path / "kb", embedder)
    spy = RecordingEncoder(embedder)
    index = KnowledgeIndex.open_or_build(documents, tmp_path / "kb", spy, max_chars=400,
                                         overlap_chars=50)
    assert len(spy.texts) == index.chunk_count
    assert index.last_refresh.embedded == tuple(d.doc_id for d in documents)


@pytest.mark.parametrize("damage", ["truncate_chunks", "garbage_index", "bad_manifest"])
def test_damaged_files_are_rebuilt(documents: list[Document], embedder: Any, tmp_path: Path,
                                   damage: str) -> None:
    KnowledgeIndex.open_or_build(documents, tmp_path / "kb", embedder)
    kb = tmp_path / "kb"
    if damage == "truncate_chunks":
        (kb / CHUNKS_FILE).write_bytes((kb / CHUNKS_FILE).read_bytes()[:100])
    elif damage == "garbage_index":
        (kb / INDEX_FILE).write_bytes(b"not a faiss index")
    else:
        (kb / MANIFEST_FILE).write_text("{not json")
    spy = RecordingEncoder(embedder)
    index = KnowledgeIndex.open_or_build(documents, kb, spy)
    assert sorted(spy.texts) == embedded_texts(documents)
    assert index.search("Camelot")[0].doc_id == "tutorials/keys.md"
    assert KnowledgeIndex.open_or_build(documents, kb, spy).last_refresh.embedded == ()


def test_an_unwritable_folder_leaves_a_working_index_in_memory(
        documents: list[Document], embedder: Any, tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("in the way")
    index = KnowledgeIndex.open_or_build(documents, blocked / "kb", embedder)
    assert not index.last_refresh.saved
    assert index.search("Camelot")[0].doc_id == "tutorials/keys.md"


def test_duplicate_document_ids_are_refused(documents: list[Document], embedder: Any) -> None:
    with pytest.raises(RetrievalError, match=r"tutorials/keys\.md"):
        KnowledgeIndex.open_or_build([*documents, documents[1]], None, embedder)


# --- several indexes ------------------------------------------------------------------


def test_search_across_the_knowledge_base_and_a_users_uploads(
        index: KnowledgeIndex, embedder: Any, tmp_path: Path) -> None:
    upload = document_from_upload("studio-notes.md", (
        b"# Studio notes\n\n## Vocal chain\n\nMy vocal chain: an 1176 at 4:1, then a "
        b"Pultec boost at 12 kHz and a de-esser around 6 kHz.\n"))
    user = KnowledgeIndex.open_or_build([upload], tmp_path / "user", embedder)

    mine = search_indexes([index, user], "what compressor is on my vocal chain", top_k=3)
    assert mine[0].doc_id == "user/studio-notes.md"
    theirs = search_indexes([index, user], "Camelot wheel neighbouring keys", top_k=3)
    assert theirs[0].doc_id == "tutorials/keys.md"
    assert len({h.doc_id for h in theirs}) == 3
    both = search_indexes([user, index], "PLR", top_k=2)
    assert both[0].doc_id == "tutorials/dynamics.md"  # the order of the indexes is no bias
    assert search_indexes([], "PLR") == []


def test_indexes_of_different_models_do_not_mix(
        index: KnowledgeIndex, documents: list[Document], embedder: Any) -> None:
    other = KnowledgeIndex.open_or_build(documents[:1], None, embedder, model="other-model")
    with pytest.raises(RetrievalError, match="different models"):
        search_indexes([index, other], "PLR")


# --- threads --------------------------------------------------------------------------


def test_concurrent_searches_during_an_update(
        documents: list[Document], embedder: Any, tmp_path: Path) -> None:
    index = KnowledgeIndex.open_or_build(documents, tmp_path / "kb", embedder)
    expected = {q: index.search(q)[0].doc_id for q in ("Camelot", "PLR", "mono bass")}
    errors: list[BaseException] = []
    stop = threading.Event()

    def updater() -> None:
        extra = make_document("tutorials/eq.md", "# EQ\n\nCut before you boost.\n")
        try:
            while not stop.is_set():
                index.update([*documents, extra])
                index.update(documents)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    thread = threading.Thread(target=updater)
    thread.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            queries = list(expected) * 10
            results = list(pool.map(lambda q: (q, index.search(q)[0].doc_id), queries))
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert all(doc_id == expected[q] for q, doc_id in results)
