"""One analysis reads the same on every surface, and every suggested move is one an
engineer would make.

For several analyses (a master with issues, a mixdown, a track with a reference, an
album of three) the page's cards and issue list, the offline feedback items, the prompt's
analysis brief, the album narrative and the PDF's text are rendered, and every figure they
share (integrated loudness, true peak, PLR, the tonal tolerance, the true-peak ceiling,
the loudness difference to the reference, each issue's value, limit, margin and span
count) must be the same text wherever it appears; cards, PDF marks and chart colours must
agree with the verdicts. Then moves on extreme material (a master 14 dB dull, a mix 10 dB
boomy, a reference far brighter) must stay within the bounds of advice.yaml and say where
the problem lies instead of prescribing the huge move.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

import numpy as np
import pytest
from pypdf import PdfReader

from tests.mixes import (
    RATE,
    analysed,
    clean_mixdown,
    equalised,
    limited,
    polarity_flipped,
    shaped_noise,
)
from ui import plots
from ui.cards import Card, badge_text, headline_cards, issue_lines
from zz_core.advise.feedback import Feedback, format_items
from zz_core.advise.figures import (
    issue_figures,
    issue_margin,
    issue_value,
    loudness_difference,
    loudness_sentence,
    tolerance_text,
    where,
)
from zz_core.advise.offline import (
    chain_steps,
    load_advice,
    offline_album_narrative,
    offline_feedback,
)
from zz_core.advise.presets import recommend_presets
from zz_core.advise.prompts import album_messages, analysis_brief
from zz_core.fmt import NOT_AVAILABLE, figure
from zz_core.judge import judging
from zz_core.judge.album import cohesion_summary
from zz_core.judge.judging import tonal_tolerance, true_peak_ceiling
from zz_core.judge.models import AnalysisResult
from zz_core.judge.pipeline import with_reference
from zz_core.judge.regions import REGIONS
from zz_core.output import printcharts
from zz_core.output.chartdata import tonal_bars
from zz_core.output.report import MARKS, build_album_report, build_track_report, metric_rows
from zz_core.text import escape_markdown
from zz_core.vocab import PROFILES

SECONDS = 8.0
TONAL_CODES = ("low_end_excess", "low_end_lacking", "low_mid_excess", "harshness", "dull_highs")
WHERE_IT_LIES = re.compile(r"in the mix|arrangement|re-record|on the sources|replace",
                           re.IGNORECASE)
AMOUNT = re.compile(r"[+-]?(\d+(?:\.\d)?) dB\b")


# --------------------------------------------------------------------------- surfaces


def _clip_bursts(audio: np.ndarray, starts: tuple[float, ...] = (1.0, 3.5, 6.0)) -> np.ndarray:
    """Short hard-clipped bursts: one clipping issue in several places."""
    out = audio.copy()
    for start in starts:
        a, b = int(start * RATE), int(start * RATE) + 2400
        out[:, a:b] = np.clip(out[:, a:b] * 40.0, -1.0, 1.0)
    return out


@pytest.fixture(scope="module", autouse=True)
def draft_charts() -> Iterator[None]:
    """Charts at a low resolution: these tests read text, not chart detail."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(printcharts, "DPI", 50)
        yield


@pytest.fixture(scope="module")
def analyses() -> dict[str, AnalysisResult]:
    """A master with issues (too quiet, dull, peaks over, clipped in three places), a
    mixdown (harsh, out of phase for a stretch) and a master against a reference."""
    base = shaped_noise(SECONDS, "pop", seed=11)
    master = _clip_bursts(limited(equalised(base, 6000, 24000, -8.0), -17.0, -1.5))
    mix = polarity_flipped(equalised(clean_mixdown(SECONDS, seed=12), 1500, 5000, 8.0),
                           2.0, 5.0)
    track = limited(equalised(shaped_noise(SECONDS, "electronic", seed=13), 30, 180, -9.0),
                    -7.5, -1.0)
    reference = limited(shaped_noise(SECONDS, "electronic", seed=14), -9.5, -1.0)
    return {
        "master": analysed(master, "master", "pop", name="Night [Drive](x).wav"),
        "mixdown": analysed(mix, "mixdown", "rock", name="mix_v3.wav"),
        "reference": with_reference(
            analysed(track, "mastering", "electronic", "techno", name="club.wav"),
            analysed(reference, "mastering", "electronic", "techno", name="ref.flac")),
    }


