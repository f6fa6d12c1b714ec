"""The one text of what changed since a track's previous version (``Changes``): a
figure before and after with its delta, the issue codes as words, and the sentences the
follow-up facts, the prompt, the offline feedback, the terminal and the page share, so
"did my change help?" reads the same on every surface. Figures are written through
``advise.figures`` (decimals by unit) and ``zz_core.fmt``.
"""

from __future__ import annotations

from collections.abc import Sequence

from zz_core.advise.figures import SIGNED_METRICS, difference_unit, metric_text
from zz_core.fmt import figure, hz, join
from zz_core.judge.models import Changes, FigureChange, TonalDifference
from zz_core.text import one_line

TONAL_MOVES_LISTED = 2
"""The largest tonal changes named (third octaves, 25 Hz-16 kHz)."""
TONAL_WORTH_DB = 1.0
"""A third-octave change smaller than this (dB, level-matched) is not named."""


def code_words(code: str) -> str:
    """An issue code as words: "true_peak_over" -> "true peak over"."""
    return code.replace("_", " ")


def codes_text(codes: Sequence[str]) -> str:
    """Issue codes as a list in words: "clipping and true peak over"."""
    return join([code_words(c) for c in codes])


def previous_name(changes: Changes) -> str:
    """The previous version's name as safe one-line text."""
    return one_line(changes.previous_name or "the previous version", 80)


def change_text(change: FigureChange) -> str:
    """"True peak +0.8 -> -1.2 dBTP (-2.0 dB)": before, after and the delta."""
    signed = change.metric in SIGNED_METRICS
    before = metric_text(change.before, change.unit, sign=signed)
    after = metric_text(change.after, change.unit, sign=signed)
    delta = metric_text(change.delta, difference_unit(change.unit), sign=True)
    return f"{change.label} {before} -> {after} ({delta})"


def tonal_text(tonal: TonalDifference) -> str:
    """The largest level-matched tonal changes: "+2.1 dB around 3.15 kHz and ..."; ""
    when none reaches TONAL_WORTH_DB."""
    moves = [(c, m) for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
             if m is not None and 25.0 <= c <= 16000.0 and abs(m) >= TONAL_WORTH_DB]
    biggest = sorted(moves, key=lambda cm: (-abs(cm[1]), cm[0]))[:TONAL_MOVES_LISTED]
    return join([f"{figure(m, 'dB', sign=True)} around {hz(c)}" for c, m in biggest])


def change_facts(changes: Changes) -> list[str]:
    """What changed, as sentences: what improved first (issues fixed, figures better by
    at least their judging margin), then what got worse and what is left."""
    name = previous_name(changes)
    improved = [change_text(c) for c in changes.trending("improved")]
    regressed = [change_text(c) for c in changes.trending("regressed")]
    lines = []
    if changes.fixed:
        lines.append(f"Since the previous version ({name}): fixed: "
                     f"{codes_text(changes.fixed)}.")
    else:
        lines.append(f"Since the previous version ({name}): no issue was fixed.")
    if improved:
        lines.append(f"Improved past its judging margin: {'; '.join(improved)}.")
    if regressed:
        lines.append(f"Worse past its judging margin: {'; '.join(regressed)}.")
    if changes.new:
        lines.append(f"New since then: {codes_text(changes.new)}.")
    if changes.remaining:
        lines.append(f"Still there: {codes_text(changes.remaining)}.")
    elif not changes.new:
        lines.append("No issue is left.")
    tonal = tonal_text(changes.tonal_difference)
    if tonal:
        lines.append(f"Tone, level-matched: {tonal} compared with the previous version.")
    if not (changes.fixed or changes.new or improved or regressed):
        lines.append("No figure moved past its judging margin: the change made no "
                     "measurable difference.")
    if not changes.same_options:
        lines.append("The two versions were analysed with different contexts or genres, "
                     "so their issues were judged against different targets.")
    return lines
