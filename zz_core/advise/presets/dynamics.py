"""The dynamics devices: multiband compressor, bus compressor, transient shaper and
limiter, each set from the PLR, the tonal excesses and the loudness against the genre's
targets."""

from __future__ import annotations

from zz_core.advise.presets.inputs import (
    Draft,
    DynamicShare,
    Inputs,
    Value,
    band_level,
    clip,
    excess,
    share_text,
    wide_low_end,
)
from zz_core.fmt import compact, figure, number, value_range
from zz_core.judge import judging
from zz_core.judge import rules as judge_rules

# --------------------------------------------------------------------------- multiband


def _band_compression(inputs: Inputs, prefix: str, level: float, reduction: float,
                      why: str) -> list[Value]:
    """Threshold at the band's average level, ratio so the loud parts (headroom above the
    average) come down by ``reduction``."""
    cfg = inputs.config.multiband
    reduction = clip(reduction, cfg.min_reduction_db, cfg.max_reduction_db)
    ratio = cfg.headroom_db / (cfg.headroom_db - reduction)
    return [
        Value(f"{prefix}_threshold", round(level, 1),
              f"the band's average level ({number(level)} dBFS)"),
        Value(f"{prefix}_ratio", round(ratio, 2),
              f"about {number(reduction)} dB off parts {compact(cfg.headroom_db)} dB above "
              f"average; {why}"),
    ]


def multiband_draft(inputs: Inputs, share: DynamicShare) -> Draft | None:
    cfg = inputs.config.multiband
    wide = wide_low_end(inputs)
    if not (wide or share.low_db or share.high_db):
        return None
    mono_hz = inputs.targets.low_end.mono_below_hz
    values: list[Value] = []
    purposes = []
    low_level = band_level(inputs, ("sub", "low"))
    if (wide or share.low_db) and low_level is not None:
        values.append(Value("low_crossover", mono_hz,
                            f"{inputs.label} keeps the low end mono below {compact(mono_hz)} Hz"))
        reduction = share.low_db or cfg.wide_reduction_db
        why = (f"{share_text(inputs)} the {number(excess(inputs, 'low_end_excess'), sign=True)} dB "
               "low-end excess"
               if share.low_db else "steadies a wide low end (the Utility monos it)")
        values += _band_compression(inputs, "low", low_level, reduction, why)
        values += [Value("low_attack", cfg.low_attack_ms, "slow: keeps bass waveforms clean"),
                   Value("low_release", cfg.low_release_ms)]
        purposes.append("tighten the low band")
    high_level = band_level(inputs, ("high_mid", "high", "air"))
    if share.high_db and high_level is not None:
        values.append(Value("high_crossover", cfg.high_crossover_hz, "harshness sits at 2-4 kHz"))
        why = (f"{share_text(inputs)} the {number(excess(inputs, 'harshness'), sign=True)} dB "
               "harsh excess")
        values += _band_compression(inputs, "high", high_level, share.high_db, why)
        values += [Value("high_attack", cfg.high_attack_ms),
                   Value("high_release", cfg.high_release_ms)]
        purposes.append("tame the harsh top on its loud parts")
    if not values:
        return None
    return Draft("multiband", "; ".join(purposes).capitalize() + ".", values)


# --------------------------------------------------------------------------- compressor


def _release_ms(inputs: Inputs) -> tuple[float, str]:
    """A 1/8 note at the measured tempo, halved or doubled into the release range."""
    cfg = inputs.config.compressor
    bpm = inputs.result.tempo.bpm
    if bpm is None or bpm <= 0:
        return cfg.release_ms, "no steady tempo measured: a neutral starting value"
    release, division = 30000.0 / bpm, 8
    while release > cfg.release_range_ms.max and division < 32:
        release, division = release / 2, division * 2
    while release < cfg.release_range_ms.min and division > 2:
        release, division = release * 2, division // 2
    return release, (f"a 1/{division} note at {number(bpm)} BPM ({number(release, 0)} ms), so "
                     "it breathes in time")