@dataclass(frozen=True)
class Surfaces:
    """One analysis as every surface writes it."""

    cards: list[Card]
    issues: list[str]
    feedback: dict[str, str]  # profile -> the offline feedback items' text
    brief: str
    pdf: str
    charts: str  # the page's and the PDF's chart titles and legends

    def everywhere(self) -> dict[str, str]:
        return {"cards": "\n".join(f"{c.label} {c.value_text} {c.unit} {c.help}"
                                   for c in self.cards),
                "issues": "\n".join(self.issues), "feedback": self.feedback["detailed"],
                "brief": self.brief, "pdf": self.pdf, "charts": self.charts}


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _chart_text(result: AnalysisResult) -> str:
    figures = [plots.spectrum_figure(result), plots.waveform_figure(result),
               plots.psr_figure(result)]
    if result.comparison is not None:
        figures.append(plots.tonal_difference_figure(result.comparison))
    texts = [str(f.layout.title.text) for f in figures]
    texts += [str(t.name) for f in figures for t in f.data if t.name]
    texts += [str(a.text) for f in figures for a in f.layout.annotations if a.text]
    return "\n".join(texts)


@pytest.fixture(scope="module")
def surfaces(analyses: dict[str, AnalysisResult]) -> dict[str, Surfaces]:
    rendered = {}
    for name, result in analyses.items():
        feedback = {p: format_items(offline_feedback(result, p)) for p in PROFILES}
        items = Feedback(provider="offline", model="rules", text=feedback["detailed"],
                         items=offline_feedback(result, "detailed"))
        pdf = build_track_report(result, track_name=result.file_name or name,
                                 session_name="Consistency", profile="detailed",
                                 feedback=items, thread=[], presets=recommend_presets(result))
        rendered[name] = Surfaces(headline_cards(result), issue_lines(result), feedback,
                                  analysis_brief(result), _pdf_text(pdf), _chart_text(result))
    return rendered


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", ["master", "mixdown", "reference"])
def test_headline_figures_read_the_same_everywhere(
        name: str, analyses: dict[str, AnalysisResult], surfaces: dict[str, Surfaces]) -> None:
    result, shown = analyses[name], surfaces[name]
    loud = result.loudness
    cards = {c.metric: c for c in shown.cards}
    shared = {
        "integrated": (figure(loud.integrated_lufs, "LUFS"), "loudness.integrated_lufs"),
        "true peak": (figure(loud.true_peak_dbtp, "dBTP", sign=True),
                      "loudness.true_peak_dbtp"),
        "PLR": (figure(loud.plr_db, "dB"), "loudness.plr_db"),
    }
    for what, (text, metric) in shared.items():
        card = cards[metric]
        assert f"{card.value_text} {card.unit}" == text, (what, card)
        for surface in ("brief", "pdf"):
            assert text in _one_line(shown.everywhere()[surface]), (what, surface, text)
    # the old two-decimal figures of the prompt are gone: one resolution per unit
    assert f"{loud.integrated_lufs:.2f} LUFS" not in shown.brief


@pytest.mark.parametrize("name", ["master", "mixdown", "reference"])
def test_tolerance_and_ceiling_are_one_figure_each(
        name: str, analyses: dict[str, AnalysisResult], surfaces: dict[str, Surfaces]) -> None:
    result, shown = analyses[name], surfaces[name]
    tolerance = tolerance_text(tonal_tolerance(result))
    bounds = {f"±{figure(b, 'dB')}" for b in (load_advice().moves.master_eq_db,
                                               load_advice().moves.mix_eq_db)}
    ceiling = figure(true_peak_ceiling(result), "dBTP")
    for surface, text in [*shown.everywhere().items(),
                          *((f"feedback {p}", t) for p, t in shown.feedback.items())]:
        text = _one_line(text)
        stated = set(re.findall(r"±\d+(?:\.\d+)? dB\b", text)) - bounds
        assert stated <= {tolerance}, (surface, stated, tolerance)
        ceilings = set(re.findall(r"ceiling (?:of |at |is )?(-?\d+\.\d dBTP)", text))
        ceilings |= set(re.findall(r"(-?\d+\.\d dBTP) ceiling", text))
        ceilings |= set(re.findall(r"(?:≤|at or below|at most) (-?\d+(?:\.\d)? dBTP)", text))
        assert ceilings <= {ceiling}, (surface, ceilings, ceiling)
    assert tolerance in _one_line(shown.brief) and tolerance in shown.charts
    assert ceiling in _one_line(shown.brief)


