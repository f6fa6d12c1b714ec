"""The knowledge-base service: where the indexes live, the passages that cover a question,
and one-go answers (needs the embedding model: slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zz_core.advise.providers import ProviderConfig
from zz_core.config import load_settings
from zz_core.knowledge.retrieval import KnowledgeIndex
from zz_core.services import docs


def test_passages_cover_a_mixing_question_and_not_baking(
        knowledge_index: KnowledgeIndex) -> None:
    covered = docs.covering_passages([knowledge_index], "why does spotify turn my track down")
    assert covered and all(s.score >= 0 for s in covered)
    assert docs.covering_passages([knowledge_index], "how long should I proof sourdough") == []
    assert docs.covering_passages([knowledge_index], "   ") == []


def test_answers_cite_the_passages(knowledge_index: KnowledgeIndex) -> None:
    answer = docs.answer("why does spotify turn my track down", ProviderConfig(), 3,
                         indexes=[knowledge_index])
    assert answer.covered and len(answer.sources) == 3 and "[1]" in answer.answer


@pytest.mark.slow
def test_each_user_has_their_own_library(tmp_path: Path) -> None:
    settings = load_settings(environ={"ZZ_DATA_DIR": str(tmp_path),
                                      "ZZ_INDEX_DIR": str(tmp_path / "index")})
    ada, bob = docs.user_library(settings, 7), docs.user_library(settings, 8)
    added = ada.add("notes.md", b"# Kick\n\nSidechain the bass to the kick by 3 dB.\n")
    assert [d.doc_id for d in ada.documents()] == [added.doc_id]
    assert bob.documents() == []
    assert (tmp_path / "documents" / "7").is_dir() and not (tmp_path / "documents" / "8").exists()
