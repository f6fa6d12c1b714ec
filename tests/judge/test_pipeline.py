"""The whole analysis: every section filled, consistent with the modules, stable JSON,
surround files, low sample rates, and the result survives a JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.mixes import RATE, clean_mixdown
from tests.music import render_drums
from tests.signals import sine
from zz_core.judge import judging
from zz_core.judge.models import AnalysisOptions, AnalysisResult
from zz_core.judge.pipeline import analyze_audio, waveform_envelope
from zz_core.measure.decoding import Audio


def _audio(samples: np.ndarray, rate: int = RATE) -> Audio:
    return Audio(samples=np.ascontiguousarray(samples, dtype=np.float32), sample_rate_hz=rate,
                 source_format="test")


@pytest.fixture(scope="module")
def result() -> AnalysisResult:
    mix = clean_mixdown(20.0)
    drums = render_drums(124.0, 20.0, rate=RATE).audio
    audio = mix + drums[:, : mix.shape[1]]
    return analyze_audio(_audio(audio), AnalysisOptions(context="mastering", genre="electronic",
                                                        subgenre="house"), file_name="t.wav")


def test_every_section_is_filled(result: AnalysisResult) -> None:
    assert result.duration_s == pytest.approx(20.0)
    assert result.genre.subgenre_label == "House" and result.genre.subgenre_known
    assert result.loudness.integrated_lufs is not None
    assert result.tempo.bpm == pytest.approx(124.0, rel=0.04)
    assert len(result.bands) == 7
    assert {p.platform for p in result.platforms} >= {"Spotify", "Apple Music", "YouTube",
                                                      "Tidal", "Amazon Music", "Deezer"}
    assert result.series.momentary_lufs.values
    assert len(result.series.waveform.maximum) <= 2000


def test_json_round_trip(result: AnalysisResult) -> None:
    assert AnalysisResult.model_validate_json(result.model_dump_json()) == result


def test_platform_gain_follows_the_measured_loudness(result: AnalysisResult) -> None:
    spotify = next(p for p in result.platforms if p.platform == "Spotify")
    lufs = result.loudness.integrated_lufs
    assert lufs is not None
    if lufs > -14:
        assert spotify.gain_db == pytest.approx(-14 - lufs, abs=0.01)


def test_surround_file_uses_front_pair_for_stereo() -> None:
    six = np.vstack([sine(-20, 10.0, channels=1)[0]] * 6)
    result = analyze_audio(_audio(six))
    assert result.channels == 6
    assert result.stereo.source.startswith("front pair")


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 96000, 192000])
def test_any_rate_from_8k_to_192k(rate: int) -> None:
    result = analyze_audio(_audio(sine(-23.0, 10.0, rate=rate, freq_hz=1000.0), rate))
    assert result.loudness.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert [b.name for b in result.bands][-1] == ("air" if rate > 16000 else "high_mid")


def test_mono_file() -> None:
    result = analyze_audio(_audio(sine(-20.0, 5.0, channels=1)))
    assert result.channels == 1
    assert result.stereo.source == "mono"


def test_waveform_envelope_keeps_the_extremes() -> None:
    x = np.zeros((2, 100_000), dtype=np.float32)
    x[0, 12345] = 0.9
    x[1, 54321] = -0.7
    envelope = waveform_envelope(x, 1000, points=100)
    assert max(envelope.maximum) == pytest.approx(0.9)
    assert min(envelope.minimum) == pytest.approx(-0.7)


def test_the_facts_a_question_needs_are_stored() -> None:
    mix = clean_mixdown(8.0)
    mix[0] += 10 ** (-34 / 20)  # DC on the left
    mix[1, RATE:RATE + 3 * 480:3] = 1.3  # samples above full scale, as a lossy decode gives
    audio = Audio(samples=mix.astype(np.float32), sample_rate_hz=RATE, source_format="MP3",
                  decoded_overs=480, decoded_peak_dbfs=2.28, notes=("a note",))
    result = analyze_audio(audio, AnalysisOptions(context="master", genre="pop"))
    left, right = result.channel_peaks
    assert left.dc_offset_dbfs == pytest.approx(-34.0, abs=0.2) and right.overs == 480
    assert (result.decoding.overs, result.decoding.peak_dbfs) == (480, 2.28)
    assert result.decoding.notes == ["a note"]
    clipping = next(i for i in result.issues if i.code == "clipping")
    assert clipping.severity == "critical"
    assert "480 samples decode above full scale, peak +2.3 dBFS; players clip them" in (
        clipping.message)
    bands = result.series.bands
    assert bands is not None and 0.9 <= bands.hop_s <= 1.1
    assert bands.at(4.0)["mid"] is not None
    dc = next(i for i in result.issues if i.code == "dc_offset")
    assert "on the left channel" in dc.message


def test_a_result_of_the_old_schema_still_loads_and_is_judged(result: AnalysisResult) -> None:
    data = json.loads(result.model_dump_json())
    for key in ("verdicts", "channel_peaks", "decoding"):
        del data[key]
    del data["series"]["bands"]
    data["schema_version"] = 1
    old = AnalysisResult.model_validate(data)
    assert old.verdicts == [] and old.series.bands is None and old.decoding.overs == 0
    verdicts = {v.metric: v for v in judging.verdicts(old)}
    stored = {v.metric: v for v in result.verdicts}
    assert verdicts["peaks.clipping"].status == "unknown"  # no per-channel facts stored
    assert verdicts["loudness.integrated_lufs"] == stored["loudness.integrated_lufs"]
    assert verdicts["stereo.correlation"] == stored["stereo.correlation"]
