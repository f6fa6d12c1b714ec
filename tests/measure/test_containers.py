"""Real-world containers (``tests/measure/containers.py``): each one is analysed, with its
integrated loudness within 0.1 LU of libebur128 on the same decoded samples, or refused
with the sentence naming the real reason; from a path and from bytes alike.

The set: 29 variants analysed, 6 refused (over 3 h, 12 channels, cut WAV, cut FLAC, an MP4
without audio).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pyebur128
import pytest
import soundfile

from tests.measure import containers
from tests.measure.containers import ANALYSED, REFUSED, Variant
from zz_core.errors import AudioDecodeError
from zz_core.judge.pipeline import analyze_audio
from zz_core.measure.decoding import (
    Audio,
    check_sample,
    decode_bytes,
    ffmpeg_available,
    load_audio,
    probe,
    stream,
)

LOUDNESS_TOLERANCE_LU = 0.1

pytestmark = pytest.mark.skipif(not ffmpeg_available(), reason="ffmpeg is not installed")


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Variant]:
    built = containers.build(tmp_path_factory.mktemp("containers"))
    assert sorted(built) == sorted(ANALYSED + REFUSED)
    return built


def _libebur128_lufs(samples: np.ndarray, rate: int) -> float:
    state = pyebur128.R128State(samples.shape[0], rate, pyebur128.MeasurementMode.MODE_I)
    interleaved = np.ascontiguousarray(samples.T.astype(np.float64)).ravel()
    state.add_frames(interleaved, samples.shape[1])
    return float(pyebur128.get_loudness_global(state))


def _decode_both(variant: Variant) -> Audio:
    """Decoded from its path (CLI, batch) and from bytes (app uploads): the same audio."""
    audio = load_audio(variant.path)
    uploaded = decode_bytes(variant.path.read_bytes(), variant.path.name)
    np.testing.assert_array_equal(uploaded.samples, audio.samples)
    assert (uploaded.sample_rate_hz, uploaded.source_format, uploaded.decoded_overs) == (
        audio.sample_rate_hz, audio.source_format, audio.decoded_overs)
    return audio


@pytest.mark.parametrize("name", ANALYSED)
def test_analysed(variants: dict[str, Variant], name: str) -> None:
    variant = variants[name]
    info = probe(variant.path)
    assert (info.sample_rate_hz, info.channels) == (variant.rate, variant.channels)
    assert (info.decoder, info.length_exact) == (variant.decoder, variant.length_exact)
    audio = _decode_both(variant)
    assert audio.samples.dtype == np.float32 and audio.samples.flags.c_contiguous
    assert (audio.sample_rate_hz, audio.channels) == (variant.rate, variant.channels)
    assert audio.duration_s == pytest.approx(variant.seconds,
                                             abs=variant.seconds_tolerance + 1 / variant.rate)
    if variant.samples is not None:
        np.testing.assert_allclose(audio.samples, variant.samples, rtol=0, atol=variant.lsb)
    magnitude = np.abs(audio.samples)
    assert audio.decoded_overs == np.count_nonzero(magnitude > 1.0)
    assert audio.decoded_peak_dbfs == pytest.approx(20 * np.log10(magnitude.max()), abs=1e-4)
    assert audio.notes == ()
    result = analyze_audio(audio, file_name=variant.path.name)
    assert result.loudness.integrated_lufs == pytest.approx(
        _libebur128_lufs(audio.samples, audio.sample_rate_hz), abs=LOUDNESS_TOLERANCE_LU)


@pytest.mark.parametrize("name", REFUSED)
def test_refused(variants: dict[str, Variant], name: str) -> None:
    variant = variants[name]
    from_bytes = [] if variant.path.stat().st_size > 2**30 else [  # not 5 GB into memory
        lambda path: decode_bytes(path.read_bytes(), path.name)]
    for decode in (load_audio, *from_bytes):
        with pytest.raises(AudioDecodeError, match=variant.refusal) as caught:
            decode(variant.path)
        assert variant.path.name not in str(caught.value)


@pytest.mark.parametrize("name", ["rf64-over-4gb-header-only", "rf64-over-4gb-sparse",
                                  "wav-7.1.4", "wav-cut", "mp4-without-audio"])
def test_refused_from_the_header_alone(variants: dict[str, Variant], name: str) -> None:
    with pytest.raises(AudioDecodeError, match=variants[name].refusal):
        probe(variants[name].path)


@pytest.mark.parametrize("name", ["rf64-over-4gb-header-only", "rf64-over-4gb-sparse"])
def test_rf64_over_the_limit_is_refused_before_any_decoder_opens(
        variants: dict[str, Variant], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(*_: object, **__: object) -> None:
        raise AssertionError("the file was opened for decoding")

    monkeypatch.setattr(soundfile, "SoundFile", no_decoding)
    monkeypatch.setattr(stream, "FfmpegDecoder", no_decoding)
    with pytest.raises(AudioDecodeError, match=r"^the audio is longer than 3 h"):
        load_audio(variants[name].path)


def test_a_cut_flac_passes_the_header_probe_but_not_decoding(
        variants: dict[str, Variant]) -> None:
    path = variants["flac-cut"].path
    assert probe(path).length_exact
    with pytest.raises(AudioDecodeError, match=r"decoding failed after 1\.\d s of the 3\.0 s"):
        check_sample(path)


def test_fixtures_are_what_they_claim(variants: dict[str, Variant]) -> None:
    """The bytes really hold the features each variant is named after."""
    data = {name: variant.path.read_bytes() for name, variant in variants.items()
            if name != "rf64-over-4gb-sparse"}
    bwf = data["wav-bwf-ixml-list"]
    assert all(tag in bwf for tag in (b"bext", b"iXML", b"LIST", b"JUNK"))
    assert data["wavex-pcm24"][20:22] == b"\xfe\xff"  # WAVE_FORMAT_EXTENSIBLE
    assert data["rf64-pcm24"][:4] == b"RF64"
    assert data["aifc-sowt"][8:12] == b"AIFC" and b"sowt" in data["aifc-sowt"][:64]
    assert data["aifc-float"][8:12] == b"AIFC"
    assert b"\x89PNG" in data["flac-picture-long-tags"] and b"LYRICS=" in data[
        "flac-picture-long-tags"]
    art = data["mp3-id3v2-art"]
    assert art[:3] == b"ID3" and b"APIC" in art[:20_000] and len(art) > 200_000
    assert b"Info" in data["mp3-cbr-info"][:8192] and b"Xing" in data["mp3-vbr-xing"][:8192]
    for name in ("mp3-cbr-no-info", "mp3-vbr-no-xing"):
        assert not re.search(b"Xing|Info|VBRI", data[name][:8192])
    assert data["mp3-named-wav"] == data["mp3-vbr-xing"]
    assert data["ogg-vorbis-chained"].count(b"\x01vorbis") == 2
    assert data["m4a-alac"].count(b"alac") >= 1 and b"mp4a" in data["m4a-aac"]
    sparse = variants["rf64-over-4gb-sparse"].path.stat()
    assert sparse.st_size > 4 * 2**30 > sparse.st_blocks * 512


def test_the_float_master_keeps_its_overs(variants: dict[str, Variant]) -> None:
    audio = load_audio(variants["wav-float32-overs"].path)
    assert audio.decoded_overs > 1000
    assert audio.decoded_peak_dbfs is not None and audio.decoded_peak_dbfs > 6.0


def test_an_rf64_over_4_gb_within_3_h_is_probed_exactly(tmp_path: Path) -> None:
    """4.5 GiB of 192 kHz 8-channel float is 13 min: the 64-bit sizes are read, the
    length is exact and the start decodes (sparse file: it takes no disk space)."""
    data_bytes = 9 * 2**29
    path = containers.write_rf64(tmp_path / "big.wav", 192000, 8, 32, data_bytes,
                                 sparse=True, float_samples=True)
    info = probe(path)
    assert (info.container, info.codec, info.length_exact) == ("RF64", "FLOAT", True)
    assert info.frames == data_bytes // 32
    assert info.duration_s == pytest.approx(786.432)
    assert check_sample(path, seconds=0.5) == info


def test_the_reported_vorbis_file_goes_through_the_cli(variants: dict[str, Variant]) -> None:
    """As the new user tried it: ``analyze`` on the Ogg whose header overstates its length."""
    from zz_core.cli import main

    out, err = io.StringIO(), io.StringIO()
    path = variants["ogg-vorbis-inexact-length"].path
    assert main(["analyze", str(path), "--json"], stdout=out, stderr=err) == 0, err.getvalue()
    result = json.loads(out.getvalue())
    assert result["duration_s"] == pytest.approx(3.0, abs=0.02)
    assert result["source_format"] == "OGG Vorbis"