@pytest.mark.parametrize("name", ["master", "mixdown", "reference"])
def test_each_issue_states_the_same_value_limit_margin_and_places(
        name: str, analyses: dict[str, AnalysisResult], surfaces: dict[str, Surfaces]) -> None:
    result, shown = analyses[name], surfaces[name]
    assert result.issues
    assert len({i.code for i in result.issues}) == len(result.issues)  # one per code
    brief, pdf = _one_line(shown.brief), _one_line(shown.pdf)
    issue_text = "\n".join(shown.issues)
    for issue in result.issues:
        figures_text = issue_figures(issue)
        assert figures_text in brief and figures_text in pdf, (issue.code, figures_text)
        margin = issue_margin(issue)
        if issue.margin is not None:  # the message states the same margin ("465 clipped runs")
            figure_part, *unit = margin.split()
            assert re.search(rf"(?<![\d.]){re.escape(figure_part)} (\w+ )?{' '.join(unit)}",
                             issue.message), (issue.code, margin, issue.message)
        here = where(issue, result.duration_s)
        assert here in issue_text and here in brief and here in pdf, (issue.code, here)
        if issue.span_count > 1:
            places = f"{issue.span_count} places"
            item = next(line for line in shown.feedback["detailed"].split("INSIGHT")
                        if f"[{issue.code}," in line)
            assert places in item, (issue.code, item)
        value = issue_value(issue)
        if issue.code not in ("clipping", "channel_imbalance", "silence", "mono"):
            item = next(line for line in shown.feedback["detailed"].split("INSIGHT")
                        if f"[{issue.code}," in line)
            assert value in _one_line(item), (issue.code, value, item)


@pytest.mark.parametrize("name", ["master", "mixdown", "reference"])
def test_badges_marks_and_colours_agree_with_the_verdicts(
        name: str, analyses: dict[str, AnalysisResult], surfaces: dict[str, Surfaces]) -> None:
    result, shown = analyses[name], surfaces[name]
    verdicts = {v.metric: v for v in judging.verdicts(result)}
    for card in shown.cards:
        if card.metric in verdicts and card.value_text not in ("mono", NOT_AVAILABLE):
            assert card.status == verdicts[card.metric].status, card
            assert badge_text(card.status) != "UNKNOWN"
    by_label = {v.label: v for v in verdicts.values()}
    for row in metric_rows(result):
        if row.label in by_label:
            assert row.mark == MARKS[by_label[row.label].status], row
            assert row.mark in _one_line(shown.pdf)
    bars = tonal_bars(result)
    assert bars is not None
    for centre, status in zip(bars.centres_hz, bars.statuses, strict=True):
        area = next(r for r in REGIONS if centre in r.octaves_hz)
        assert status == verdicts[f"tonal.{area.key}"].status, centre
    # an issue that fired is a card, mark or colour that is not good
    for issue in result.issues:
        judged = [v for v in verdicts.values() if v.code == issue.code]
        assert all(v.status in ("warn", "bad") for v in judged), issue.code


def test_the_reference_loudness_difference_is_the_comparison_s(
        analyses: dict[str, AnalysisResult], surfaces: dict[str, Surfaces]) -> None:
    result, shown = analyses["reference"], surfaces["reference"]
    comparison = result.comparison
    assert comparison is not None and comparison.loudness_difference_lu is not None
    difference = comparison.loudness_difference_lu
    sentence = loudness_sentence(comparison)
    assert f"{abs(difference):.1f} LU" in sentence
    assert sentence in shown.charts and sentence in _one_line(shown.brief)
    assert sentence in _one_line(shown.pdf)
    assert loudness_difference(difference) in _one_line(shown.pdf)
    offset = comparison.tonal_difference.level_offset_db
    for surface, text in shown.everywhere().items():
        text = _one_line(text)
        assert "the reference is" not in text, surface  # never the level-match offset
        if abs(abs(offset) - abs(difference)) >= 0.05:
            assert f"{abs(offset):.1f} dB louder" not in text, surface
    if abs(difference) >= 1.0:
        item = next(i for i in offline_feedback(result, "detailed")
                    if i.issue_code in ("too_loud", "too_quiet") and "reference" in i.insight)
        assert f"{abs(difference):.1f} LU" in item.insight


def test_user_strings_are_escaped_on_the_markdown_surfaces(
        analyses: dict[str, AnalysisResult]) -> None:
    """The file name with markdown link syntax is shown as text on the page's caption; the
    prompt quotes it as data."""
    result = analyses["master"]
    escaped = escape_markdown(result.file_name)
    assert "\\[" in escaped and "\\(" in escaped
    brief = analysis_brief(result)
    assert f'name: "{result.file_name}"' in brief


