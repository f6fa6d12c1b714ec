"""The meter views on synthetic data shaped as the engine stores it (the decoders) and on
real analyses (histogram, stereo over time): axes in m:ss and log frequency, the dark
theme, legends under the plot, "not measured" for an analysis made before the data."""

from __future__ import annotations

import base64
import math
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from tests.mixes import RATE, analysed, clean_mixdown
from ui import meters, plots
from zz_core.judge.models import AnalysisResult
from zz_core.measure.series import TimeSeries


@pytest.fixture(scope="module")
def track() -> AnalysisResult:
    audio = clean_mixdown(12.0)
    audio[:, 8 * RATE:] *= 0.25  # a quieter last third: two loudness clusters
    return analysed(audio, "mixdown", name="mix.wav")


def _b64(codes: np.ndarray) -> str:
    return base64.b64encode(codes.astype(np.uint8).tobytes()).decode("ascii")


def _spectrogram_model(columns: int = 50, rows: int = 96) -> SimpleNamespace:
    freqs = np.geomspace(20.0, 20000.0, rows)
    codes = np.zeros((columns, rows))
    codes[:, :] = np.linspace(200, 40, rows)  # a falling spectrum
    codes[:, rows // 2] = 255  # a tone across the whole track
    codes[:5, :] = 0  # a silent start
    return SimpleNamespace(start_s=0.1, hop_s=0.2, frequencies_hz=list(freqs),
                           floor_db=-120.0, step_db=0.5, codes=_b64(codes))


def _with(result: AnalysisResult, **series_fields: object) -> SimpleNamespace:
    """A duck-typed result whose series carry extra fields (the engine adds them later)."""
    series = SimpleNamespace(**{**{name: getattr(result.series, name)
                                   for name in type(result.series).model_fields},
                                **series_fields})
    fields = {name: getattr(result, name) for name in type(result).model_fields}
    return SimpleNamespace(**{**fields, "series": series})


def _older(result: AnalysisResult) -> AnalysisResult:
    """The analysis as stored before the engine measured the meter views' data."""
    series = result.series.model_copy(update={"spectrogram": None, "width": None})
    return result.model_copy(update={"series": series, "vectorscope": None,
                                     "fine_spectrum": None})


def _time_axis_is_clock(axis: go.layout.XAxis) -> None:
    assert "m:ss" in axis.title.text
    assert all(":" in text for text in axis.ticktext)


def test_spectrogram_is_decoded_and_drawn_on_a_log_frequency_axis() -> None:
    model = _spectrogram_model()
    data = meters.spectrogram_of(SimpleNamespace(series=SimpleNamespace(spectrogram=model)))  # type: ignore[arg-type]
    assert data is not None
    assert data.levels_db.shape == (96, 50)
    assert data.times_s[0] == pytest.approx(0.1) and data.times_s[-1] == pytest.approx(9.9)
    assert np.isnan(data.levels_db[:, :5]).all()  # code 0: at or below the floor
    assert data.levels_db[48, 10] == pytest.approx(-120.0 + 0.5 * 255)
    fig = meters.spectrogram_figure(data, 10.0)
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert fig.layout.yaxis.type == "log"
    assert list(fig.layout.yaxis.range) == pytest.approx([math.log10(20), math.log10(20000)])
    assert heat.x[0] == "0:00.1" and heat.x[-1] == "0:09.9"  # m:ss.s columns
    assert heat.zmax - heat.zmin == meters.SPECTROGRAM_RANGE_DB
    assert "dBFS" in heat.hovertemplate and "Hz" in heat.hovertemplate
    assert fig.layout.template.layout.paper_bgcolor is not None


def test_a_broken_or_missing_spectrogram_is_not_measured(track: AnalysisResult) -> None:
    assert meters.spectrogram_of(_older(track)) is None
    broken = _spectrogram_model()
    broken.codes = "not base64!"
    holder = SimpleNamespace(series=SimpleNamespace(spectrogram=broken))
    assert meters.spectrogram_of(holder) is None  # type: ignore[arg-type]
    uneven = _spectrogram_model()
    uneven.codes = _b64(np.ones(95))
    holder = SimpleNamespace(series=SimpleNamespace(spectrogram=uneven))
    assert meters.spectrogram_of(holder) is None  # type: ignore[arg-type]


def test_vectorscope_density_is_square_with_mid_up() -> None:
    size = 64
    density = np.zeros((size, size))
    density[:, size // 2] = 255  # a mono signal: a vertical line
    model = SimpleNamespace(size=size, scale=0.5, codes=_b64(density))
    data = meters.vectorscope_of(SimpleNamespace(vectorscope=model))  # type: ignore[arg-type]
    assert data is not None and data.density.max() == 1.0
    fig = meters.vectorscope_figure(data)
    heat = fig.data[0]
    assert heat.y[0] > heat.y[-1]  # row 0 at the top (mid = +1)
    assert fig.layout.yaxis.scaleanchor == "x"
    assert {a.text for a in fig.layout.annotations} >= {"L", "R", "M", "S"}
    assert "-6.0 dBFS" in fig.layout.title.text
    assert meters.vectorscope_of(SimpleNamespace(vectorscope=None)) is None  # type: ignore[arg-type]
    bad = SimpleNamespace(size=size, scale=0.5, codes=_b64(np.zeros(10)))
    assert meters.vectorscope_of(SimpleNamespace(vectorscope=bad)) is None  # type: ignore[arg-type]


def test_fine_spectrum_against_the_target_and_the_reference(track: AnalysisResult) -> None:
    centres = 1000.0 * 2.0 ** (np.arange(-50, 35) / 12.0)
    levels = -30.0 - 3.0 * np.log2(centres / 1000.0)
    levels[-3:] = -200.0  # empty bands above the content
    model = SimpleNamespace(bands_per_octave=12, centres_hz=list(centres),
                            levels_db=list(levels))
    data = meters.fine_spectrum_of(SimpleNamespace(fine_spectrum=model))  # type: ignore[arg-type]
    assert data is not None and np.isnan(data.levels_db[-3:]).all()
    reference = SimpleNamespace(file_name="ref.wav", fine_spectrum=SimpleNamespace(
        bands_per_octave=12, centres_hz=list(centres), levels_db=list(levels + 10.0)))
    fig = meters.fine_spectrum_figure(track, data, reference)  # type: ignore[arg-type]
    names = [t.name for t in fig.data]
    assert any(n and "target" in n for n in names)
    ours = next(t for t in fig.data if t.name == "mix.wav")
    theirs = next(t for t in fig.data if t.name and t.name.startswith("Reference"))
    assert np.nanmax(np.abs(np.array(theirs.y, dtype=float) - np.array(ours.y, dtype=float))
                     ) == pytest.approx(0.0, abs=1e-6)  # level-matched: the same shape
    assert fig.layout.xaxis.type == "log" and "1/12 octave" in fig.layout.yaxis.title.text
    assert meters.fine_spectrum_of(_older(track)) is None


def test_loudness_histogram_shares_add_up_and_mark_integrated_and_target(
        track: AnalysisResult) -> None:
    target = meters.loudness_target(track)
    fig = meters.loudness_histogram_figure(track, target)
    bars = fig.data[0]
    assert sum(bars.y) == pytest.approx(100.0)
    assert np.all(np.diff(bars.x) > 0) and "% of the time" in bars.hovertemplate
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [s.x0 for s in lines] == [track.loudness.integrated_lufs]
    band = next(s for s in fig.layout.shapes if s.type == "rect")
    assert (band.x0, band.x1) == target
    assert len([y for y in bars.y if y > 10]) >= 2  # the loud and the quiet stretch


def test_stereo_over_time_says_when_width_was_not_measured(track: AnalysisResult) -> None:
    fig = meters.stereo_time_figure(_older(track))
    assert [t.name for t in fig.data] == ["Correlation"]
    assert any(meters.NOT_MEASURED in (a.text or "") for a in fig.layout.annotations)
    _time_axis_is_clock(fig.layout.xaxis2)
    width = TimeSeries(start_s=0.4, hop_s=0.1, values=[0.2] * 100)
    fig = meters.stereo_time_figure(_with(track, width=width))  # type: ignore[arg-type]
    assert [t.name for t in fig.data] == ["Correlation", "Width"]
    assert fig.data[1].customdata[0] == "0:00.4"
    assert not any(meters.NOT_MEASURED in (a.text or "") for a in fig.layout.annotations)


def test_every_time_axis_is_in_minutes_and_seconds(track: AnalysisResult) -> None:
    for fig in (plots.waveform_figure(track), plots.loudness_figure(track),
                plots.stereo_figure(track), plots.psr_figure(track),
                plots.overlay_loudness_figure([("A", track)])):
        _time_axis_is_clock(fig.layout.xaxis)
        hover = " ".join(str(t.hovertemplate) for t in fig.data)
        assert " s:" not in hover and "%{x:.1f} s" not in hover, hover


def test_time_ticks_pick_a_readable_step() -> None:
    values, labels = plots.time_ticks(200.0)
    assert values[:3] == [0.0, 30.0, 60.0] and labels[:3] == ["0:00", "0:30", "1:00"]
    values, labels = plots.time_ticks(3.0)
    assert labels[:3] == ["0:00", "0:00.5", "0:01"] or labels[:3] == ["0:00.0", "0:00.5",
                                                                      "0:01.0"]
    assert len(plots.time_ticks(7200.0)[0]) <= plots.TIME_TICKS + 1
    assert plots.time_ticks(3725.0)[1][-1].count(":") == 2  # past an hour: h:mm:ss


def test_legends_sit_under_the_plot_never_over_the_title(track: AnalysisResult) -> None:
    for fig in (plots.loudness_figure(track, -14.0), plots.spectrum_figure(track, track),
                meters.loudness_histogram_figure(track)):
        assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"
        assert fig.layout.title.yanchor == "bottom" and fig.layout.title.automargin


def test_short_term_loudness_shows_the_target_band(track: AnalysisResult) -> None:
    target = meters.loudness_target(track)
    fig = plots.loudness_figure(track, None, target)
    band = next(s for s in fig.layout.shapes if s.type == "rect")
    assert (band.y0, band.y1) == target
    assert [s.y0 for s in fig.layout.shapes if s.type == "line"] == [
        track.loudness.integrated_lufs]


def test_the_width_axis_is_not_flattened_by_an_out_of_phase_stretch() -> None:
    def series(*values: float | None) -> TimeSeries:
        return TimeSeries(start_s=0.4, hop_s=0.1, values=list(values))

    assert meters.width_top(series(0.1, 0.2, None)) == 0.5  # narrow stays narrow-looking
    assert meters.width_top(series(0.3, 1.0, 0.8)) == 1.05
    assert meters.width_top(series(0.3, 480.0, 0.4)) == meters.WIDTH_TOP  # polarity flip
    assert meters.width_top(None) == 0.5


def test_frequency_axes_are_labelled_20_hz_to_20k() -> None:
    axis = plots.frequency_axis()
    assert axis["type"] == "log" and axis["ticktext"][0] == "20"
    assert axis["ticktext"][5] == "1k" and axis["ticktext"][-1] == "20k"
    spectrogram = meters.spectrogram_of(
        SimpleNamespace(series=SimpleNamespace(spectrogram=_spectrogram_model())))  # type: ignore[arg-type]
    assert spectrogram is not None
    fig = meters.spectrogram_figure(spectrogram, 10.0)
    assert list(fig.layout.yaxis.ticktext) == axis["ticktext"]
    assert list(fig.layout.xaxis.ticktext[:3]) == ["0:00", "0:02", "0:04"]  # round m:ss
    assert set(fig.layout.xaxis.tickvals) <= set(fig.data[0].x)  # placed on columns
