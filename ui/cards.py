"""The headline figures as the page's metric cards show them: value, unit, status and the
target behind the status, and the issue list. Every card shows its verdict from
``zz_core.judge.judging.verdicts`` (the same verdicts as the issue list, the PDF's metric
table and the charts' colours), every figure written by ``zz_core.advise.figures``;
nothing here imports streamlit."""

from __future__ import annotations

from dataclasses import dataclass

from zz_core.advise.figures import verdict_margin, verdict_target, verdict_value, where
from zz_core.fmt import NOT_AVAILABLE, figure, number
from zz_core.judge import judging
from zz_core.judge.models import AnalysisResult, Verdict
from zz_core.output.chartdata import key_text
from zz_core.vocab import Status

BADGES: dict[Status, str] = {"good": "GOOD", "warn": "WARN", "bad": "BAD",
                             "unknown": "NOT JUDGED"}
"""What a card's badge says for each status."""
SEVERITY_LABELS: dict[str, str] = {"critical": "CRITICAL", "warning": "WARNING", "info": "INFO"}


def badge_text(status: Status) -> str:
    """The badge of a card: "GOOD", "WARN", "BAD" or "NOT JUDGED"."""
    return BADGES[status]


def issue_lines(result: AnalysisResult) -> list[str]:
    """The issue list as the page shows it (plain text), one line per issue: "WARNING ·
    clipping (3 places, worst 1:32.0-1:40.0): message"."""
    return [f"{SEVERITY_LABELS[i.severity]} · {i.code} ({where(i, result.duration_s)}): "
            f"{i.message}" for i in result.issues]


def comparison_lines(result: AnalysisResult) -> list[str]:
    """What the reference comparison shows, one plain-text line per finding."""
    comparison = result.comparison
    if comparison is None:
        return []
    return [f"{SEVERITY_LABELS[i.severity]} · {i.code}: {i.message}" for i in comparison.issues]


@dataclass(frozen=True)
class Card:
    """One headline figure as a page shows it, coloured by ``status`` (its verdict's)."""

    label: str
    value_text: str
    unit: str
    status: Status
    help: str
    metric: str = ""


CARD_METRICS: tuple[tuple[str, str], ...] = (
    ("Integrated loudness", "loudness.integrated_lufs"),
    ("True peak", "loudness.true_peak_dbtp"),
    ("Loudness range", "loudness.lra_lu"),
    ("PLR", "loudness.plr_db"),
    ("Tempo", "tempo.bpm"),
    ("Key", "key.confidence"),
    ("Width", "stereo.width"),
    ("Correlation", "stereo.correlation"),
)
"""The headline cards, in page order, and the verdict each one shows."""


def headline_cards(result: AnalysisResult) -> list[Card]:
    """Integrated loudness, true peak, LRA, PLR, tempo, key, width and correlation: each
    card shows its verdict (``judging.verdicts``: the same as the issue list, the PDF's
    marks and the charts' colours) with the figure and target as the verdict states them."""
    judged = {v.metric: v for v in judging.verdicts(result)}
    rules = judging.judging_rules(result)[1]
    cards = []
    for label, metric in CARD_METRICS:
        verdict = judged.get(metric)
        if verdict is None:
            cards.append(Card(label, NOT_AVAILABLE, "", "unknown", "Not judged.", metric))
        else:
            cards.append(_card(result, label, verdict, rules.label.lower()))
    return cards


def _judgement(verdict: Verdict) -> str:
    """"target -10 to -7 LUFS; 7.0 LU past the limit (too_quiet, warning)"."""
    text = f"target {verdict_target(verdict)}"
    margin = verdict_margin(verdict)
    if margin:
        text += f"; {margin} past the limit"
    if verdict.code and verdict.status in ("warn", "bad"):
        text += f" ({verdict.code}, {verdict.severity})" if verdict.severity \
            else f" ({verdict.code})"
    if verdict.status == "unknown":
        text = (f"not judged ({verdict.reason})"
                if verdict.reason and verdict.reason != "not judged" else "not judged")
    return text


def _card(result: AnalysisResult, label: str, verdict: Verdict, context: str) -> Card:
    genre = result.genre.display_label
    value = verdict_value(verdict).removesuffix(f" {verdict.unit}") if verdict.unit \
        else verdict_value(verdict)
    judgement = _judgement(verdict)
    if verdict.metric == "loudness.integrated_lufs":
        who = (f"{genre} masters" if judging.judging_rules(result)[1].apply_genre_loudness
               else f"a {context}; loudness is set at mastering")
        return Card(label, value, "LUFS", verdict.status,
                    f"ITU-R BS.1770 / EBU R128 integrated loudness; {who}: {judgement}.",
                    verdict.metric)
    if verdict.metric == "loudness.true_peak_dbtp":
        return Card(label, value, "dBTP", verdict.status,
                    f"ITU-R BS.1770 true peak (oversampled); ceiling "
                    f"{figure(judging.true_peak_ceiling(result), 'dBTP')} for this {context}: "
                    f"{judgement}. Above 0 dBTP it clips on playback.", verdict.metric)
    if verdict.metric == "loudness.lra_lu":
        return Card(label, value, "LU", verdict.status,
                    f"EBU Tech 3342 loudness range; {genre}: {judgement}.", verdict.metric)
    if verdict.metric == "loudness.plr_db":
        return Card(label, value, "dB", verdict.status,
                    f"Peak-to-loudness ratio (true peak - integrated loudness); {genre}, "
                    f"{context}: {judgement}.", verdict.metric)
    if verdict.metric == "tempo.bpm":
        return Card(label, number(result.tempo.bpm), "BPM", verdict.status,
                    f"{genre} tempos (half or double time accepted): {judgement}; detection "
                    f"confidence {number(100 * result.tempo.confidence, 0)} %.", verdict.metric)
    if verdict.metric == "key.confidence":
        key = result.key
        text = key_text(result)
        if text is None:
            return Card(label, NOT_AVAILABLE, "", "unknown",
                        "No clear key: atonal, noisy or drums only.", verdict.metric)
        others = f"; also possible: {', '.join(key.alternatives)}" if key.alternatives else ""
        return Card(label, text, "", verdict.status,
                    f"Estimated key with its Camelot code, confidence "
                    f"{number(100 * key.confidence, 0)} %{others}.", verdict.metric)
    if verdict.metric == "stereo.width":
        if result.channels == 1:
            return Card(label, "mono", "S/M", "unknown", "A mono file has no stereo width.",
                        verdict.metric)
        return Card(label, value, "S/M", verdict.status,
                    f"Side/mid energy ratio of the typical programme (0 = mono; whole track "
                    f"{number(result.stereo.width, 2)}); {genre}: {judgement}.", verdict.metric)
    rules = judging.judging_table().correlation
    return Card(label, value, "", verdict.status,
                f"Phase correlation (+1 mono, 0 unrelated, -1 out of phase; the worst "
                f"programme stretch when parts cancel): {judgement}. Below "
                f"{number(rules.good_from, sign=True)} the mix loses level in mono, below "
                f"{number(rules.bad_below, sign=True)} parts cancel.", verdict.metric)
