"""The whole analysis: every section filled, consistent with the modules, stable JSON,
surround files, low sample rates, and the result survives a JSON round trip."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mixes import RATE, clean_mixdown
from tests.music import render_drums
from tests.signals import sine
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
