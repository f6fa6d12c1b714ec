"""Stereo problems: a mono file or dual mono, phase cancellation, a wide low end, a
channel imbalance, an image narrower or wider than the genre."""

from __future__ import annotations

import numpy as np

from zz_core import fmt
from zz_core.judge import rules
from zz_core.judge.gating import Stretch, decisive_spans
from zz_core.judge.issues.common import (
    build,
    from_stretches,
    margin_text,
    where,
    whole,
)
from zz_core.judge.issues.models import Issue, IssueInputs
from zz_core.judge.rules import MONO_WIDTH, Decision
from zz_core.measure.spectrum import BANDS_HZ


def detect_mono(inputs: IssueInputs) -> list[Issue]:
    """A mono file (info: stereo checks do not apply) or the same signal on both channels
    of a stereo file (a warning)."""
    stereo = inputs.stereo
    span = whole(inputs)
    if inputs.channels == 1:
        return [Issue(code="mono", severity="info", start_s=0.0, end_s=span[0].end_s,
                      spans=span, message="The file is mono; stereo checks do not apply.")]
    if rules.is_dual_mono(stereo.correlation, stereo.width):
        return [Issue(
            code="mono", severity="warning", start_s=0.0, end_s=span[0].end_s, spans=span,
            value=stereo.width, message="Both channels carry the same signal: the track is "
            "mono in a stereo file. Check the export or pan/widen elements above the low end.")]
    return []


def phase_decision(inputs: IssueInputs) -> Decision:
    """The phase rule on this track's programme windows."""
    stereo = inputs.stereo
    return rules.phase(stereo.correlation_series, inputs.gate, stereo.correlation,
                       stereo.mono_loss_db, inputs.table)


def detect_phase_cancellation(inputs: IssueInputs) -> list[Issue]:
    """Left and right cancelling each other in programme stretches (fades, tails, breaks
    and silence never decide); the evidence is the worst programme window."""
    if inputs.channels == 1:
        return []
    decision = phase_decision(inputs)
    if not decision.fired:
        return []
    stereo = inputs.stereo
    spans = from_stretches(decision.stretches) or whole(inputs, decision.value)
    collapse = " and collapse in mono" if decision.severity == "critical" else ""
    worst = fmt.number(decision.value, 2, sign=True)
    message = (f"Left and right cancel each other{collapse} {where(spans)}: the worst "
               f"programme window reaches a correlation of {worst}, "
               f"{margin_text(decision.margin, '')} below the "
               f"{fmt.number(decision.limit, 2, sign=True)} a window may reach (whole track "
               f"{fmt.number(stereo.correlation, 2, sign=True)}, mono sum "
               f"{fmt.figure(stereo.mono_loss_db, 'dB', sign=True)}). Check the polarity of "
               "stereo-miked or doubled parts and wideners; listen in mono.")
    return [build("phase_cancellation", decision, message, spans, "")]


def detect_wide_low_end(inputs: IssueInputs) -> list[Issue]:
    """The low end's correlation (whole track) under the genre's minimum, located on the
    programme frames where the low bands are least correlated."""
    stereo = inputs.stereo
    if inputs.channels == 1:
        return []
    decision = rules.low_end_correlation(stereo.low_end_correlation, inputs.targets,
                                         inputs.table)
    if not decision.fired or decision.limit is None:
        return []
    spans = from_stretches(_low_end_stretches(inputs, decision.limit)) or whole(
        inputs, decision.value)
    low = inputs.targets.low_end
    located = f", most {where(spans)}" if len(spans) > 1 or spans[0].start_s > 0 else ""
    cancels = ": the bass cancels in mono" if decision.severity == "critical" else ""
    message = (f"The low end below {fmt.hz(stereo.low_end_hz)} is wide{cancels} (correlation "
               f"{fmt.number(decision.value, 2, sign=True)}, {margin_text(decision.margin, '')} "
               f"under the {fmt.number(decision.limit, 2, sign=True)} {inputs.genre_label} "
               f"aims for){located}. Mono the bass and kick below about "
               f"{fmt.hz(low.mono_below_hz)} (utility/mid-side EQ).")
    return [build("wide_low_end", decision, message, spans, "")]


