"""The offline feedback engine on real analyses of synthesized tracks with known defects:
each defect is named with an amount and an action, a clean track is called clean, the
registers differ, a mixdown is never told to get louder, and follow-up answers quote the
track's own figures. Tracks are a few seconds long to keep the suite fast."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.mixes import (
    RATE,
    analysed,
    at_loudness,
    channel_lowered,
    clean_mixdown,
    equalised,
    limited,
    polarity_flipped,
    shaped_noise,
    with_gap,
)
from tests.mixes import wide_low_end as widen_low_end
from tests.music import render_song
from zz_core.advise import offline
from zz_core.advise.feedback import ChatTurn, FeedbackItem, format_items, parse_items
from zz_core.advise.offline import (
    SUMMARY_MAX_CHARS,
    load_advice,
    offline_album_narrative,
    offline_feedback,
    offline_follow_up,
    offline_summary,
    question_topics,
    suggested_questions,
)
from zz_core.datafiles import DataFileError
from zz_core.fmt import clock
from zz_core.judge.album import CohesionSummary, KeyTransition, cohesion_summary
from zz_core.judge.genres import OCTAVE_CENTRES_HZ
from zz_core.judge.issues import _TONAL_RULES, Issue
from zz_core.judge.models import AnalysisResult
from zz_core.judge.pipeline import with_reference
from zz_core.vocab import CONTEXTS, ISSUE_CODES, PROFILES, SEVERITY_RANK, Severity

SECONDS = 8.0
JARGON = ("dBTP", "M/S", "mid/side", "multiband", "PLR", "PSR", "crest", "oversampl", "LRA",
          "correlation", "dynamic EQ", "S/M", "ISP")
MIXDOWN_FORBIDDEN = ("lufs target", "limiter gain", "limiter input", "limiter drive",
                     "drive the limiter", "use a limiter", "spotify", "platform", "streaming",
                     "louder for", "-8.5 lufs")


def text_of(items: list[FeedbackItem]) -> str:
    return "\n".join(f"{i.insight}\n{i.suggestion}" for i in items)


def item_for(items: list[FeedbackItem], code: str) -> FeedbackItem:
    found = [i for i in items if i.issue_code == code]
    assert len(found) >= 1, f"no {code} item in {[i.issue_code for i in items]}"
    return found[0]


# --------------------------------------------------------------------------- tracks


def _clip_bursts(x: np.ndarray) -> np.ndarray:
    """Three short clipped bursts, at 1 s, 3.5 s and 6 s."""
    out = x.copy()
    for start in (1.0, 3.5, 6.0):
        a, b = int(start * RATE), int(start * RATE) + 2400
        out[:, a:b] = np.clip(out[:, a:b] * 40.0, -1.0, 1.0)
    return out


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return clean_mixdown(SECONDS)


@pytest.fixture(scope="module")
def master_base() -> np.ndarray:
    return shaped_noise(SECONDS, "pop", seed=3)


@pytest.fixture(scope="module")
def clean_result(clean: np.ndarray) -> AnalysisResult:
    return analysed(clean)


@pytest.fixture(scope="module")
def clean_master(master_base: np.ndarray) -> AnalysisResult:
    # peaks at -2 dBTP: a master louder than -14 LUFS is advised -2 dBTP (Spotify)
    return analysed(limited(master_base, -9.5, -2.1), "master")


@pytest.fixture(scope="module")
def defects(clean: np.ndarray, master_base: np.ndarray) -> dict[str, AnalysisResult]:
    """One analysed track per defect, keyed by the issue code it must raise."""
    hot = clean * (10 ** (-1.5 / 20) / np.abs(clean).max())
    return {
        "clipping": analysed(_clip_bursts(clean)),
        "true_peak_over": analysed(hot),
        "too_loud": analysed(limited(master_base, -5.0, -1.0), "master"),
        "too_quiet": analysed(limited(master_base, -16.0, -1.5), "master"),
        "wide_low_end": analysed(widen_low_end(clean)),
        "phase_cancellation": analysed(polarity_flipped(clean, 2.0, 6.0)),
        "over_compressed": analysed(limited(master_base, -5.5, -1.0), "master"),
        "low_mid_excess": analysed(equalised(clean, 200, 550, 8.0)),
        "harshness": analysed(equalised(clean, 1500, 5000, 8.0)),
        "dull_highs": analysed(equalised(clean, 6000, 24000, -15.0)),
        "channel_imbalance": analysed(channel_lowered(clean)),
        "dc_offset": analysed(clean + 0.01),
        "silence": analysed(with_gap(clean, 3.0, 5.0)),
    }


# What each suggestion must tell the producer to do (a pattern, matched case-insensitively;
# a signed amount such as "-5.5 dB at 2 kHz" is a cut).
ACTIONS: dict[str, str] = {
    "clipping": r"\bdown\b",
    "true_peak_over": r"\bdown\b|ceiling|maximum|trim",
    "too_loud": r"\bless\b|\bdown\b",
    "too_quiet": r"louder|\bup\b|raise|drive",
    "wide_low_end": r"\bmono\b",
    "phase_cancellation": r"polarity|phase",
    "over_compressed": r"\bless\b|back off",
    "low_mid_excess": r"\bcut\b|turn down|-\d+(\.\d)? dB",
    "harshness": r"tame|turn down|\bcut\b|-\d+(\.\d)? dB",
    "dull_highs": r"shelf|turn up|brighten|re-record",  # -15 dB: beyond an EQ move
    "channel_imbalance": r"\bleft\b|\bright\b",
    "dc_offset": r"filter|high-pass|hpf|blocker",
    "silence": r"check|look|inspect",
}


# --------------------------------------------------------------------------- the data file


def test_advice_covers_every_issue_code() -> None:
    book = load_advice()
    assert set(book.issues) == set(ISSUE_CODES)
    assert set(book.questions.issues) == set(ISSUE_CODES)
    assert set(book.questions.context) == set(CONTEXTS)
    assert sorted(book.octave_names) == sorted(OCTAVE_CENTRES_HZ)


def test_tonal_octaves_match_the_detector() -> None:
    book = load_advice()
    for code, octaves, sign, _, _ in _TONAL_RULES:
        assert book.issues[code].octaves_hz == octaves
        assert offline.TONAL_SIGNS[code] == sign


def test_every_template_renders_with_its_placeholders() -> None:
    """Every text, register and context fills from the fields its section provides."""
    count = 0
    for path, template, allowed in offline._templates(load_advice()):
        rendered = template.format_map(dict.fromkeys(allowed, "X"))
        assert "{" not in rendered and "}" not in rendered, path
        count += 1
    assert count > 500


def _synthetic_issue(code: str, result: AnalysisResult) -> Issue:
    """An issue of ``code`` with figures in the range its detector reports."""
    figures: dict[str, tuple[float | None, float | None]] = {
        "clipping": (12.0, None), "true_peak_over": (0.4, -1.0), "dc_offset": (-40.0, -50.0),
        "phase_cancellation": (-0.3, -0.2), "wide_low_end": (0.1, 0.8),
        "channel_imbalance": (-2.0, 1.5), "mono": (0.0, None), "too_quiet": (-20.0, -10.0),
        "too_loud": (-5.0, -7.0), "over_compressed": (4.0, 6.0), "too_dynamic": (12.0, 10.0),
        "low_end_excess": (8.0, 4.0), "low_end_lacking": (-8.0, -4.0),
        "low_mid_excess": (7.0, 4.0), "harshness": (7.0, 4.0), "dull_highs": (-9.0, -4.0),
        "silence": (2.5, None), "narrow_image": (0.03, 0.08), "wide_image": (0.6, 0.4),
    }
    value, limit = figures[code]
    severity: Severity = "info" if code == "silence" else "warning"
    return Issue(code=code, severity=severity, message="", start_s=0.0,
                 end_s=2.5 if code == "silence" else result.duration_s, value=value,
                 limit=limit)


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_issue_renders_in_every_context_and_profile(context: str,
                                                          clean: np.ndarray) -> None:
    base = analysed(clean, context)
    for code in ISSUE_CODES:
        result = base.model_copy(update={"issues": [_synthetic_issue(code, base)]})
        for profile in PROFILES:
            items = offline_feedback(result, profile)
            item = item_for(items, code)
            text = text_of(items)
            assert "{" not in text and "}" not in text, (code, profile)
            assert "n/a" not in f"{item.insight} {item.suggestion}", (code, context, profile)
            assert re.search(r"\d", item.suggestion), (code, context, profile, item.suggestion)


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "advice.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_broken_advice_file_is_refused_with_the_entry_named(tmp_path: Path) -> None:
    data = yaml.safe_load(offline.DEFAULT_ADVICE_PATH.read_text(encoding="utf-8"))
    data["issues"]["clipping"]["fix"]["mixdown"]["simple"] = "Turn it down {amout_db}."
    with pytest.raises(DataFileError, match=r"issues\.clipping\.fix\.mixdown\.simple: "
                                              r"unknown placeholder \{amout_db\}"):
        load_advice(_write(tmp_path, data))
    data = yaml.safe_load(offline.DEFAULT_ADVICE_PATH.read_text(encoding="utf-8"))
    del data["issues"]["harshness"]
    data["issues"]["harshnes"] = {}
    with pytest.raises(DataFileError, match="harshnes"):
        load_advice(_write(tmp_path, data))
    data = yaml.safe_load(offline.DEFAULT_ADVICE_PATH.read_text(encoding="utf-8"))
    del data["issues"]["dc_offset"]["fix"]["default"]["pro"]
    with pytest.raises(DataFileError, match=r"issues\.dc_offset\.fix\.default\.pro"):
        load_advice(_write(tmp_path, data))


# --------------------------------------------------------------------------- feedback


@pytest.mark.parametrize("code", sorted(ACTIONS))
def test_each_defect_is_named_with_an_amount_and_an_action(
        code: str, defects: dict[str, AnalysisResult]) -> None:
    result = defects[code]
    assert code in {i.code for i in result.issues}, [i.code for i in result.issues]
    for profile in PROFILES:
        item = item_for(offline_feedback(result, profile), code)
        issue = next(i for i in result.issues if i.code == code)
        assert item.severity == min((i.severity for i in result.issues if i.code == code),
                                    key=SEVERITY_RANK.__getitem__)
        assert re.search(r"\d", item.suggestion), (profile, item.suggestion)
        assert re.search(ACTIONS[code], item.suggestion, re.IGNORECASE), \
            (profile, item.suggestion)
        assert re.search(r"\d:\d\d\.\d", item.insight) or issue.start_s == 0.0, item.insight


def test_amounts_come_from_the_measurements(defects: dict[str, AnalysisResult]) -> None:
    hot = defects["true_peak_over"]
    issue = next(i for i in hot.issues if i.code == "true_peak_over")
    assert issue.value is not None and issue.limit is not None
    item = item_for(offline_feedback(hot, "detailed"), "true_peak_over")
    over = np.ceil((issue.value - issue.limit) * 10 - 1e-9) / 10
    assert f"{issue.value:+.1f} dBTP" in item.insight
    assert f"down about {over:.1f} dB" in item.suggestion
    assert "-3.0 dBTP" in item.suggestion

    loud = defects["too_loud"]
    issue = next(i for i in loud.issues if i.code == "too_loud")
    assert issue.value is not None and issue.limit is not None
    item = item_for(offline_feedback(loud, "detailed"), "too_loud")
    assert f"{issue.value:.1f} LUFS" in item.insight
    assert f"about {issue.value - issue.limit:.1f} dB less" in item.suggestion

    harsh = defects["harshness"]
    item = item_for(offline_feedback(harsh, "detailed"), "harshness")
    assert "2 kHz" in item.suggestion and re.search(r"\d+\.\d dB", item.suggestion)

    wide = defects["wide_low_end"]
    item = item_for(offline_feedback(wide, "detailed"), "wide_low_end")
    assert f"{wide.stereo.low_end_correlation:+.2f}" in item.insight
    assert "120 Hz" in item.suggestion


def test_several_clips_merge_into_one_item_listing_the_times(
        defects: dict[str, AnalysisResult]) -> None:
    result = defects["clipping"]
    clips = [i for i in result.issues if i.code == "clipping"]
    assert len(clips) == 1 and clips[0].span_count == 3  # one issue, its three places
    items = [i for i in offline_feedback(result) if i.issue_code == "clipping"]
    assert len(items) == 1
    for span in clips[0].spans:
        assert clock(span.start_s) in items[0].insight
    assert "3 places" in items[0].insight


def test_a_clean_mixdown_gets_a_short_positive_verdict(clean_result: AnalysisResult) -> None:
    assert clean_result.issues == []
    for profile in PROFILES:
        items = offline_feedback(clean_result, profile)
        assert [i for i in items if i.issue_code is not None] == []
        verdict = items[0]
        assert (verdict.issue_code, verdict.severity) == (None, "info")
        assert re.search(r"good|no problems|nothing stands out|clean|within",
                         verdict.insight, re.IGNORECASE)
        assert "mastering" in verdict.suggestion.lower()


def test_a_clean_master_is_release_ready(clean_master: AnalysisResult) -> None:
    assert [i for i in clean_master.issues if i.severity != "info"] == []
    items = offline_feedback(clean_master, "detailed")
    assert [i for i in items if i.issue_code is not None] == []
    assert "Release-ready" in items[0].insight
    assert f"{clean_master.loudness.integrated_lufs:.1f} LUFS" in items[0].insight
    platforms = next(i for i in items if "streaming platforms" in i.insight)
    spotify = next(p for p in clean_master.platforms if p.platform_slug == "spotify")
    assert f"{spotify.gain_db:+.1f} dB" in platforms.insight
    assert f"{spotify.output_true_peak_dbtp:.1f} dBTP" in platforms.insight


def test_a_master_with_problems_gets_a_verdict_and_the_platform_table(
        defects: dict[str, AnalysisResult]) -> None:
    result = defects["too_loud"]
    items = offline_feedback(result, "detailed")
    verdict = next(i for i in items if i.insight.startswith("Release readiness"))
    assert "too loud" in verdict.insight and "-10 to -7 LUFS" in verdict.insight
    table = next(i for i in items if "streaming platforms" in i.insight)
    apple = next(p for p in result.platforms if p.platform_slug == "apple_music")
    assert f"Apple Music {apple.gain_db:+.1f} dB" in table.insight


def test_mastering_gets_a_chain_with_settings_from_the_numbers(clean: np.ndarray) -> None:
    result = analysed(equalised(clean, 1500, 5000, 8.0), "mastering")
    for profile in PROFILES:
        chain = offline_feedback(result, profile)[-1]
        assert chain.issue_code is None
        steps = chain.suggestion
        assert "1)" in steps and "2)" in steps and "3)" in steps
        assert "-8.5 LUFS" in steps  # the middle of pop's -10 to -7 LUFS
        assert "-2.0 dB" in steps  # the ceiling of a master louder than -14 LUFS
        assert "2 kHz" in steps  # the harsh octave, cut
    detailed = offline_feedback(result, "detailed")[-1].suggestion
    gain = -8.5 - (result.loudness.integrated_lufs or 0.0)
    assert f"{gain:+.1f} dB" in detailed


def test_a_mixdown_is_never_told_to_get_louder_or_limit(
        defects: dict[str, AnalysisResult], clean_result: AnalysisResult,
        clean: np.ndarray) -> None:
    mixdowns = [r for r in defects.values() if r.context == "mixdown"]
    mixdowns += [clean_result, analysed(clean * 0.02),  # far too quiet for a mix
                 analysed(limited(shaped_noise(SECONDS, "pop", seed=3), -6.0, -0.5))]
    assert any("too_quiet" in {i.code for i in r.issues} for r in mixdowns)
    assert any("too_loud" in {i.code for i in r.issues} for r in mixdowns)
    for result in mixdowns:
        for profile in PROFILES:
            text = text_of(offline_feedback(result, profile)).lower()
            for phrase in MIXDOWN_FORBIDDEN:
                assert phrase not in text, (phrase, profile, [i.code for i in result.issues])


def test_the_registers_differ(defects: dict[str, AnalysisResult],
                              clean_master: AnalysisResult) -> None:
    results = [*defects.values(), clean_master]
    for result in results:
        simple = text_of(offline_feedback(result, "simple"))
        for word in JARGON:
            assert word not in simple, (word, [i.code for i in result.issues])
        assert not re.search(r"\bGR\b", simple)
        texts = {p: text_of(offline_feedback(result, p)) for p in PROFILES}
        assert len(set(texts.values())) == 3
    pro_wide = item_for(offline_feedback(defects["wide_low_end"], "pro"), "wide_low_end")
    assert "M/S" in pro_wide.suggestion
    pro_harsh = item_for(offline_feedback(defects["harshness"], "pro"), "harshness")
    assert "multiband" in pro_harsh.suggestion or "Dynamic EQ" in pro_harsh.suggestion
    detailed_loud = item_for(offline_feedback(defects["too_loud"], "detailed"), "too_loud")
    assert "LUFS" in detailed_loud.insight


def test_items_are_ordered_by_severity_then_time(defects: dict[str, AnalysisResult]) -> None:
    for result in defects.values():
        items = offline_feedback(result)
        ranks = [SEVERITY_RANK[i.severity or "info"] for i in items]
        assert ranks == sorted(ranks)
        firsts: dict[str, tuple[int, float]] = {}
        for issue in result.issues:
            key = (SEVERITY_RANK[issue.severity], issue.start_s)
            firsts[issue.code] = min(firsts.get(issue.code, key), key)
        expected = sorted(firsts, key=lambda c: (firsts[c], c))
        assert [i.issue_code for i in items if i.issue_code] == expected


def test_the_feedback_is_deterministic_and_round_trips(defects: dict[str, AnalysisResult]
                                                       ) -> None:
    result = defects["phase_cancellation"]
    again = AnalysisResult.model_validate_json(result.model_dump_json())
    for profile in PROFILES:
        first = offline_feedback(result, profile)
        assert first == offline_feedback(again, profile)
        assert parse_items(format_items(first)) == first


def test_a_silent_track_is_one_critical_item() -> None:
    result = analysed(np.zeros((2, RATE * 3), dtype=np.float32), "master")
    items = offline_feedback(result, "detailed")
    assert [(i.issue_code, i.severity) for i in items] == [("silence", "critical")]
    assert "silent" in items[0].insight
    answer = offline_follow_up(result, "how loud is it?", "detailed")
    assert "silent" in answer and "n/a" not in answer


def test_a_mono_file_is_not_called_a_mono_mix(clean: np.ndarray) -> None:
    item = item_for(offline_feedback(analysed(clean[:1]), "detailed"), "mono")
    assert item.insight.startswith("Mono file") and "2 channels" in item.suggestion


# --------------------------------------------------------------------------- reference


def test_a_reference_adds_items_on_the_biggest_differences(clean: np.ndarray) -> None:
    reference = analysed(clean_mixdown(SECONDS, seed=1), "mastering")
    bassy = at_loudness(equalised(clean_mixdown(SECONDS, seed=2), 50.0, 140.0, 6.0), -12.0)
    result = with_reference(analysed(bassy, "mastering"),
                            reference.model_copy(update={"file_name": "ref.wav"}))
    items = [i for i in offline_feedback(result, "detailed") if "reference" in i.insight]
    assert 1 <= len(items) <= offline.MAX_REFERENCE_ITEMS
    text = text_of(items)
    assert "ref.wav" in text
    loud = next(i for i in items if i.issue_code == "too_loud")
    assert "6.0 LU louder" in loud.insight  # the comparison's loudness difference
    low = next(i for i in items if i.issue_code == "low_end_excess")
    assert "low end (31.5-125 Hz)" in low.insight and re.search(r"\d\.\d dB", low.suggestion)
    answer = offline_follow_up(result, "How does it compare with my reference?", "detailed")
    assert "ref.wav" in answer and "-12.0 LUFS vs -18.0 LUFS" in answer


# --------------------------------------------------------------------------- follow-up


@pytest.fixture(scope="module")
def song() -> AnalysisResult:
    samples = render_song("A", "minor", ("i", "VI", "III", "VII"), seconds=8.0, bpm=100.0,
                          rate=22050, drums=True)
    return analysed(samples, "master", rate=22050)


def test_follow_up_answers_quote_the_tracks_figures(defects: dict[str, AnalysisResult],
                                                   song: AnalysisResult) -> None:
    loud = defects["too_loud"]
    figures = loud.loudness
    answer = offline_follow_up(loud, "How loud is my master on Spotify?", "detailed")
    assert f"{figures.integrated_lufs:.1f} LUFS" in answer
    assert "-10 to -7 LUFS" in answer and "Spotify" in answer
    assert "less limiter drive" in answer  # the too_loud advice
    answer = offline_follow_up(loud, "what's the true peak? any clipping?", "pro")
    assert f"{figures.true_peak_dbtp:+.1f} dBTP" in answer
    answer = offline_follow_up(loud, "Is it over-compressed? where's the punch", "detailed")
    assert f"PLR {figures.plr_db:.1f} dB" in answer
    wide = defects["wide_low_end"]
    answer = offline_follow_up(wide, "is my bass / kick ok in mono?", "detailed")
    assert f"{wide.stereo.low_end_correlation:+.2f}" in answer and "120 Hz" in answer
    assert song.tempo.bpm is not None and song.key.label and song.key.camelot
    answer = offline_follow_up(song, "what tempo and key is it, for harmonic mixing?", "detailed")
    assert f"{song.tempo.bpm:.1f} BPM" in answer
    assert song.key.label in answer and song.key.camelot in answer
    quarter = 60000 / song.tempo.bpm
    assert f"{quarter:.0f} ms" in answer


def test_what_to_fix_first_lists_the_worst_issues_in_order(
        defects: dict[str, AnalysisResult]) -> None:
    result = defects["clipping"]
    answer = offline_follow_up(result, "What should I fix FIRST?", "detailed")
    items = [i for i in offline_feedback(result) if i.issue_code]
    assert answer.index("1)") < answer.index("2)")
    first_title = load_advice().issues[items[0].issue_code or ""].title.detailed
    assert f"1) {first_title}" in answer
    assert items[0].suggestion in answer


@pytest.mark.parametrize(("question", "topic"), [
    ("how LOUD is it", "loudness"),
    ("whats the lowdness like", "loudness"),
    ("too much compresion?", "dynamics"),
    ("is the streo image wide enough", "stereo"),
    ("Does the 808 sit right?", "low_end"),
    ("is it muddy or harsh", "tonal"),
    ("what BPM", "tempo"),
    ("camelot key?", "key"),
    ("vs my refrence", "reference"),
    ("where do i start", "priorities"),
    ("is this ready for release", "readiness"),
    ("limiter ceiling for spotify", "true_peak"),
])
def test_question_topics_survive_casing_and_typos(question: str, topic: str) -> None:
    assert topic in question_topics(question)


def test_topic_detection_avoids_near_misses() -> None:
    assert question_topics("that phrase in the chorus") == []
    assert "tonal" not in question_topics("the first thing I noticed")


def test_an_unmatched_question_says_what_can_be_answered(clean_result: AnalysisResult) -> None:
    answer = offline_follow_up(clean_result, "tell me a joke", "detailed")
    assert "loudness" in answer and "tempo" in answer and "?" in answer
    assert "not a language model" in answer


@dataclass(frozen=True)
class Passage:
    doc_id: str
    title: str
    heading: str
    text: str


def test_a_passage_is_quoted_and_cited(defects: dict[str, AnalysisResult]) -> None:
    passages = [
        Passage("mixing/low-end.md", "Low end", "Mono bass", "Keep the bass mono below 120 Hz."),
        Passage("mastering/true-peak.md", "True peak", "Why limiters miss overs",
                "# True peak\nA sample-peak meter misses the peaks **between** samples. Use a "
                "true-peak limiter with 4x oversampling and a ceiling of -1 dBTP."),
    ]
    answer = offline_follow_up(defects["true_peak_over"], "what limiter ceiling should I use?",
                               "detailed", passages)
    assert "(see: True peak › Why limiters miss overs)" in answer
    assert "4x oversampling and a ceiling of -1 dBTP" in answer
    assert "**" not in answer


def test_hostile_questions_are_treated_as_text(clean_result: AnalysisResult) -> None:
    junk = ("<script>alert(1)</script>\x00\x1b[31m{integrated}{{}} " * 1500) + " how loud?"
    assert len(junk) > 50_000
    answer = offline_follow_up(clean_result, junk, "detailed")
    assert "<script>" not in answer and "\x00" not in answer and "\x1b" not in answer
    assert len(answer) < 4000
    assert answer == offline_follow_up(clean_result, junk, "detailed")
    marked = offline_follow_up(clean_result, "<b>how LOUD</b>\x07 is {it}?", "simple")
    assert f"{clean_result.loudness.integrated_lufs:.1f} LUFS" in marked
    assert offline_follow_up(clean_result, "\x00\x01\x02", "pro")  # nothing to match: help
    passage = Passage("x", "T\x00itle", "H<i>ead</i>", "\x1b" * 10_000 + "Loud is fine. " * 50)
    answer = offline_follow_up(clean_result, "loud?", "detailed", [passage])
    assert "\x1b" not in answer and len(answer) < 4000


def test_suggested_questions_favour_the_issues_and_are_answerable() -> None:
    questions = suggested_questions("master", "Techno (Electronic)", "detailed",
                                    ["true_peak_over", "too_loud", "true_peak_over"])
    assert offline.MIN_QUESTIONS <= len(questions) <= offline.MAX_QUESTIONS
    book = load_advice()
    assert questions[:2] == [book.questions.issues["true_peak_over"].detailed,
                             book.questions.issues["too_loud"].detailed]
    for context in CONTEXTS:
        for profile in PROFILES:
            for codes in ([], list(ISSUE_CODES)):
                asked = suggested_questions(context, "Pop", profile, codes)
                assert 4 <= len(asked) <= 6 and len(set(asked)) == len(asked)
                for question in asked:
                    assert "{" not in question
                    assert question_topics(question), question
    assert any("Pop" in q for c in CONTEXTS for q in suggested_questions(c, "Pop", "pro", []))


# --------------------------------------------------------------------------- summary


def test_a_summary_keeps_the_questions_and_their_figures(defects: dict[str, AnalysisResult]
                                                         ) -> None:
    result = defects["too_loud"]
    questions = ["How loud is it?", "What about the true peak?", "What should I fix first?"]
    turns: list[ChatTurn] = []
    for question in questions:
        turns += [ChatTurn(role="user", content=question),
                  ChatTurn(role="assistant",
                           content=offline_follow_up(result, question, "detailed"))]
    summary = offline_summary(turns)
    assert len(summary) <= SUMMARY_MAX_CHARS
    for question in questions:
        assert question in summary
    assert f"{result.loudness.integrated_lufs:.1f} LUFS" in summary
    folded = offline_summary([ChatTurn(role="summary", content=summary), *turns[:2]])
    assert "Earlier:" in folded and "How loud is it?" in folded
    assert len(folded) <= SUMMARY_MAX_CHARS
    assert offline_summary([]) == "No follow-up questions yet."


def test_a_long_or_hostile_thread_stays_bounded() -> None:
    turns = []
    for n in range(40):
        turns += [ChatTurn(role="user", content=f"Question {n}\x00 " + "why? " * 400),
                  ChatTurn(role="assistant", content="Loudness: -9.5 LUFS. " * 300)]
    summary = offline_summary([ChatTurn(role="summary", content="x" * 10_000), *turns])
    assert len(summary) <= SUMMARY_MAX_CHARS
    assert "\x00" not in summary
    assert "Question 39" in summary  # the latest questions are kept


# --------------------------------------------------------------------------- album


@pytest.fixture(scope="module")
def album_tracks() -> list[AnalysisResult]:
    return [analysed(clean_mixdown(6.0, seed=seed)) for seed in (0, 1)]


def test_the_album_narrative_names_the_loud_track_and_the_amount(
        album_tracks: list[AnalysisResult]) -> None:
    loud = analysed(at_loudness(clean_mixdown(6.0, seed=2), -14.0))
    cohesion = cohesion_summary([("Track 1", album_tracks[0]), ("Track 2", album_tracks[1]),
                                 ("Track 3", loud)])
    offset = (loud.loudness.integrated_lufs or 0.0) - (cohesion.loudness.median or 0.0)
    items = offline_album_narrative(cohesion, "detailed")
    named = [i for i in items if i.insight.startswith("Track 3")]
    assert len(named) == 1
    assert f"{offset:.1f} LU louder than the album median" in named[0].insight
    assert f"Lower Track 3's limiter input by about {offset:.1f} dB" in named[0].suggestion
    consistent = items[0]
    assert consistent.insight.startswith("Consistent") and "dynamics" in consistent.insight
    for profile in PROFILES:
        text = text_of(offline_album_narrative(cohesion, profile))
        assert "Track 3" in text and f"{offset:.1f}" in text and "{" not in text


def test_the_album_narrative_names_the_tonal_outlier(album_tracks: list[AnalysisResult]
                                                      ) -> None:
    boosted = analysed(at_loudness(equalised(clean_mixdown(6.0, seed=2), 50.0, 140.0, 5.0),
                                  -18.0))
    cohesion = cohesion_summary([("Intro", album_tracks[0]), ("Bassy", boosted),
                                 ("Outro", album_tracks[1])])
    assert cohesion.tonal is not None and cohesion.tonal.outlier_region_delta_db is not None
    item = next(i for i in offline_album_narrative(cohesion) if i.insight.startswith("Bassy"))
    assert f"{cohesion.tonal.outlier_region_delta_db:.1f} dB more low end" in item.insight
    assert "Cut about" in item.suggestion and "Bassy" in item.suggestion


def test_key_transitions_suggest_a_pitch_shift_or_a_bridge(
        album_tracks: list[AnalysisResult]) -> None:
    base = cohesion_summary([("A", album_tracks[0]), ("B", album_tracks[1])])
    clash = base.model_copy(update={"key_transitions": [
        KeyTransition(from_track="A", to_track="B", from_camelot="8A", to_camelot="10A",
                      compatible=False)]})
    text = text_of(offline_album_narrative(clash))
    assert "A (8A) into B (10A)" in text and "pitch B down 2 semitones (to 8A)" in text
    far = base.model_copy(update={"key_transitions": [
        KeyTransition(from_track="A", to_track="B", from_camelot="9A", to_camelot="3B",
                      compatible=False)]})
    assert "bridging track" in text_of(offline_album_narrative(far))
    smooth = base.model_copy(update={"key_transitions": [
        KeyTransition(from_track="A", to_track="B", from_camelot="8A", to_camelot="9A",
                      compatible=True)]})
    assert "A (8A) → B (9A)" in text_of(offline_album_narrative(smooth))


def test_a_single_track_album_has_nothing_to_compare(album_tracks: list[AnalysisResult]
                                                     ) -> None:
    single: CohesionSummary = cohesion_summary([("Only\x00 one", album_tracks[0])])
    items = offline_album_narrative(single, "simple")
    assert len(items) == 1 and "nothing to compare" in items[0].insight
