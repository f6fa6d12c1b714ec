"""How a headline figure is judged against the track's context and genre: good, warn or
bad. One place for the page's cards, the PDF's metric table and the print charts, so they
never disagree."""

from __future__ import annotations

import math
from dataclasses import dataclass

from zz_core.errors import UnknownOptionError
from zz_core.judge import genres
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import Status

LOUDNESS_WARN_LU = 3.0
"""Integrated loudness this far outside its range is a warning; farther is bad
(the issue detector's warning/critical line)."""
PLR_WARN_DB = 3.0
"""PLR this far below its floor is a warning; farther is bad (over_compressed)."""
CORRELATION_WARN = 0.2
CORRELATION_BAD = 0.0
KEY_CONFIDENT = 0.5
"""Key confidence (0..1) from which the key is shown as reliable."""
TEMPO_MULTIPLES = (1.0, 0.5, 2.0)
"""Tempo readings accepted against the genre range: half and double time count."""
FULL_SCALE_DBTP = 0.0


def judging_rules(result: AnalysisResult) -> tuple[genres.GenreTargets, genres.ContextRules]:
    """The genre targets and context rules a result is judged against. A genre no longer
    in the table (an old stored result) falls back to the defaults."""
    choice = result.genre
    subgenre = choice.subgenre if choice.subgenre_known else choice.subgenre_label
    try:
        resolved = genres.resolve_targets(choice.genre, subgenre)
    except UnknownOptionError:
        resolved = genres.resolve_targets(None)
    return resolved.targets, genres.context_rules(result.context)



@dataclass(frozen=True)
class Bounds:
    """An interval with optional open ends (a lower or upper limit)."""

    low: float | None = None
    high: float | None = None

    def distance(self, x: float) -> float:
        """0 inside; negative below ``low``; positive above ``high``."""
        if self.low is not None and x < self.low:
            return x - self.low
        if self.high is not None and x > self.high:
            return x - self.high
        return 0.0


def metric_status(value: float | None, target: genres.Range | Bounds | float | None, *,
                  warn_within: float = 0.0) -> Status:
    """good inside ``target`` (a range, bounds, or a float upper limit), warn up to
    ``warn_within`` outside it, bad farther out; unknown without a value or target."""
    if value is None or target is None or not math.isfinite(value):
        return "unknown"
    if isinstance(target, genres.Range):
        target = Bounds(target.min, target.max)
    elif not isinstance(target, Bounds):
        target = Bounds(high=target)
    distance = abs(target.distance(value))
    if distance == 0.0:
        return "good"
    return "warn" if distance <= warn_within else "bad"


def correlation_status(correlation: float | None) -> Status:
    """Phase correlation: good from +0.2, warn from 0, bad when negative."""
    return metric_status(correlation, Bounds(low=CORRELATION_WARN),
                         warn_within=CORRELATION_WARN - CORRELATION_BAD)


def tempo_in_range(bpm: float | None, wanted: genres.Range) -> bool | None:
    """Whether the tempo, or its half or double, is inside ``wanted``; None without one."""
    if bpm is None:
        return None
    return any(wanted.contains(bpm * m) for m in TEMPO_MULTIPLES)


def loudness_status(result: AnalysisResult) -> Status:
    targets, rules = judging_rules(result)
    return metric_status(result.loudness.integrated_lufs, rules.loudness_range(targets),
                         warn_within=LOUDNESS_WARN_LU)


def true_peak_status(result: AnalysisResult) -> Status:
    """good at or below the ceiling, warn up to 0 dBTP, bad above (clips on playback)."""
    targets, rules = judging_rules(result)
    limit = rules.true_peak_limit(targets)
    return metric_status(result.loudness.true_peak_dbtp, limit,
                         warn_within=FULL_SCALE_DBTP - limit)


def plr_floor(result: AnalysisResult) -> float:
    """The PLR below which the track counts as squashed (dB)."""
    targets, rules = judging_rules(result)
    return targets.plr_db.min if rules.apply_genre_dynamics else rules.over_compressed_plr_db


def plr_status(result: AnalysisResult) -> Status:
    """Against the floor; a master above its genre's range is a warning (too dynamic)."""
    targets, rules = judging_rules(result)
    value = result.loudness.plr_db
    status = metric_status(value, Bounds(low=plr_floor(result)), warn_within=PLR_WARN_DB)
    if (rules.apply_genre_dynamics and status == "good" and value is not None
            and value > targets.plr_db.max):
        return "warn"
    return status


def tempo_status(result: AnalysisResult) -> Status:
    inside = tempo_in_range(result.tempo.bpm, judging_rules(result)[0].bpm)
    return "unknown" if inside is None else ("good" if inside else "warn")
