"""Retrieval quality on the real knowledge base: recall@3 over the question set in
``data/retrieval_questions.yaml`` (a list of ``{question, document}``, ``document`` being a
path under ``knowledge/``). A question counts as found when its document is among the
three distinct documents ``search`` returns. The real model and FAISS, no mocks."""

from __future__ import annotations

from pathlib import Path

import yaml

from zz_core.knowledge.documents import DEFAULT_KNOWLEDGE_DIR
from zz_core.knowledge.retrieval import KnowledgeIndex

QUESTIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "retrieval_questions.yaml"
MIN_QUESTIONS = 40
RECALL_FLOOR = 0.9
TOP_K = 3


def load_questions(path: Path = QUESTIONS_FILE) -> list[dict[str, str]]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(items, list)
    return [{"question": str(item["question"]), "document": str(item["document"])}
            for item in items]


def recall_at_k(index: KnowledgeIndex, questions: list[dict[str, str]], k: int = TOP_K
                ) -> tuple[float, list[str]]:
    """Share of questions whose document is among the top ``k`` documents, and the misses."""
    misses = []
    for item in questions:
        found = [hit.doc_id for hit in index.search(item["question"], top_k=k)]
        if item["document"] not in found:
            misses.append(f"{item['question']!r}: want {item['document']}, got {found}")
    return 1 - len(misses) / len(questions), misses


def test_the_question_file_is_large_enough_and_names_real_documents() -> None:
    questions = load_questions()
    assert len(questions) >= MIN_QUESTIONS
    for item in questions:
        assert item["question"].strip()
        assert (DEFAULT_KNOWLEDGE_DIR / item["document"]).is_file(), item["document"]


def test_recall_at_3_on_the_knowledge_base(knowledge_index: KnowledgeIndex) -> None:
    """On the index the app searches: knowledge/ and the generated reference pages."""
    questions = load_questions()
    recall, misses = recall_at_k(knowledge_index, questions)

    print(f"\nrecall@{TOP_K}: {recall:.3f} over {len(questions)} questions, "
          f"{len(knowledge_index.doc_ids)} documents, {knowledge_index.chunk_count} chunks")
    for miss in misses:
        print("  missed", miss)
    assert recall >= RECALL_FLOOR, "\n".join([f"recall@{TOP_K} = {recall:.3f}", *misses])
