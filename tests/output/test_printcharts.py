"""Print charts: every chart is a valid PNG of print size with something drawn, for a real
mix, a reference, a silent track, a mono file and several tracks at once."""

from __future__ import annotations

import ast
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.mixes import RATE, analysed, at_loudness, clean_mixdown, equalised
from zz_core.judge.models import AnalysisResult
from zz_core.judge.pipeline import with_reference
from zz_core.output import printcharts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def analyse(samples: np.ndarray, context: str = "mastering",
            name: str = "track.wav") -> AnalysisResult:
    return analysed(samples, context, name=name)


@pytest.fixture(scope="module")
def track() -> AnalysisResult:
    return analyse(equalised(clean_mixdown(5.0), 177.0, 354.0, 5.0))


@pytest.fixture(scope="module")
def reference() -> AnalysisResult:
    return analyse(at_loudness(clean_mixdown(5.0, seed=4), -9.0), name="reference.wav")


@pytest.fixture(scope="module")
def silent() -> AnalysisResult:
    return analyse(np.zeros((2, RATE * 3), dtype=np.float32), name="silence.wav")


@pytest.fixture(scope="module")
def mono() -> AnalysisResult:
    return analyse(clean_mixdown(4.0)[:1], name="mono.wav")


def picture(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(BytesIO(png))
    image.load()
    return image.convert("RGB")


def assert_print_chart(png: bytes) -> None:
    """A PNG at print resolution (7 in at DPI), a landscape strip, with ink on it."""
    image = picture(png)
    width, height = image.size
    assert width == printcharts.WIDTH_IN * printcharts.DPI
    assert 0.25 * width <= height <= 0.6 * width
    pixels = np.asarray(image, dtype=float)
    inked = np.mean(np.any(pixels < 200, axis=2))
    assert 0.01 < inked < 0.9


def coloured(png: bytes, hex_colour: str, tolerance: float = 12.0) -> int:
    """How many pixels are (about) ``hex_colour``."""
    target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    pixels = np.asarray(picture(png), dtype=float)
    return int(np.sum(np.all(np.abs(pixels - target) <= tolerance, axis=2)))


SINGLE: dict[str, Callable[[AnalysisResult], bytes]] = {
    "loudness": lambda r: printcharts.loudness_chart(r, -8.5),
    "loudness without target": printcharts.loudness_chart,
    "spectrum": printcharts.spectrum_chart,
    "tonal balance": printcharts.tonal_balance_chart,
    "bands": printcharts.band_chart,
    "stereo": printcharts.stereo_chart,
    "psr": printcharts.psr_chart,
    "waveform": printcharts.waveform_chart,
}


def blend(hex_colour: str, alpha: float) -> str:
    """``hex_colour`` drawn with ``alpha`` over white."""
    channels = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(alpha * c + (1 - alpha) * 255):02x}" for c in channels)


DRAWN_IN = {"tonal balance": printcharts.STATUS["good"],
            "waveform": blend(printcharts.TRACK, 0.75)}


@pytest.fixture
def draft_dpi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts at a low resolution: the edge cases need no detail, only speed."""
    monkeypatch.setattr(printcharts, "DPI", 50)


@pytest.mark.parametrize("chart", list(SINGLE))
def test_each_chart_of_a_mix_is_a_print_png(chart: str, track: AnalysisResult) -> None:
    png = SINGLE[chart](track)
    assert_print_chart(png)
    assert coloured(png, DRAWN_IN.get(chart, printcharts.TRACK)) > 50


@pytest.mark.parametrize("chart", list(SINGLE))
@pytest.mark.usefixtures("draft_dpi")
def test_each_chart_handles_a_silent_track(chart: str, silent: AnalysisResult) -> None:
    assert silent.loudness.integrated_lufs is None
    assert_print_chart(SINGLE[chart](silent))


@pytest.mark.parametrize("chart", list(SINGLE))
@pytest.mark.usefixtures("draft_dpi")
def test_each_chart_handles_a_mono_file(chart: str, mono: AnalysisResult) -> None:
    assert_print_chart(SINGLE[chart](mono))


def test_spectrum_draws_the_reference_when_given(track: AnalysisResult,
                                                  reference: AnalysisResult) -> None:
    without = printcharts.spectrum_chart(track)
    assert coloured(without, printcharts.REFERENCE) == 0
    given = printcharts.spectrum_chart(track, reference)
    assert coloured(given, printcharts.REFERENCE) > 100
    from_comparison = printcharts.spectrum_chart(with_reference(track, reference))
    assert coloured(from_comparison, printcharts.REFERENCE) > 100
    assert coloured(given, printcharts.TARGET) > 100


def test_band_chart_sets_the_reference_beside_the_track(track: AnalysisResult,
                                                         reference: AnalysisResult) -> None:
    png = printcharts.band_chart(track, reference)
    assert_print_chart(png)
    assert coloured(png, printcharts.REFERENCE) > 500


def test_eq_move_chart_of_a_comparison(track: AnalysisResult, reference: AnalysisResult) -> None:
    comparison = with_reference(track, reference).comparison
    assert comparison is not None
    png = printcharts.eq_move_chart(comparison)
    assert_print_chart(png)
    assert coloured(png, printcharts.REFERENCE) > 50


def test_eq_move_chart_against_a_silent_reference(track: AnalysisResult,
                                                   silent: AnalysisResult) -> None:
    comparison = with_reference(track, silent).comparison
    assert comparison is not None
    assert_print_chart(printcharts.eq_move_chart(comparison))


def test_overlays_of_several_tracks(track: AnalysisResult, reference: AnalysisResult,
                                    silent: AnalysisResult) -> None:
    tracks = [("One", track), ("Two", reference), ("Silent", silent)]
    for png in (printcharts.overlay_loudness_chart(tracks),
                printcharts.overlay_spectrum_chart(tracks)):
        assert_print_chart(png)
        assert coloured(png, printcharts.OVERLAY[0]) > 50
        assert coloured(png, printcharts.OVERLAY[1]) > 50


def test_overlays_of_no_tracks_are_empty_charts() -> None:
    for png in (printcharts.overlay_loudness_chart([]), printcharts.overlay_spectrum_chart([])):
        assert picture(png).size[0] == printcharts.WIDTH_IN * printcharts.DPI


def test_none_values_in_series_are_gaps(track: AnalysisResult) -> None:
    series = track.series
    gappy = series.correlation.model_copy(
        update={"values": [None if i % 3 else v for i, v in enumerate(series.correlation.values)]})
    holes = track.model_copy(update={"series": series.model_copy(update={"correlation": gappy})})
    assert_print_chart(printcharts.stereo_chart(holes))


def test_no_pyplot_global_state() -> None:
    tree = ast.parse(Path(printcharts.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert not any("pyplot" in name or name.endswith(".rc") for name in imported)
