"""The offline feedback engine: deterministic rules and templates that turn an analysis
into feedback when no language model is configured.

The words live in ``zz_core/data/advice.yaml`` (three registers per text: simple,
detailed, pro; optionally different per track context); this package holds the logic:
which texts apply, and the measured figures that fill their ``{placeholders}``. Every
suggestion names what to change, where (time or frequency) and roughly by how much.

Public entry points:

- ``offline_feedback`` (items): the first feedback on a track, as ``FeedbackItem``s;
- ``offline_follow_up`` (followup): an answer to a producer's follow-up question;
- ``offline_summary`` (summary): an extractive summary of a follow-up thread;
- ``offline_album_narrative`` (album): what stands out across several tracks;
- ``suggested_questions`` (questions): follow-up questions worth asking about a track;
- ``question_topics`` (questions), ``chain_steps`` (chain), ``load_advice`` (book),
  ``issue_reference`` (issue_docs): the pieces those are built from (topic detection, the
  mastering chain, the validated data file) and the issue pages of the documentation.

The modules, lowest first: ``book`` (advice.yaml), ``track`` (the figures of one
analysis), ``moves`` (EQ moves bounded to practice), ``findings`` (its issues merged by
code), ``chain``, ``reference``, ``items``,
``questions``, ``passages``, ``followup``, ``summary``, ``album``, ``issue_docs``, and
``versions`` (what changed since the previous version of a track).
Numbers are written with ``zz_core.fmt``, user text made safe with ``zz_core.text``.
The output is a pure function of the inputs (no randomness, no clock).
"""

from zz_core.advise.offline.album import offline_album_narrative
from zz_core.advise.offline.book import (
    ALBUM_FIELDS,
    ALBUM_PARTS,
    DEFAULT_ADVICE_PATH,
    FIGURE_FIELDS,
    ISSUE_FIELDS,
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    NOTE_FIELDS,
    NOTE_PARTS,
    QUESTION_FIELDS,
    REFERENCE_FIELDS,
    REFERENCE_PARTS,
    REQUIRED_VARIANTS,
    TONAL_SIGNS,
    TOPIC_FIELDS,
    TOPICS,
    TOPICS_WITH_MISSING,
    AdviceBook,
    IssueAdvice,
    IssueVariant,
    MoveBounds,
    NotePair,
    Questions,
    QuestionSet,
    Registers,
    TextBlock,
    Topic,
    load_advice,
)
from zz_core.advise.offline.book import _templates as _templates
from zz_core.advise.offline.chain import chain_steps
from zz_core.advise.offline.followup import MAX_TOPICS, offline_follow_up
from zz_core.advise.offline.issue_docs import issue_reference
from zz_core.advise.offline.items import offline_feedback
from zz_core.advise.offline.passages import QUOTE_MAX_CHARS
from zz_core.advise.offline.questions import (
    QUESTION_MAX_CHARS,
    question_topics,
    suggested_questions,
)
from zz_core.advise.offline.reference import MAX_REFERENCE_ITEMS
from zz_core.advise.offline.summary import SUMMARY_MAX_CHARS, offline_summary

__all__ = [
    "ALBUM_FIELDS", "ALBUM_PARTS", "DEFAULT_ADVICE_PATH", "FIGURE_FIELDS", "ISSUE_FIELDS",
    "MAX_QUESTIONS", "MAX_REFERENCE_ITEMS",
    "MAX_TOPICS", "MIN_QUESTIONS", "NOTE_FIELDS", "NOTE_PARTS", "QUESTION_FIELDS",
    "QUESTION_MAX_CHARS", "QUOTE_MAX_CHARS", "REFERENCE_FIELDS", "REFERENCE_PARTS",
    "REQUIRED_VARIANTS", "SUMMARY_MAX_CHARS", "TONAL_SIGNS", "TOPICS", "TOPICS_WITH_MISSING",
    "TOPIC_FIELDS", "AdviceBook", "IssueAdvice", "IssueVariant", "MoveBounds", "NotePair",
    "QuestionSet", "Questions", "Registers", "TextBlock", "Topic", "chain_steps", "issue_reference",
    "load_advice", "offline_album_narrative", "offline_feedback", "offline_follow_up",
    "offline_summary", "question_topics", "suggested_questions",
]
