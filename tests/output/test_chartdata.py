"""Chart data shared by the page's plotly figures and the PDF's matplotlib charts: the data
is right (level matching, floors, located issues, statuses) and both renderers draw
exactly it (the matplotlib figures are caught before they become PNG bytes)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from matplotlib.figure import Figure

from tests.mixes import RATE, analysed, at_loudness, clean_mixdown, equalised, limited
from ui import plots
from zz_core.judge.models import AnalysisResult
from zz_core.judge.pipeline import with_reference
from zz_core.output import chartdata, printcharts


@pytest.fixture(scope="module")
def track() -> AnalysisResult:
    mix = clean_mixdown(6.0)
    flipped = mix.copy()
    flipped[1, 2 * RATE:4 * RATE] *= -1  # a located phase issue
    return analysed(flipped, "mastering", name="mix.wav")


@pytest.fixture(scope="module")
def reference() -> AnalysisResult:
    return analysed(equalised(at_loudness(clean_mixdown(6.0, seed=4), -9.0), 50.0, 140.0, 6.0),
                    "mastering", name="ref.wav")


@pytest.fixture(scope="module")
def hot() -> AnalysisResult:
    """A float master with true peaks well above full scale."""
    return analysed(limited(clean_mixdown(6.0, seed=2), -6.0, -1.0) * 2.0, "master")


@pytest.fixture(scope="module")
def silent() -> AnalysisResult:
    return analysed(np.zeros((2, RATE * 3), dtype=np.float32), "master", name="silence.wav")


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Figure]]:
    """The matplotlib figures printcharts renders, at a draft resolution."""
    figures: list[Figure] = []
    render = printcharts._png

    def catch(figure: Figure) -> bytes:
        figures.append(figure)
        return render(figure)

    monkeypatch.setattr(printcharts, "DPI", 40)
    monkeypatch.setattr(printcharts, "_png", catch)
    yield figures


def printed(figures: list[Figure], chart: Callable[[], bytes]) -> Figure:
    chart()
    return figures[-1]


def trace(fig: go.Figure, name_start: str) -> go.Scatter:
    return next(t for t in fig.data if t.name and t.name.startswith(name_start))


def floats(values: object) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values],  # type: ignore[attr-defined]
                    dtype=float)


def same(a: object, b: object) -> bool:
    return np.allclose(floats(a), floats(b), equal_nan=True)


def line(figure: Figure, label: str, axes: int = 0) -> np.ndarray:
    found = [ln for ln in figure.axes[axes].lines if ln.get_label() == label]
    assert found, [ln.get_label() for ln in figure.axes[axes].lines]
    return np.asarray(found[0].get_ydata(), dtype=float)


# --------------------------------------------------------------------------- the data


def test_no_plotting_library_in_chart_data() -> None:
    tree = ast.parse(Path(chartdata.__file__).read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {m for m in modules if m.split(".")[0] in ("plotly", "matplotlib", "streamlit")}


def test_reference_is_level_matched_as_the_comparison_matches_it(
        track: AnalysisResult, reference: AnalysisResult) -> None:
    curve = chartdata.matched_reference(track, reference)
    comparison = with_reference(track, reference).comparison
    assert comparison is not None
    assert curve.offset_db == pytest.approx(-comparison.tonal_difference.level_offset_db,
                                            abs=0.006)
    assert curve.name == "ref.wav"
    ours = chartdata.spectrum_data(track).track_db
    centres = np.asarray(track.spectrum.third_octave_centres_hz)
    mids = (centres >= 400) & (centres <= 8000)  # away from the reference's bass boost
    assert np.nanmax(np.abs((curve.levels_db - ours)[mids])) < 1.5


def test_a_silent_track_has_no_target_and_no_drawn_levels(silent: AnalysisResult) -> None:
    data = chartdata.spectrum_data(silent)
    assert data.target is None and np.isnan(data.track_db).all()
    assert chartdata.tonal_bars(silent) is None
    assert np.isnan(chartdata.psr_values(silent)).all()


def test_the_stored_comparison_rebuilds_the_reference(track: AnalysisResult,
                                                      reference: AnalysisResult) -> None:
    compared = with_reference(track, reference)
    rebuilt = chartdata.spectrum_data(compared, from_comparison=True).reference
    given = chartdata.spectrum_data(track, reference).reference
    assert rebuilt is not None and given is not None
    assert np.nanmax(np.abs(rebuilt.levels_db - given.levels_db)) < 0.02
    assert chartdata.spectrum_data(compared).reference is None


def test_located_issues_leave_out_whole_track_ones(track: AnalysisResult) -> None:
    located = chartdata.located_issues(track)
    assert any(i.code == "phase_cancellation" for i in located)
    assert all(not chartdata.whole_track(i, track.duration_s) for i in located)


def test_true_peak_overs_above_full_scale_are_bad(hot: AnalysisResult) -> None:
    overs = chartdata.true_peak_overs(hot)
    assert overs.peaks_dbtp.size > 0
    assert all(p > chartdata.peak_ceiling(hot).dbtp for p in overs.peaks_dbtp)
    assert [s for s, p in zip(overs.statuses, overs.peaks_dbtp, strict=True) if p > 0] == \
        ["bad"] * int(np.sum(overs.peaks_dbtp > 0))
    low, top = chartdata.waveform_range(hot)
    assert top == -low > 1.1  # room for the overs


def test_floors_raise_or_cut_silence(silent: AnalysisResult) -> None:
    series = silent.series.momentary_lufs
    assert np.all(chartdata.floored(series, -60.0) == -60.0)
    assert np.isnan(chartdata.above_floor(series, -60.0)).all()


# --------------------------------------------------------------------------- both renderers


def test_both_renderers_draw_the_same_spectrum(drawn: list[Figure], track: AnalysisResult,
                                               reference: AnalysisResult) -> None:
    data = chartdata.spectrum_data(track, reference)
    assert data.target is not None and data.reference is not None
    page = plots.spectrum_figure(track, reference)
    paper = printed(drawn, lambda: printcharts.spectrum_chart(track, reference))
    assert same(trace(page, "mix.wav").y, data.track_db)
    assert same(line(paper, "mix.wav"), data.track_db)
    target = f"{track.genre.display_label} target (level-matched)"
    assert same(trace(page, target).y, data.target.levels_db)
    assert same(line(paper, target), data.target.levels_db)
    matched = "Reference: ref.wav (level-matched)"
    assert same(trace(page, matched).y, data.reference.levels_db)
    assert same(line(paper, matched), data.reference.levels_db)


def test_both_renderers_overlay_the_same_spectra(drawn: list[Figure], track: AnalysisResult,
                                                 reference: AnalysisResult) -> None:
    tracks = [("A", track), ("B", reference)]
    _, curves = chartdata.overlay_spectra(tracks)
    page = plots.overlay_spectrum_figure(tracks)
    paper = printed(drawn, lambda: printcharts.overlay_spectrum_chart(tracks))
    for curve in curves:
        assert same(trace(page, curve.name).y, curve.levels_db)
        assert same(line(paper, curve.name), curve.levels_db)


def test_both_renderers_share_the_loudness_and_psr_axes(drawn: list[Figure],
                                                        track: AnalysisResult) -> None:
    page = plots.loudness_figure(track, -9.0)
    paper = printed(drawn, lambda: printcharts.loudness_chart(track, -9.0))
    top = chartdata.loudness_top(track, -9.0)
    assert page.layout.yaxis.range[1] == paper.axes[0].get_ylim()[1] == top
    values = chartdata.psr_values(track)
    page = plots.psr_figure(track)
    paper = printed(drawn, lambda: printcharts.psr_chart(track))
    assert same(page.data[0].y, values)
    assert same(paper.axes[0].lines[0].get_ydata(), values)
    assert page.layout.yaxis.range[1] == paper.axes[0].get_ylim()[1]
    floor = chartdata.psr_floor_db(track)
    assert next(s for s in page.layout.shapes if s.type == "rect").y1 == floor


def test_both_renderers_share_the_waveform_range(drawn: list[Figure],
                                                 hot: AnalysisResult) -> None:
    page = plots.waveform_figure(hot)
    paper = printed(drawn, lambda: printcharts.waveform_chart(hot))
    expected = chartdata.waveform_range(hot)
    assert tuple(page.layout.yaxis.range) == paper.axes[0].get_ylim() == expected


def test_both_renderers_colour_band_correlation_by_the_same_status(
        drawn: list[Figure], track: AnalysisResult) -> None:
    statuses = [b.status for b in chartdata.band_correlations(track)]
    page = plots.band_correlation_figure(track)
    assert list(page.data[0].marker.color) == [plots.STATUS_COLOURS[s] for s in statuses]
    paper = printed(drawn, lambda: printcharts.stereo_chart(track))
    bars = paper.axes[1].containers[0]
    wanted = [printcharts.STATUS[s] for s in statuses]
    got = ["#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in bar.get_facecolor()[:3]))
           for bar in bars]
    assert got == wanted


def test_both_renderers_share_the_eq_move_range(drawn: list[Figure], track: AnalysisResult,
                                                reference: AnalysisResult) -> None:
    comparison = with_reference(track, reference).comparison
    assert comparison is not None
    limit = chartdata.eq_move_limit(chartdata.eq_moves(comparison)[1])
    page = plots.tonal_difference_figure(comparison)
    paper = printed(drawn, lambda: printcharts.eq_move_chart(comparison))
    assert tuple(page.layout.yaxis.range) == (-limit, limit) == paper.axes[0].get_ylim()
