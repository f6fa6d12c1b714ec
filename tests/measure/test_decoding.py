"""Decoding real files written with soundfile and ffmpeg: round trips and refusals."""

from __future__ import annotations

import dataclasses
import shutil
import struct
import subprocess
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from tests.measure.containers import edit_last_ogg_page
from zz_core.errors import AudioDecodeError, ZzError
from zz_core.measure.decoding import (
    MAX_CHANNELS,
    MAX_DURATION_S,
    MIN_DURATION_S,
    Audio,
    check_sample,
    decode_bytes,
    ffmpeg_available,
    iter_blocks,
    load_audio,
    probe,
)
from zz_core.measure.decoding import load as load_module
from zz_core.measure.peaks import true_peak_dbtp

Loader = Callable[[Path], Audio]


def _from_path(path: Path) -> Audio:
    return load_audio(path)


def _from_bytes(path: Path) -> Audio:
    return decode_bytes(path.read_bytes(), filename_hint=path.name)


BOTH = pytest.mark.parametrize("load", [_from_path, _from_bytes], ids=["path", "bytes"])


def _noise(channels: int, seconds: float, rate: int, seed: int = 1) -> np.ndarray:
    """Different noise on every channel, shape (channels, frames), peak below 0.9."""
    rng = np.random.default_rng(seed)
    frames = round(seconds * rate)
    return rng.uniform(-0.9, 0.9, (channels, frames)).astype(np.float32)


def _tones(channels: int, seconds: float, rate: int) -> np.ndarray:
    """One sine per channel (220 Hz, 330 Hz, ...) at 0.5 peak, shape (channels, frames)."""
    t = np.arange(round(seconds * rate)) / rate
    freqs = 220.0 * (1 + np.arange(channels) / 2)
    return (0.5 * np.sin(2 * np.pi * freqs[:, None] * t)).astype(np.float32)


def _write(path: Path, samples: np.ndarray, rate: int, subtype: str | None = None,
           fmt: str | None = None) -> Path:
    sf.write(path, samples.T, rate, subtype=subtype, format=fmt)
    return path


def _ffmpeg_command(source: Path, target: Path, args: list[str]) -> list[str]:
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), *args, str(target)]


def _rms_db(samples: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.mean(np.square(samples, dtype=np.float64), axis=-1))


def _assert_contract(audio: Audio, channels: int, rate: int) -> None:
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 2
    assert audio.samples.flags.c_contiguous
    assert audio.channels == channels == audio.samples.shape[0]
    assert audio.frames == audio.samples.shape[1]
    assert audio.sample_rate_hz == rate
    assert audio.duration_s == pytest.approx(audio.frames / rate)


# --- lossless round trips --------------------------------------------------------------

LOSSLESS = [
    ("wav", "PCM_U8", 1 / 128, "WAV PCM_U8"),
    ("wav", "PCM_16", 1 / 2**15, "WAV PCM_16"),
    ("wav", "PCM_24", 1 / 2**23, "WAV PCM_24"),
    ("wav", "PCM_32", 2**-24, "WAV PCM_32"),  # float32 holds 24 bits of the 32
    ("wav", "FLOAT", 0.0, "WAV FLOAT"),
    ("wav", "DOUBLE", 0.0, "WAV DOUBLE"),
    ("aiff", "PCM_16", 1 / 2**15, "AIFF PCM_16"),
    ("aiff", "PCM_24", 1 / 2**23, "AIFF PCM_24"),
    ("aiff", "FLOAT", 0.0, "AIFF FLOAT"),
    ("flac", "PCM_16", 1 / 2**15, "FLAC PCM_16"),
    ("flac", "PCM_24", 1 / 2**23, "FLAC PCM_24"),
]