# --------------------------------------------------------------------------- album


@pytest.fixture(scope="module")
def album() -> list[tuple[str, AnalysisResult]]:
    """Three masters that match each other and are all far too quiet for pop."""
    return [(f"Song {n}", analysed(limited(shaped_noise(SECONDS, "pop", seed=20 + n),
                                           -19.0 + 0.3 * n, -3.0), "master", "pop"))
            for n in range(3)]


def test_an_album_that_is_all_flagged_is_never_told_to_keep_its_settings(
        album: list[tuple[str, AnalysisResult]]) -> None:
    cohesion = cohesion_summary(album)
    assert all("too_quiet" in {i.code for i in r.issues} for _, r in album)
    for profile in PROFILES:
        items = offline_album_narrative(cohesion, profile, album)
        text = _one_line(" ".join(f"{i.insight} {i.suggestion}" for i in items))
        assert "keep those settings" not in text.lower()
        assert not re.search(r"match(?:es)? in [^.]*loudness", text), text
        shared = [i for i in items if all(name in i.insight for name, _ in album)]
        assert shared, text
        for name, result in album:
            issue = next(i for i in result.issues if i.code == "too_quiet")
            assert f"{name} {issue_value(issue)}" in shared[0].insight
    # the album prompt shows every track's issues, and the PDF's cohesion says so too
    brief = album_messages(album, cohesion, "detailed")[1]["content"]
    assert brief.count("too_quiet [") == 3
    pdf = _pdf_text(build_album_report(album, session_name="EP", cohesion=cohesion,
                                       narrative=None))
    assert "keep those settings" not in pdf.lower()
    assert cohesion.observations[0].split(" (")[0] in pdf


# --------------------------------------------------------------------------- extreme material


@pytest.fixture(scope="module")
def dull_master() -> AnalysisResult:
    """A pop master with the top octaves 14 dB down: far beyond a master EQ move."""
    base = shaped_noise(SECONDS, "pop", seed=3)
    return analysed(limited(equalised(base, 6000, 24000, -14.0), -9.5, -1.0), "mastering")


@pytest.fixture(scope="module")
def boomy_mix() -> AnalysisResult:
    """A pop mixdown with the low end 10 dB up."""
    return analysed(equalised(clean_mixdown(SECONDS), 25, 140, 10.0), "mixdown")


@pytest.fixture(scope="module")
def dull_against_bright() -> AnalysisResult:
    """A mastered track against a reference 14 dB brighter above 6 kHz."""
    base = shaped_noise(SECONDS, "pop", seed=5)
    track = analysed(limited(base, -9.5, -1.0), "master", name="track.wav")
    bright = analysed(limited(equalised(base, 6000, 24000, 14.0), -9.5, -1.0), "master",
                      name="bright.wav")
    return with_reference(track, bright)


def _measured(result: AnalysisResult) -> set[str]:
    """Every deviation the analysis measured, as the texts write it (a measurement, not a
    move, may be larger than the bound)."""
    values: set[float] = set()
    balance = result.spectrum.tonal_balance
    if balance is not None:
        values |= {abs(d) for d in balance.deviation_db if d is not None}
    values |= {abs(i.value) for i in result.issues if i.value is not None}
    if result.comparison is not None:
        tonal = result.comparison.tonal_difference
        values |= {abs(m) for m in tonal.eq_move_db if m is not None}
        values |= {abs(m.delta) for m in result.comparison.metrics if m.delta is not None}
        for area in REGIONS:  # a region's mean difference, as the reference items state it
            moves = [m for c, m in zip(tonal.centres_hz, tonal.eq_move_db, strict=True)
                     if m is not None and area.contains_hz(c)]
            if moves:
                values.add(abs(float(np.mean(moves))))
    return {f"{v:.1f}" for v in values} | {f"{math.floor(v * 2) / 2:.1f}" for v in values}


def _moves_within(text: str, bound: float, measured: set[str]) -> list[str]:
    """Amounts in ``text`` larger than ``bound`` that are not a measured deviation."""
    return [m for m in AMOUNT.findall(text) if float(m) > bound + 1e-9 and m not in measured]


def _tonal_texts(result: AnalysisResult) -> Iterator[tuple[str, str]]:
    for profile in PROFILES:
        for item in offline_feedback(result, profile):
            if item.issue_code in TONAL_CODES or (item.insight.startswith(("Compared",
                                                                           "Against",
                                                                           "Reference"))):
                yield profile, item.suggestion


