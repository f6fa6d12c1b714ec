"""Preset recommendations on real analyses of synthesized tracks with known defects: each
setting follows the measurement behind it, a clean track gets gentle settings, and the
Ableton naming uses Live's devices, parameters and steps."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.mixes import (
    RATE,
    analysed,
    clean_mixdown,
    equalised,
    limited,
    shaped_noise,
    wide_low_end,
)
from tests.music import render_drums
from zz_core.advise.offline import load_advice
from zz_core.advise.presets import (
    PresetChain,
    PresetDevice,
    PresetSetting,
    load_preset_table,
    recommend_presets,
)
from zz_core.datafiles import DataFileError
from zz_core.errors import UnknownOptionError
from zz_core.judge import genres
from zz_core.judge.models import AnalysisResult

SECONDS = 6.0


def analyse(samples: np.ndarray, context: str = "mixdown", genre: str | None = "pop",
            subgenre: str | None = None) -> AnalysisResult:
    return analysed(samples, context, genre, subgenre, name="t.wav")


def device(chain: PresetChain, kind: str) -> PresetDevice:
    found = [d for d in chain.devices if d.kind == kind]
    assert found, f"no {kind} in {[d.kind for d in chain.devices]}"
    return found[0]


def setting(chain: PresetChain, kind: str, name: str) -> PresetSetting:
    settings = {s.name: s for s in device(chain, kind).settings}
    assert name in settings, f"{name} not in {list(settings)}"
    return settings[name]


def number(chain: PresetChain, kind: str, name: str) -> float:
    value = setting(chain, kind, name).value
    assert isinstance(value, float)
    return value


def eq_bands(chain: PresetChain) -> list[dict[str, float | str]]:
    """The generic EQ's bands as {type, frequency, gain, q}."""
    bands: dict[int, dict[str, float | str]] = {}
    for s in device(chain, "eq").settings:
        parts = s.name.split()
        if parts[0] == "Band":
            bands.setdefault(int(parts[1]), {})[parts[2].lower()] = s.value
    return [bands[n] for n in sorted(bands)]


@pytest.fixture(scope="module")
def quiet_master() -> AnalysisResult:
    """-18 LUFS: too quiet for electronic masters and for streaming (a warning)."""
    return analyse(limited(shaped_noise(SECONDS, "electronic"), -18.0, -1.0), "master",
                   "electronic")


@pytest.fixture(scope="module")
def streaming_master() -> AnalysisResult:
    """-14 LUFS: quieter than electronic masters, but a valid streaming master (info)."""
    return analyse(limited(shaped_noise(SECONDS, "electronic"), -14.0, -1.0), "master",
                   "electronic")


@pytest.fixture(scope="module")
def loud_master() -> AnalysisResult:
    return analyse(limited(shaped_noise(SECONDS, "electronic", seed=1), -5.0, -1.0), "master",
                   "electronic")


@pytest.fixture(scope="module")
def fitting_master() -> AnalysisResult:
    return analyse(limited(shaped_noise(SECONDS, "electronic", seed=2), -7.5, -1.0), "master",
                   "electronic")


@pytest.fixture(scope="module")
def clean_mix() -> AnalysisResult:
    return analyse(clean_mixdown(SECONDS))


@pytest.fixture(scope="module")
def muddy_mix() -> AnalysisResult:
    """+7 dB over the low-mids region (the 250 and 500 Hz octaves, 177-707 Hz)."""
    return analyse(equalised(clean_mixdown(SECONDS), 177.0, 707.0, 7.0))


@pytest.fixture(scope="module")
def one_octave_bump() -> AnalysisResult:
    """+6 dB in the 250 Hz octave only: the low-mids region stays within tolerance."""
    return analyse(equalised(clean_mixdown(SECONDS), 177.0, 354.0, 6.0))


@pytest.fixture(scope="module")
def harsh_master() -> AnalysisResult:
    """+8 dB over 2-4 kHz (1.4-5.7 kHz) in mastering guidance."""
    return analyse(equalised(clean_mixdown(SECONDS, seed=3), 1414.0, 5657.0, 8.0), "mastering")


