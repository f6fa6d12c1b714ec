"""Follow-up answers that answer the question, on real analyses of synthesized tracks with
planted facts: the channel that carries a DC offset or clips, the m:ss times of clipping,
the low-mid deviation behind "muddy", the band levels at a time with a bass drop-out,
"which instrument" declined with what is measured, tempo with its alternatives and key
with its runner-up, an unrelated question declined without a citation, and the same facts
in the prompt a language model gets. Each check is a fact of the track, not a keyword."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.llm_server import API_KEY, LLMServer
from tests.mixes import RATE, analysed, clean_mixdown, equalised
from tests.music import render_song
from zz_core.advise.answers import Source
from zz_core.advise.assistant import Assistant
from zz_core.advise.feedback import ChatTurn
from zz_core.advise.offline import offline_follow_up, offline_summary
from zz_core.advise.offline.facts import facts_block, read_facts
from zz_core.advise.offline.moments import Moment, moments, parse_times
from zz_core.advise.offline.passages import relevant_passages
from zz_core.advise.providers import ProviderConfig
from zz_core.fmt import clock, figure
from zz_core.judge.models import AnalysisResult
from zz_core.judge.regions import region

SECONDS = 8.0
CLIP_TIMES_S = (1.0, 3.5, 6.0)
DROP_S = (62.0, 68.0)  # the bass drops out here, around 1:05


TEMPO_PASSAGE = Source(document="tutorials/tempo.md", title="Tempo, key and the Camelot wheel",
                       heading="Tempo ranges and half-time", score=0.6,
                       text="Techno sits at 125-140 BPM and drum and bass at 160-180 BPM; a "
                            "tempo can be counted at half or double time.")
LOW_END_PASSAGE = Source(document="tutorials/sub.md", title="Sub bass and mono compatibility",
                         heading="Keeping the low end solid", score=0.6,
                         text="Keep the bass and kick mono below about 120 Hz so the low "
                              "end stays solid on club systems and phones.")


def _clipped(audio: np.ndarray, channels: tuple[int, ...] = (0, 1)) -> np.ndarray:
    out = audio.copy()
    for start in CLIP_TIMES_S:
        a, b = int(start * RATE), int(start * RATE) + 2400
        for channel in channels:
            out[channel, a:b] = np.clip(out[channel, a:b] * 40.0, -1.0, 1.0)
    return out


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return clean_mixdown(SECONDS)


@pytest.fixture(scope="module")
def clean_result(clean: np.ndarray) -> AnalysisResult:
    return analysed(clean)


@pytest.fixture(scope="module")
def dc_left(clean: np.ndarray) -> AnalysisResult:
    out = clean.copy()
    out[0] += 0.02  # -34 dBFS of DC on the left channel only
    return analysed(out)


@pytest.fixture(scope="module")
def clipped(clean: np.ndarray) -> AnalysisResult:
    return analysed(_clipped(clean))


@pytest.fixture(scope="module")
def clipped_right(clean: np.ndarray) -> AnalysisResult:
    return analysed(_clipped(clean, channels=(1,)))


@pytest.fixture(scope="module")
def muddy(clean: np.ndarray) -> AnalysisResult:
    return analysed(equalised(clean, 200, 550, 8.0))


@pytest.fixture(scope="module")
def dropout() -> AnalysisResult:
    """75 s of mix whose low end (below 250 Hz) is gone from 1:02 to 1:08."""
    mix = clean_mixdown(75.0, seed=4)
    no_bass = equalised(mix, 0.0, 250.0, -60.0)
    a, b = (int(t * RATE) for t in DROP_S)
    mix[:, a:b] = no_bass[:, a:b]
    return analysed(mix)


@pytest.fixture(scope="module")
def song() -> AnalysisResult:
    samples = render_song("A", "minor", ("i", "VI", "III", "VII"), seconds=8.0, bpm=100.0,
                          rate=22050, drums=True)
    return analysed(samples, "master", rate=22050)


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(("question", "seconds"), [
    ("which instrument is the low end at 3:13", [193.0]),
    ("what happens at 1m20?", [80.0]),
    ("what about 1 min 20 s", [80.0]),
    ("is there a drop at 80 s", [80.0]),
    ("what's going on at 80s", [80.0]),
    ("at 1:02:03.5 it clicks", [3723.5]),
    ("around 2 minutes in", [120.0]),
    ("the 80s snare sounds thin", []),
    ("cut 3 dB at 250 Hz", []),
])
def test_times_in_a_question_are_read(question: str, seconds: list[float]) -> None:
    assert [t for t, _, _ in parse_times(question)] == seconds


def test_two_joined_times_are_a_span() -> None:
    assert moments("what is between 1:00 and 1:30?") == [Moment(60.0, 90.0)]
    assert moments("from 0:10 to 0:20") == [Moment(10.0, 20.0)]
    assert moments("at 0:10, and later at 0:40") == [Moment(10.0), Moment(40.0)]


# --------------------------------------------------------------------------- channels


def test_dc_offset_on_one_channel_names_it_and_its_level(dc_left: AnalysisResult) -> None:
    left, right = dc_left.channel_peaks
    assert left.dc_offset_dbfs is not None and left.dc_offset_dbfs > -40
    assert right.dc_offset_dbfs is None or right.dc_offset_dbfs < -60
    answer = offline_follow_up(dc_left, "Is the DC offset on both channels or just one?")
    first = answer.split("\n\n")[0]  # the answer comes first, the advice after
    assert "Only the left channel carries DC offset" in first
    assert f"left {figure(left.dc_offset_dbfs, 'dBFS', 0)}, right none" in first
    assert "Both channels" not in first


def test_clipping_is_listed_at_its_times(clipped: AnalysisResult) -> None:
    answer = offline_follow_up(clipped, "Where does it clip?")
    first = answer.split("\n\n")[0]
    for start in CLIP_TIMES_S:
        assert clock(start) in first, (clock(start), first)
    assert "3 stretches" in first and "both channels" in first


def test_clipping_on_one_channel_names_that_channel(clipped_right: AnalysisResult) -> None:
    left, right = clipped_right.channel_peaks
    assert left.clipped_runs == 0 and right.clipped_runs > 0
    answer = offline_follow_up(clipped_right, "which channel clips, left or right?")
    assert "the right channel only" in answer
    assert f"right {right.clipped_runs}" in answer


def test_balance_question_names_the_louder_channel(clean: np.ndarray) -> None:
    quieter_right = clean.copy()
    quieter_right[1] *= 10 ** (-4.0 / 20)
    result = analysed(quieter_right)
    answer = offline_follow_up(result, "is one side louder than the other?")
    assert f"The left channel is {figure(abs(result.stereo.balance_db or 0), 'dB')} louder" \
        in answer


# --------------------------------------------------------------------------- tone


def test_muddy_states_the_low_mid_deviation(muddy: AnalysisResult,
                                           clean_result: AnalysisResult) -> None:
    balance = muddy.spectrum.tonal_balance
    assert balance is not None
    deviations = dict(zip(balance.octave_centres_hz, balance.deviation_db, strict=True))
    low_mids = region("low_mids")
    deviation = low_mids.deviation(deviations)
    assert deviation is not None and deviation > 5.0
    answer = offline_follow_up(muddy, "is it muddy?")
    first = answer.split("\n\n")[0]
    assert "250-500 Hz" in first and figure(deviation, "dB", sign=True) in first
    assert "yes, by the measurement" in first
    clean_answer = offline_follow_up(clean_result, "is it muddy?").split("\n\n")[0]
    assert "250-500 Hz" in clean_answer and "not muddy" in clean_answer


# --------------------------------------------------------------------------- a moment


def _low_band_at(result: AnalysisResult, start: float, end: float) -> float:
    bands = result.series.bands
    assert bands is not None
    values = [v for i, v in enumerate(bands.bands["low"])
              if v is not None and start <= bands.start_s + (i + 0.5) * bands.hop_s <= end]
    return float(np.mean(values))


def test_a_time_gets_the_band_levels_there(dropout: AnalysisResult) -> None:
    answer = offline_follow_up(dropout, "what is at 1:05?")
    assert "1:05.0" in answer
    match = re.search(r"Low 60-250 Hz (-?\d+\.\d) dBFS \(([-+]\d+\.\d) dB\)", answer)
    assert match, answer
    level, change = float(match.group(1)), float(match.group(2))
    assert level == pytest.approx(_low_band_at(dropout, 64.4, 65.6), abs=0.06)
    assert change < -20.0  # the bass has dropped out
    assert re.search(r"Low 60-250 Hz[^.]* drop out", answer)
    elsewhere = offline_follow_up(dropout, "what is at 0:30?")
    assert "drop out" not in elsewhere


def test_a_span_locates_the_drop_out_inside_it(dropout: AnalysisResult) -> None:
    answer = offline_follow_up(dropout, "what's happening between 1:00 and 1:10?")
    assert "over 1:00.0-1:10.0" in answer
    where = re.search(r"Low 60-250 Hz \((\d):(\d\d\.\d)-(\d):(\d\d\.\d)\)", answer)
    assert where, answer
    start = int(where.group(1)) * 60 + float(where.group(2))
    end = int(where.group(3)) * 60 + float(where.group(4))
    assert DROP_S[0] - 1.1 <= start <= DROP_S[0] + 1.1 and DROP_S[1] - 1.1 <= end <= DROP_S[1] + 1.1


def test_which_instrument_is_declined_with_what_is_measured(dropout: AnalysisResult) -> None:
    passages = [TEMPO_PASSAGE, LOW_END_PASSAGE]
    answer = offline_follow_up(dropout, "which instrument is the low end at 1:05?",
                               passages=passages)
    first = answer.split("\n\n")[0]
    assert "cannot say which instrument" in first
    assert "Low 60-250 Hz" in first and "1:05.0" in first
    assert "Air 8-20 kHz" not in first  # a question on the low end gets the low bands
    assert "Tempo, key and the Camelot wheel" not in answer  # not about the question
    assert "(see: Sub bass and mono compatibility › Keeping the low end solid)" in answer
    facts = read_facts(dropout, "which instrument is the low end at 1:05?")
    assert facts.declined


def test_a_time_past_the_end_says_so(clean_result: AnalysisResult) -> None:
    answer = offline_follow_up(clean_result, "what happens at 3:13?")
    assert "0:08 long" in answer and "past its end" in answer


# --------------------------------------------------------------------------- tempo, key


def test_tempo_and_key_with_alternatives_and_runner_up(song: AnalysisResult) -> None:
    assert song.tempo.bpm is not None and song.key.label and song.key.second_label
    answer = offline_follow_up(song, "what tempo and key is it?")
    first = answer.split("\n\n")[0]
    assert f"Tempo {figure(song.tempo.bpm, 'BPM')}" in first
    for other in song.tempo.alternatives_bpm:
        if abs(other - song.tempo.bpm) > 0.5:
            assert figure(other, "BPM") in first
            break
    assert f"Key {song.key.label}" in first and f"runner-up {song.key.second_label}" in first


def test_named_figures_are_answered(muddy: AnalysisResult) -> None:
    loud = muddy.loudness
    answer = offline_follow_up(muddy, "what's my PSR and LRA?").split("\n\n")[0]
    assert f"PSR {figure(loud.psr_db, 'dB')}" in answer
    assert f"Loudness range (LRA) {figure(loud.lra_lu, 'LU')}" in answer
    answer = offline_follow_up(muddy, "true peak?").split("\n\n")[0]
    assert f"True peak {figure(loud.true_peak_dbtp, 'dBTP', sign=True)}" in answer


# --------------------------------------------------------------------------- declining, citing


def test_an_unrelated_question_is_declined_without_a_citation(
        clean_result: AnalysisResult) -> None:
    answer = offline_follow_up(clean_result, "tell me a joke about drummers",
                               passages=[TEMPO_PASSAGE, LOW_END_PASSAGE])
    assert "(see:" not in answer and "knowledge base" not in answer
    assert "answers from the track's measurements" in answer
    assert read_facts(clean_result, "tell me a joke").sentences == []


def test_only_passages_about_the_question_are_cited() -> None:
    assert relevant_passages(["low_end"], [TEMPO_PASSAGE, LOW_END_PASSAGE]) == [LOW_END_PASSAGE]
    assert relevant_passages(["tempo"], [TEMPO_PASSAGE, LOW_END_PASSAGE]) == [TEMPO_PASSAGE]
    assert relevant_passages([], [TEMPO_PASSAGE, LOW_END_PASSAGE]) == []


def test_the_summary_keeps_the_facts(dc_left: AnalysisResult) -> None:
    question = "Is the DC offset on both channels or just one?"
    turns = [ChatTurn(role="user", content=question),
             ChatTurn(role="assistant", content=offline_follow_up(dc_left, question))]
    assert "Only the left channel carries DC offset" in offline_summary(turns)


# --------------------------------------------------------------------------- a language model


def test_the_prompt_puts_the_facts_in_front_of_the_model(dc_left: AnalysisResult,
                                                         llm_server: LLMServer) -> None:
    question = "Is the DC offset on both channels or just one?"
    block = facts_block(dc_left, question)
    assert block.startswith("MEASURED FACTS") and "Only the left channel" in block
    assert facts_block(dc_left, "tell me a joke") == ""
    llm_server.answer("Only the left channel carries it.")
    model = Assistant(ProviderConfig(provider="compatible", model="gpt-4o-mini",
                                     api_key=API_KEY, base_url=llm_server.base_url,
                                     timeout_s=5, max_retries=0))
    reply = model.follow_up(dc_left, "detailed", [], question).complete()
    assert reply.text == "Only the left channel carries it."
    system = llm_server.requests[-1]["messages"][0]["content"]
    assert "Only the left channel carries DC offset" in system
