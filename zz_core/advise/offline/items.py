"""``offline_feedback``: the first feedback on a track as ``FeedbackItem``s: for a new
version of a track, what changed since the previous one first; then one per
merged issue, then a verdict, the reference differences and the context's own item
(headroom and balance, a mastering chain, or release readiness and the platforms)."""

from __future__ import annotations

from zz_core.advise.feedback import FeedbackItem
from zz_core.advise.offline.chain import mastering_steps
from zz_core.advise.offline.findings import group_title, issue_part, read_track, titles
from zz_core.advise.offline.reference import reference_findings, reference_item
from zz_core.advise.offline.sections import sections_item
from zz_core.advise.offline.track import IssueGroup, Track
from zz_core.advise.offline.versions import version_item
from zz_core.fmt import NOT_AVAILABLE
from zz_core.judge.judging import true_peak_ceiling, verdicts
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import SEVERITY_RANK, Profile


def _issue_item(track: Track, group: IssueGroup) -> FeedbackItem:
    insight = (f"{group_title(track, group)}: {issue_part(track, group, 'insight')} "
               f"{issue_part(track, group, 'why')}")
    return FeedbackItem(insight=insight, suggestion=issue_part(track, group, "fix"),
                        issue_code=group.code, severity=group.severity)


# --------------------------------------------------------------------------- context items


def _clean_item(track: Track) -> FeedbackItem:
    title = track.note("clean", "title")
    return FeedbackItem(insight=f"{title}: {track.note('clean', 'insight')}",
                        suggestion=track.note("clean", "fix"), issue_code=None,
                        severity="info")


PLENTY_OF_HEADROOM_DB = 9.0
"""A mixdown peaking this far below its ceiling has plenty of headroom (no need to raise)."""


def _mixdown_item(track: Track) -> FeedbackItem:
    loud = track.result.loudness
    ceiling = true_peak_ceiling(track.result)
    tp = loud.true_peak_dbtp
    judged = {v.metric: v for v in verdicts(track.result)}
    peak = judged.get("loudness.true_peak_dbtp")
    if peak is not None and peak.status in ("warn", "bad"):
        headroom = "headroom_tight"
    elif tp is not None and tp < ceiling - PLENTY_OF_HEADROOM_DB:
        headroom = "headroom_plenty"
    else:
        headroom = "headroom_ok"
    balanced = all(v.status in ("good", "unknown") for key, v in judged.items()
                   if key.startswith("tonal."))
    suggestion = (f"{track.note('mixdown_summary', headroom)} "
                  f"{track.note('mixdown_summary', 'balance_ok' if balanced else 'balance_off')}")
    insight = (f"{track.note('mixdown_summary', 'title')}: "
               f"{track.note('mixdown_summary', 'insight')}")
    return FeedbackItem(insight=insight, suggestion=suggestion, issue_code=None,
                        severity="info")


def _mastering_item(track: Track) -> FeedbackItem:
    steps = mastering_steps(track)
    suggestion = " ".join(f"{n}) {step}" for n, step in enumerate(steps, start=1))
    insight = (f"{track.note('mastering_chain', 'title')}: "
               f"{track.note('mastering_chain', 'insight')}")
    return FeedbackItem(insight=insight, suggestion=suggestion, issue_code=None,
                        severity="info")


def _release_item(track: Track) -> FeedbackItem:
    critical = [g for g in track.groups if g.severity == "critical"]
    warnings = [g for g in track.groups if g.severity == "warning"]
    extra = {"blocking": titles(track, critical) or NOT_AVAILABLE,
             "to_fix": titles(track, warnings or track.groups) or NOT_AVAILABLE}
    verdict = "not_ready" if critical else ("nearly" if warnings else "ready")
    insight = f"{track.note('release', 'title')}: {track.note('release', verdict, extra)}"
    return FeedbackItem(insight=insight, suggestion=track.note("release", f"fix_{verdict}", extra),
                        issue_code=None, severity="info")


def _platforms_item(track: Track) -> FeedbackItem:
    streaming = [p for p in track.result.platforms if p.kind == "streaming"]
    if any(p.true_peak_over for p in streaming):
        fix = "fix_peaks"
    elif any(g.code == "too_quiet" and g.severity != "info" for g in track.groups):
        fix = "fix_quiet"  # too quiet even for streaming (the judge's verdict)
    else:
        fix = "fix_ok"
    insight = f"{track.note('platforms', 'title')}: {track.note('platforms', 'insight')}"
    return FeedbackItem(insight=insight, suggestion=track.note("platforms", fix),
                        issue_code=None, severity="info")


def offline_feedback(result: AnalysisResult, profile: Profile = "detailed") -> list[FeedbackItem]:
    """Feedback on a track from rules and templates, no language model.

    Every issue the analysis found becomes one item (issues of one code merged, their
    times listed), ordered by severity then time; then a verdict when nothing is wrong,
    what the reference comparison shows, and the context's own item: headroom and balance
    for a mixdown, a mastering chain with settings, or release readiness and the
    streaming platforms for a master. A new version of a track starts with what changed
    since the previous one (``versions.version_item``). Deterministic.
    """
    track = read_track(result, profile)
    ranked: list[tuple[tuple[int, int, float], FeedbackItem]] = []
    for group in track.groups:
        ranked.append(((SEVERITY_RANK[group.severity], 0, group.start_s),
                       _issue_item(track, group)))
    if not track.groups:
        ranked.append(((SEVERITY_RANK["info"], 1, 0.0), _clean_item(track)))
    for index, finding in enumerate(reference_findings(track)):
        ranked.append(((SEVERITY_RANK["info"], 2, float(index)), reference_item(track, finding)))
    structure = sections_item(result)
    if structure is not None:
        ranked.append(((SEVERITY_RANK["info"], 2, 1000.0), structure))
    if result.loudness.integrated_lufs is not None:
        context_items: list[FeedbackItem] = []
        if result.context == "mixdown":
            context_items.append(_mixdown_item(track))
        elif result.context == "mastering":
            context_items.append(_mastering_item(track))
        else:
            if track.groups:
                context_items.append(_release_item(track))
            context_items.append(_platforms_item(track))
        ranked += [((SEVERITY_RANK["info"], 3, float(i)), item)
                   for i, item in enumerate(context_items)]
    ranked.sort(key=lambda pair: pair[0])
    changed = version_item(track)  # what improved, before what is left
    return [*([changed] if changed is not None else []), *(item for _, item in ranked)]
