"""A mastering chain for the track: broad EQ moves from its tonal balance, glue
compression from its PLR, the low end and the limiter, each with settings from the
measurements and the genre targets."""

from __future__ import annotations

from zz_core.advise.offline.findings import read_track
from zz_core.advise.offline.moves import (
    MIN_MOVE_DB,
    beyond_note,
    bounded_move,
    flagged_runs,
    octave_runs,
)
from zz_core.advise.offline.track import Track, octave_deviations, tonal_tolerance
from zz_core.fmt import amount, figure, hz
from zz_core.judge import rules as judge_rules
from zz_core.judge.judging import verdicts
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import Profile

GLUE_MAX_DB = 4.0
"""Glue compression suggested at mastering takes at most this much gain reduction."""
GLUE_LIGHT_DB = 1.5
"""Gain reduction of optional light glue on a track whose dynamics fit."""
LIMITER_HEAVY_DB = 6.0
"""Peak reduction from which one limiter is working too hard (stage it or aim lower)."""


def _eq_moves(track: Track) -> tuple[list[str], list[str]]:
    """Broad EQ moves (at most the book's ``master_eq_bands``, the largest deviations
    first, each bounded to ``master_eq_db``): one per run of neighbouring octaves that
    stray the same way by more than half the tolerance plus MIN_MOVE_DB, in a region the
    judge flags; and, for a run that needs more than the bound, where the problem lies."""
    tolerance = tonal_tolerance(track.result, track.targets, track.rules)
    runs = flagged_runs(octave_runs(octave_deviations(track.result),
                                    tolerance / 2 + MIN_MOVE_DB - 1e-9), verdicts(track.result))
    chosen = sorted(runs, key=lambda r: (-abs(r.worst_db), r.worst_hz))
    chosen = chosen[:track.book.moves.master_eq_bands]
    moves, beyond = [], []
    for run in sorted(chosen, key=lambda r: r.worst_hz):
        move = bounded_move(abs(run.worst_db) - tolerance / 2, track.context, track.book)
        moves.append(track.note("mastering_chain", "eq_cut" if run.sign > 0 else "eq_boost", {
            "amount_db": move.text, "freq_hz": hz(run.worst_hz),
            "band_name": track.book.octave_name(run.worst_hz)}))
        if move.beyond:
            beyond.append(beyond_note(track.context, track.profile, sign=run.sign,
                                      octaves=run.octaves, deviation_db=run.worst_db,
                                      move=move, book=track.book, figures=track.figures))
    return moves, beyond


def chain_steps(result: AnalysisResult, profile: Profile = "detailed") -> list[str]:
    """A mastering chain for the track, step by step with settings derived from its
    measurements and genre targets (EQ, glue compression, low end, limiter)."""
    return mastering_steps(read_track(result, profile))


def mastering_steps(track: Track) -> list[str]:
    """The steps of ``chain_steps`` for a track already read."""
    loud = track.result.loudness
    targets = track.targets
    steps = []
    moves, beyond = _eq_moves(track)
    eq = (track.note("mastering_chain", "eq", {"eq_moves": "; ".join(moves)}) if moves
          else track.note("mastering_chain", "eq_none"))
    steps.append(" ".join([eq, *beyond]))
    judged = {v.metric: v for v in verdicts(track.result)}
    plr = judged.get("loudness.plr_db")
    if plr is not None and plr.value is not None:
        if plr.code == "over_compressed":
            steps.append(track.note("mastering_chain", "glue_skip"))
        elif plr.code == "too_dynamic" and plr.margin is not None:
            gr = amount(plr.margin, 0.5, minimum=1.0, maximum=GLUE_MAX_DB)
            steps.append(track.note("mastering_chain", "glue_more", {"glue_gr": gr}))
        else:
            steps.append(track.note("mastering_chain", "glue_light",
                                    {"glue_gr": amount(GLUE_LIGHT_DB, 0.5)}))
    low = judged.get("stereo.low_end_correlation")
    if low is not None and low.status in ("warn", "bad"):
        steps.append(track.note("mastering_chain", "low_end"))
    # the ceiling of the master the limiter makes (at the target loudness, the one rule)
    goal = judge_rules.true_peak_ceiling(targets.integrated_lufs.mid, targets, track.rules)
    tp = loud.true_peak_dbtp
    reduction = None
    if loud.integrated_lufs is not None and tp is not None:
        reduction = max(0.0, tp + (targets.integrated_lufs.mid - loud.integrated_lufs) - goal)
    limiter = {"ceiling": figure(goal, "dBTP"), "ceiling_db": figure(goal, "dB")}
    if reduction is not None:
        limiter["peak_reduction"] = figure(reduction, "dB")
    steps.append(track.note("mastering_chain", "limiter", limiter))
    if reduction is not None and reduction > LIMITER_HEAVY_DB:
        steps.append(track.note("mastering_chain", "limiter_heavy", limiter))
    return steps