@BOTH
@pytest.mark.parametrize(("ext", "subtype", "lsb", "described"), LOSSLESS)
def test_lossless_round_trip(tmp_path: Path, load: Loader, ext: str, subtype: str, lsb: float,
                             described: str) -> None:
    original = _noise(2, 1.2, 44100)
    audio = load(_write(tmp_path / f"x.{ext}", original, 44100, subtype))
    _assert_contract(audio, 2, 44100)
    assert audio.source_format == described
    np.testing.assert_allclose(audio.samples, original, rtol=0, atol=lsb)


@pytest.mark.parametrize("rate", [8000, 44100, 96000, 192000])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_rates_and_channel_counts_keep_channel_order(tmp_path: Path, rate: int,
                                                     channels: int) -> None:
    original = _noise(channels, 1.05, rate, seed=channels)
    for ext, subtype in (("wav", "PCM_24"), ("flac", "PCM_24")):
        audio = load_audio(_write(tmp_path / f"x.{ext}", original, rate, subtype))
        _assert_contract(audio, channels, rate)
        np.testing.assert_allclose(audio.samples, original, rtol=0, atol=1 / 2**23)


def test_eight_channels_is_the_maximum(tmp_path: Path) -> None:
    original = _noise(MAX_CHANNELS, 1.0, 8000)
    audio = load_audio(_write(tmp_path / "x.wav", original, 8000, "FLOAT"))
    np.testing.assert_array_equal(audio.samples, original)


def test_float_wav_keeps_overs_and_silence_is_not_an_error(tmp_path: Path) -> None:
    loud = np.full((2, 48000), 1.5, dtype=np.float32)
    assert load_audio(_write(tmp_path / "over.wav", loud, 48000, "FLOAT")).samples.max() == 1.5
    silent = np.zeros((2, 48000), dtype=np.float32)
    assert not load_audio(_write(tmp_path / "silent.wav", silent, 48000)).samples.any()


def test_audio_is_frozen(tmp_path: Path) -> None:
    audio = load_audio(_write(tmp_path / "x.wav", _noise(1, 1.0, 8000), 8000))
    with pytest.raises(dataclasses.FrozenInstanceError):
        audio.sample_rate_hz = 1  # type: ignore[misc]


