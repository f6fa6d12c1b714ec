"""Figures, tables and metric cards built from real analyses of synthesized mixes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from tests.mixes import RATE, analysed, clean_mixdown, equalised, limited, shaped_noise
from ui import plots
from zz_core.judge.models import AnalysisResult
from zz_core.judge.pipeline import with_reference


def analyse(samples: np.ndarray, context: str = "mixdown", name: str | None = None
            ) -> AnalysisResult:
    return analysed(samples, context, name=name)


@pytest.fixture(scope="module")
def mix() -> np.ndarray:
    return clean_mixdown(10.0)


@pytest.fixture(scope="module")
def track(mix: np.ndarray) -> AnalysisResult:
    return analyse(mix, name="mix.wav")


@pytest.fixture(scope="module")
def louder(mix: np.ndarray) -> AnalysisResult:
    """The same audio 6 dB up."""
    return analyse(mix * 2.0, name="ref.wav")


@pytest.fixture(scope="module")
def flawed(mix: np.ndarray) -> AnalysisResult:
    """Right channel polarity-flipped from 3 to 6 s, then 4 s of silence."""
    audio = mix.copy()
    audio[1, 3 * RATE:6 * RATE] *= -1
    return analyse(np.hstack([audio, np.zeros((2, 4 * RATE), dtype=np.float32)]))


@pytest.fixture(scope="module")
def loud_master() -> AnalysisResult:
    return analyse(limited(shaped_noise(10.0, "pop", seed=3), -3.5, -1.0), "master")


@pytest.fixture(scope="module")
def fair_master() -> AnalysisResult:
    return analyse(limited(shaped_noise(10.0, "pop", seed=3), -8.5, -1.0), "master")


@pytest.fixture(scope="module")
def clipped() -> AnalysisResult:
    return analyse(np.clip(clean_mixdown(10.0, seed=4) * 8.0, -1.0, 1.0), "master")


def _rects(fig: go.Figure) -> list[go.layout.Shape]:
    return [s for s in fig.layout.shapes if s.type == "rect" and s.xref == "x"]


def _trace(fig: go.Figure, name_start: str) -> go.Scatter:
    return next(t for t in fig.data if t.name and t.name.startswith(name_start))


def _floats(values: object) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)  # type: ignore[attr-defined]


def _with_loudness(result: AnalysisResult, **values: float) -> AnalysisResult:
    """The result with other loudness figures and no stored verdicts (they are judged
    again from the new figures)."""
    return result.model_copy(update={"loudness": result.loudness.model_copy(update=values),
                                     "verdicts": []})


# --------------------------------------------------------------------------- waveform


def test_waveform_shades_each_located_issue_over_its_time_span(flawed: AnalysisResult) -> None:
    fig = plots.waveform_figure(flawed)
    located = plots.located_issues(flawed)
    spans = sorted((s.x0, s.x1) for s in _rects(fig))
    assert spans == sorted((i.start_s, i.end_s) for i in located)
    codes = {i.code for i in located}
    assert {"phase_cancellation", "silence"} <= codes
    phase = next(i for i in located if i.code == "phase_cancellation")
    assert 2.5 <= phase.start_s <= 3.5 and 5.5 <= phase.end_s <= 6.5
    silence = next(i for i in located if i.code == "silence")
    rect = next(s for s in _rects(fig) if s.x0 == silence.start_s)
    assert rect.fillcolor == plots.SEVERITY_COLOURS[silence.severity]
    labels = {a.text for a in fig.layout.annotations}
    assert codes <= labels


def test_waveform_is_a_filled_envelope_in_minutes_and_seconds(flawed: AnalysisResult) -> None:
    fig = plots.waveform_figure(flawed)
    upper, lower = fig.data[0], fig.data[1]
    assert lower.fill == "tonexty"
    assert len(upper.x) <= 2000
    assert upper.x[-1] == pytest.approx(flawed.duration_s, abs=0.05)
    assert "(m:ss)" in fig.layout.xaxis.title.text
    assert fig.layout.template.layout.paper_bgcolor is not None  # plotly_dark applied


def test_whole_track_issues_are_not_drawn_as_spans(clipped: AnalysisResult) -> None:
    whole = [i for i in clipped.issues if i not in plots.located_issues(clipped)]
    assert any(i.code == "too_loud" for i in whole)
    assert len(_rects(plots.waveform_figure(clipped))) == len(plots.located_issues(clipped))


def test_clipping_and_true_peak_overs_are_marked(clipped: AnalysisResult,
                                                 track: AnalysisResult) -> None:
    fig = plots.waveform_figure(clipped)
    clips = _trace(fig, "Clipping")
    assert len(clips.x) > 0 and np.all(np.abs(clips.y) >= 0.999)
    assert list(clips.x) == [i.start_s for i in clipped.issues if i.code == "clipping"]
    assert all(a.text != "new text" for a in fig.layout.annotations)
    overs = _trace(fig, "True peak over")
    assert np.max(overs.customdata) == pytest.approx(clipped.loudness.true_peak_dbtp, abs=0.05)
    assert "dBTP" in overs.hovertemplate
    clean_names = {t.name for t in plots.waveform_figure(track).data}
    assert "Clipping" not in clean_names
    assert not any(n.startswith("True peak over") for n in clean_names)


# --------------------------------------------------------------------------- loudness


def test_loudness_floors_silence_and_draws_integrated_and_target(flawed: AnalysisResult) -> None:
    fig = plots.loudness_figure(flawed, target_lufs=-14.0)
    momentary = np.asarray(_trace(fig, "Momentary").y)
    assert momentary.min() == plots.LOUDNESS_FLOOR_LUFS  # the silent tail, not -120
    assert _trace(fig, "Short-term") is not None
    lines = {s.y0 for s in fig.layout.shapes if s.type == "line"}
    assert flawed.loudness.integrated_lufs in lines and -14.0 in lines
    assert fig.layout.yaxis.title.text == "Loudness (LUFS)"
    assert fig.layout.yaxis.range[0] == plots.LOUDNESS_FLOOR_LUFS


def test_loudness_without_target_has_only_the_integrated_line(track: AnalysisResult) -> None:
    lines = [s for s in plots.loudness_figure(track, None).layout.shapes if s.type == "line"]
    assert [s.y0 for s in lines] == [track.loudness.integrated_lufs]


# --------------------------------------------------------------------------- spectrum


def test_spectrum_axis_is_log_20_to_20k(track: AnalysisResult) -> None:
    fig = plots.spectrum_figure(track)
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.range) == pytest.approx([math.log10(20), math.log10(20000)])
    assert "Hz" in fig.layout.xaxis.title.text and "dB" in fig.layout.yaxis.title.text


def test_reference_at_plus_6_db_is_level_matched_onto_the_track(
        track: AnalysisResult, louder: AnalysisResult) -> None:
    fig = plots.spectrum_figure(track, louder)
    ours = _floats(_trace(fig, "mix.wav").y)
    theirs = _floats(_trace(fig, "Reference: ref.wav").y)
    assert np.nanmax(np.abs(ours - theirs)) < 0.05
    assert "-6.0 dB" in _trace(fig, "Reference").hovertemplate


def test_genre_target_is_level_matched_with_its_tolerance_shaded(track: AnalysisResult) -> None:
    fig = plots.spectrum_figure(track)
    target = _floats(_trace(fig, "Pop target").y)
    ours = _floats(_trace(fig, "mix.wav").y)
    centres = np.asarray(track.spectrum.third_octave_centres_hz)
    matched = (centres >= 63) & (centres <= 8000)
    assert np.median((ours - target)[matched]) == pytest.approx(0.0, abs=0.01)
    assert np.max(np.abs(ours - target)[matched]) < 3.0  # the mix follows the pop curve
    upper, lower = (t for t in fig.data if t.name and "tolerance" in t.name)
    tolerance = track.spectrum.tonal_balance.tolerance_db  # type: ignore[union-attr]
    assert np.asarray(upper.y) - target == pytest.approx(tolerance)
    assert lower.fill == "tonexty"


def test_tonal_difference_shows_the_boost_towards_a_bassier_reference(
        mix: np.ndarray, track: AnalysisResult) -> None:
    reference = analyse(equalised(mix, 50.0, 140.0, 6.0), name="bassy.wav")
    comparison = with_reference(track, reference).comparison
    assert comparison is not None
    fig = plots.tonal_difference_figure(comparison)
    x, y = np.asarray(fig.data[0].x), _floats(fig.data[0].y)
    assert fig.layout.xaxis.type == "log"
    assert np.nanmean(y[(x >= 63) & (x <= 125)]) == pytest.approx(6.0, abs=1.0)
    assert np.nanmax(np.abs(y[(x >= 400) & (x <= 8000)])) < 1.0
    assert any(s.type == "line" and s.y0 == 0.0 for s in fig.layout.shapes)
    # the title states the integrated loudness difference, never the spectra's offset
    delta = next(m.delta for m in comparison.metrics if m.metric == "loudness.integrated_lufs")
    assert delta is not None
    title = fig.layout.title.text
    assert "level-matched for comparison" in title
    word = "louder" if delta > 0 else "quieter"
    assert f"the track is {abs(delta):.1f} LU {word} than the reference" in title
    assert "the reference is" not in title


def test_user_names_are_shown_as_text_in_figures(track: AnalysisResult) -> None:
    hostile = track.model_copy(update={"file_name": "<a href='javascript:x'>x</a>.wav"})
    figures = [plots.spectrum_figure(hostile), plots.band_figure(hostile),
               plots.overlay_loudness_figure([("<b>bold</b>", hostile)])]
    for fig in figures:
        names = " ".join(str(t.name) for t in fig.data)
        assert "<a " not in names and "<b>" not in names


# --------------------------------------------------------------------------- bands, stereo, PSR


def test_band_bars_side_by_side_with_the_reference(track: AnalysisResult,
                                                   louder: AnalysisResult) -> None:
    fig = plots.band_figure(track, louder)
    assert fig.layout.barmode == "group" and len(fig.data) == 2
    ours, theirs = fig.data
    assert list(ours.y) == [b.share_pct for b in track.bands]
    assert list(ours.y) == pytest.approx(list(theirs.y), abs=0.1)  # same tone, 6 dB apart
    assert "%" in ours.hovertemplate and "dBFS" in ours.customdata[0]


def test_stereo_correlation_dips_below_zero_where_the_polarity_flips(
        flawed: AnalysisResult) -> None:
    fig = plots.stereo_figure(flawed)
    line = _trace(fig, "Correlation")
    times, values = np.asarray(line.x), _floats(line.y)
    assert np.nanmax(values[(times > 3.6) & (times < 5.9)]) < 0.0
    assert np.nanmin(values[times < 2.5]) > 0.5
    zone = next(s for s in fig.layout.shapes if s.type == "rect")
    assert (zone.y0, zone.y1) == (-1.0, 0.0)
    assert list(fig.layout.yaxis.range) == [-1.05, 1.05]


def test_band_correlation_and_width_bars(track: AnalysisResult) -> None:
    fig = plots.band_correlation_figure(track)
    correlation, width = fig.data
    assert list(correlation.y) == [b.correlation for b in track.stereo.bands]
    assert list(width.y) == [b.width for b in track.stereo.bands]
    assert correlation.y[0] > 0.99  # the mix's low end is mono


def test_psr_over_time_with_the_squashed_zone(track: AnalysisResult,
                                              flawed: AnalysisResult) -> None:
    fig = plots.psr_figure(track)
    values = _floats(fig.data[0].y)
    assert np.nanmedian(values) == pytest.approx(track.loudness.psr_db, abs=1.0)
    zone = next(s for s in fig.layout.shapes if s.type == "rect")
    assert zone.y1 == plots.psr_floor_db(track) == 8.0  # a mixdown's over-compression line
    tail = _floats(plots.psr_figure(flawed).data[0].y)[-5:]
    assert np.all(np.isnan(tail))  # no PSR in the silent tail


# --------------------------------------------------------------------------- tables


def test_platform_gain_is_target_minus_integrated_on_a_loud_master(
        loud_master: AnalysisResult) -> None:
    table = plots.platform_table(loud_master)
    spotify = table.set_index("Platform").loc["Spotify"]
    integrated = loud_master.loudness.integrated_lufs
    assert integrated is not None
    target, gain = float(spotify["Target (LUFS)"]), float(spotify["Gain (dB)"])
    assert gain == pytest.approx(target - integrated, abs=0.11)
    assert gain < -9.0 and spotify["Gain (dB)"].startswith("-")
    assert float(spotify["Output (LUFS)"]) == pytest.approx(target, abs=0.11)
    assert {"Limited", "Peaks over", "Uncertain", "Note"} <= set(table.columns)
    assert len(table) == len(loud_master.platforms)


def test_every_table_column_holds_one_type(loud_master: AnalysisResult,
                                           track: AnalysisResult) -> None:
    """Mixed columns (text and numbers) make Arrow refuse the table on the page."""
    pyarrow = pytest.importorskip("pyarrow")
    for table in (plots.platform_table(loud_master),
                  plots.metrics_table([("Mix", track), ("Master", loud_master)])):
        for column in table.columns:
            assert len({type(v) for v in table[column]}) == 1, column
        pyarrow.Table.from_pandas(table, preserve_index=False)  # raises on a mixed column


def test_metrics_table_puts_tracks_side_by_side(track: AnalysisResult,
                                                louder: AnalysisResult) -> None:
    table = plots.metrics_table([("Mix", track), ("Mix +6", louder)])
    assert list(table.columns) == ["Metric", "Unit", "Mix", "Mix +6"]
    rows = table.set_index("Metric")
    assert rows.loc["Integrated loudness", "Unit"] == "LUFS"
    difference = (float(rows.loc["Integrated loudness", "Mix +6"])
                  - float(rows.loc["Integrated loudness", "Mix"]))
    assert difference == pytest.approx(6.02, abs=0.11)
    assert float(rows.loc["PLR", "Mix"]) == pytest.approx(float(rows.loc["PLR", "Mix +6"]),
                                                          abs=0.11)
    assert rows.loc["Width (S/M)", "Mix"].count(".") == 1
    assert len(rows.loc["Width (S/M)", "Mix"].split(".")[1]) == 2  # ratios: two decimals
    assert len(rows.loc["Integrated loudness", "Mix"].split(".")[1]) == 1
    assert {"True peak", "Loudness range", "Tempo", "Key", "Width (S/M)"} <= set(rows.index)


def test_metrics_table_keeps_tracks_with_the_same_name_apart(track: AnalysisResult) -> None:
    table = plots.metrics_table([("Mix", track), ("Mix", track)])
    assert list(table.columns) == ["Metric", "Unit", "Mix", "Mix (2)"]
    assert isinstance(table, pd.DataFrame)


# --------------------------------------------------------------------------- overlays


def test_overlaid_spectra_are_level_matched_to_the_first_track(
        track: AnalysisResult, louder: AnalysisResult) -> None:
    fig = plots.overlay_spectrum_figure([("A", track), ("B", louder)])
    assert [t.name for t in fig.data] == ["A", "B"]
    assert np.nanmax(np.abs(_floats(fig.data[0].y) - _floats(fig.data[1].y))) < 0.05
    assert fig.layout.xaxis.type == "log"


def test_overlaid_loudness_keeps_each_track_level(track: AnalysisResult,
                                                  louder: AnalysisResult) -> None:
    fig = plots.overlay_loudness_figure([("A", track), ("B", louder)])
    assert [t.name for t in fig.data] == ["A", "B"]
    a, b = np.asarray(fig.data[0].y), np.asarray(fig.data[1].y)
    assert np.median(b - a) == pytest.approx(6.02, abs=0.05)
    assert "LUFS" in fig.layout.yaxis.title.text


# --------------------------------------------------------------------------- status and cards


def _card(result: AnalysisResult, label: str) -> plots.Card:
    return next(c for c in plots.headline_cards(result) if c.label == label)


def test_cards_cover_the_headline_figures(track: AnalysisResult) -> None:
    cards = plots.headline_cards(track)
    assert [c.label for c in cards] == ["Integrated loudness", "True peak", "Loudness range",
                                        "PLR", "Tempo", "Key", "Width", "Correlation"]
    loudness = cards[0]
    assert (loudness.value_text, loudness.unit, loudness.status) == ("-18.0", "LUFS", "good")
    assert "-30 to -14 LUFS" in loudness.help  # a mixdown is not judged on genre loudness
    assert cards[2].status == "unknown"  # LRA is not judged for a mixdown
    assert _card(track, "Tempo").status == "unknown"  # noise has no tempo
    assert "BS.1770" in cards[1].help


def test_a_too_loud_master_gets_a_warning_loudness_card(loud_master: AnalysisResult,
                                                        fair_master: AnalysisResult) -> None:
    """Too loud and over-compressed are warnings on the severity ladder (should fix), not
    critical: the cards say warn, as the issues do."""
    assert _card(fair_master, "Integrated loudness").status == "good"
    loud = _card(loud_master, "Integrated loudness")
    assert loud.status == "warn"
    assert "Pop masters" in loud.help and "-10 to -7 LUFS" in loud.help
    assert "too_loud" in loud.help
    assert _card(loud_master, "PLR").status == "warn"


@pytest.mark.parametrize(("integrated", "expected"), [
    (-8.5, "good"), (-7.0, "good"), (-5.5, "warn"), (-3.9, "warn"), (-11.0, "warn"),
])
def test_loudness_card_flips_as_the_value_crosses_the_genre_range(
        fair_master: AnalysisResult, integrated: float, expected: str) -> None:
    result = _with_loudness(fair_master, integrated_lufs=integrated)
    assert _card(result, "Integrated loudness").status == expected


@pytest.mark.parametrize(("true_peak", "context", "expected"), [
    (-2.5, "master", "good"),
    (-1.2, "master", "warn"),  # over the -2 dBTP advised for a master louder than -14 LUFS
    (-0.5, "master", "warn"), (0.4, "master", "bad"),
    (-2.0, "mixdown", "warn"),  # a mixdown wants -3 dBTP of headroom
])
def test_true_peak_card_against_the_context_ceiling(
        fair_master: AnalysisResult, true_peak: float, context: str, expected: str) -> None:
    result = _with_loudness(fair_master, true_peak_dbtp=true_peak)
    result = result.model_copy(update={"context": context, "verdicts": []})
    assert _card(result, "True peak").status == expected


def test_correlation_card_follows_the_phase_verdict(track: AnalysisResult,
                                                    flawed: AnalysisResult) -> None:
    assert _card(track, "Correlation").status == "good"
    card = _card(flawed, "Correlation")
    verdict = flawed.verdict("stereo.correlation")
    assert verdict is not None and card.status == verdict.status != "good"
    assert card.value_text == f"{verdict.value:+.2f}"


def test_width_card_against_the_genre_range(track: AnalysisResult) -> None:
    card = _card(track, "Width")
    verdict = track.verdict("stereo.width")
    assert verdict is not None and card.status == verdict.status == "good"
    assert "0.08 to 0.40" in card.help


def test_an_unjudged_card_says_not_judged(track: AnalysisResult) -> None:
    from ui.cards import badge_text
    lra = _card(track, "Loudness range")
    assert lra.status == "unknown" and badge_text(lra.status) == "NOT JUDGED"
    assert "not judged" in lra.help


def test_figures_survive_a_silent_track() -> None:
    silent = analyse(np.zeros((2, 4 * RATE), dtype=np.float32))
    for figure in (plots.waveform_figure(silent), plots.loudness_figure(silent, -14.0),
                   plots.spectrum_figure(silent), plots.stereo_figure(silent),
                   plots.psr_figure(silent), plots.band_figure(silent)):
        assert isinstance(figure, go.Figure)
    assert all(c.status == "unknown" for c in plots.headline_cards(silent)
               if c.label in ("Integrated loudness", "True peak", "Correlation"))
    assert (plots.platform_table(silent)["Output (LUFS)"] == "n/a").all()
