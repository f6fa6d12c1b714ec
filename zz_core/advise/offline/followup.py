"""``offline_follow_up``: an answer to a producer's follow-up question: first the facts of
the track the question asks for (``facts``), then the figures, targets and advice for the
issues behind each topic asked about, and a quote from a knowledge-base passage only when
the passage is about the question."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from zz_core.advise.feedback import PassageLike
from zz_core.advise.offline.book import TOPIC_FIELDS, TOPICS
from zz_core.advise.offline.chain import mastering_steps
from zz_core.advise.offline.facts import read_facts
from zz_core.advise.offline.findings import group_title, issue_part, read_track, titles
from zz_core.advise.offline.passages import passage_quote, relevant_passages
from zz_core.advise.offline.questions import (
    QUESTION_MAX_CHARS,
    question_topics,
    suggested_questions,
)
from zz_core.advise.offline.reference import reference_findings, reference_item
from zz_core.advise.offline.track import Track, octave_deviations
from zz_core.fmt import NOT_AVAILABLE, figure, hz, join, number
from zz_core.judge.models import AnalysisResult
from zz_core.text import one_line
from zz_core.vocab import Profile

MAX_TOPICS = 3
"""A follow-up answer covers at most this many topics of the question."""


def _topic_values(track: Track) -> dict[str, str]:
    values = dict.fromkeys(TOPIC_FIELDS, NOT_AVAILABLE)
    values.update(track.figures)
    critical = [g for g in track.groups if g.severity == "critical"]
    blocking = [g for g in track.groups if g.severity != "info"]
    values.update(
        issue_count=str(len(track.groups)), critical_count=str(len(critical)),
        blocking=titles(track, blocking) or NOT_AVAILABLE,
        to_fix=titles(track, track.groups) or NOT_AVAILABLE)
    deviations = octave_deviations(track.result)
    if deviations:
        values["octave_list"] = ", ".join(f"{hz(c)} {number(d, 1, sign=True)}"
                                          for c, d in sorted(deviations.items()))
    comparison = track.result.comparison
    if comparison is not None:
        metrics = {m.metric: m for m in comparison.metrics}
        values["reference"] = one_line(comparison.reference_name or "the reference", 80)

        def delta(path: str, digits: int, unit: str, delta_unit: str | None = None) -> str:
            m = metrics.get(path)
            if m is None or m.delta is None:
                return NOT_AVAILABLE
            change = figure(m.delta, unit if delta_unit is None else delta_unit, digits, sign=True)
            return (f"{figure(m.track, unit, digits)} vs {figure(m.reference, unit, digits)} "
                    f"({change})")

        values.update(ref_loudness=delta("loudness.integrated_lufs", 1, "LUFS", "LU"),
                      ref_plr=delta("loudness.plr_db", 1, "dB"),
                      ref_width=delta("stereo.width", 2, ""))
        tonal = comparison.tonal_difference
        pairs = [(c, m) for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
                 if m is not None and 25.0 <= c <= 16000.0]
        biggest = sorted(pairs, key=lambda cm: (-abs(cm[1]), cm[0]))[:2]
        if biggest:
            values["ref_moves"] = " and ".join(f"{figure(m, 'dB', sign=True)} around {hz(c)}"
                                               for c, m in biggest)
    return values


def _issue_advice_for(track: Track, codes: Sequence[str], limit: int = 2) -> list[str]:
    texts: list[str] = []
    for group in track.groups:
        if group.code in codes and len(texts) < limit:
            texts.append(f"{group_title(track, group)}: {issue_part(track, group, 'insight')} "
                         f"{issue_part(track, group, 'fix')}")
    return texts


def _priorities(track: Track, values: Mapping[str, str]) -> str:
    if not track.groups:
        return f"{track.note('follow_up', 'nothing')} {track.note('clean', 'fix')}"
    listed = []
    for rank, group in enumerate(track.groups[:3], start=1):
        listed.append(f"{rank}) {group_title(track, group)} ({group.severity}, "
                      f"{group.values['where']}): {issue_part(track, group, 'fix')}")
    topic = track.book.topics["priorities"]
    return (f"{track.text(topic.answer, values)} "
            f"{track.note('follow_up', 'priorities', {'items': ' '.join(listed)})} "
            f"{track.text(topic.tip, values)}")


def _topic_answer(track: Track, name: str, values: Mapping[str, str]) -> str:
    topic = track.book.topics[name]
    title = topic.title.pick(track.context, track.profile)
    result = track.result
    if name == "priorities":
        return f"{title}: {_priorities(track, values)}"
    if name == "readiness":
        if not any(g.severity != "info" for g in track.groups):
            return (f"{title}: {track.note('clean', 'insight')} "
                    f"{track.note('clean', 'fix')}")
        return f"{title}: {track.text(topic.answer, values)} {track.text(topic.tip, values)}"
    missing = ((name == "tempo" and result.tempo.bpm is None)
               or (name == "key" and not result.key.label)
               or (name == "reference" and result.comparison is None))
    if missing and topic.missing is not None:
        return f"{title}: {track.text(topic.missing, values)}"
    if result.loudness.integrated_lufs is None and name not in ("tempo", "key", "cleanup"):
        silent = next((g for g in track.groups if g.code == "silence"), None)
        if silent is not None:  # a silent file: say so instead of a row of n/a
            return (f"{title}: {issue_part(track, silent, 'insight')} "
                    f"{issue_part(track, silent, 'fix')}")
    parts = [track.text(topic.answer, values)]
    if name == "reference":
        parts += [reference_item(track, f).suggestion for f in reference_findings(track)[:2]]
        parts.append(track.text(topic.tip, values))
    elif name == "chain" and track.context != "mixdown":
        parts.append(" ".join(f"{n}) {s}" for n, s in enumerate(mastering_steps(track), 1)))
    else:
        parts += _issue_advice_for(track, topic.codes) or [track.text(topic.tip, values)]
    return f"{title}: {' '.join(parts)}"


def offline_follow_up(result: AnalysisResult, question: str, profile: Profile = "detailed",
                      passages: Sequence[PassageLike] = ()) -> str:
    """Answer a follow-up question about a track from its measurements.

    First the facts the question asks for (which channel, where in m:ss, the figures it
    names, the band levels behind a word like "muddy" or at a time like "at 3:13", and
    what no measurement can tell, such as which instrument plays). Then the question's
    topics (loudness, peaks, dynamics, low end, stereo, tone, tempo, key, the reference,
    what to fix first, ...), found by keywords: each gets the track's figures, the
    targets and the advice for any issue behind it. Of the knowledge-base ``passages``,
    only those about the question's topics may be quoted and cited. A question that
    matches nothing gets the list of what the engine can answer, without a citation. The
    question is treated as plain text and cut to QUESTION_MAX_CHARS characters.
    """
    track = read_track(result, profile)
    text = one_line(question, QUESTION_MAX_CHARS)
    facts = read_facts(result, text)
    topics = question_topics(text)[:MAX_TOPICS]
    values = _topic_values(track)
    paragraphs = [" ".join(facts.sentences)] if facts.sentences else []
    if topics:
        paragraphs += [_topic_answer(track, name, values) for name in topics]
    elif not facts.sentences:
        examples = suggested_questions(result.context, result.genre.display_label,
                                       track.profile, [g.code for g in track.groups])[:3]
        names = [track.book.topics[t].title.pick(result.context, "detailed").lower()
                 for t in TOPICS
                 if t not in ("cleanup", "readiness")]
        paragraphs = [track.note("follow_up", "fallback", {
            "topics": join(names), "examples": " / ".join(f"“{q}”" for q in examples)})]
    about = relevant_passages([*topics, *facts.topics], passages)
    quote = passage_quote(text, topics, about, track) if about else None
    if quote:
        paragraphs.append(quote)
    return "\n\n".join(paragraphs)