@pytest.mark.parametrize("from_bytes", [False, True])
def test_peak_memory_is_about_the_final_array(tmp_path: Path, from_bytes: bool) -> None:
    path = _write(tmp_path / "long.wav", _noise(2, 30.0, 48000), 48000, "PCM_24")
    data = path.read_bytes() if from_bytes else b""
    tracemalloc.start()
    try:
        audio = decode_bytes(data) if from_bytes else load_audio(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One decode block (2**18 frames) of scratch space on top of the result, whatever the length.
    assert peak - audio.samples.nbytes < 4 * 2**20


# --- lossy round trips -----------------------------------------------------------------


@BOTH
@pytest.mark.parametrize(("fmt", "subtype", "ext", "described", "rate", "channels"), [
    ("MP3", "MPEG_LAYER_III", "mp3", "MP3", 44100, 2),
    ("MP3", "MPEG_LAYER_III", "mp3", "MP3", 48000, 1),
    ("OGG", "VORBIS", "ogg", "OGG Vorbis", 44100, 2),
    ("OGG", "VORBIS", "ogg", "OGG Vorbis", 48000, 1),
    ("OGG", "VORBIS", "ogg", "OGG Vorbis", 48000, 4),
])
def test_lossy_round_trip(tmp_path: Path, load: Loader, fmt: str, subtype: str, ext: str,
                          described: str, rate: int, channels: int) -> None:
    original = _tones(channels, 1.5, rate)
    audio = load(_write(tmp_path / f"x.{ext}", original, rate, subtype, fmt))
    _assert_contract(audio, channels, rate)
    assert audio.source_format == described
    _assert_close_enough(audio, original)


def _assert_close_enough(audio: Audio, original: np.ndarray) -> None:
    """Lossy codecs: same length within a codec block, same level, same tone per channel."""
    assert abs(audio.frames - original.shape[1]) <= 2048
    np.testing.assert_allclose(_rms_db(audio.samples), _rms_db(original), atol=0.5)
    frames = min(audio.frames, original.shape[1])
    peaks = np.abs(np.fft.rfft(audio.samples[:, :frames], axis=1)).argmax(axis=1)
    expected = np.abs(np.fft.rfft(original[:, :frames], axis=1)).argmax(axis=1)
    np.testing.assert_array_equal(peaks, expected)


FFMPEG_CASES = {
    # name: (codec arguments, rate, channels, source_format)
    "x.m4a": (["-c:a", "aac", "-b:a", "192k"], 44100, 2, "M4A via ffmpeg"),
    "x6.m4a": (["-c:a", "aac", "-b:a", "384k"], 48000, 6, "M4A via ffmpeg"),
    "x.opus": (["-c:a", "libopus", "-b:a", "128k"], 48000, 2, "Opus via ffmpeg"),
    "x6.opus": (["-c:a", "libopus", "-b:a", "256k"], 48000, 6, "Opus via ffmpeg"),
    "x.webm": (["-c:a", "libopus"], 48000, 1, "WebM via ffmpeg"),
    # VBR without a Xing header: libsndfile alone would stop at its length estimate
    "x.mp3": (["-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"], 44100, 2,
              "MP3 via ffmpeg"),
    # a WAV container holding AC-3, which libsndfile refuses
    "ac3.wav": (["-c:a", "ac3"], 48000, 2, "WAV via ffmpeg"),
}


def _source_tones(channels: int, rate: int) -> np.ndarray:
    """Low tones (60 Hz, 70 Hz, ...) so that an encoder's band-limited LFE keeps them."""
    t = np.arange(round(1.2 * rate)) / rate
    freqs = 60.0 + 10.0 * np.arange(channels)
    return (0.5 * np.sin(2 * np.pi * freqs[:, None] * t)).astype(np.float32)


@pytest.fixture(scope="module")
def ffmpeg_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every ffmpeg-encoded file the tests need, encoded once."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    folder = tmp_path_factory.mktemp("ffmpeg")
    jobs: list[tuple[Path, Path, list[str]]] = []
    for name, (codec, rate, channels, _) in FFMPEG_CASES.items():
        wav = _write(folder / f"{name}.wav", _source_tones(channels, rate), rate)
        jobs.append((wav, folder / name, codec))
    wav = _write(folder / "long.wav", _tones(2, 3.0, 44100), 44100)
    jobs.append((wav, folder / "cut.m4a", ["-c:a", "aac"]))
    jobs.append((wav, folder / "cut-faststart.m4a", ["-c:a", "aac", "-movflags", "+faststart"]))
    running = [subprocess.Popen(_ffmpeg_command(*job)) for job in jobs]  # encode in parallel
    assert [process.wait(timeout=60) for process in running] == [0] * len(jobs)
    for name in ("cut.m4a", "cut-faststart.m4a"):
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])
    return folder


@pytest.mark.parametrize("name", list(FFMPEG_CASES))
def test_ffmpeg_round_trip(ffmpeg_dir: Path, name: str) -> None:
    _, rate, channels, described = FFMPEG_CASES[name]
    for load in (_from_path, _from_bytes) if name in ("x6.m4a", "x.opus") else (_from_path,):
        audio = load(ffmpeg_dir / name)
        _assert_contract(audio, channels, rate)
        assert audio.source_format == described
        _assert_close_enough(audio, _source_tones(channels, rate))