def _compressor_plan(inputs: Inputs, plr: float) -> tuple[float, float, float, str, str]:
    """Ratio, gain reduction (dB), attack (ms), why, and purpose from the PLR."""
    cfg = inputs.config.compressor
    wanted = inputs.plr_range()
    spiky = inputs.result.transients.description == "spiky"
    span = value_range(wanted.min, wanted.max, digits=None)
    if plr > wanted.max:
        excess = plr - wanted.max
        ratio = clip(cfg.ratio_base + cfg.ratio_per_db * excess, cfg.ratio_min, cfg.ratio_max)
        reduction = clip(excess, cfg.gentle_reduction_db, cfg.max_reduction_db)
        attack = cfg.fast_attack_ms if spiky else cfg.attack_ms
        why = f"PLR {number(plr)} dB is {number(excess)} dB above the {span} dB range"
        return ratio, reduction, attack, why, "Bring the dynamics into the genre's range."
    if plr < wanted.min:
        why = f"PLR {number(plr)} dB is already below the {span} dB range"
        return (cfg.ratio_min, cfg.squashed_reduction_db, cfg.slow_attack_ms, why,
                "Barely touch it: the track is already squashed (or bypass).")
    why = f"PLR {number(plr)} dB is inside the {span} dB range"
    return (cfg.ratio_min, cfg.gentle_reduction_db, cfg.slow_attack_ms, why,
            "Gentle glue; the dynamics already fit.")


def compressor_draft(inputs: Inputs) -> Draft | None:
    loud = inputs.result.loudness
    level = loud.short_term_max_lufs if loud.short_term_max_lufs is not None else loud.rms_dbfs
    if loud.plr_db is None or level is None:
        return None
    ratio, reduction, attack, why, purpose = _compressor_plan(inputs, loud.plr_db)
    ratio = max(inputs.snap("compressor", "ratio", ratio), 1.1)
    threshold = level - reduction * ratio / (ratio - 1.0)
    release, release_note = _release_ms(inputs)
    return Draft("compressor", purpose, [
        Value("threshold", round(threshold, 1),
              f"about {number(reduction)} dB of gain reduction on the loudest 3 s "
              f"({number(level)} LUFS) at {compact(ratio)}:1"),
        Value("ratio", round(ratio, 2), why),
        Value("attack", attack, "slow: lets the transients through" if attack >= 20
              else "catches the spikes" if attack <= 5 else "medium"),
        Value("release", round(release), release_note),
        Value("makeup", round(reduction, 1), "about the gain reduction: level unchanged"),
    ])


# --------------------------------------------------------------------------- transients


def transient_draft(inputs: Inputs) -> Draft | None:
    """More attack when the track is squashed; less when it is spiky or more dynamic than
    the bus compressor can bring into range."""
    cfg = inputs.config.transient
    plr = inputs.result.loudness.plr_db
    if plr is None:
        return None
    wanted = inputs.plr_range()
    transients = inputs.result.transients
    left_over = plr - wanted.max - inputs.config.compressor.max_reduction_db
    if plr < wanted.min:
        change = min(wanted.min - plr, cfg.max_change_db)
        note = (f"PLR {number(plr)} dB is {number(wanted.min - plr)} dB below "
                f"{compact(wanted.min)} dB")
        purpose = "Bring back the attack that compression took."
    elif transients.description == "spiky" or left_over > 0:
        change = -clip(left_over, cfg.spiky_change_db, cfg.max_change_db)
        if transients.description == "spiky":
            note = (f"spiky transients: attacks {number(transients.strength_crest_db, 0)} dB above "
                    "the background")
        else:
            note = (f"PLR {number(plr)} dB is {number(left_over)} dB more than the bus compressor "
                    f"takes above the {value_range(wanted.min, wanted.max, digits=None)} "
                    "dB range")
        purpose = "Soften the spikes so the limiter works less."
    else:
        return None
    return Draft("transient", purpose, [
        Value("attack", round(change, 1), note),
        Value("sustain", 0.0, "unchanged"),
    ])


# --------------------------------------------------------------------------- limiter


