"""Conversations: writing feedback, follow-up answers, summaries and album narratives
(through ``Assistant``, a language model or the offline engine), and keeping them with
their token usage.

A reply is kept only once complete: a failed call leaves nothing behind. The replies
stream (``Reply``); ``as_feedback`` waits for the end and parses the items. Follow-up
questions are answered the same way on the page and by the command line's ``chat``:
``question_passages`` finds the knowledge-base passages about the question and
``follow_up_reply`` answers (``track_answer`` does both in one go).
"""

from __future__ import annotations

from collections.abc import Sequence

from zz_core.advise.answers import DocsAnswer, Source
from zz_core.advise.assistant import Assistant, as_feedback
from zz_core.advise.feedback import ChatTurn, Feedback, PassageLike, parse_items
from zz_core.advise.offline.facts import read_facts
from zz_core.advise.offline.passages import relevant_passages
from zz_core.advise.offline.questions import question_topics
from zz_core.advise.providers import ProviderConfig, Reply
from zz_core.errors import ZzError
from zz_core.judge.album import CohesionSummary, cohesion_summary
from zz_core.judge.models import AnalysisResult
from zz_core.knowledge.retrieval import KnowledgeIndex
from zz_core.services import docs
from zz_core.services.workspace import Workspace
from zz_core.store import messages, usage
from zz_core.store.records import MessageRecord
from zz_core.vocab import MessageKind, Profile, Stage

__all__ = [
    "THREAD_KINDS", "MessageRecord", "album_reply", "as_turns", "feedback_reply",
    "follow_up_reply", "latest_feedback", "project_narratives", "question_passages",
    "record_usage", "report_thread", "save_reply", "summary_reply", "thread", "track_answer",
    "write_album_narrative", "write_feedback",
]

THREAD_KINDS: tuple[MessageKind, ...] = ("feedback", "follow_up", "summary")
"""What a track's conversation holds: feedback, follow-up questions and answers, summaries."""


# --- writing -----------------------------------------------------------------------------


def feedback_reply(config: ProviderConfig, result: AnalysisResult, profile: Profile,
                   name: str | None = None) -> Reply:
    """Feedback on an analysed track, streaming (INSIGHT / SUGGESTION pairs)."""
    return Assistant(config).feedback(result, profile, name)


def follow_up_reply(config: ProviderConfig, result: AnalysisResult, profile: Profile,
                    turns: Sequence[ChatTurn], question: str, *, name: str | None = None,
                    passages: Sequence[PassageLike] = ()) -> Reply:
    """An answer to a question about the track, given its conversation so far (``turns``)
    and the knowledge-base passages that cover the question."""
    return Assistant(config).follow_up(result, profile, turns, question, name=name,
                                       passages=passages)


def question_passages(indexes: Sequence[KnowledgeIndex], result: AnalysisResult,
                      question: str, top_k: int = 2) -> list[Source]:
    """The knowledge-base passages that cover a follow-up question and are about it (a
    passage on tempo is never offered for a question on the low end); none when the
    question names no topic or the knowledge base cannot be searched."""
    topics = [*question_topics(question), *read_facts(result, question).topics]
    passages = docs.covering_passages(indexes, question, top_k=top_k)
    return relevant_passages(topics, passages)


def track_answer(config: ProviderConfig, result: AnalysisResult, question: str, *,
                 profile: Profile = "detailed", turns: Sequence[ChatTurn] = (),
                 name: str | None = None,
                 indexes: Sequence[KnowledgeIndex] | None = None) -> DocsAnswer:
    """A follow-up question about a track answered in one go (the command line's
    ``chat``), as the page answers it: the passages about the question (default: the
    shared knowledge base; none when it cannot be opened), then the reply, complete."""
    if indexes is None:
        try:
            indexes = [docs.knowledge_base()]
        except (ZzError, OSError):
            indexes = []
    passages = question_passages(indexes, result, question) if indexes else []
    reply = follow_up_reply(config, result, profile, turns, question, name=name,
                            passages=passages).complete()
    return DocsAnswer(answer=reply.text.strip(), provider=reply.provider, model=reply.model,
                      covered=bool(passages), sources=passages, usage=reply.usage)