def test_missing_ffmpeg_is_named(ffmpeg_dir: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not ffmpeg_available()
    with pytest.raises(AudioDecodeError) as caught:
        load_audio(ffmpeg_dir / "x.m4a")
    assert str(caught.value) == (
        "M4A/AAC needs ffmpeg, which is not installed (apt-get install ffmpeg)")
    with pytest.raises(AudioDecodeError, match=r"^M4A/AAC needs ffmpeg"):
        decode_bytes((ffmpeg_dir / "x.m4a").read_bytes(), "upload.m4a")
    with pytest.raises(AudioDecodeError, match=r"^WebM/Matroska audio needs ffmpeg"):
        load_audio(ffmpeg_dir / "x.webm")
    with pytest.raises(AudioDecodeError) as caught:
        load_audio(ffmpeg_dir / "ac3.wav")
    assert str(caught.value) == ("the WAV file is damaged or uses an encoding we cannot read "
                                 "without ffmpeg (apt-get install ffmpeg)")
    assert load_audio(ffmpeg_dir / "x.opus").source_format == "OGG Opus"  # libsndfile reads it


def test_filename_hint_is_never_a_path(ffmpeg_dir: Path) -> None:
    data = (ffmpeg_dir / "x.m4a").read_bytes()
    audio = decode_bytes(data, filename_hint="../../etc/passwd; rm -rf ~/ .m4a")
    assert audio.source_format == "M4A via ffmpeg"


@pytest.mark.parametrize("name", ["cut.m4a", "cut-faststart.m4a"])
def test_truncated_m4a(ffmpeg_dir: Path, name: str) -> None:
    for load in (_from_path, _from_bytes):
        _expect(load, ffmpeg_dir / name, r"^the file is truncated or corrupt \(ffmpeg: .+\)$")


def test_unrecognised_bytes_hinted_as_m4a_name_ffmpeg_when_it_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AudioDecodeError, match=r"^M4A/AAC needs ffmpeg"):
        decode_bytes(b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00" + bytes(64))
    with pytest.raises(AudioDecodeError, match=r"^M4A/AAC needs ffmpeg"):
        decode_bytes(bytes(range(256)) * 4, filename_hint="song.m4a")


# --- refusals --------------------------------------------------------------------------


def _expect(load: Loader, path: Path, pattern: str | None = None) -> str:
    with pytest.raises(AudioDecodeError, match=pattern) as caught:
        load(path)
    message = str(caught.value)
    assert "Traceback" not in message and "\n" not in message
    assert str(path) not in message and path.name not in message
    return message


@BOTH
def test_empty_file(tmp_path: Path, load: Loader) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"")
    assert _expect(load, path) == "the file is empty"


@BOTH
@pytest.mark.parametrize("name", ["x.wav", "x.flac", "x.mp3", "upload"])
def test_random_bytes(tmp_path: Path, load: Loader, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(7).integers(1, 255, 20000, dtype=np.uint8).tobytes())
    _expect(load, path, r"^this is not an audio file \(or not a format we can read\)$")


@BOTH
def test_text_renamed_wav(tmp_path: Path, load: Loader) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("verse, chorus, verse, bridge\n" * 200)
    _expect(load, path, r"^this is not an audio file")


@BOTH
@pytest.mark.parametrize(("fmt", "subtype"), [("WAV", "PCM_24"), ("WAV", "FLOAT"),
                                              ("RF64", "PCM_16"), ("AIFF", "PCM_16")])