def test_a_dull_master_gets_at_most_a_master_move_and_is_told_where_it_lies(
        dull_master: AnalysisResult) -> None:
    book = load_advice()
    bound = book.moves.master_eq_db
    assert "dull_highs" in {i.code for i in dull_master.issues}
    measured = _measured(dull_master)
    for profile, suggestion in _tonal_texts(dull_master):
        assert not _moves_within(suggestion, bound, measured), (profile, suggestion)
        assert WHERE_IT_LIES.search(suggestion), (profile, suggestion)
    for profile in PROFILES:
        eq = chain_steps(dull_master, profile)[0]
        assert not _moves_within(eq, bound, measured), (profile, eq)
        assert WHERE_IT_LIES.search(eq), (profile, eq)
        assert len(re.findall(r"boost|cut|\+\d|-\d(?:\.\d)? dB at|turn the", eq)) <= \
            book.moves.master_eq_bands + 2  # the moves, plus the "at most" of the note


@pytest.mark.parametrize("boost_db", [10.0, 16.0])
def test_a_boomy_mix_gets_at_most_a_source_move_and_is_told_where_it_lies(
        boost_db: float) -> None:
    """+10 dB of low end is a big but possible cut on the bass and kick (within the ±8 dB
    of a source); +16 dB is an arrangement problem: the text says so instead."""
    boomy = analysed(equalised(clean_mixdown(SECONDS), 25, 140, boost_db), "mixdown")
    book = load_advice()
    bound = book.moves.mix_eq_db
    issue = next(i for i in boomy.issues if i.code == "low_end_excess")
    assert issue.value is not None
    beyond = abs(issue.value) - tonal_tolerance(boomy) / 2 > bound
    measured = _measured(boomy)
    for profile, suggestion in _tonal_texts(boomy):
        assert not _moves_within(suggestion, bound, measured), (profile, suggestion)
        assert bool(WHERE_IT_LIES.search(suggestion)) == beyond, (profile, suggestion)
    assert beyond == (boost_db > 12.0)


def test_a_far_brighter_reference_is_not_matched_with_a_huge_boost(
        dull_against_bright: AnalysisResult) -> None:
    bound = load_advice().moves.master_eq_db
    measured = _measured(dull_against_bright)
    reference_items = [i for i in offline_feedback(dull_against_bright, "detailed")
                       if "reference" in i.insight.lower()]
    tonal = [i for i in reference_items if re.search(r"top end|air|treble", i.insight)]
    assert tonal, [i.insight for i in reference_items]
    for item in tonal:
        assert not _moves_within(item.suggestion, bound, measured), item.suggestion
        assert WHERE_IT_LIES.search(item.suggestion), item.suggestion


@pytest.mark.parametrize("naming", ["generic", "ableton"])
@pytest.mark.parametrize("name", ["dull_master", "boomy_mix", "dull_against_bright"])
def test_preset_eq_moves_stay_within_a_bus_eq_s_practice(
        name: str, naming: str, request: pytest.FixtureRequest) -> None:
    result: AnalysisResult = request.getfixturevalue(name)
    book = load_advice()
    chain = recommend_presets(result, naming)  # type: ignore[arg-type]
    eq = next(d for d in chain.devices if d.kind == "eq")
    gains = [float(s.value) for s in eq.settings if s.name.endswith(("gain", "Gain"))
             and "Band" in s.name]
    assert all(abs(g) <= book.moves.master_eq_db + 1e-9 for g in gains), gains
    assert len(gains) <= book.moves.master_eq_bands
    capped = [s for s in eq.settings if "bounded at" in s.note]
    if capped:  # a move that needed more says where the rest belongs
        assert any(WHERE_IT_LIES.search(n) for n in chain.notes), chain.notes


def test_no_chain_stacks_big_boosts() -> None:
    """Three octaves each far off the curve: a shelf or bell per run, never three +6 dB
    boosts side by side."""
    base = shaped_noise(SECONDS, "electronic", seed=8)
    dark = equalised(equalised(base, 1400, 24000, -9.0), 20, 90, -9.0)
    result = analysed(limited(dark, -9.0, -1.0), "mastering", "electronic")
    bound = load_advice().moves.master_eq_db
    for profile in PROFILES:
        eq = chain_steps(result, profile)[0]
        boosts = [float(m) for m in re.findall(r"(?:boost|up about|\+)\s*(\d+\.\d) dB", eq)]
        assert all(b <= bound for b in boosts), eq
        assert sum(1 for b in boosts if b >= bound) <= load_advice().moves.master_eq_bands, eq
    assert np.isfinite(bound)
