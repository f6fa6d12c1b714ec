"""What changed since the previous version on the advice surfaces: the offline feedback
acknowledges what improved before what is left, the chat answers "did my change help?"
from the changes, and the prompt carries them (only for a new version)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mixes import RATE, analysed, channel_lowered, clean_mixdown
from zz_core.advise.changes import change_facts
from zz_core.advise.offline import offline_feedback, offline_follow_up
from zz_core.advise.prompts import VERSION_INSTRUCTION, feedback_messages, follow_up_messages
from zz_core.judge.models import AnalysisResult
from zz_core.judge.versions import with_previous


@pytest.fixture(scope="module")
def versions() -> tuple[AnalysisResult, AnalysisResult]:
    """v1 clips and is imbalanced; v2 (its new version) only imbalanced."""
    base = channel_lowered(clean_mixdown(8.0, seed=3), -4.0)
    dirty = base.copy()
    for k in range(12):
        start = int((1.0 + 0.5 * k) * RATE)
        dirty[:, start:start + 200] = np.sign(dirty[:, start:start + 200])
    v1 = analysed(dirty, name="v1.wav")
    return v1, with_previous(analysed(base, name="v2.wav"), v1)


def test_the_facts_say_what_improved_before_what_is_left(
        versions: tuple[AnalysisResult, AnalysisResult]) -> None:
    _, v2 = versions
    assert v2.changes is not None and "clipping" in v2.changes.fixed
    facts = change_facts(v2.changes)
    assert facts[0].startswith("Since the previous version (v1.wav): fixed: ")
    assert "clipping" in facts[0]
    still = next(i for i, f in enumerate(facts) if f.startswith("Still there:"))
    assert "channel imbalance" in facts[still] and still > 0


@pytest.mark.parametrize("profile", ["simple", "detailed", "pro"])
def test_offline_feedback_starts_with_the_changes(
        versions: tuple[AnalysisResult, AnalysisResult], profile: str) -> None:
    v1, v2 = versions
    items = offline_feedback(v2, profile)  # type: ignore[arg-type]
    first = items[0]
    assert first.issue_code is None and "clip" in first.insight.lower()
    assert first.suggestion  # what is left, after what improved
    if profile == "detailed":
        assert "imbalance" in first.suggestion.lower()
    assert not any("since" in i.insight.lower() and "version" in i.insight.lower()
                   for i in offline_feedback(v1, profile))  # type: ignore[arg-type]


def test_the_chat_answers_did_my_change_help_from_the_changes(
        versions: tuple[AnalysisResult, AnalysisResult]) -> None:
    v1, v2 = versions
    answer = offline_follow_up(v2, "Did my change help?")
    assert "fixed: clipping" in answer
    assert "Still there: channel imbalance" in answer
    alone = offline_follow_up(v1, "Did my change help?")
    assert "not linked to a previous version" in alone
    assert "previous version" not in offline_follow_up(v1, "How loud is it?")


def test_the_prompts_carry_the_changes_only_for_a_new_version(
        versions: tuple[AnalysisResult, AnalysisResult]) -> None:
    v1, v2 = versions
    system, user = feedback_messages(v2, "detailed")
    assert VERSION_INSTRUCTION in system["content"]
    assert 'CHANGES SINCE THE PREVIOUS VERSION "v1.wav"' in user["content"]
    assert "- issues fixed: " in user["content"] and "clipping" in user["content"]
    plain_system, plain_user = feedback_messages(v1, "detailed")
    assert VERSION_INSTRUCTION not in plain_system["content"]
    assert "CHANGES SINCE" not in plain_user["content"]
    follow = follow_up_messages(v2, "detailed", [], "Did my change help?")
    assert "fixed: clipping" in follow[0]["content"]
