"""Every verdict decided once: one function per rule, on plain figures, returning a
``Decision`` (which code fires, at which severity, the evidence, the limit it crossed and
by how much). The issue detectors (``judge/issues``) word the decisions; the status
functions and verdicts (``judge/judging.py``) read the same decisions from a stored
result. A verdict fires only when its figure is past the limit by at least the rule's
visible margin; the lines and margins are in ``data/judging.yaml``, the targets in
``data/genres.yaml`` and the streaming figures in ``data/platforms.yaml``.

The severity ladder (the same in every context): critical = must fix before release,
warning = should fix, info = worth knowing (``docs/severity.md``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from zz_core.judge import platforms
from zz_core.judge.gating import BLOCK_S, ProgrammeGate, Stretch, decisive_spans
from zz_core.judge.genres import ContextRules, GenreTargets, Range
from zz_core.judge.regions import REGIONS, Region
from zz_core.judge.thresholds import JudgingTable, judging_table
from zz_core.measure.series import TimeSeries
from zz_core.vocab import Severity, Status

MONO_CORRELATION = 0.9995
"""Correlation from which two channels carry the same signal."""
MONO_WIDTH = 1e-4
"""Side/mid ratio below which a stereo file is mono."""
SILENT_CHANNEL_DB = 120.0
"""The balance the stereo measurement reports when one channel is digital silence."""


@dataclass(frozen=True)
class Decision:
    """What one rule says about one figure.

    ``code`` and ``severity`` are None when nothing fires (``value`` None: not judged).
    ``limit`` is the line the verdict is judged against (the one crossed when it fires),
    ``margin`` how far past it the value lies on the failing side (always at least the
    visible margin), ``low``/``high`` the target the figure is held to, ``stretches`` the
    programme stretches that decided a windowed verdict, worst first."""

    value: float | None
    code: str | None = None
    severity: Severity | None = None
    limit: float | None = None
    margin: float | None = None
    low: float | None = None
    high: float | None = None
    stretches: tuple[Stretch, ...] = ()

    @property
    def fired(self) -> bool:
        return self.severity is not None

    @property
    def status(self) -> Status:
        """good / warn (warning or info) / bad (critical) / unknown (not judged)."""
        if self.value is None:
            return "unknown"
        if self.severity is None:
            return "good"
        return "bad" if self.severity == "critical" else "warn"


def past(value: float | None, limit: float, *, above: bool, visible: float) -> float | None:
    """How far ``value`` is past ``limit`` on the failing side (above or below it), when
    by at least ``visible``; None otherwise (inside, or too close to call)."""
    if value is None or not math.isfinite(value):
        return None
    margin = round((value - limit) if above else (limit - value), 6)
    return margin if margin >= visible - 1e-9 else None


def _table(table: JudgingTable | None) -> JudgingTable:
    return table or judging_table()


# --------------------------------------------------------------------------- loudness


def loudness(integrated: float | None, targets: GenreTargets, rules: ContextRules,
             table: JudgingTable | None = None) -> Decision:
    """Integrated loudness (LUFS) against the context's (or genre's) range. Too loud is a
    warning; too quiet is info when the master is valid for streaming (no more than the
    tolerance below the typical streaming target), else a warning."""
    table = _table(table)
    wanted = rules.loudness_range(targets)
    visible = table.visible_margin.loudness_lu
    base = Decision(integrated, low=wanted.min, high=wanted.max)
    if (margin := past(integrated, wanted.max, above=True, visible=visible)) is not None:
        return _fire(base, "too_loud", "warning", wanted.max, margin)
    if (margin := past(integrated, wanted.min, above=False, visible=visible)) is not None:
        assert integrated is not None
        severity: Severity = ("info" if rules.apply_genre_loudness
                              and integrated >= streaming_floor(table) else "warning")
        return _fire(base, "too_quiet", severity, wanted.min, margin)
    return base


def streaming_floor(table: JudgingTable | None = None) -> float:
    """The quietest master (LUFS) that is still valid for streaming: the typical
    streaming target less the data file's tolerance."""
    tolerance = _table(table).integrated_loudness.streaming_tolerance_lu
    return platforms.typical_streaming_target() - tolerance