def test_truncated_wav_and_aiff(tmp_path: Path, load: Loader, fmt: str, subtype: str) -> None:
    path = _write(tmp_path / "x.audio", _noise(2, 4.0, 48000), 48000, subtype, fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    message = _expect(load, path, r"^the file is truncated: its header announces ")
    assert message.startswith("the file is truncated: its header announces 4.0 s but only 2.0 s")


def _streamed_flac(tmp_path: Path) -> Path:
    """A FLAC whose STREAMINFO leaves the length open (total samples 0), as stream encoders
    write it."""
    path = _write(tmp_path / "stream.flac", _tones(2, 2.0, 44100), 44100, "PCM_16")
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC"
    (packed,) = struct.unpack(">Q", data[18:26])  # rate, channels, bits, 36-bit total samples
    data[18:26] = struct.pack(">Q", packed & ~(2**36 - 1))
    path.write_bytes(bytes(data))
    return path


def test_flac_without_a_length(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _streamed_flac(tmp_path)
    if ffmpeg_available():
        audio = load_audio(path)
        assert audio.source_format == "FLAC via ffmpeg"
        np.testing.assert_allclose(audio.samples, _tones(2, 2.0, 44100), rtol=0, atol=2**-15)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AudioDecodeError, match=r"^the file does not state its length .* needs "
                                               r"ffmpeg, which is not installed"):
        decode_bytes(path.read_bytes())


@BOTH
def test_wav_cut_just_after_its_header(tmp_path: Path, load: Loader) -> None:
    path = _write(tmp_path / "x.wav", _noise(2, 2.0, 48000), 48000)
    path.write_bytes(path.read_bytes()[:46])
    _expect(load, path, r"^the file is truncated: its header announces audio but none")


@BOTH
@pytest.mark.parametrize(("fmt", "subtype", "ext", "pattern"), [
    ("FLAC", "PCM_16", "flac", r"^the file is truncated or corrupt: decoding failed after"),
    ("MP3", "MPEG_LAYER_III", "mp3", r"^the file is truncated: its header announces 3\.0 s"),
    ("OGG", "VORBIS", "ogg", r"^the file is truncated: the Ogg stream stops before its end"),
    ("OGG", "OPUS", "opus", r"^the file is truncated: the Ogg stream stops before its end"),
])
def test_truncated_compressed(tmp_path: Path, load: Loader, fmt: str, subtype: str, ext: str,
                              pattern: str) -> None:
    path = _write(tmp_path / f"x.{ext}", _tones(2, 3.0, 48000), 48000, subtype, fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _expect(load, path, pattern)


@BOTH
def test_too_short(tmp_path: Path, load: Loader) -> None:
    path = _write(tmp_path / "x.wav", _noise(2, 0.3, 44100), 44100)
    message = _expect(load, path)
    assert message == f"the audio is 0.3 s long; at least {MIN_DURATION_S:.1f} s is needed"


@BOTH
def test_no_frames(tmp_path: Path, load: Loader) -> None:
    path = _write(tmp_path / "x.wav", np.zeros((2, 0), dtype=np.float32), 44100)
    assert _expect(load, path) == "the file holds no audio"


@BOTH
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_infinite_samples(tmp_path: Path, load: Loader, bad: float) -> None:
    samples = _noise(2, 2.0, 44100)
    samples[1, 70000] = bad
    path = _write(tmp_path / "x.wav", samples, 44100, "FLOAT")
    assert _expect(load, path) == "the audio contains NaN or infinite samples"


@BOTH
@pytest.mark.parametrize("rate", [4000, 384000])
def test_sample_rate_out_of_range(tmp_path: Path, load: Loader, rate: int) -> None:
    path = _write(tmp_path / "x.wav", _noise(1, 1.5, rate), rate)
    assert _expect(load, path) == f"sample rate {rate} Hz is outside 8000-192000 Hz"


@BOTH
def test_too_many_channels(tmp_path: Path, load: Loader) -> None:
    path = _write(tmp_path / "x.wav", _noise(MAX_CHANNELS + 2, 1.0, 8000), 8000)
    assert _expect(load, path) == "the audio has 10 channels; at most 8 are supported"


def test_too_long_is_refused_before_reading(tmp_path: Path) -> None:
    rate, data_bytes = 8000, 8000 * (MAX_DURATION_S + 60)  # 8 kHz mono 8-bit, sparse file
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16,
                         1, 1, rate, rate, 1, 8, b"data", data_bytes)
    path = tmp_path / "x.wav"
    with path.open("wb") as fh:
        fh.write(header)
        fh.truncate(len(header) + data_bytes)
    message = _expect(_from_path, path)
    assert message == "the audio is longer than 3 h, the most we can analyse"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match=r"^file not found$"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioDecodeError, match=r"^this is a folder"):
        load_audio(tmp_path)