@pytest.fixture(scope="module")
def wide_dubstep() -> AnalysisResult:
    """Unrelated left/right content below 120 Hz; dubstep keeps mono below 150 Hz."""
    return analyse(wide_low_end(clean_mixdown(SECONDS, genre="electronic")), "mixdown",
                   "electronic", "dubstep")


@pytest.fixture(scope="module")
def drum_mix() -> AnalysisResult:
    mix = clean_mixdown(SECONDS, genre="electronic")
    drums = render_drums(124.0, SECONDS, rate=RATE).audio
    return analyse(mix + drums[:, : mix.shape[1]], "mastering", "electronic", "house")


def test_too_quiet_master_gets_the_limiter_gain_to_the_genre_target(
        quiet_master: AnalysisResult) -> None:
    chain = recommend_presets(quiet_master)
    targets = genres.resolve_targets("electronic").targets
    measured = quiet_master.loudness.integrated_lufs
    assert measured is not None
    assert measured == pytest.approx(-18.0, abs=0.2)
    assert number(chain, "limiter", "Input gain") == pytest.approx(
        targets.integrated_lufs.mid - measured, abs=0.5)
    # the master it makes is louder than -14 LUFS: the -2 dBTP platforms advise for it
    assert number(chain, "limiter", "Ceiling") == pytest.approx(-2.0)
    assert setting(chain, "limiter", "Active").value == "on"
    assert "LUFS" in setting(chain, "limiter", "Input gain").note


def test_a_valid_streaming_master_keeps_its_loudness(streaming_master: AnalysisResult) -> None:
    """-14 LUFS electronic is info on the severity ladder: the limiter keeps it, and a note
    says what reaching the genre's commercial loudness would take."""
    verdict = streaming_master.verdict("loudness.integrated_lufs")
    assert verdict is not None and verdict.severity == "info"
    chain = recommend_presets(streaming_master)
    assert number(chain, "limiter", "Input gain") == pytest.approx(0.0)
    assert number(chain, "limiter", "Ceiling") == pytest.approx(-1.0)
    assert any("valid streaming master" in n for n in chain.notes), chain.notes


def test_master_inside_the_genre_range_keeps_its_loudness(
        fitting_master: AnalysisResult) -> None:
    assert number(recommend_presets(fitting_master), "limiter", "Input gain") == 0.0


def test_squashed_loud_master_is_turned_down_and_gets_its_attack_back(
        loud_master: AnalysisResult) -> None:
    chain = recommend_presets(loud_master)
    plr = loud_master.loudness.plr_db
    assert plr is not None and plr < 5.0  # below the electronic PLR range
    assert number(chain, "limiter", "Input gain") < 0.0
    assert number(chain, "transient", "Attack") == pytest.approx(5.0 - plr, abs=0.1)
    assert number(chain, "compressor", "Makeup gain") <= 0.5  # barely touched


def test_wide_low_end_gets_bass_mono_at_the_genres_frequency(
        wide_dubstep: AnalysisResult) -> None:
    mono_hz = genres.resolve_targets("electronic", "dubstep").targets.low_end.mono_below_hz
    assert mono_hz == 150.0
    chain = recommend_presets(wide_dubstep)
    assert setting(chain, "utility", "Bass mono").value == "on"
    assert number(chain, "utility", "Bass mono below") == mono_hz
    assert number(chain, "multiband", "Low/mid crossover") == mono_hz
    assert "+0.90" in setting(chain, "utility", "Bass mono").note