def _loudness_goal(inputs: Inputs, measured: float) -> float:
    """The integrated loudness (LUFS) to set: the measured one when its verdict is good,
    or when it is quieter than the genre but a valid streaming master (info on the
    severity ladder: nothing has to change), else the middle of the genre's range."""
    verdict = inputs.verdict("loudness.integrated_lufs")
    if verdict is None or verdict.status == "good" or verdict.severity == "info":
        return measured
    return inputs.rules.loudness_range(inputs.targets).mid


def _ceiling(inputs: Inputs, goal_lufs: float | None) -> float:
    """The true-peak ceiling (dBTP) of the master the limiter makes: the judge's one
    ceiling rule (``judge.rules.true_peak_ceiling``) at the loudness it lands at, so a
    master raised above -14 LUFS gets the -2 dBTP platforms advise for it."""
    return judge_rules.true_peak_ceiling(goal_lufs, inputs.targets, inputs.rules)


def limiter_draft(inputs: Inputs) -> Draft | None:
    loud = inputs.result.loudness
    ceiling = judging.true_peak_ceiling(inputs.result)
    if not inputs.rules.apply_genre_loudness:
        peak = figure(loud.true_peak_dbtp, "dBTP", sign=True)
        return Draft("limiter", "Off: leave headroom for mastering.", [
            Value("active", "off", f"a {inputs.rules.label.lower()} keeps its peaks below "
                                   f"{figure(ceiling, 'dBTP')} (measured {peak}); loudness is set "
                                   "at mastering"),
        ], with_fixed=False)
    if loud.integrated_lufs is None:
        return None
    measured = loud.integrated_lufs
    wanted = inputs.rules.loudness_range(inputs.targets)
    span = value_range(wanted.min, wanted.max, digits=None)
    target = _loudness_goal(inputs, measured)
    ceiling = _ceiling(inputs, target)
    gain = target - measured
    where = (f"{number(measured)} LUFS is inside {inputs.label}'s {span} LUFS"
             if gain == 0 else f"{number(measured)} LUFS to {number(target)} LUFS, the middle of "
                               f"{inputs.label}'s {span} LUFS")
    return Draft("limiter", f"Set the final loudness ({number(target)} LUFS) under a "
                            f"{figure(ceiling, 'dBTP')} ceiling.", [
        Value("active", "on"),
        Value("gain", round(gain, 1), where),
        Value("ceiling", ceiling,
              f"{inputs.rules.label}: true peak at most {figure(ceiling, 'dBTP')}"),
    ])


def limiter_notes(inputs: Inputs) -> list[str]:
    """What the limiter will do to the peaks and the PLR on the way to the target."""
    loud = inputs.result.loudness
    if not inputs.rules.apply_genre_loudness or loud.integrated_lufs is None:
        return []
    measured = loud.integrated_lufs
    target = _loudness_goal(inputs, measured)
    ceiling = _ceiling(inputs, target)
    notes = []
    verdict = inputs.verdict("loudness.integrated_lufs")
    if verdict is not None and verdict.code == "too_quiet" and verdict.severity == "info":
        genre = inputs.rules.loudness_range(inputs.targets).mid
        notes.append(f"{number(measured)} LUFS is a valid streaming master: the limiter keeps "
                     f"it. Only to match {inputs.label}'s commercial loudness, add about "
                     f"{number(genre - measured)} dB of input gain (ceiling "
                     f"{figure(_ceiling(inputs, genre), 'dBTP')}).")
    if loud.true_peak_dbtp is not None:
        over = loud.true_peak_dbtp + (target - measured) - ceiling
        if over > 0.5:
            notes.append(f"The limiter will take about {number(over)} dB off the loudest peaks "
                         f"(true peak {number(loud.true_peak_dbtp, sign=True)} dBTP plus "
                         f"{number(target - measured, sign=True)} dB of gain, ceiling "
                         f"{figure(ceiling, 'dBTP')}).")
            plr_after = ceiling - target
            if plr_after < inputs.targets.plr_db.min:
                notes.append(f"That leaves a PLR of about {number(plr_after)} dB, below "
                             f"{inputs.label}'s {compact(inputs.targets.plr_db.min)} dB: stop "
                             "short of the target if the track loses its punch.")
    return notes
