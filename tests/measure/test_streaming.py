"""The streamed pass (``measure.passes``) gives the figures of one pass over the whole
array, wherever the block edges fall.

Block sizes of 1 frame, 4095 frames (odd, under the 4096/8192 STFT sizes), 48000 + 7
frames (just over a second, so block edges drift through the 100 ms segments, the STFT
chunks and the feature pass's 30 s decimation chunks) and irregular random sizes are
compared with the whole file fed as one block. The signal runs past the spectrum's 30 s
overlap limit (decided while blocks arrive) and holds music with drums (tempo, key),
decorrelated channels (stereo), a clipped run, overs above full scale and a DC offset.
The meter views' data (spectrogram, vectorscope, fine spectrum, width) are compared too.

Tolerances: every reported figure of the result (the JSON) within 1e-9 absolute or
relative (they come out bit-identical, the tolerance only absorbs summation order); the
raw accumulator arrays (100 ms K-weighted mean squares, segment products, per-bin spectra,
per-frame band powers, onset envelope, chroma) within a relative 1e-12 of their largest
value; integers (sample counts, DR, clipped-run bounds) exactly. ``analyze_file`` on a
file and ``analyze_audio`` on the same decoded array must agree to the same tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from tests.music import render_song
from zz_core.judge.issues import MERGE_GAP_S
from zz_core.judge.models import AnalysisOptions, AnalysisResult, DecodingFacts
from zz_core.judge.pipeline import WAVEFORM_POINTS, analyze_audio, analyze_file, judge_measurements
from zz_core.measure import loudness
from zz_core.measure.decoding import load_audio
from zz_core.measure.passes import Measurements, array_blocks, measure_blocks

RATE = 44100
SECONDS = 32.0  # past spectrum.OVERLAP_LIMIT_S: the frame step is decided mid-stream
FIGURE_TOLERANCE = 1e-9
ARRAY_TOLERANCE = 1e-12
OPTIONS = AnalysisOptions(context="mastering", genre="pop")


def _song(seconds: float, rate: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    audio = render_song("A", "minor", ["i", "VI", "III", "VII"], seconds=seconds, rate=rate,
                        drums=True, bpm=120.0, seed=3)
    audio[1] = 0.7 * audio[1] + 0.05 * rng.standard_normal((audio.shape[1],)).astype(np.float32)
    audio = audio + np.float32(0.002)  # a DC offset
    first = int(0.3 * audio.shape[1])
    audio[:, first:first + 60] = 1.0  # a clipped run on both channels
    audio[0, first * 2:first * 2 + 9] = 1.25  # overs above full scale on the left
    return np.ascontiguousarray(audio, dtype=np.float32)


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return _song(SECONDS, RATE)


def _measured(samples: np.ndarray, rate: int, blocks: Iterator[np.ndarray]) -> Measurements:
    return measure_blocks(blocks, rate, samples.shape[0], merge_gap_s=MERGE_GAP_S,
                          points=WAVEFORM_POINTS, expected_frames=samples.shape[1], exact=True)


def _judged(measured: Measurements) -> AnalysisResult:
    return judge_measurements(measured, OPTIONS, file_name="song.wav", source_format="test",
                              decoding=DecodingFacts())


@pytest.fixture(scope="module")
def whole(song: np.ndarray) -> tuple[Measurements, AnalysisResult]:
    measured = _measured(song, RATE, array_blocks(song, song.shape[1]))
    return measured, _judged(measured)


def _random_blocks(samples: np.ndarray, seed: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    start = 0
    while start < samples.shape[1]:
        size = int(rng.choice([1, 2, 3, 17, 4096, 4097, 8191, 30011, 2**18 + 1]))
        yield samples[:, start:start + size]
        start += size


# --- comparing ----------------------------------------------------------------------------


def differences(a: Any, b: Any, path: str = "result") -> list[str]:
    """Where two dumped results differ: numbers beyond FIGURE_TOLERANCE (absolute or
    relative), anything else at all."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for key in a for d in differences(a[key], b[key], f"{path}.{key}")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{path}: {len(a)} values against {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        same = (math.isclose(a, b, rel_tol=FIGURE_TOLERANCE, abs_tol=FIGURE_TOLERANCE)
                or (math.isnan(a) and math.isnan(b)))
        return [] if same else [f"{path}: {a!r} against {b!r}"]
    return [] if a == b else [f"{path}: {a!r} against {b!r}"]


