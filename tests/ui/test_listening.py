"""What the waveform player plays and marks: issue regions by severity, the loop an
issue's button asks for, A/B sources level-matched, the state the player reports."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.mixes import RATE, analysed, clean_mixdown, polarity_flipped
from ui import listening, player
from ui.player import PlayerState
from zz_core.judge.issues import Issue, IssueSpan
from zz_core.judge.models import AnalysisResult


@pytest.fixture(scope="module")
def flawed() -> AnalysisResult:
    """Polarity flipped 4-7 s and a clipped moment at 10 s, in 14 s."""
    audio = polarity_flipped(clean_mixdown(14.0), 4.0, 7.0)
    audio[:, 10 * RATE:10 * RATE + 400] = 0.999
    return analysed(audio, "mixdown", name="flawed.wav")


def _issue(code: str, spans: list[tuple[float, float]], severity: str = "warning") -> Issue:
    return Issue(code=code, severity=severity, message=f"{code} here",  # type: ignore[arg-type]
                 start_s=spans[0][0], end_s=spans[0][1],
                 spans=[IssueSpan(start_s=a, end_s=b) for a, b in spans])


def test_each_located_stretch_is_a_region_coloured_by_severity(flawed: AnalysisResult) -> None:
    regions = listening.issue_regions(flawed)
    codes = {i.code for i in flawed.issues}
    assert "phase_cancellation" in codes
    phase = next(r for r in regions if r.label == "Phase cancellation")
    issue = next(i for i in flawed.issues if i.code == "phase_cancellation")
    assert (phase.start_s, phase.end_s) == (issue.start_s, issue.end_s)
    assert phase.colour == listening.rgba(listening.SEVERITY_COLOURS[issue.severity],
                                          listening.REGION_ALPHA)
    assert phase.colour.startswith("rgba(") and phase.kind == "issue"
    assert "phase_cancellation" not in phase.label and issue.message in phase.title
    assert len({r.id for r in regions}) == len(regions)


def test_the_worst_stretch_carries_the_name_and_the_whole_track_is_left_out() -> None:
    result = SimpleNamespace(duration_s=60.0, issues=[
        _issue("clipping", [(30.0, 30.01), (5.0, 5.02)], "critical"),
        _issue("too_quiet", [(0.0, 60.0)])])
    regions = listening.issue_regions(result)  # type: ignore[arg-type]
    assert [(r.start_s, r.label) for r in regions] == [(30.0, "Clipping"), (5.0, "")]
    assert regions[0].colour.startswith("rgba(239, 83, 80")  # critical red


def test_a_short_stretch_loops_with_context_inside_the_track() -> None:
    assert listening.loop_of(4.0, 7.0, 60.0) == (4.0, 7.0)
    start, end = listening.loop_of(30.0, 30.01, 60.0)
    assert end - start == pytest.approx(listening.MIN_LOOP_S)
    assert start < 30.0 and end > 30.01
    assert listening.loop_of(0.0, 0.01, 60.0) == (0.0, listening.MIN_LOOP_S)
    assert listening.loop_of(59.99, 60.0, 60.0) == (58.0, 60.0)
    assert listening.loop_of(0.1, 0.2, 1.0) == (0.0, 1.0)  # a track shorter than the loop


def test_sections_are_regions_too() -> None:
    sections = [SimpleNamespace(label="Intro", start_s=0.0, end_s=8.0),
                SimpleNamespace(label="Drop", start_s=8.0, end_s=24.0)]
    regions = listening.section_regions(sections)
    assert [(r.label, r.kind, r.loop_start_s, r.loop_end_s) for r in regions] == [
        ("Intro", "section", 0.0, 8.0), ("Drop", "section", 8.0, 24.0)]
    assert regions[0].colour != regions[1].colour
    assert listening.section_regions(None) == []
    assert listening.result_sections(SimpleNamespace()) == []  # type: ignore[arg-type]


def test_ab_sources_are_level_matched_and_scaled(flawed: AnalysisResult, tmp_path: Path) -> None:
    louder = flawed.model_copy(update={
        "file_name": "ref.wav",
        "loudness": flawed.loudness.model_copy(update={
            "integrated_lufs": (flawed.loudness.integrated_lufs or 0.0) + 6.0})})
    pair = (tmp_path / "a.wav", tmp_path / "b.wav")
    a, b = listening.ab_sources(flawed, louder, pair)
    assert (a.label, b.label) == ("A · flawed.wav", "B · ref.wav")
    assert (a.path, b.path) == pair
    assert "as it is" in a.note and "turned down 6.0 dB" in b.note
    wave = louder.series.waveform
    assert b.maximum[5] == pytest.approx(wave.maximum[5] * 10 ** (-6 / 20))
    assert a.maximum[5] == pytest.approx(flawed.series.waveform.maximum[5])
    assert a.regions is None and b.regions == ()  # the track's issues are A's alone
    assert a.colour != b.colour


def test_compared_sources_carry_their_own_issues(flawed: AnalysisResult, tmp_path: Path) -> None:
    sources = listening.compared_sources([("one.wav", tmp_path / "1.wav", flawed, 0.0),
                                          ("two.wav", tmp_path / "2.wav", flawed, -3.0)])
    assert [s.label for s in sources] == ["A · one.wav", "B · two.wav"]
    assert sources[0].regions is not None and len(sources[0].regions) == len(
        listening.issue_regions(flawed))
    assert "turned down 3.0 dB" in sources[1].note


def test_the_looping_issue_is_found_from_the_reported_state(flawed: AnalysisResult) -> None:
    issue = next(i for i in flawed.issues if i.code == "phase_cancellation")
    stretch = listening.stretches(issue, flawed.duration_s)[0]
    state = PlayerState(position_s=stretch.loop_start_s + 0.5,
                        loop=(stretch.loop_start_s, stretch.loop_end_s), source=0, playing=True)
    found = listening.active_stretch(state, flawed)
    assert found is not None and found.issue.code == "phase_cancellation"
    assert listening.active_stretch(None, flawed) is None
    assert listening.active_stretch(PlayerState(1.0, None, 0, False), flawed) is None


def test_player_state_is_read_defensively() -> None:
    state = PlayerState.of({"position": 4.25, "loop": [4.0, 7.0], "source": 1,
                            "playing": True, "event": "region", "nonce": 3})
    assert state == PlayerState(4.25, (4.0, 7.0), 1, True, "region", 3)
    assert PlayerState.of(None) is None and PlayerState.of("nonsense") is None
    assert PlayerState.of({"loop": None}) == PlayerState(0.0, None, 0, False)


def test_the_player_ships_wavesurfer_with_its_licence() -> None:
    vendor = player.FRONTEND / "vendor"
    for name in ("wavesurfer.esm.js", "regions.esm.js", "timeline.esm.js", "zoom.esm.js"):
        assert (vendor / name).stat().st_size > 1000, name
    licence = (vendor / "LICENSE").read_text()
    assert "BSD 3-Clause" in licence and "katspaugh" in licence
    assert (vendor / "VERSION").read_text().startswith("wavesurfer.js 7.")
    page = (player.FRONTEND / "index.html").read_text()
    script = (player.FRONTEND / "player.js").read_text()
    assert "http" not in page and "cdn" not in script.lower()  # nothing fetched from elsewhere
    assert './vendor/wavesurfer.esm.js' in script
    assert not (player.FRONTEND / "node_modules").exists()


def test_peaks_sent_to_the_browser_are_rounded_and_share_one_scale(tmp_path: Path) -> None:
    quiet = player.Source("A", tmp_path / "a.wav", 1.0, [0.01] * 4, [-0.01] * 4, "#fff", "#000")
    loud = player.Source("B", tmp_path / "b.wav", 1.0, [0.5123456] * 4, [-0.4] * 4, "#fff",
                         "#000")
    assert player._max_peak([quiet, loud]) == 0.512
    assert player._max_peak([quiet]) == pytest.approx(10 ** (-24 / 20), abs=1e-3)
    arg = player._source_arg(loud, "/media/x.wav")
    assert arg["peaks"][0] == [0.512] * 4 and arg["url"] == "/media/x.wav"
    assert np.isclose(arg["duration"], 1.0)
