"""The song's sections in the offline feedback: where each part starts, which issues are
heard in which part ("in the chorus at 0:24.0 ..."), the part whose balance departs most
from the rest of the song, and, with a reference, the section that differs most from the
reference's matching section."""

from __future__ import annotations

from zz_core import fmt
from zz_core.advise.feedback import FeedbackItem
from zz_core.judge.models import AnalysisResult, Section
from zz_core.judge.sections import most_off_target
from zz_core.measure.spectrum import BAND_LABELS

STANDS_OUT_DB = 2.0
"""A section's band this far from the same band elsewhere in the song is worth naming."""


def _where(section: Section) -> str:
    return f"the {section.name} at {fmt.clock(section.start_s)}"


def sections_item(result: AnalysisResult) -> FeedbackItem | None:
    """One item about the song's structure (None with fewer than two sections)."""
    sections = result.sections
    if len(sections) < 2:
        return None
    layout = fmt.join([f"{s.name} {s.label} at {fmt.clock(s.start_s)}" for s in sections])
    loudest = max(sections, key=lambda s: s.loudness_lufs if s.loudness_lufs is not None
                  else -999.0)
    insight = (f"Song sections: {layout}. The loudest is {_where(loudest)} "
               f"({fmt.figure(loudest.loudness_lufs, 'LUFS')}, PSR "
               f"{fmt.figure(loudest.psr_db, 'dB')}).")
    heard = []
    for issue in result.issues:
        inside = [s for s in sections if issue.code in s.issue_codes]
        if 0 < len(inside) < len(sections):
            heard.append(f"{issue.code.replace('_', ' ')} in "
                         f"{fmt.join([_where(s) for s in inside[:3]])}")
    if heard:
        insight += f" Heard only in some parts: {'; '.join(heard[:3])}."
    tips = []
    off = most_off_target(sections)
    if off is not None and abs(off[2]) >= STANDS_OUT_DB:
        section, band, delta = off
        word = "more" if delta > 0 else "less"
        tips.append(f"In {_where(section)} {BAND_LABELS.get(band, band)} sits "
                    f"{fmt.figure(abs(delta), 'dB')} {word} against the genre target than in "
                    f"the rest of the song: check that part's EQ on its own.")
    comparison = result.comparison
    if comparison is not None and comparison.section_note:
        tips.append(f"Against the reference, section by section: {comparison.section_note}")
    suggestion = " ".join(tips) or ("The parts keep a similar balance; judge changes on "
                                     "the loudest part, where listeners notice them first.")
    return FeedbackItem(insight=insight, suggestion=suggestion, issue_code=None,
                        severity="info")
