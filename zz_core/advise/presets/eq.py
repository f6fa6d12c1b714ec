"""The EQ: a subsonic high-pass, then a move for each run of octaves that strays from the
genre's tonal curve (gain: minus the deviation, less what the multiband takes)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from zz_core.advise.presets.inputs import Draft, DynamicShare, Inputs, Value, clip
from zz_core.fmt import hz
from zz_core.judge import genres

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


def _octave_groups(deviations: dict[float, float], threshold: float) -> list[list[float]]:
    """Runs of neighbouring octaves that stray by more than ``threshold`` the same way."""
    groups: list[list[float]] = []
    previous_sign = 0
    for centre in genres.OCTAVE_CENTRES_HZ:
        deviation = deviations.get(centre)
        sign = 0 if deviation is None or abs(deviation) <= threshold else (
            1 if deviation > 0 else -1)
        if sign and sign == previous_sign:
            groups[-1].append(centre)
        elif sign:
            groups.append([centre])
        previous_sign = sign
    return groups


def _q_for_octaves(octaves: float) -> float:
    """Bell Q whose -3 dB bandwidth spans ``octaves``: Q = sqrt(2^N) / (2^N - 1)."""
    ratio = 2.0 ** octaves
    return math.sqrt(ratio) / (ratio - 1.0)


def _move(inputs: Inputs, group: list[float], share: DynamicShare) -> _Move:
    """One EQ move for a run of straying octaves: gain = minus the |deviation|-weighted mean
    deviation (less the multiband's share), a shelf at either end of the spectrum."""
    deviations = inputs.deviations()
    values = [deviations[c] for c in group]
    weights = [abs(v) for v in values]
    mean = sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)
    dynamic = min(_group_share(group, share), mean) if mean > 0 else 0.0
    max_gain = inputs.config.eq.max_gain_db
    gain = clip(-(mean - dynamic), -max_gain, max_gain)
    first, last = group[0], group[-1]
    listed = ", ".join(f"{hz(c)} {deviations[c]:+.1f}" for c in group)
    note = f"octave{'s' if len(group) > 1 else ''} {listed} dB vs the {inputs.label} target"
    if dynamic:
        note += f"; the multiband takes {dynamic:.1f} dB more on the loud parts"
    if abs(mean - dynamic) > max_gain:
        note += f" (capped at {max_gain:g} dB)"
    if first == genres.OCTAVE_CENTRES_HZ[0] and len(genres.OCTAVE_CENTRES_HZ) > len(group):
        return _Move("low_shelf", last * math.sqrt(2.0), gain, inputs.config.eq.shelf_q, note)
    if last == genres.OCTAVE_CENTRES_HZ[-1]:
        return _Move("high_shelf", first / math.sqrt(2.0), gain, inputs.config.eq.shelf_q, note)
    centre = math.exp(sum(math.log(c) * w for c, w in zip(group, weights, strict=True))
                      / sum(weights))
    return _Move("bell", centre, gain, _q_for_octaves(len(group)), note)


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
    note = (f"subsonic: {cfg.fundamental_share:g} x the low-end fundamental ({peak:.0f} Hz), "
            f"kept within {cfg.min_hz:g}-{cfg.max_hz:g} Hz")
    if inputs.has_issue("dc_offset"):
        note += "; also removes the DC offset"
    return _Move("high_pass", frequency, 0.0, cfg.q, note)


def _move_threshold(inputs: Inputs) -> float:
    """Octave deviation (dB) from which the EQ moves."""
    cfg = inputs.config.eq
    return max(cfg.min_move_db, cfg.tolerance_share * inputs.tolerance())


def _eq_moves(inputs: Inputs, share: DynamicShare) -> list[_Move]:
    groups = _octave_groups(inputs.deviations(), _move_threshold(inputs))
    moves = [m for m in (_move(inputs, group, share) for group in groups)
             if abs(m.gain_db) >= 0.5]
    kept = sorted(moves, key=lambda m: -abs(m.gain_db))[: inputs.config.eq.max_bands - 1]
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
    if moves:
        purpose = (f"Subsonic high-pass, then {len(moves)} move{'s' if len(moves) > 1 else ''} "
                   f"towards the {inputs.label} tonal target.")
    elif inputs.deviations():
        purpose = (f"Subsonic high-pass only: every octave is within "
                   f"{_move_threshold(inputs):g} dB of the {inputs.label} target.")
    else:
        purpose = "Subsonic high-pass only (no tonal balance could be measured)."
    return Draft("eq", purpose, values)