# --------------------------------------------------------------------------- peaks


def true_peak_ceiling(integrated: float | None, targets: GenreTargets,
                      rules: ContextRules) -> float:
    """The one true-peak ceiling (dBTP): the context's (the stricter of its ceiling and
    the genre's maximum) and, for a master louder than a platform's loud-master line,
    that platform's lower advice (Spotify: -2 dBTP above -14 LUFS)."""
    ceiling = rules.true_peak_limit(targets)
    loud = platforms.loud_master_ceiling(integrated) if rules.check_platforms else None
    return ceiling if loud is None else min(ceiling, loud)


def true_peak(peak: float | None, integrated: float | None, targets: GenreTargets,
              rules: ContextRules, table: JudgingTable | None = None) -> Decision:
    """The track's true peak (dBTP) against ``true_peak_ceiling``: critical above full
    scale, the context's ceiling severity above its ceiling, info above only the
    loud-master advice."""
    table = _table(table)
    visible = table.visible_margin.true_peak_db
    ceiling = true_peak_ceiling(integrated, targets, rules)
    base = Decision(peak, high=ceiling, limit=ceiling)
    margin = past(peak, ceiling, above=True, visible=visible)
    if margin is None:
        return base
    severity: Severity
    if past(peak, table.true_peak.bad_above_dbtp, above=True, visible=visible) is not None:
        severity = "critical"
    elif past(peak, rules.true_peak_limit(targets), above=True, visible=visible) is not None:
        severity = rules.ceiling_severity
    else:
        severity = "info"
    return _fire(base, "true_peak_over", severity, ceiling, margin)


def clipping(runs: int, overs: int, rules: ContextRules,
             table: JudgingTable | None = None) -> Decision:
    """Clipped runs (3+ samples at full scale) and samples above full scale: critical
    when audible (``critical_from_runs`` runs or more) or when samples decode above full
    scale (players clip them); a few runs take the context's clip severity."""
    table = _table(table)
    if runs <= 0 and overs <= 0:
        return Decision(0.0, limit=0.0)
    count = float(runs if runs > 0 else overs)
    audible = runs >= table.clipping.critical_from_runs or overs > 0
    severity: Severity = "critical" if audible else rules.clip_severity
    return Decision(count, "clipping", severity, 0.0, count)


def dc_offset(offsets: Sequence[float], table: JudgingTable | None = None) -> Decision:
    """The worst channel's DC offset (dBFS) against the limit: a warning."""
    table = _table(table)
    if not offsets:
        return Decision(None)
    worst = max(abs(v) for v in offsets)
    level = 20 * math.log10(worst) if worst > 0 else -math.inf
    value = round(level, 1) if math.isfinite(level) else None
    limit = table.dc_offset.warn_above_dbfs
    base = Decision(value if value is not None else -120.0, limit=limit, high=limit)
    margin = past(value, limit, above=True, visible=table.visible_margin.dc_offset_db)
    return base if margin is None else _fire(base, "dc_offset", "warning", limit, margin)


# --------------------------------------------------------------------------- dynamics


def plr_range(targets: GenreTargets, rules: ContextRules, extra_mixdown_db: float = 0.0) -> Range:
    """PLR (dB) a track should have in its context: the genre's range for a master; for a
    mixdown, from the context's squashed floor to the genre's top plus ``extra_mixdown_db``."""
    if rules.apply_genre_dynamics:
        return targets.plr_db
    top = targets.plr_db.max + extra_mixdown_db
    return Range(min=rules.over_compressed_plr_db, max=max(top, rules.over_compressed_plr_db))