def _raw_arrays(measured: Measurements) -> dict[str, np.ndarray]:
    frames, music = measured.spectral_frames, measured.music
    return {
        "segments": measured.segments,
        "products": np.stack(measured.products),
        "left_psd": frames.left_psd, "right_psd": frames.right_psd,
        "cross_psd": frames.cross_psd,
        "frame_left": frames.frame_left, "frame_right": frames.frame_right,
        "frame_cross": frames.frame_cross,
        "onset": music.onset_envelope, "accent": music.accent_envelope,
        "chroma": music.chroma, "rms_db": music.rms_db,
        **{f"dr_block_squares[{i}]": s.sum_squares for i, s in enumerate(measured.block_stats)},
        **{f"dr_block_peaks[{i}]": s.peaks for i, s in enumerate(measured.block_stats)},
    }


def raw_differences(a: Measurements, b: Measurements) -> list[str]:
    """The raw accumulator arrays that differ by more than ARRAY_TOLERANCE of their
    largest magnitude (or in shape), and the integer counts that differ at all."""
    found = []
    ours, theirs = _raw_arrays(a), _raw_arrays(b)
    for name, value in ours.items():
        other = theirs[name]
        if value.shape != other.shape:
            found.append(f"{name}: shape {value.shape} against {other.shape}")
            continue
        scale = float(np.max(np.abs(other))) if other.size else 0.0
        if value.size and float(np.max(np.abs(value - other))) > ARRAY_TOLERANCE * scale:
            found.append(f"{name}: differs by {float(np.max(np.abs(value - other))):.3g}")
    if a.frames != b.frames:
        found.append(f"frames: {a.frames} against {b.frames}")
    if a.clip_runs != b.clip_runs:
        found.append("clipped runs differ")
    if [s.lengths.tolist() for s in a.block_stats] != [s.lengths.tolist()
                                                          for s in b.block_stats]:
        found.append("DR block lengths differ")
    return found


FIGURES: dict[str, Callable[[AnalysisResult], Any]] = {
    "integrated loudness": lambda r: r.loudness.integrated_lufs,
    "loudness range": lambda r: (r.loudness.lra_lu, r.loudness.lra_low_lufs,
                                 r.loudness.lra_high_lufs),
    "momentary series": lambda r: r.series.momentary_lufs.model_dump(),
    "short-term series": lambda r: r.series.short_term_lufs.model_dump(),
    "true peak per channel": lambda r: r.loudness.true_peak_per_channel_dbtp,
    "true-peak series": lambda r: r.series.true_peak_dbtp.model_dump(),
    "sample peaks and clipped runs": lambda r: [p.model_dump() for p in r.channel_peaks],
    "DR": lambda r: (r.loudness.dr, r.loudness.crest_db, r.loudness.rms_dbfs),
    "spectrum bands": lambda r: ([b.model_dump() for b in r.bands], r.spectrum.model_dump(),
                                 r.series.bands.model_dump() if r.series.bands else None),
    "stereo per band": lambda r: r.stereo.model_dump(),
    "tempo and key": lambda r: (r.tempo.model_dump(), r.key.model_dump(),
                                r.transients.model_dump()),
    "waveform overview": lambda r: r.series.waveform.model_dump(),
    "spectrogram": lambda r: r.series.spectrogram.model_dump() if r.series.spectrogram else None,
    "vectorscope": lambda r: r.vectorscope.model_dump() if r.vectorscope else None,
    "fine spectrum": lambda r: r.fine_spectrum.model_dump() if r.fine_spectrum else None,
    "width series": lambda r: r.series.width.model_dump() if r.series.width else None,
}