def summary_reply(config: ProviderConfig, turns: Sequence[ChatTurn]) -> Reply:
    """A summary of the follow-up turns (earlier summaries included)."""
    return Assistant(config).summary(turns)


def album_reply(config: ProviderConfig, named: Sequence[tuple[str, AnalysisResult]],
                cohesion: CohesionSummary, profile: Profile) -> Reply:
    """The album narrative of several named tracks and their cohesion."""
    return Assistant(config).album(named, cohesion, profile)


def write_feedback(config: ProviderConfig, result: AnalysisResult,
                   profile: Profile) -> Feedback:
    """Feedback on a track, complete and parsed (the command line's ``feedback``)."""
    return as_feedback(feedback_reply(config, result, profile))


def write_album_narrative(config: ProviderConfig, named: Sequence[tuple[str, AnalysisResult]],
                          profile: Profile) -> tuple[CohesionSummary, Feedback]:
    """The cohesion of several named tracks and their album narrative, complete."""
    cohesion = cohesion_summary(list(named))
    return cohesion, as_feedback(album_reply(config, named, cohesion, profile))


# --- stored conversations ----------------------------------------------------------------


def thread(workspace: Workspace, track_id: int | None) -> list[MessageRecord]:
    """Feedback, follow-ups and summaries about one of the user's tracks, oldest first."""
    return messages.list_thread(workspace.engine, workspace.user_id, track_id,
                                kinds=THREAD_KINDS)


def project_narratives(workspace: Workspace, project_id: int | None) -> list[MessageRecord]:
    """The album narratives kept with one of the user's projects, oldest first."""
    return [m for m in messages.list_project_messages(workspace.engine, workspace.user_id,
                                                      project_id)
            if m.kind == "comparison"]


def as_turns(stored: Sequence[MessageRecord]) -> list[ChatTurn]:
    """A stored thread as prompt turns: feedback and answers are the assistant's."""
    return [ChatTurn(role="summary" if message.kind == "summary"
                     else "user" if message.role == "user" else "assistant",
                     content=message.content) for message in stored]


def latest_feedback(workspace: Workspace, track_id: int) -> Feedback | None:
    """The newest feedback kept for one of the user's tracks, parsed; None if it has none."""
    stored = [m for m in thread(workspace, track_id) if m.kind == "feedback"]
    if not stored:
        return None
    latest = stored[-1]
    return Feedback.model_validate({"provider": latest.provider or "offline",
                                    "model": latest.model or "", "text": latest.content,
                                    "items": parse_items(latest.content)})


def report_thread(workspace: Workspace, track_id: int) -> list[ChatTurn]:
    """The follow-ups and summaries of a track (not its feedback) for its report."""
    return as_turns([m for m in thread(workspace, track_id) if m.kind != "feedback"])


def save_reply(workspace: Workspace, reply: Reply, *, kind: MessageKind, stage: Stage,
               project_id: int | None, track_id: int | None = None,
               question: str | None = None) -> None:
    """Keep a finished reply (and the question it answers) and record its usage.
    Only called once the reply is complete: a failed call leaves nothing behind."""
    engine, user_id = workspace.engine, workspace.user_id
    if question is not None:
        messages.append_message(engine, user_id, project_id, kind, "user", question,
                                track_id=track_id)
    messages.append_message(engine, user_id, project_id, kind, "assistant",
                            reply.text.strip(), track_id=track_id, provider=reply.provider,
                            model=reply.model)
    record_usage(workspace, reply, stage, project_id, track_id)


def record_usage(workspace: Workspace, reply: Reply, stage: Stage, project_id: int | None,
                 track_id: int | None) -> None:
    """Record a finished reply's tokens and cost (also for replies not kept, e.g. docs)."""
    counted = reply.usage
    usage.record_token_usage(
        workspace.engine, workspace.user_id, provider=reply.provider, model=reply.model,
        stage=stage, prompt_tokens=counted.prompt_tokens,
        completion_tokens=counted.completion_tokens, cost_usd=counted.cost_usd,
        estimated=counted.estimated, would_cost_usd=counted.would_cost_usd,
        project_id=project_id, track_id=track_id)