def test_errors_are_zz_errors() -> None:
    with pytest.raises(ZzError):
        decode_bytes(b"RIFF\x00\x00")
    with pytest.raises(AudioDecodeError, match=r"^the file is empty$"):
        decode_bytes(b"", "x.wav")


# --- lengths: exact where the container states it, estimated elsewhere ------------------


def _vorbis(tmp_path: Path, name: str = "x.ogg", seconds: float = 3.0, seed: int = 1) -> Path:
    return _write(tmp_path / name, _noise(2, seconds, 44100, seed) * 0.5, 44100, "VORBIS",
                  "OGG")


@BOTH
def test_vorbis_whose_header_overstates_its_length_by_0_15_s_is_analysed(
        tmp_path: Path, load: Loader) -> None:
    """Regression: an orchestral Ogg Vorbis was refused as "truncated" because its last
    granule position announced 0.2 s more than decodes. Ogg lengths are estimates."""
    path = _vorbis(tmp_path)
    plain = load_audio(path)
    announced = edit_last_ogg_page(path, granule_delta=round(0.15 * 44100))
    info = probe(path)
    assert (info.container, info.decoder, info.length_exact) == ("OGG", "libsndfile", False)
    assert info.frames == announced
    audio = load(path)
    assert audio.source_format == "OGG Vorbis" and audio.notes == ()
    assert (info.frames - audio.frames) / 44100 == pytest.approx(0.15, abs=0.02)
    np.testing.assert_array_equal(audio.samples[:, :plain.frames - 1024],
                                  plain.samples[:, :plain.frames - 1024])


@pytest.mark.parametrize(("edit", "note"), [
    ({"granule_delta": 5 * 44100}, "The header estimates the length at 0:08 but 0:03 of "
                                   "audio decoded; the decoded audio was analysed."),
    ({"end_flag": False}, "The Ogg stream has no end marker, so the file may have been cut "
                          "short; the audio that decodes was analysed."),
], ids=["estimate-5s-off", "no-end-marker"])
def test_what_decoding_found_is_said_not_refused(tmp_path: Path, edit: dict[str, Any],
                                                 note: str) -> None:
    path = _vorbis(tmp_path)
    edit_last_ogg_page(path, **edit)
    audio = load_audio(path)
    assert audio.duration_s == pytest.approx(3.0, abs=0.02)
    assert audio.notes == (note,)


def test_bytes_after_the_last_ogg_page_are_ignored(tmp_path: Path) -> None:
    path = _vorbis(tmp_path)
    path.write_bytes(path.read_bytes() + b"TAG" + bytes(125))  # an ID3v1 tag an editor added
    audio = load_audio(path)
    assert audio.duration_s == pytest.approx(3.0, abs=0.02) and audio.notes == ()


@pytest.fixture()
def chained_ogg(tmp_path: Path) -> Path:
    first, second = _vorbis(tmp_path, "a.ogg", 1.5, 1), _vorbis(tmp_path, "b.ogg", 2.0, 2)
    path = tmp_path / "chained.ogg"
    path.write_bytes(first.read_bytes() + second.read_bytes())
    return path


def test_chained_ogg_is_read_to_its_end(chained_ogg: Path, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    """libsndfile stops after the first stream of a chain; ffmpeg reads them all."""
    if not ffmpeg_available():
        pytest.skip("ffmpeg is not installed")
    info = probe(chained_ogg)
    assert (info.decoder, info.frames, info.length_exact) == ("ffmpeg", None, False)
    audio = load_audio(chained_ogg)
    assert audio.source_format == "OGG via ffmpeg"
    assert audio.duration_s == pytest.approx(3.5, abs=0.01)
    # nothing estimates the length: the buffer grows as the audio comes, without a copy
    monkeypatch.setattr(load_module, "_UNKNOWN_LENGTH_S", 0.2)
    grown = load_audio(chained_ogg)
    np.testing.assert_array_equal(grown.samples, audio.samples)
    assert grown.samples.flags.c_contiguous
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AudioDecodeError, match=r"^the Ogg file chains several streams and "
                                               r"reading past the first needs ffmpeg"):
        load_audio(chained_ogg)