# --- the streamed pass against one block ---------------------------------------------------


@pytest.mark.parametrize("block_frames", [4095, 48000 + 7])
def test_block_edges_change_no_figure(song: np.ndarray, block_frames: int,
                                      whole: tuple[Measurements, AnalysisResult]) -> None:
    measured = _measured(song, RATE, array_blocks(song, block_frames))
    reference, expected = whole
    assert raw_differences(measured, reference) == []
    result = _judged(measured)
    for name, figure in FIGURES.items():
        assert differences(figure(result), figure(expected), name) == []
    assert differences(result.model_dump(), expected.model_dump()) == []


def test_irregular_blocks_change_no_figure(song: np.ndarray,
                                           whole: tuple[Measurements, AnalysisResult]) -> None:
    measured = _measured(song, RATE, _random_blocks(song, seed=11))
    assert raw_differences(measured, whole[0]) == []
    assert differences(_judged(measured).model_dump(), whole[1].model_dump()) == []


def test_one_frame_blocks_change_no_figure() -> None:
    rate = 8000  # short and slow-rate: 12,000 one-frame blocks through every lane
    samples = _song(1.5, rate)
    one = _measured(samples, rate, array_blocks(samples, samples.shape[1]))
    single = _measured(samples, rate, array_blocks(samples, 1))
    assert single.frames == samples.shape[1]
    assert raw_differences(single, one) == []
    assert differences(_judged(single).model_dump(), _judged(one).model_dump()) == []


def test_the_song_exercises_what_is_compared(whole: tuple[Measurements, AnalysisResult]) -> None:
    """The comparisons above are about real figures, not Nones."""
    _, result = whole
    assert result.loudness.integrated_lufs is not None and result.loudness.lra_lu is not None
    assert result.loudness.dr is not None
    assert any(p.clipped_runs for p in result.channel_peaks)
    assert result.decoding.overs == 0 and result.loudness.sample_peak_dbfs is not None
    assert result.loudness.sample_peak_dbfs > 1.0  # the overs
    assert result.tempo.bpm is not None and result.key.label is not None
    assert all(b.correlation is not None for b in result.stereo.bands)
    assert -0.99 < (result.stereo.correlation or 1.0) < 0.99
    assert all(figure(result) is not None for figure in FIGURES.values())


class _ForgetfulMeter(loudness.SegmentMeter):
    """A K-weighting meter that loses its filter state at every block edge."""

    def feed(self, block: np.ndarray) -> Any:
        self._state[:] = 0.0
        return super().feed(block)


def test_the_comparison_catches_a_lost_block_state(song: np.ndarray,
                                                   whole: tuple[Measurements, AnalysisResult],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loudness, "SegmentMeter", _ForgetfulMeter)
    measured = _measured(song, RATE, array_blocks(song, 4095))
    assert any(d.startswith("segments") for d in raw_differences(measured, whole[0]))
    found = differences(FIGURES["momentary series"](_judged(measured)),
                        FIGURES["momentary series"](whole[1]))
    assert found


# --- a file analysed as it decodes against the decoded array --------------------------------


@pytest.mark.parametrize(("suffix", "subtype"), [(".wav", "PCM_24"), (".flac", "PCM_16")])
def test_analyze_file_equals_analyze_audio(tmp_path: Path, song: np.ndarray, suffix: str,
                                           subtype: str) -> None:
    path = tmp_path / f"song{suffix}"
    sf.write(path, np.clip(song, -1.0, 1.0).T, RATE, subtype=subtype)
    streamed = analyze_file(path, OPTIONS)
    decoded = analyze_audio(load_audio(path), OPTIONS, file_name=path.name)
    assert streamed.duration_s == pytest.approx(SECONDS)
    assert differences(streamed.model_dump(), decoded.model_dump()) == []