def _low_end_stretches(inputs: IssueInputs, limit: float) -> list[Stretch]:
    frames = inputs.frames
    below = inputs.stereo.low_end_hz
    columns = [i for i, n in enumerate(frames.band_names)
               if BANDS_HZ[n][1] <= max(below, BANDS_HZ["sub"][1])]
    if not columns or frames.frames == 0:
        return []
    ll, rr, lr = (m[:, columns].sum(axis=1) for m in
                  (frames.frame_left, frames.frame_right, frames.frame_cross))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(ll * rr > 0, lr / np.sqrt(ll * rr), np.nan)
    length_s = (frames.freqs_hz.size - 1) * 2 / frames.sample_rate_hz
    ends = np.arange(frames.frames) * frames.hop_s + length_s
    programme = inputs.gate.windows(ends, length_s)
    return decisive_spans(corr, corr < limit, programme, end_times_s=ends, window_s=length_s,
                          hop_s=frames.hop_s, lower_is_worse=True,
                          min_programme_s=inputs.table.phase.min_programme_s)


def detect_channel_imbalance(inputs: IssueInputs) -> list[Issue]:
    """One channel louder than the other over the whole track; critical for a dead or
    broken channel."""
    if inputs.channels == 1:
        return []
    decision = rules.balance(inputs.stereo.balance_db, inputs.table)
    if not decision.fired or decision.value is None or decision.limit is None:
        return []
    louder = "left" if decision.value > 0 else "right"
    quieter = "right" if louder == "left" else "left"
    amount = fmt.figure(abs(decision.value), "dB")
    broken = (f": the {quieter} channel is dead or broken. Check the cable, the export and "
              "the channel's routing." if decision.severity == "critical" else
              ". Check panning of the lead elements and the master balance control.")
    past_limit = (f"{margin_text(decision.margin, 'dB')} past the "
                  f"{fmt.figure(abs(decision.limit), 'dB')} limit")
    if abs(decision.value) >= rules.SILENT_CHANNEL_DB:
        message = (f"The {quieter} channel is silent and the {louder} carries everything "
                   f"(balance {amount}, {past_limit}){broken}")
    else:
        message = f"The {louder} channel is {amount} louder, {past_limit}{broken}"
    return [build("channel_imbalance", decision, message, whole(inputs, decision.value), "dB")]


def width_decision(inputs: IssueInputs) -> Decision:
    """The width rule on this track's typical programme width."""
    stereo = inputs.stereo
    typical = rules.typical_width(stereo.correlation_series, stereo.balance_db, inputs.gate,
                                  stereo.width)
    return rules.width(typical, inputs.targets, inputs.table)


def detect_width(inputs: IssueInputs) -> list[Issue]:
    """The typical programme width (side/mid) against the genre's range; a mono file and
    dual mono are left to ``mono``."""
    width = inputs.stereo.width
    if inputs.channels == 1 or width is None or width <= MONO_WIDTH:
        return []
    decision = width_decision(inputs)
    if not decision.fired or decision.code is None:
        return []
    wanted = inputs.targets.stereo_width
    genre = (f"{inputs.genre_label} mixes ({fmt.value_range(wanted.min, wanted.max, digits=2)})")
    typical = (f"Stereo width {fmt.number(decision.value, 2)} (side/mid of the typical programme "
               f"moment; whole track {fmt.number(width, 2)}) is "
               f"{margin_text(decision.margin, '')}")
    if decision.code == "narrow_image":
        message = (f"{typical} narrower than {genre}. Pan supporting parts wider or widen pads "
                   "and effects above 300 Hz.")
    else:
        message = (f"{typical} wider than {genre}: the mix may sound hollow and lose level in "
                   "mono. Narrow wideners and check side-heavy reverbs.")
    return [build(decision.code, decision, message, whole(inputs, decision.value), "")]
