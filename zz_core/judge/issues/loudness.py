"""Loudness and dynamics: too quiet or too loud for the context and genre, squashed
(PLR below the floor, located where the PSR is lowest on programme) or more dynamic than
the genre."""

from __future__ import annotations

from zz_core import fmt
from zz_core.judge import platforms, rules
from zz_core.judge.gating import decisive_spans
from zz_core.judge.issues.common import build, from_stretches, margin_text, where, whole
from zz_core.judge.issues.models import Issue, IssueInputs

PSR_WINDOW_S = 3.0


def detect_loudness(inputs: IssueInputs) -> list[Issue]:
    """Integrated loudness against the range; a master too quiet for its genre but valid
    for streaming is info, with what normalisation does to it."""
    integrated = inputs.loudness.integrated_lufs
    context = inputs.context
    decision = rules.loudness(integrated, inputs.targets, context, inputs.table)
    if not decision.fired or integrated is None or decision.code is None:
        return []
    low, high = decision.low or 0.0, decision.high or 0.0
    span = fmt.value_range(low, high, "LUFS")
    mixdown = not context.apply_genre_loudness
    reference = (f"a {context.label.lower()} should sit at {span}" if mixdown
                 else f"{inputs.genre_label} masters sit at {span}")
    amount = margin_text(decision.margin, "LUFS")
    measured = fmt.figure(integrated, "LUFS")
    if decision.code == "too_loud":
        advice = ("Pull the mix bus down about that much and take any limiter off it: "
                  "loudness is the mastering stage's job." if mixdown else
                  "Streaming platforms will turn it down; ease the limiter to win back punch.")
        message = (f"Integrated loudness {measured} is {amount} above the range ({reference}). "
                   f"{advice}")
    elif mixdown:
        message = (f"Integrated loudness {measured} is {amount} below the range ({reference}). "
                   "Raise the mix bus about that much, keeping peaks below the headroom limit.")
    else:
        playback = platforms.normalisation_summary(integrated, inputs.peaks.true_peak_dbtp)
        if decision.severity == "info":
            message = (f"Integrated loudness {measured} is {amount} below the commercial "
                       f"loudness of {inputs.genre_label} masters ({span}), and a valid "
                       f"streaming master: {playback}. Louder {inputs.genre_label} masters "
                       "are turned down to the same level, so it plays quieter only where "
                       "playback is not normalised (downloads, DJ sets, some players). Raise "
                       "it only if it must match the genre's commercial loudness.")
        else:
            floor = fmt.figure(rules.streaming_floor(inputs.table), "LUFS")
            message = (f"Integrated loudness {measured} is {amount} below the range "
                       f"({reference}) and below {floor}, so it plays quieter than other "
                       f"tracks on streaming too: {playback}. Raise the limiter's input gain, "
                       "keeping the true-peak ceiling.")
    return [build(decision.code, decision, message, whole(inputs, integrated), "LUFS")]


def detect_dynamics(inputs: IssueInputs) -> list[Issue]:
    """PLR against the floor (over-compressed: located on the programme's lowest PSR) and,
    for a master, above the genre's range (too dynamic)."""
    context = inputs.context
    decision = rules.plr(inputs.dynamics.plr_db, inputs.targets, context, inputs.table)
    if not decision.fired or decision.code is None or decision.limit is None:
        return []
    plr = fmt.figure(decision.value, "dB")
    amount = margin_text(decision.margin, "dB")
    limit = fmt.figure(decision.limit, "dB")
    if decision.code == "too_dynamic":
        message = (f"PLR {plr} is {amount} above the {inputs.genre_label} norm of {limit}: "
                   "more dynamic than usual for the genre. Fine if intended; otherwise gentle "
                   "bus compression will glue it.")
        return [build("too_dynamic", decision, message, whole(inputs, decision.value), "dB")]
    psr = inputs.dynamics.psr_db_series
    values = psr.as_array()
    ends = psr.times_s()
    programme = inputs.gate.windows(ends, PSR_WINDOW_S) & (values > 0)
    stretches = decisive_spans(values, values < decision.limit, programme, end_times_s=ends,
                               window_s=PSR_WINDOW_S, hop_s=psr.hop_s, lower_is_worse=True,
                               min_programme_s=PSR_WINDOW_S)
    spans = from_stretches(stretches, 2) or whole(inputs, decision.value)
    located = f", most {where(spans)}" if stretches else ""
    squashing = ("bus compression (and remove any mix-bus limiter)"
                 if not context.apply_genre_dynamics else "bus compression or limiter gain")
    message = (f"PLR {plr} is {amount} below the {limit} floor: the track is squashed"
               f"{located}. Back off {squashing} by about {fmt.amount(decision.margin or 0.0)}, "
               "or use a slower attack so transients survive.")
    return [build("over_compressed", decision, message, spans, "dB")]
