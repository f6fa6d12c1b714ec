"""One entry point per conversation stage, whichever provider answers.

``Assistant(config).feedback(result, profile)`` returns a streaming ``Reply`` from the
language model, or from the offline engine when ``config`` says offline. Both speak the
same INSIGHT / SUGGESTION format, so ``as_feedback`` turns either into ``Feedback``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from zz_core.advise import offline, prompts
from zz_core.advise.feedback import ChatTurn, Feedback, PassageLike, format_items, parse_items
from zz_core.advise.providers import Message, ProviderConfig, Reply, chat, fixed_reply
from zz_core.judge.album import CohesionSummary
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import Profile


@dataclass(frozen=True)
class Assistant:
    """Writes feedback, follow-up answers, summaries and album narratives."""

    config: ProviderConfig = field(default_factory=ProviderConfig)

    def _reply(self, messages: list[Message], offline_text: str | None = None) -> Reply:
        if self.config.offline:
            return fixed_reply(offline_text or "", prompt=messages, config=self.config)
        return chat(self.config, messages)

    def feedback(self, result: AnalysisResult, profile: Profile,
                 name: str | None = None) -> Reply:
        messages = prompts.feedback_messages(result, profile, name)
        text = (format_items(offline.offline_feedback(result, profile))
                if self.config.offline else None)
        return self._reply(messages, text)

    def follow_up(self, result: AnalysisResult, profile: Profile, turns: Sequence[ChatTurn],
                  question: str, *, name: str | None = None,
                  passages: Sequence[PassageLike] = ()) -> Reply:
        messages = prompts.follow_up_messages(result, profile, turns, question, name=name,
                                              passages=passages)
        text = (offline.offline_follow_up(result, question, profile, passages)
                if self.config.offline else None)
        return self._reply(messages, text)

    def summary(self, turns: Sequence[ChatTurn]) -> Reply:
        messages = prompts.summary_messages(turns)
        text = offline.offline_summary(turns) if self.config.offline else None
        return self._reply(messages, text)

    def album(self, named: Sequence[tuple[str, AnalysisResult]], cohesion: CohesionSummary,
              profile: Profile) -> Reply:
        messages = prompts.album_messages(named, cohesion, profile)
        text = (format_items(offline.offline_album_narrative(cohesion, profile, named))
                if self.config.offline else None)
        return self._reply(messages, text)


def as_feedback(reply: Reply) -> Feedback:
    """The finished reply as ``Feedback`` (items parsed; ``text`` kept either way)."""
    if not reply.done:
        reply.complete()
    return Feedback(provider=reply.provider, model=reply.model, items=parse_items(reply.text),
                    text=reply.text.strip(), usage=reply.usage)
