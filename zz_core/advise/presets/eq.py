"""The EQ: a subsonic high-pass, then a move for each run of octaves that strays from the
genre's tonal curve (gain: minus the deviation, less what the multiband takes), bounded to
what a bus EQ does in practice (advice.yaml ``moves``: about ±4 dB, three bands); a bigger
deviation gets a chain note saying where it lies instead."""

from __future__ import annotations

import math
from dataclasses import dataclass

from zz_core.advise.figures import tolerance_text
from zz_core.advise.offline import load_advice
from zz_core.advise.offline.moves import (
    BoundedMove,
    OctaveRun,
    beyond_note,
    bus_rest_note,
    flagged_runs,
    octave_runs,
)
from zz_core.advise.presets.inputs import Draft, DynamicShare, Inputs, Value, clip
from zz_core.fmt import compact, figure, hz, number
from zz_core.judge import genres, judging

LOW_OCTAVES_HZ = (31.5, 63.0, 125.0)
"""Octaves the multiband's low band covers (the low_end_excess octaves)."""
HARSH_OCTAVES_HZ = (2000.0, 4000.0)
"""Octaves its high band covers (the harshness octaves)."""


@dataclass(frozen=True)
class _Move:
    kind: str  # a FILTER_TYPES entry
    frequency_hz: float
    gain_db: float
    q: float
    note: str
    beyond: str = ""  # where a problem too large for the bus EQ lies (a chain note)


def _q_for_octaves(octaves: float) -> float:
    """Bell Q whose -3 dB bandwidth spans ``octaves``: Q = sqrt(2^N) / (2^N - 1)."""
    ratio = 2.0 ** octaves
    return math.sqrt(ratio) / (ratio - 1.0)


def _bound(inputs: Inputs, run: OctaveRun, needed_db: float) -> tuple[float, str]:
    """The bus EQ's bound (dB: the master bound in every context, since this is a bus)
    and, when the move needs more, the chain note saying where the rest belongs: on the
    sources (a mixdown within the per-source bound), else the mix or the arrangement."""
    book = load_advice()
    bus = BoundedMove(abs(needed_db), book.moves.master_eq_db)
    if not bus.beyond:
        return bus.bound_db, ""
    context = inputs.result.context
    words = bus
    if context == "mixdown":
        words = BoundedMove(abs(needed_db), book.moves.mix_eq_db)
        if not words.beyond:
            return bus.bound_db, bus_rest_note("detailed", octaves=run.octaves,
                                               deviation_db=run.worst_db, move=bus, book=book)
    return bus.bound_db, beyond_note(context, "detailed", sign=run.sign, octaves=run.octaves,
                                     deviation_db=run.worst_db, move=words, book=book)


def _move(inputs: Inputs, run: OctaveRun, share: DynamicShare) -> _Move:
    """One EQ move for a run of straying octaves: gain = minus the |deviation|-weighted mean
    deviation (less the multiband's share), bounded to what a bus EQ does in practice
    (advice.yaml ``moves``), a shelf at either end of the spectrum."""
    group = list(run.octaves)
    mean = run.mean_db
    dynamic = min(_group_share(group, share), mean) if mean > 0 else 0.0
    needed = -(mean - dynamic)
    bound, beyond = _bound(inputs, run, needed)
    gain = clip(needed, -bound, bound)
    listed = ", ".join(f"{hz(c)} {number(d, sign=True)}"
                       for c, d in zip(run.octaves, run.deviations_db, strict=True))
    note = f"octave{'s' if len(group) > 1 else ''} {listed} dB vs the {inputs.label} target"
    if dynamic:
        note += f"; the multiband takes {number(dynamic)} dB more on the loud parts"
    if abs(needed) > bound:
        note += f" (bounded at ±{figure(bound, 'dB')}: the rest belongs in the mix, see the notes)"
    first, last = group[0], group[-1]
    if first == genres.OCTAVE_CENTRES_HZ[0] and len(genres.OCTAVE_CENTRES_HZ) > len(group):
        return _Move("low_shelf", last * math.sqrt(2.0), gain, inputs.config.eq.shelf_q, note,
                     beyond)
    if last == genres.OCTAVE_CENTRES_HZ[-1]:
        return _Move("high_shelf", first / math.sqrt(2.0), gain, inputs.config.eq.shelf_q,
                     note, beyond)
    return _Move("bell", run.centre_hz, gain, _q_for_octaves(len(group)), note, beyond)


def _group_share(group: list[float], share: DynamicShare) -> float:
    if set(group) & set(LOW_OCTAVES_HZ):
        return share.low_db
    if set(group) & set(HARSH_OCTAVES_HZ):
        return share.high_db
    return 0.0


def _high_pass(inputs: Inputs) -> _Move:
    cfg = inputs.config.eq.high_pass
    peak = inputs.result.spectrum.low_end_peak_hz
    if peak is None:
        return _Move("high_pass", cfg.default_hz, 0.0, cfg.q, "subsonic: below any music")
    frequency = clip(peak * cfg.fundamental_share, cfg.min_hz, cfg.max_hz)
    note = (f"subsonic: {compact(cfg.fundamental_share)} x the low-end fundamental "
            f"({number(peak, 0)} Hz), kept within {compact(cfg.min_hz)}-{compact(cfg.max_hz)} Hz")
    if inputs.has_issue("dc_offset"):
        note += "; also removes the DC offset"
    return _Move("high_pass", frequency, 0.0, cfg.q, note)


def _move_threshold(inputs: Inputs) -> float:
    """Octave deviation (dB) from which the EQ moves."""
    cfg = inputs.config.eq
    return max(cfg.min_move_db, cfg.tolerance_share * inputs.tolerance())


def _eq_moves(inputs: Inputs, share: DynamicShare) -> list[_Move]:
    """The largest moves, at most the master bound's band count (and the device's bands
    less the high-pass), in frequency order."""
    runs = flagged_runs(octave_runs(inputs.deviations(), _move_threshold(inputs)),
                        judging.verdicts(inputs.result))
    moves = [m for m in (_move(inputs, run, share) for run in runs) if abs(m.gain_db) >= 0.5]
    most = min(inputs.config.eq.max_bands - 1, load_advice().moves.master_eq_bands)
    kept = sorted(moves, key=lambda m: -abs(m.gain_db))[:most]
    return sorted(kept, key=lambda m: m.frequency_hz)


def _band_values(band: int, move: _Move) -> list[Value]:
    values = [Value("type", move.kind, move.note, band),
              Value("frequency", round(move.frequency_hz), band=band)]
    if move.kind != "high_pass":
        values.append(Value("gain", round(move.gain_db, 1), band=band))
    return [*values, Value("q", round(move.q, 2), band=band)]


def eq_draft(inputs: Inputs, share: DynamicShare) -> Draft:
    moves = _eq_moves(inputs, share)
    values = [v for band, move in enumerate([_high_pass(inputs), *moves], start=1)
              for v in _band_values(band, move)]
    notes = [m.beyond for m in moves if m.beyond]
    if moves:
        purpose = (f"Subsonic high-pass, then {len(moves)} move{'s' if len(moves) > 1 else ''} "
                   f"towards the {inputs.label} tonal target.")
    elif inputs.deviations():
        purpose = (f"Subsonic high-pass only: every tonal region is within "
                   f"{tolerance_text(inputs.tolerance())} of the {inputs.label} target.")
    else:
        purpose = "Subsonic high-pass only (no tonal balance could be measured)."
    return Draft("eq", purpose, values, notes=notes)