@BOTH
def test_wav_a_few_ms_short_of_its_header_is_analysed(tmp_path: Path, load: Loader) -> None:
    """A writer's off-by-some-frames data size is not a truncated file (within 50 ms)."""
    path = _write(tmp_path / "x.wav", _noise(2, 2.0, 48000), 48000, "PCM_16")
    path.write_bytes(path.read_bytes()[:-4 * 480])  # 10 ms
    assert load(path).frames == 96000 - 480


def test_probe_reads_headers_only(tmp_path: Path) -> None:
    wav = _write(tmp_path / "x.wav", _noise(2, 2.0, 48000), 48000, "PCM_24")
    info = probe(wav)
    assert (info.container, info.codec, info.frames, info.length_exact, info.decoder) == (
        "WAV", "PCM_24", 96000, True, "libsndfile")
    assert info.duration_s == 2.0 and info.source_format == "WAV PCM_24"
    assert probe(wav.read_bytes()) == info
    flac = _write(tmp_path / "x.flac", _noise(1, 1.5, 44100), 44100, "PCM_16")
    assert (probe(flac).frames, probe(flac).length_exact) == (66150, True)
    with pytest.raises(AudioDecodeError, match=r"^this is not an audio file"):
        probe(b"verse, chorus, verse" * 100)


def test_probe_of_what_ffmpeg_reads(ffmpeg_dir: Path) -> None:
    info = probe(ffmpeg_dir / "x6.m4a")
    assert (info.container, info.codec, info.channels, info.decoder) == ("M4A", "aac", 6,
                                                                         "ffmpeg")
    assert not info.length_exact and info.duration_s == pytest.approx(1.2, abs=0.05)
    mp3 = probe(ffmpeg_dir / "x.mp3")  # no Xing header: only an estimate
    assert (mp3.container, mp3.decoder, mp3.length_exact) == ("MP3", "ffmpeg", False)


def test_check_sample_decodes_only_the_start(tmp_path: Path) -> None:
    """A FLAC cut at 8 s of 10: the first seconds decode, the whole file does not."""
    path = _write(tmp_path / "x.flac", _noise(2, 10.0, 44100), 44100, "PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 8 // 10])
    info = check_sample(path, seconds=3.0)
    assert info.frames == 441000 and info.length_exact
    with pytest.raises(AudioDecodeError, match=r"^the file is truncated or corrupt: decoding "
                                               r"failed after [78]\.\d s of the 10\.0 s"):
        load_audio(path)
    short = _write(tmp_path / "short.wav", _noise(2, 0.5, 44100), 44100)
    with pytest.raises(AudioDecodeError, match=r"^the audio is 0\.5 s long"):
        check_sample(short)


@pytest.mark.parametrize("name", ["wav", "x6.m4a"])
def test_iter_blocks_is_the_path_load_audio_takes(tmp_path: Path, ffmpeg_dir: Path,
                                                  name: str) -> None:
    path = (_write(tmp_path / "x.wav", _noise(3, 1.3, 44100), 44100, "FLOAT")
            if name == "wav" else ffmpeg_dir / name)
    whole = load_audio(path)
    with iter_blocks(path, block_frames=10000) as stream:
        blocks = list(stream)
    assert all(b.dtype == np.float32 and b.flags.c_contiguous and b.shape[0] == whole.channels
               and 0 < b.shape[1] <= 10000 for b in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), whole.samples)
    assert (stream.frames, stream.overs, stream.peak_dbfs, stream.info.frames) == (
        whole.frames, whole.decoded_overs, whole.decoded_peak_dbfs, probe(path).frames)
    from_bytes = iter_blocks(path.read_bytes(), 4096, hint=path.name)
    first = next(from_bytes)
    from_bytes.close()  # stopping early releases the decoder (and stops ffmpeg)
    np.testing.assert_array_equal(first, whole.samples[:, :4096])
    assert list(from_bytes) == []


