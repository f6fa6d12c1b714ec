"""Streaming-platform normalization: what a producer hears after Spotify, Apple, YouTube & co."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from zz_core.datafiles import DataFileError
from zz_core.judge.platforms import (
    DEFAULT_PLATFORMS_PATH,
    Platform,
    PlatformOutcome,
    load_platforms,
    simulate_platforms,
)


def _by_slug(lufs: float | None, peak: float | None) -> dict[str, PlatformOutcome]:
    return {o.platform_slug: o for o in simulate_platforms(lufs, peak)}


def _platform(slug: str) -> Platform:
    return next(p for p in load_platforms() if p.slug == slug)


# --------------------------------------------------------------------------- data


def test_platform_table_has_the_main_services() -> None:
    platforms = load_platforms()
    names = [p.name for p in platforms]
    for name in ("Spotify", "Spotify (Loud)", "Apple Music", "YouTube", "Tidal", "Amazon Music",
                 "Deezer"):
        assert name in names
    assert all(p.source for p in platforms)
    assert [p.kind for p in platforms if p.slug.startswith("broadcast")] == ["broadcast"]
    assert load_platforms() == platforms and load_platforms() is not platforms  # fresh list


@pytest.mark.parametrize(
    ("slug", "target", "uncertain"),
    [
        ("spotify", -14.0, False),
        ("spotify_loud", -11.0, False),
        ("apple_music", -16.0, True),   # no official spec; widely reported
        ("youtube", -14.0, False),
        ("tidal", -14.0, False),
        ("amazon_music", -14.0, True),  # sources disagree (-9 to -13)
        ("deezer", -15.0, True),        # sources disagree (-14 to -16)
        ("broadcast_ebu_r128", -23.0, False),
    ],
)
def test_targets_and_uncertainty_follow_the_reference(
    slug: str, target: float, uncertain: bool
) -> None:
    platform = _platform(slug)
    assert platform.target_lufs == target
    assert platform.uncertain is uncertain
    if uncertain:
        assert platform.note, "an uncertain figure must say why"
    outcome = _by_slug(-10.0, -1.0)[slug]
    assert outcome.uncertain is uncertain


# --------------------------------------------------------------------------- loud masters


def test_a_loud_master_is_turned_down_everywhere() -> None:
    outcomes = _by_slug(-8.0, -0.5)
    assert outcomes["spotify"].gain_db == pytest.approx(-6.0)
    assert outcomes["apple_music"].gain_db == pytest.approx(-8.0)
    assert outcomes["youtube"].gain_db == pytest.approx(-6.0)
    assert outcomes["tidal"].gain_db == pytest.approx(-6.0)
    assert outcomes["spotify_loud"].gain_db == pytest.approx(-3.0)
    for o in outcomes.values():
        assert o.output_lufs == pytest.approx(o.target_lufs)
        assert o.output_true_peak_dbtp == pytest.approx(-0.5 + o.gain_db)
        assert not o.limited and not o.raise_capped
    assert "turns this track down 6.0 dB" in outcomes["spotify"].note
    assert "buys nothing" in outcomes["spotify"].note


def test_loud_master_peaking_above_minus_2_dbtp_is_warned_about_encoding() -> None:
    # Spotify asks for -2 dBTP on masters louder than -14 LUFS: the encode sees the file as
    # uploaded, before the playback gain.
    loud = _by_slug(-8.0, -1.5)
    assert loud["spotify"].true_peak_over
    assert "lossy encode" in loud["spotify"].note
    assert not loud["youtube"].true_peak_over  # -1 dBTP advice only
    moderate = _by_slug(-14.0, -1.5)
    assert not moderate["spotify"].true_peak_over


# --------------------------------------------------------------------------- quiet tracks


def test_a_quiet_dynamic_track_is_raised_only_as_far_as_peaks_allow() -> None:
    outcomes = _by_slug(-20.0, -6.0)
    spotify = outcomes["spotify"]
    assert spotify.gain_db == pytest.approx(5.0)  # not 6.0: the peak would pass -1 dBTP
    assert spotify.raise_capped and not spotify.limited
    assert spotify.output_true_peak_dbtp == pytest.approx(-1.0)
    assert spotify.output_lufs == pytest.approx(-15.0)
    assert "only 5.0 dB" in spotify.note
    for slug in ("youtube", "tidal"):
        assert outcomes[slug].gain_db == 0.0
        assert outcomes[slug].output_lufs == -20.0
        assert "does not raise quiet tracks" in outcomes[slug].note


def test_spotify_loud_raises_fully_and_limits() -> None:
    loud = _by_slug(-14.0, -0.2)["spotify_loud"]
    assert loud.gain_db == pytest.approx(3.0)
    assert loud.limited and not loud.raise_capped
    assert loud.output_true_peak_dbtp == pytest.approx(-1.0)
    assert loud.output_lufs == pytest.approx(-11.0)
    assert "limiter" in loud.note
    gentle = _by_slug(-12.0, -6.0)["spotify_loud"]  # raised 1 dB, peak -5 dBTP: no limiting
    assert gentle.gain_db == pytest.approx(1.0) and not gentle.limited


def test_a_track_with_no_headroom_is_not_raised() -> None:
    spotify = _by_slug(-24.0, -0.5)["spotify"]
    assert spotify.gain_db == 0.0
    assert spotify.raise_capped
    assert "cannot raise" in spotify.note


def test_a_track_at_the_target_is_left_alone() -> None:
    spotify = _by_slug(-14.0, -3.0)["spotify"]
    assert spotify.gain_db == 0.0
    assert "as it is" in spotify.note
    assert not spotify.true_peak_over


@pytest.mark.parametrize("lufs", [-40.0, -25.0, -16.0, -14.0, -9.0, -5.0])
@pytest.mark.parametrize("peak", [-12.0, -3.0, -1.0, -0.1, 0.5])
def test_no_platform_ever_pushes_peaks_past_its_own_limits(lufs: float, peak: float) -> None:
    platforms = {p.slug: p for p in load_platforms()}
    for o in simulate_platforms(lufs, peak):
        p = platforms[o.platform_slug]
        if o.gain_db > 0.0:
            assert p.raises_quiet
            assert o.output_lufs <= p.target_lufs + 1e-9
            ceiling = p.limiter_ceiling_dbtp or p.raise_true_peak_ceiling_dbtp
            if ceiling is not None:
                assert o.output_true_peak_dbtp <= ceiling + 1e-9
        elif o.gain_db < 0.0:
            assert p.turns_down_loud
            assert o.output_lufs == pytest.approx(p.target_lufs)
        assert o.note.endswith(".") and ". " not in o.note  # one sentence


# --------------------------------------------------------------------------- silence


@pytest.mark.parametrize("lufs", [-math.inf, math.nan, None])
def test_silence_is_never_raised(lufs: float | None) -> None:
    for o in simulate_platforms(lufs, -math.inf):
        assert o.gain_db == 0.0
        assert not o.limited and not o.raise_capped and not o.true_peak_over
        assert "nothing to normalize" in o.note


# --------------------------------------------------------------------------- user edits


def _edited(tmp_path: Path, edit: Any) -> Path:
    data = yaml.safe_load(DEFAULT_PLATFORMS_PATH.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "platforms.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["platforms"][0].update(target_lufs="loud"), ["(spotify).target_lufs"]),
        (lambda d: d["platforms"][4].update(raises_quiet="sometimes"), ["(tidal).raises_quiet"]),
        (lambda d: d["platforms"][5].update(targt_lufs=-14), ["(amazon_music).targt_lufs",
                                                              "unknown field"]),
        (lambda d: d["platforms"][0].update(loud_above_lufs=None), ["(spotify)", "go together"]),
        (lambda d: d["platforms"].append(dict(d["platforms"][1])), ["'spotify_loud'", "twice"]),
    ],
)
def test_broken_user_edit_names_the_platform_and_field(
    tmp_path: Path, edit: Any, expected: list[str]
) -> None:
    with pytest.raises(DataFileError) as info:
        load_platforms(_edited(tmp_path, edit))
    for fragment in expected:
        assert fragment in str(info.value)


def test_user_can_correct_a_target(tmp_path: Path) -> None:
    path = _edited(tmp_path, lambda d: d["platforms"][6].update(target_lufs=-14.0, uncertain=False))
    deezer = next(p for p in load_platforms(path) if p.slug == "deezer")
    outcome = simulate_platforms(-8.0, -3.0, [deezer])[0]
    assert outcome.gain_db == pytest.approx(-6.0) and not outcome.uncertain
