"""A mastering chain for the track: broad EQ moves from its tonal balance, glue
compression from its PLR, the low end and the limiter, each with settings from the
measurements and the genre targets."""

from __future__ import annotations

from zz_core.advise.offline.findings import MASTERING_EQ_MAX_DB, read_track
from zz_core.advise.offline.track import Track, octave_deviations, tonal_tolerance
from zz_core.fmt import amount, hz
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import Profile


def _eq_moves(track: Track, max_moves: int = 3, max_db: float = MASTERING_EQ_MAX_DB
              ) -> list[str]:
    deviations = octave_deviations(track.result)
    tolerance = tonal_tolerance(track.result, track.targets, track.rules)
    candidates = [(c, d) for c, d in deviations.items() if abs(d) - tolerance / 2 >= 1.0]
    chosen = sorted(candidates, key=lambda cd: (-abs(cd[1]), cd[0]))[:max_moves]
    moves = []
    for centre, deviation in sorted(chosen):
        part = "eq_cut" if deviation > 0 else "eq_boost"
        moves.append(track.note("mastering_chain", part, {
            "amount_db": amount(abs(deviation) - tolerance / 2, 0.5, minimum=1.0,
                                maximum=max_db, up=False),
            "freq_hz": hz(centre), "band_name": track.book.octave_name(centre)}))
    return moves


def chain_steps(result: AnalysisResult, profile: Profile = "detailed") -> list[str]:
    """A mastering chain for the track, step by step with settings derived from its
    measurements and genre targets (EQ, glue compression, low end, limiter)."""
    return mastering_steps(read_track(result, profile))


def mastering_steps(track: Track) -> list[str]:
    """The steps of ``chain_steps`` for a track already read."""
    loud = track.result.loudness
    targets = track.targets
    steps = []
    moves = _eq_moves(track)
    steps.append(track.note("mastering_chain", "eq", {"eq_moves": "; ".join(moves)})
                 if moves else track.note("mastering_chain", "eq_none"))
    plr = loud.plr_db
    if plr is not None:
        if plr < targets.plr_db.min:
            steps.append(track.note("mastering_chain", "glue_skip"))
        elif plr > targets.plr_db.max:
            gr = amount(plr - targets.plr_db.max, 0.5, minimum=1.0, maximum=4.0)
            steps.append(track.note("mastering_chain", "glue_more", {"glue_gr": gr}))
        else:
            steps.append(track.note("mastering_chain", "glue_light", {"glue_gr": "1.5 dB"}))
    low = track.result.stereo.low_end_correlation
    if low is not None and low < targets.low_end.min_correlation:
        steps.append(track.note("mastering_chain", "low_end"))
    steps.append(track.note("mastering_chain", "limiter"))
    tp = loud.true_peak_dbtp
    if loud.integrated_lufs is not None and tp is not None:
        reduction = tp + (targets.integrated_lufs.mid - loud.integrated_lufs) - \
            track.rules.true_peak_limit(targets)
        if reduction > 6.0:
            steps.append(track.note("mastering_chain", "limiter_heavy"))
    return steps
