"""Tonal balance against the genre curve, one signed deviation per region
(``judge/regions.py``), located on the programme stretch where it is most pronounced."""

from __future__ import annotations

import math

import numpy as np

from zz_core import fmt
from zz_core.judge import rules
from zz_core.judge.issues.common import build, margin_text
from zz_core.judge.issues.models import Issue, IssueInputs, IssueSpan
from zz_core.judge.regions import REGIONS, Region

ADVICE: dict[str, str] = {
    "low_end_excess": "Too much low end: cut the bass or kick with a low shelf, or sidechain "
                      "the bass to the kick.",
    "low_end_lacking": "Thin low end: raise the bass and kick fundamentals or add sub "
                       "harmonics.",
    "low_mid_excess": "Muddy low-mids: cut 250-500 Hz with a broad bell on guitars, keys "
                      "and pads.",
    "harshness": "Harsh upper mids: tame 2-4 kHz with a dynamic EQ or a de-esser on the "
                 "loudest parts.",
    "dull_highs": "Dull top end: add a high shelf above 8-10 kHz or brighten the overheads "
                  "and vocals.",
}

_TONAL_RULES: tuple[tuple[str, tuple[float, ...], int, str, str], ...] = tuple(
    (code, r.octaves_hz, sign, r.frame_bands[0], ADVICE[code])
    for r in REGIONS
    for code, sign in ((r.excess_code, 1), (r.lacking_code, -1)) if code)
"""code, octaves, sign (+1 excess, -1 lack), frame band that locates it, advice."""


def detect_tonal_balance(inputs: IssueInputs) -> list[Issue]:
    """One issue per region whose signed deviation is past the tolerance (an opposite
    pair is decided from the one figure)."""
    balance = inputs.spectrum.tonal_balance
    if balance is None:
        return []
    tolerance = balance.tolerance_db
    deviations = dict(zip(balance.octave_centres_hz, balance.deviation_db, strict=True))
    issues = []
    for region, decision in rules.tonal_regions(deviations, tolerance, inputs.table):
        if not decision.fired or decision.code is None or decision.value is None:
            continue
        sign = 1 if decision.value > 0 else -1
        span = _pronounced(inputs, region, sign, decision.value)
        direction = "above" if sign > 0 else "below"
        name = region.label[0].upper() + region.label[1:]
        message = (f"{name}: {fmt.figure(decision.value, 'dB', sign=True)} "
                   f"{direction} the {inputs.genre_label} tonal target, "
                   f"{margin_text(decision.margin, 'dB')} past the ±{fmt.figure(tolerance, 'dB')} "
                   f"tolerance; most pronounced at {fmt.clock_span(span.start_s, span.end_s)}. "
                   f"{ADVICE[decision.code]}")
        issues.append(build(decision.code, decision, message, [span], "dB"))
    return issues


def _pronounced(inputs: IssueInputs, region: Region, sign: int, deviation: float) -> IssueSpan:
    """The programme stretch (``localise_window_s``) where the region is most (sign +1)
    or least (-1) prominent against the whole spectrum, with the deviation there
    estimated from the track's (dB)."""
    frames = inputs.frames
    end = round(min(inputs.duration_s, frames.frames * frames.hop_s), 3)
    columns = [frames.band_names.index(b) for b in region.frame_bands if b in frames.band_names]
    if not columns or frames.frames == 0:
        return IssueSpan(start_s=0.0, end_s=end, value=round(deviation, 1))
    length_s = (frames.freqs_hz.size - 1) * 2 / frames.sample_rate_hz
    starts = np.arange(frames.frames) * frames.hop_s
    programme = inputs.gate.frames(starts, length_s).astype(float)
    both = frames.frame_left + frames.frame_right
    share, total = both[:, columns].sum(axis=1) * programme, both.sum(axis=1) * programme
    per = max(1, min(round(inputs.table.tonal_balance.localise_window_s / frames.hop_s),
                     frames.frames))
    kernel = np.ones(per)
    counted = np.convolve(programme, kernel, "valid")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.convolve(share, kernel, "valid") / np.convolve(total, kernel, "valid")
    ratio[counted < inputs.table.gate.min_programme_share * per] = np.nan
    overall = share.sum() / total.sum() if total.sum() > 0 else math.nan
    if ratio.size == 0 or np.all(np.isnan(ratio)) or not overall > 0:
        return IssueSpan(start_s=0.0, end_s=end, value=round(deviation, 1))
    index = int(np.nanargmax(ratio) if sign > 0 else np.nanargmin(ratio))
    there = deviation + 10 * math.log10(max(float(ratio[index]), 1e-30) / overall)
    return IssueSpan(start_s=round(index * frames.hop_s, 3),
                     end_s=round(min(end, (index + per - 1) * frames.hop_s + length_s), 3),
                     value=round(there, 1))