@pytest.mark.parametrize("channels", [1, 2])
def test_mp3_longer_than_a_block_decodes_like_one_read(tmp_path: Path, channels: int) -> None:
    """Regression: soundfile's read seeks after every block and libsndfile's MP3 seek lands
    off, so every MP3 longer than 2**18 frames (6 s) came out shifted after the first block.
    """
    path = _write(tmp_path / "x.mp3", _tones(channels, 8.0, 48000), 48000, "MPEG_LAYER_III",
                  "MP3")
    whole, _ = sf.read(path, dtype="float32", always_2d=True)  # one read: no seek
    audio = load_audio(path)
    assert audio.source_format == "MP3" and audio.frames == 8 * 48000
    np.testing.assert_allclose(audio.samples, whole.T, rtol=0, atol=1e-6)
    blocks = np.concatenate(list(iter_blocks(path, block_frames=1000)), axis=1)
    np.testing.assert_allclose(blocks, whole.T, rtol=0, atol=1e-6)


# --- overs: decoded above full scale, kept and counted ----------------------------------


def _hot_master(seconds: float, rate: int) -> np.ndarray:
    """Noise driven hard into the rails: a loud master, flat-topped at ±1.0."""
    rng = np.random.default_rng(5)
    return np.clip(rng.normal(0.0, 0.6, (2, round(seconds * rate))), -1.0, 1.0).astype(
        np.float32)


@pytest.mark.parametrize(("ext", "how"), [
    ("ogg", "soundfile"), ("mp3", "soundfile"), ("m4a", "ffmpeg"), ("opus", "ffmpeg")])
def test_lossy_overs_survive_decoding(tmp_path: Path, ext: str, how: str) -> None:
    """A loud master decodes above full scale in every lossy codec: nothing clamps it, the
    overs are counted, and sample and true peak both read above 0."""
    rate = 48000
    master = _hot_master(2.0, rate)
    path = tmp_path / f"hot.{ext}"
    if how == "soundfile":
        subtype, fmt = {"ogg": ("VORBIS", "OGG"), "mp3": ("MPEG_LAYER_III", "MP3")}[ext]
        _write(path, master, rate, subtype, fmt)
    else:
        if not ffmpeg_available():
            pytest.skip("ffmpeg is not installed")
        wav = _write(tmp_path / "hot.wav", master, rate, "FLOAT")
        subprocess.run(_ffmpeg_command(wav, path, ["-b:a", "192k"]), check=True)
    audio = load_audio(path)
    magnitude = np.abs(audio.samples)
    assert magnitude.max() > 1.05
    assert audio.decoded_overs == np.count_nonzero(magnitude > 1.0) > 100
    assert audio.decoded_peak_dbfs == pytest.approx(20 * np.log10(magnitude.max()), abs=1e-4)
    assert audio.decoded_peak_dbfs > 0.4
    assert true_peak_dbtp(audio.samples, rate) >= audio.decoded_peak_dbfs > 0.0
    uploaded = decode_bytes(path.read_bytes(), path.name)
    assert (uploaded.decoded_overs, uploaded.decoded_peak_dbfs) == (
        audio.decoded_overs, audio.decoded_peak_dbfs)


def test_silence_has_no_decoded_peak(tmp_path: Path) -> None:
    audio = load_audio(_write(tmp_path / "x.wav", np.zeros((1, 48000), np.float32), 48000))
    assert (audio.decoded_overs, audio.decoded_peak_dbfs) == (0, None)