def test_region_excess_gets_an_eq_cut_of_about_its_size(muddy_mix: AnalysisResult) -> None:
    balance = muddy_mix.spectrum.tonal_balance
    assert balance is not None
    deviations = dict(zip(balance.octave_centres_hz, balance.deviation_db, strict=True))
    assert all((deviations[c] or 0.0) > 5.0 for c in (250.0, 500.0))
    verdict = muddy_mix.verdict("tonal.low_mids")
    assert verdict is not None and verdict.status == "warn"
    bells = [b for b in eq_bands(recommend_presets(muddy_mix)) if b["type"] == "Bell"]
    assert len(bells) == 1
    frequency, gain = float(bells[0]["frequency"]), float(bells[0]["gain"])
    assert 250.0 / math.sqrt(2) < frequency < 500.0 * math.sqrt(2)
    bound = load_advice().moves.master_eq_db  # a bus EQ stays within practice
    mean = ((deviations[250.0] or 0.0) + (deviations[500.0] or 0.0)) / 2
    assert gain == pytest.approx(-min(mean, bound), abs=0.5)
    assert float(bells[0]["q"]) == pytest.approx(0.67, abs=0.01)  # two octaves wide


def test_no_eq_move_where_the_judge_finds_the_region_fine(
        one_octave_bump: AnalysisResult) -> None:
    """One octave 6 dB up while its region stays within tolerance: the issue list, the
    cards and the EQ agree that nothing needs fixing there."""
    verdict = one_octave_bump.verdict("tonal.low_mids")
    assert verdict is not None and verdict.status == "good"
    assert "low_mid_excess" not in {i.code for i in one_octave_bump.issues}
    assert [b["type"] for b in eq_bands(recommend_presets(one_octave_bump))] == \
        ["High-pass 24 dB/oct"]


def test_harsh_excess_is_split_between_eq_and_multiband(harsh_master: AnalysisResult) -> None:
    harsh = next(i for i in harsh_master.issues if i.code == "harshness")
    chain = recommend_presets(harsh_master)
    assert number(chain, "multiband", "Mid/high crossover") == 2000.0
    cuts = [b for b in eq_bands(chain)
            if b["type"] == "Bell" and 1400.0 < float(b["frequency"]) < 5700.0]
    assert len(cuts) == 1 and float(cuts[0]["gain"]) < 0.0
    assert "half the" in setting(chain, "multiband", "High band ratio").note
    assert harsh.value is not None and float(cuts[0]["gain"]) > -harsh.value


def test_mixdown_gets_no_loudness_push(clean_mix: AnalysisResult) -> None:
    chain = recommend_presets(clean_mix)
    limiter = device(chain, "limiter")
    assert [s.value for s in limiter.settings] == ["off"]
    assert "mastering" in limiter.purpose
    peak = clean_mix.loudness.true_peak_dbtp
    assert peak is not None
    trims = [d for d in chain.devices if d.kind == "utility"]
    if trims:  # a trim only brings the peaks to about -6 dBFS
        assert peak + number(chain, "utility", "Gain") == pytest.approx(-6.0, abs=0.1)


def test_clean_track_gets_gentle_settings_and_says_little(clean_mix: AnalysisResult) -> None:
    chain = recommend_presets(clean_mix)
    assert [b["type"] for b in eq_bands(chain)] == ["High-pass 24 dB/oct"]
    assert {d.kind for d in chain.devices} <= {"eq", "compressor", "utility", "limiter"}
    assert number(chain, "compressor", "Makeup gain") <= 1.5
    assert number(chain, "compressor", "Ratio") <= 2.0
    assert len(chain.notes) <= 2


def test_release_is_a_note_at_the_measured_tempo(drum_mix: AnalysisResult) -> None:
    bpm = drum_mix.tempo.bpm
    assert bpm is not None
    assert bpm == pytest.approx(124.0, rel=0.04)
    generic = recommend_presets(drum_mix)
    assert number(generic, "compressor", "Release") == pytest.approx(30000.0 / bpm, abs=1.0)
    assert "1/8 note" in setting(generic, "compressor", "Release").note
    ableton = recommend_presets(drum_mix, "ableton")
    assert setting(ableton, "compressor", "Release").value == 0.2  # Glue's step nearest 242 ms
    assert setting(ableton, "compressor", "Release").unit == "s"