def plr(value: float | None, targets: GenreTargets, rules: ContextRules,
        table: JudgingTable | None = None) -> Decision:
    """PLR (dB) against the floor (over-compressed: a warning) and, for a master, the
    top of the genre's range (too dynamic: info)."""
    table = _table(table)
    wanted = plr_range(targets, rules)
    visible = table.visible_margin.plr_db
    top = targets.plr_db.max if rules.apply_genre_dynamics else None
    base = Decision(value, low=wanted.min, high=top)
    if (margin := past(value, wanted.min, above=False, visible=visible)) is not None:
        return _fire(base, "over_compressed", "warning", wanted.min, margin)
    if top is not None and (margin := past(value, top, above=True, visible=visible)) is not None:
        return _fire(base, "too_dynamic", "info", top, margin)
    return base


def in_range(value: float | None, wanted: Range, visible: float) -> Decision:
    """A figure judged only against a range (LRA, DR): a warning outside it."""
    base = Decision(value, low=wanted.min, high=wanted.max)
    if (margin := past(value, wanted.max, above=True, visible=visible)) is not None:
        return _fire(base, None, "warning", wanted.max, margin)
    if (margin := past(value, wanted.min, above=False, visible=visible)) is not None:
        return _fire(base, None, "warning", wanted.min, margin)
    return base


# --------------------------------------------------------------------------- stereo


def is_dual_mono(correlation: float | None, width: float | None) -> bool:
    """Both channels carry the same signal."""
    return (correlation is not None and width is not None
            and correlation >= MONO_CORRELATION and width <= MONO_WIDTH)


def typical_width(correlation: TimeSeries, balance_db: float | None, gate: ProgrammeGate,
                  fallback: float | None) -> float | None:
    """The side/mid ratio of the typical programme window: from the median correlation
    of the programme windows and the channels' level balance (S/M = (1 - k c) / (1 + k c),
    k = 2 sqrt(g) / (1 + g), g the L/R power ratio); ``fallback`` (the whole-track width)
    when no window is programme."""
    values = correlation.as_array()
    programme = gate.windows(correlation.times_s(), BLOCK_S) & ~np.isnan(values)
    if not programme.any() or balance_db is None:
        return fallback
    ratio = 10 ** (max(-SILENT_CHANNEL_DB, min(SILENT_CHANNEL_DB, balance_db)) / 10)
    k = 2 * math.sqrt(ratio) / (1 + ratio)
    c = float(np.median(values[programme])) * k
    return round((1 - c) / (1 + c), 3) if c > -1 else fallback


def width(value: float | None, targets: GenreTargets,
          table: JudgingTable | None = None) -> Decision:
    """Typical programme width against the genre's range: narrower is info, wider a
    warning."""
    table = _table(table)
    wanted = targets.stereo_width
    visible = table.visible_margin.width
    base = Decision(value, low=wanted.min, high=wanted.max)
    if (margin := past(value, wanted.max, above=True, visible=visible)) is not None:
        return _fire(base, "wide_image", "warning", wanted.max, margin)
    if (margin := past(value, wanted.min, above=False, visible=visible)) is not None:
        return _fire(base, "narrow_image", "info", wanted.min, margin)
    return base


def balance(value: float | None, table: JudgingTable | None = None) -> Decision:
    """Left/right level balance (dB, + = left louder): a warning past the warning line,
    critical past the broken-channel line or with a silent channel. ``limit`` carries
    the sign of the louder side."""
    table = _table(table)
    if value is None:
        return Decision(None)
    lines = table.balance
    visible = table.visible_margin.balance_db
    sign = 1.0 if value >= 0 else -1.0
    base = Decision(value, low=-lines.warn_from_db, high=lines.warn_from_db)
    margin = past(abs(value), lines.warn_from_db, above=True, visible=visible)
    if margin is None:
        return base
    broken = (abs(value) >= SILENT_CHANNEL_DB
              or past(abs(value), lines.bad_from_db, above=True, visible=visible) is not None)
    return _fire(base, "channel_imbalance", "critical" if broken else "warning",
                 sign * lines.warn_from_db, margin)


