"""The knowledge base for the Docs Assistant, follow-up answers and the command line's
``ask``: where its index and each user's own documents live, and the passages that cover
a question."""

from __future__ import annotations

from collections.abc import Sequence

from zz_core.advise import answers
from zz_core.advise.answers import DocsAnswer, Source
from zz_core.advise.providers import ProviderConfig
from zz_core.config import Settings, load_settings
from zz_core.errors import ZzError
from zz_core.knowledge import retrieval
from zz_core.knowledge.retrieval import KnowledgeIndex
from zz_core.knowledge.userdocs import UserLibrary


def knowledge_base(settings: Settings | None = None) -> KnowledgeIndex:
    """The shared knowledge base, indexed under ``ZZ_INDEX_DIR`` (default: the data
    directory's ``index``); built on first use, only changed documents embedded again."""
    settings = settings or load_settings()
    return answers.open_knowledge_base(settings.index_dir / "knowledge")


def user_library(settings: Settings, user_id: int) -> UserLibrary:
    """One user's own documents (``<data_dir>/documents/<user_id>``), indexed for them alone."""
    return UserLibrary(settings.data_dir / "documents" / str(user_id),
                       settings.index_dir / "users" / str(user_id), retrieval.load_embedder())


def covering_passages(indexes: Sequence[KnowledgeIndex], question: str,
                      top_k: int = 2) -> list[Source]:
    """The passages that cover a question well enough to cite; none when nothing does (or
    the question cannot be searched)."""
    try:
        sources = answers.find_sources(indexes, question, top_k=top_k)
    except (ZzError, ValueError):
        return []
    return [source for source in sources if source.score >= answers.COVERED_SCORE]


def answer(question: str, config: ProviderConfig, top_k: int = 3,
           indexes: Sequence[KnowledgeIndex] | None = None) -> DocsAnswer:
    """Retrieve and answer in one go, with the passages cited (default: the shared
    knowledge base)."""
    return answers.answer(list(indexes) if indexes is not None else [knowledge_base()],
                          question, config, top_k)