def test_ableton_naming_uses_lives_devices_and_steps(quiet_master: AnalysisResult,
                                                      loud_master: AnalysisResult,
                                                      wide_dubstep: AnalysisResult) -> None:
    chain = recommend_presets(quiet_master, "ableton")
    assert chain.naming == "ableton"
    names = {d.kind: d.device for d in chain.devices}
    assert names["eq"] == "EQ Eight" and names["compressor"] == "Glue Compressor"
    assert names["limiter"] == "Limiter"
    assert setting(chain, "eq", "Band 1 Filter Type").value == "Low Cut (48 dB)"
    assert setting(chain, "compressor", "Ratio").value in (2.0, 4.0, 10.0)
    assert setting(chain, "compressor", "Attack").value in (0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
    generic = recommend_presets(quiet_master)
    assert number(chain, "limiter", "Gain") == number(generic, "limiter", "Input gain")
    assert setting(chain, "limiter", "True Peak").value == "On"
    squashed = recommend_presets(loud_master, "ableton")
    assert device(squashed, "transient").device == "Drum Buss"
    assert setting(squashed, "transient", "Transients").unit == "%"
    assert setting(squashed, "transient", "Drive").value == 0.0
    wide = recommend_presets(wide_dubstep, "ableton")
    assert device(wide, "utility").device == "Utility"
    assert setting(wide, "utility", "Bass Mono Frequency").value == 150.0
    assert device(wide, "multiband").device == "Multiband Dynamics"


def test_every_setting_says_where_it_comes_from(harsh_master: AnalysisResult) -> None:
    chain = recommend_presets(harsh_master)
    for dev in chain.devices:
        assert dev.purpose
        measured = [s for s in dev.settings if s.note]
        assert measured, f"{dev.kind} has no traceable setting"


def test_recommendations_are_deterministic(harsh_master: AnalysisResult) -> None:
    assert recommend_presets(harsh_master) == recommend_presets(harsh_master)
    assert recommend_presets(harsh_master, "ableton") == recommend_presets(harsh_master, "ableton")


def test_chain_is_in_signal_order(wide_dubstep: AnalysisResult) -> None:
    kinds = [d.kind for d in recommend_presets(wide_dubstep).devices]
    order = ["eq", "compressor", "transient", "multiband", "utility", "limiter"]
    assert kinds == sorted(kinds, key=order.index)
    assert kinds[-1] == "limiter"


def test_silent_track_gets_nothing_to_set() -> None:
    chain = recommend_presets(analyse(np.zeros((2, RATE * 3), dtype=np.float32), "master"))
    assert chain.devices == []
    assert "silent" in chain.notes[0]


def test_mono_file_gets_no_width_settings() -> None:
    mono = clean_mixdown(SECONDS)[:1]
    chain = recommend_presets(analyse(mono))
    names = {s.name for d in chain.devices for s in d.settings}
    assert not names & {"Width", "Bass mono", "Bass mono below"}
    assert any("Mono file" in note for note in chain.notes)


def test_unknown_naming_is_refused(clean_mix: AnalysisResult) -> None:
    with pytest.raises(UnknownOptionError, match="generic, ableton"):
        recommend_presets(clean_mix, "cubase")  # type: ignore[arg-type]


def test_data_file_names_every_parameter_of_every_device() -> None:
    table = load_preset_table()
    for scheme in table.namings.values():
        assert set(scheme.devices) == {"eq", "compressor", "transient", "multiband",
                                       "limiter", "utility"}


def test_a_broken_data_file_names_the_field(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "zz_core" / "data" / "presets.yaml"
    broken = tmp_path / "presets.yaml"
    broken.write_text(source.read_text(encoding="utf-8").replace("min_move_db: 1.5",
                                                                 "min_move_db: -1.5"))
    with pytest.raises(DataFileError, match=r"rules\.eq\.min_move_db"):
        load_preset_table(broken)
    missing = tmp_path / "missing.yaml"
    missing.write_text(source.read_text(encoding="utf-8").replace("          gain: {name: Gain, "
                                                                  "unit: dB, min: -35",
                                                                  "          gainz: {name: Gain, "
                                                                  "unit: dB, min: -35"))
    with pytest.raises(DataFileError, match=r"utility\.params"):
        load_preset_table(missing)
