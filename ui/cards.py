"""The headline figures as the page's metric cards show them: value, unit, status and the
target behind the status. Every status comes from ``zz_core.judge.judging`` (the same
verdicts as the PDF's metric table and the charts' colours); nothing here imports
streamlit."""

from __future__ import annotations

from dataclasses import dataclass

from zz_core.fmt import compact, number, value_range
from zz_core.judge import judging
from zz_core.judge.genres import ContextRules, GenreTargets
from zz_core.judge.models import AnalysisResult
from zz_core.output.chartdata import key_text
from zz_core.vocab import Status


@dataclass(frozen=True)
class Card:
    """One headline figure as a page shows it, coloured by ``status``."""

    label: str
    value_text: str
    unit: str
    status: Status
    help: str


def headline_cards(result: AnalysisResult) -> list[Card]:
    """Integrated loudness, true peak, LRA, PLR, tempo, key, width and correlation, each
    judged against the track's context and genre."""
    targets, rules = judging.judging_rules(result)
    label = result.genre.display_label
    return [
        _loudness_card(result, targets, rules, label),
        _true_peak_card(result, targets, rules),
        _lra_card(result, targets, rules, label),
        _plr_card(result, targets, rules, label),
        _tempo_card(result, targets, label),
        _key_card(result),
        _width_card(result, targets, label),
        _correlation_card(result),
    ]


def _loudness_card(result: AnalysisResult, targets: GenreTargets,
                   rules: ContextRules, label: str) -> Card:
    wanted = rules.loudness_range(targets)
    wanted_text = value_range(wanted.min, wanted.max)
    if rules.apply_genre_loudness:
        why = f"{label} masters sit at {wanted_text} LUFS"
    else:
        why = (f"a {rules.label.lower()} should sit at {wanted_text} LUFS; "
               "loudness is set at mastering")
    return Card("Integrated loudness", number(result.loudness.integrated_lufs), "LUFS",
                judging.loudness_status(result),
                f"ITU-R BS.1770 / EBU R128 integrated loudness; {why}.")


def _true_peak_card(result: AnalysisResult, targets: GenreTargets,
                    rules: ContextRules) -> Card:
    limit = compact(rules.true_peak_limit(targets))
    return Card("True peak", number(result.loudness.true_peak_dbtp, sign=True), "dBTP",
                judging.true_peak_status(result),
                f"ITU-R BS.1770 true peak (oversampled); keep it at or below {limit} dBTP "
                f"for a {rules.label.lower()}. Above 0 dBTP it clips on playback.")


def _lra_card(result: AnalysisResult, targets: GenreTargets,
              rules: ContextRules, label: str) -> Card:
    value = number(result.loudness.lra_lu)
    status = judging.lra_status(result)
    if not rules.apply_genre_dynamics:
        return Card("Loudness range", value, "LU", status,
                    f"EBU Tech 3342 loudness range; not judged for a {rules.label.lower()}.")
    return Card("Loudness range", value, "LU", status,
                f"EBU Tech 3342 loudness range; {label} masters measure "
                f"{value_range(targets.lra_lu.min, targets.lra_lu.max)} LU.")


def _plr_card(result: AnalysisResult, targets: GenreTargets,
              rules: ContextRules, label: str) -> Card:
    if rules.apply_genre_dynamics:
        plr = targets.plr_db
        why = f"{label} masters measure {value_range(plr.min, plr.max)} dB"
    else:
        why = (f"a {rules.label.lower()} below {compact(judging.plr_floor(result))} dB is "
               "already squashed")
    return Card("PLR", number(result.loudness.plr_db), "dB", judging.plr_status(result),
                f"Peak-to-loudness ratio (true peak - integrated loudness); {why}.")


def _tempo_card(result: AnalysisResult, targets: GenreTargets, label: str) -> Card:
    bpm = targets.bpm
    return Card("Tempo", number(result.tempo.bpm), "BPM", judging.tempo_status(result),
                f"{label} tempos run {value_range(bpm.min, bpm.max)} BPM (half or double time "
                f"accepted); detection confidence {result.tempo.confidence:.0%}.")


def _key_card(result: AnalysisResult) -> Card:
    key = result.key
    text = key_text(result)
    if text is None:
        return Card("Key", "n/a", "", "unknown", "No clear key: atonal, noisy or drums only.")
    others = f"; also possible: {', '.join(key.alternatives)}" if key.alternatives else ""
    return Card("Key", text, "", judging.key_status(result),
                f"Estimated key with its Camelot code, confidence {key.confidence:.0%}"
                f"{others}.")


def _width_card(result: AnalysisResult, targets: GenreTargets, label: str) -> Card:
    if result.channels == 1:
        return Card("Width", "mono", "S/M", "unknown", "A mono file has no stereo width.")
    wanted = targets.stereo_width
    return Card("Width", number(result.stereo.width, 2), "S/M", judging.width_status(result),
                f"Side/mid energy ratio (0 = mono); {label} mixes measure "
                f"{value_range(wanted.min, wanted.max, digits=2)}.")


def _correlation_card(result: AnalysisResult) -> Card:
    value = result.stereo.correlation
    rules = judging.judging_table().correlation
    return Card("Correlation", number(value, 2, sign=True), "",
                judging.correlation_status(value),
                f"Phase correlation (+1 mono, 0 unrelated, -1 out of phase); below "
                f"{number(rules.good_from, sign=True)} the mix loses level in mono, below "
                f"{number(rules.bad_below, sign=True)} parts cancel.")