def low_end_correlation(value: float | None, targets: GenreTargets,
                        table: JudgingTable | None = None) -> Decision:
    """Correlation below the genre's low-end frequency: a warning under the genre's
    minimum, critical when the bass cancels in mono."""
    table = _table(table)
    wanted = targets.low_end.min_correlation
    visible = table.visible_margin.correlation
    base = Decision(value, low=wanted)
    margin = past(value, wanted, above=False, visible=visible)
    if margin is None:
        return base
    cancels = past(value, table.low_end_correlation.bad_below, above=False,
                   visible=visible) is not None
    return _fire(base, "wide_low_end", "critical" if cancels else "warning", wanted, margin)


def mono_sum(loss_db: float | None, table: JudgingTable | None = None) -> Decision:
    """Level change (dB) of the whole track summed to mono: bad (a critical phase
    problem) below the line."""
    table = _table(table)
    limit = table.mono_sum.bad_below_db
    base = Decision(loss_db, low=limit, limit=limit)
    margin = past(loss_db, limit, above=False, visible=table.visible_margin.mono_sum_db)
    return base if margin is None else _fire(base, "phase_cancellation", "critical", limit,
                                             margin)


def phase(correlation: TimeSeries, gate: ProgrammeGate, overall: float | None,
          mono_loss_db: float | None, table: JudgingTable | None = None) -> Decision:
    """Phase cancellation, decided on programme windows only: stretches of 400 ms windows
    below the window limit holding at least ``min_programme_s`` of programme. The
    evidence is the worst programme window's correlation; critical when it is below the
    collapse line or the whole track's mono sum is bad. A whole-track mono sum past its
    line with no decisive stretch (a very short file) fires on the overall correlation."""
    table = _table(table)
    rules, visible = table.phase, table.visible_margin.correlation
    values = correlation.as_array()
    ends = correlation.times_s()
    failing = values < rules.window_limit
    stretches = [s for s in decisive_spans(
        values, failing, gate.windows(ends, BLOCK_S), end_times_s=ends, window_s=BLOCK_S,
        hop_s=correlation.hop_s, lower_is_worse=True, min_programme_s=rules.min_programme_s)
        if past(s.worst, rules.window_limit, above=False, visible=visible) is not None]
    mono_bad = mono_sum(mono_loss_db, table).fired
    evidence = stretches[0].worst if stretches else (overall if mono_bad else None)
    margin = past(evidence, rules.window_limit, above=False, visible=visible)
    if evidence is None or margin is None:
        return Decision(overall, low=rules.window_limit, limit=rules.window_limit)
    collapse = mono_bad or past(evidence, rules.collapse_below, above=False,
                                visible=visible) is not None
    return Decision(evidence, "phase_cancellation", "critical" if collapse else "warning",
                    rules.window_limit, margin, low=rules.window_limit,
                    stretches=tuple(stretches))


# --------------------------------------------------------------------------- tone


def tonal(region: Region, octave_deviations_db: Mapping[float, float | None],
          tolerance_db: float, table: JudgingTable | None = None) -> Decision:
    """One region's signed deviation from the genre curve (dB): its excess code past
    +tolerance, its lacking code past -tolerance (a warning), decided from the one
    figure so the two can never both fire."""
    table = _table(table)
    value = region.deviation(octave_deviations_db)
    visible = table.visible_margin.tonal_db
    base = Decision(None if value is None else round(value, 2), low=-tolerance_db,
                    high=tolerance_db)
    if region.excess_code and (margin := past(value, tolerance_db, above=True,
                                              visible=visible)) is not None:
        return _fire(base, region.excess_code, "warning", tolerance_db, margin)
    if region.lacking_code and (margin := past(value, -tolerance_db, above=False,
                                               visible=visible)) is not None:
        return _fire(base, region.lacking_code, "warning", -tolerance_db, margin)
    return base


def tonal_regions(octave_deviations_db: Mapping[float, float | None], tolerance_db: float,
                  table: JudgingTable | None = None) -> list[tuple[Region, Decision]]:
    """Every region's decision, low to high."""
    return [(r, tonal(r, octave_deviations_db, tolerance_db, table)) for r in REGIONS]


def _fire(base: Decision, code: str | None, severity: Severity, limit: float,
          margin: float) -> Decision:
    return Decision(base.value, code, severity, limit, round(margin, 3), base.low, base.high,
                    base.stretches)
