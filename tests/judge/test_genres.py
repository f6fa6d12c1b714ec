"""Genre table, subgenre resolution, track contexts and the tonal target curve."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from zz_core.datafiles import DataFileError
from zz_core.errors import UnknownOptionError
from zz_core.judge.genres import (
    DEFAULT_GENRES_PATH,
    OCTAVE_CENTRES_HZ,
    GenreTargets,
    Range,
    context_rules,
    list_genres,
    load_genre_table,
    resolve_targets,
    slugify,
    tonal_target_at,
)
from zz_core.vocab import CONTEXTS

# The genre and subgenre names the earlier app offered (seed-app.md), as users typed them.
SEED_SUBGENRES: dict[str, str] = {
    "electronic": "techno, house, drum and bass, dubstep, trance, psytrance, electro, ambient, "
    "synthwave, IDM",
    "pop": "electropop, dance pop, indie pop, synthpop, teen pop, pop rock, K-pop, J-pop, "
    "art pop, power pop",
    "rock": "classic, alternative, hard, indie, progressive, psychedelic, garage, blues rock, "
    "punk rock, grunge",
    "hiphop": "trap, boom bap, gangsta rap, lo-fi hip hop, crunk, cloud rap, east coast, "
    "west coast, drill, mumble rap",
    "indie": "indie rock, indie pop, indie folk, indietronica, lo-fi indie, dream pop, shoegaze, "
    "chamber pop, baroque pop",
    "punk": "hardcore, post-punk, pop punk, garage punk, oi!, skate punk, anarcho-punk, "
    "crust punk, street punk, queercore",
    "metal": "heavy, death, black, thrash, doom, power, symphonic, progressive, metalcore, "
    "nu metal",
    "jazz": "smooth, bebop, cool, swing, fusion, free, latin, gypsy, modal, vocal",
    "reggae": "roots, dancehall, dub, rocksteady, lovers rock, reggaeton, ragga, ska, conscious, "
    "digital",
    "funk": "p-funk, funk rock, electro funk, jazz funk, go-go, boogie, disco funk, "
    "psychedelic funk, afro funk, neo-funk",
    "rnb": "contemporary, neo soul, funk r&b, hip hop soul, quiet storm, alternative r&b, "
    "classic soul, trap soul, new jack swing, urban",
    "soul": "northern, southern, neo, blue-eyed, motown, gospel, psychedelic, funk, "
    "contemporary, deep",
    "country": "classic, outlaw, bluegrass, country pop, alt-country, country rock, americana, "
    "honky tonk, contemporary, western swing",
    "folk": "indie, folk rock, traditional, americana, celtic, contemporary, acoustic, folk pop, "
    "neo-folk, country folk",
    "classical": "baroque, romantic, modern, contemporary, opera, chamber, minimalism, "
    "orchestral, symphonic, choral",
}
SEED_PAIRS = [
    (genre, sub.strip()) for genre, subs in SEED_SUBGENRES.items() for sub in subs.split(",")
]


def _all_choices() -> list[tuple[str | None, str | None]]:
    """Generic, every genre, and every (genre, subgenre) of the packaged table."""
    choices: list[tuple[str | None, str | None]] = [(None, None)]
    for genre in list_genres():
        choices.append((genre.slug, None))
        choices.extend((genre.slug, sub.slug) for sub in genre.subgenres)
    return choices


ALL_CHOICES = _all_choices()


def _ranges(model: Any, prefix: str = "") -> list[tuple[str, Range]]:
    """Every Range inside a model, with its dotted field name."""
    found: list[tuple[str, Range]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Range):
            found.append((prefix + name, value))
        elif hasattr(type(value), "model_fields"):
            found.extend(_ranges(value, prefix + name + "."))
    return found


def _sub_share_db(targets: GenreTargets) -> float:
    """20-60 Hz share (dB) of a spectrum that follows the tonal curve exactly, 20 Hz-20 kHz."""
    freqs = np.geomspace(20.0, 20000.0, 4001)
    power = 10.0 ** (tonal_target_at(targets, freqs) / 10.0)
    weights = np.gradient(np.log2(freqs))  # energy per octave, integrated over log frequency
    return 10.0 * math.log10((power * weights)[freqs <= 60.0].sum() / (power * weights).sum())


def _copy_yaml(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    data = yaml.safe_load(DEFAULT_GENRES_PATH.read_text(encoding="utf-8"))
    return data, tmp_path / "genres.yaml"


def _write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the table


def test_packaged_table_loads_with_the_fifteen_genres_in_order() -> None:
    table = load_genre_table()
    assert list(table.genres) == list(SEED_SUBGENRES)
    assert set(table.contexts) == set(CONTEXTS)
    assert load_genre_table() is table  # cached


@pytest.mark.parametrize(("genre", "typed"), SEED_PAIRS)
def test_every_seed_subgenre_resolves_to_its_table_entry(genre: str, typed: str) -> None:
    resolved = resolve_targets(genre, typed)
    assert resolved.subgenre_known, f"{genre}/{typed} fell back to genre targets"
    assert resolved.genre == genre
    assert resolved.subgenre is not None
    again = resolve_targets(resolved.genre_label, resolved.subgenre_label)  # labels work too
    assert again.subgenre == resolved.subgenre


def test_every_genre_offers_the_seed_subgenres() -> None:
    for genre in list_genres():
        assert len(genre.subgenres) == len(SEED_SUBGENRES[genre.slug].split(","))
        assert genre.label and all(sub.label for sub in genre.subgenres)


@pytest.mark.parametrize(("genre", "subgenre"), ALL_CHOICES)
def test_every_resolved_target_set_is_sane(genre: str | None, subgenre: str | None) -> None:
    targets = resolve_targets(genre, subgenre).targets
    for name, r in _ranges(targets):
        assert r.min <= r.max, f"{genre}/{subgenre} {name}"
    assert tuple(targets.tonal_curve_db) == OCTAVE_CENTRES_HZ
    assert targets.tonal_curve_db[1000.0] == 0.0
    assert targets.integrated_lufs.max < 0.0 and targets.true_peak_dbtp_max <= 0.0
    assert targets.stereo_width.min >= 0.0 and targets.stereo_width.max <= 1.0
    assert targets.bpm.min >= 40.0 and targets.bpm.max <= 320.0


@pytest.mark.parametrize(("genre", "subgenre"), ALL_CHOICES)
def test_a_master_at_genre_loudness_and_minus_1_dbtp_is_not_flagged_for_plr(
    genre: str | None, subgenre: str | None
) -> None:
    # PLR = true peak - loudness: a master in the middle of the loudness range, peaking at the
    # usual -1 dBTP ceiling, must sit inside the genre's PLR range.
    targets = resolve_targets(genre, subgenre).targets
    assert targets.plr_db.contains(-1.0 - targets.integrated_lufs.mid)


@pytest.mark.parametrize(("genre", "subgenre"), ALL_CHOICES)
def test_a_mix_following_the_tonal_curve_has_an_acceptable_sub_share(
    genre: str | None, subgenre: str | None
) -> None:
    targets = resolve_targets(genre, subgenre).targets
    share = _sub_share_db(targets)
    r = targets.low_end.sub_share_db
    assert r.min + 1.0 <= share <= r.max - 1.0, f"sub share {share:.1f} dB vs {r}"


# --------------------------------------------------------------------------- resolution


def test_drum_and_bass_is_much_faster_than_house() -> None:
    dnb = resolve_targets("electronic", "drum and bass").targets.bpm
    house = resolve_targets("electronic", "house").targets.bpm
    assert (dnb.min, dnb.max) == (160.0, 180.0)
    assert house.min >= 115.0 and house.max <= 130.0
    assert dnb.min > house.max
    assert dnb.contains(174.0) and not house.contains(174.0)


@pytest.mark.parametrize(
    ("quiet", "loud"),
    [
        (("hiphop", "lo-fi hip hop"), ("hiphop", "trap")),
        (("electronic", "ambient"), ("electronic", "techno")),
        (("classical", None), ("metal", None)),
        (("jazz", None), ("pop", None)),
    ],
)
def test_quiet_styles_get_quieter_loudness_targets(
    quiet: tuple[str, str | None], loud: tuple[str, str | None]
) -> None:
    quiet_lufs = resolve_targets(*quiet).targets.integrated_lufs
    loud_lufs = resolve_targets(*loud).targets.integrated_lufs
    assert quiet_lufs.mid < loud_lufs.mid - 2.0


def test_trap_and_dubstep_ask_for_more_sub_and_a_mono_low_end() -> None:
    for genre, sub in (("hiphop", "trap"), ("electronic", "dubstep")):
        targets = resolve_targets(genre, sub).targets
        parent = resolve_targets(genre).targets
        assert targets.low_end.sub_share_db.max > parent.low_end.sub_share_db.max
        assert targets.low_end.min_correlation >= 0.9
        assert targets.tonal_curve_db[31.5] > parent.tonal_curve_db[31.5]


def test_subgenre_overrides_merge_band_by_band() -> None:
    dubstep = resolve_targets("electronic", "dubstep").targets
    electronic = resolve_targets("electronic").targets
    for centre in OCTAVE_CENTRES_HZ[2:]:  # dubstep only changes 31.5 and 63 Hz
        assert dubstep.tonal_curve_db[centre] == electronic.tonal_curve_db[centre]
    trap = resolve_targets("hiphop", "trap").targets
    assert trap.low_end.mono_below_hz == resolve_targets("hiphop").targets.low_end.mono_below_hz


def test_free_text_subgenre_falls_back_to_genre_targets() -> None:
    resolved = resolve_targets("electronic", "  Bristol   wonky\tbass ")
    assert resolved.subgenre_known is False
    assert resolved.subgenre is None
    assert resolved.subgenre_label == "Bristol wonky bass"
    assert resolved.targets == resolve_targets("electronic").targets
    long = resolve_targets("jazz", "x" * 200)
    assert long.subgenre_label == "x" * 60


def test_no_genre_gives_generic_defaults() -> None:
    for empty in (None, "", "   "):
        resolved = resolve_targets(empty)
        assert resolved.genre is None and resolved.genre_label == "Generic"
        assert resolved.targets == load_genre_table().defaults


@pytest.mark.parametrize(
    ("genre", "subgenre", "expected_genre", "expected_sub"),
    [
        ("Hip Hop", None, "hiphop", None),
        ("hip-hop", "Lo-Fi Hip Hop", "hiphop", "lo_fi_hip_hop"),
        ("HIPHOP", "lofi", "hiphop", "lo_fi_hip_hop"),
        ("R&B", None, "rnb", None),
        ("rnb", "Funk R&B", "rnb", "funk_r_and_b"),
        ("Rhythm and Blues", "alt r&b", "rnb", "alternative_r_and_b"),
        ("Electronic", "DnB", "electronic", "drum_and_bass"),
        ("EDM", "d&b", "electronic", "drum_and_bass"),
        ("electronic", "Drum & Bass", "electronic", "drum_and_bass"),
        ("electronic", "drum-and-bass", "electronic", "drum_and_bass"),
        ("rock", "Classic Rock", "rock", "classic"),
        ("punk", "Oi!", "punk", "oi"),
        ("pop", "kpop", "pop", "k_pop"),
        ("Soul", "Neo Soul", "soul", "neo"),
    ],
)
def test_labels_and_aliases_resolve(
    genre: str, subgenre: str | None, expected_genre: str, expected_sub: str | None
) -> None:
    resolved = resolve_targets(genre, subgenre)
    assert (resolved.genre, resolved.subgenre) == (expected_genre, expected_sub)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Drum and Bass", "drum_and_bass"),
        ("drum-and-bass", "drum_and_bass"),
        ("Drum & Bass", "drum_and_bass"),
        ("Oi!", "oi"),
        ("R&B", "r_and_b"),
        ("  Lo-Fi  Hip-Hop ", "lo_fi_hip_hop"),
        ("Música Électronique", "musica_electronique"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_unknown_genre_error_lists_the_valid_genres() -> None:
    with pytest.raises(UnknownOptionError) as info:
        resolve_targets("polka")
    message = str(info.value)
    assert "polka" in message
    for genre in SEED_SUBGENRES:
        assert genre in message


# --------------------------------------------------------------------------- contexts


def test_contexts_judge_mixdowns_on_headroom_and_masters_on_genre_loudness() -> None:
    mixdown, mastering, master = (context_rules(c) for c in CONTEXTS)
    assert (mixdown.label, mastering.label, master.label) == (
        "Mixdown review", "Mastering guidance", "Master review"
    )
    assert mixdown.peak_ceiling_dbtp == -3.0
    assert mastering.peak_ceiling_dbtp == master.peak_ceiling_dbtp == -1.0
    assert not mixdown.apply_genre_loudness
    assert mastering.apply_genre_loudness and master.apply_genre_loudness
    assert mixdown.integrated_lufs.min <= -28.0 and mixdown.integrated_lufs.max == -14.0
    assert mixdown.over_compressed_plr_db == 8.0
    assert master.apply_genre_dynamics and not mixdown.apply_genre_dynamics
    assert not mixdown.check_platforms and master.check_platforms

    edm = resolve_targets("electronic").targets
    # A -20 LUFS mix is fine as a mixdown and far too quiet as an EDM master.
    assert mixdown.loudness_range(edm).contains(-20.0)
    assert not master.loudness_range(edm).contains(-20.0)
    assert master.loudness_range(edm).distance(-20.0) == pytest.approx(-11.0)
    assert mixdown.true_peak_limit(edm) == -3.0 and master.true_peak_limit(edm) == -1.0
    assert mixdown.tonal_tolerance(edm) > master.tonal_tolerance(edm)


@pytest.mark.parametrize(
    ("typed", "name"),
    [("Mixdown review", "mixdown"), ("MIXDOWN", "mixdown"), ("Mastering guidance", "mastering"),
     ("master review", "master"), ("master", "master")],
)
def test_context_accepts_names_and_labels(typed: str, name: str) -> None:
    assert context_rules(typed).name == name


def test_unknown_context_error_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownOptionError, match=r"mixdown.*mastering.*master"):
        context_rules("bounce")


# --------------------------------------------------------------------------- Range


def test_range_contains_and_signed_distance() -> None:
    r = Range(min=-10.0, max=-7.0)
    assert r.contains(-8.0) and r.contains(-10.0) and not r.contains(-6.0)
    assert r.distance(-8.0) == 0.0
    assert r.distance(-12.0) == pytest.approx(-2.0)
    assert r.distance(-5.5) == pytest.approx(1.5)
    assert Range.model_validate([1, 2]) == Range(min=1.0, max=2.0)
    with pytest.raises(ValueError, match="above max"):
        Range.model_validate([3, 2])


# --------------------------------------------------------------------------- user edits


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["genres"]["metal"]["subgenres"]["doom"]["targets"].update(bpm=[90, 60]),
         ["genres.metal.subgenres.doom.targets.bpm", "min 90 is above max 60"]),
        (lambda d: d["genres"]["jazz"]["targets"].update(integrated_lufs="loud"),
         ["genres.jazz.targets.integrated_lufs", "[min, max]"]),
        (lambda d: d["genres"]["pop"]["targets"].update(bmp=[90, 130]),
         ["genres.pop.targets.bmp", "unknown field"]),
        (lambda d: d["genres"]["rock"]["targets"]["tonal_curve_db"].update({1000: 1.5}),
         ["genres.rock.targets.tonal_curve_db", "1000 Hz"]),
        (lambda d: d["genres"]["folk"]["targets"]["tonal_curve_db"].update({70: -1}),
         ["genres.folk.targets.tonal_curve_db", "unknown octave centre"]),
        (lambda d: d["defaults"]["tonal_curve_db"].pop(16000),
         ["defaults.tonal_curve_db", "missing octave centres: 16000"]),
        (lambda d: d["genres"]["hiphop"]["subgenres"]["trap"]["targets"]["low_end"].update(
            min_correlation=1.5), ["genres.hiphop.subgenres.trap.targets.low_end.min_correlation"]),
        (lambda d: d["contexts"]["mixdown"].update(clip_severity="fatal"),
         ["contexts.mixdown.clip_severity"]),
        (lambda d: d["genres"]["pop"]["subgenres"].update({"Dance Pop 2": {"label": "x"}}),
         ["genres.pop.subgenres.Dance Pop 2", "dance_pop_2"]),
        (lambda d: d["genres"]["pop"]["subgenres"]["k_pop"].update(aliases=["dance pop"]),
         ["genres.pop.subgenres", "both answer to"]),
    ],
)
def test_broken_user_edit_names_the_genre_and_field(
    tmp_path: Path, edit: Any, expected: list[str]
) -> None:
    data, path = _copy_yaml(tmp_path)
    edit(data)
    with pytest.raises(DataFileError) as info:
        load_genre_table(_write(data, path))
    for fragment in expected:
        assert fragment in str(info.value)


def test_valid_user_edit_changes_the_targets(tmp_path: Path) -> None:
    data, path = _copy_yaml(tmp_path)
    data["genres"]["pop"]["subgenres"]["k_pop"]["targets"]["bpm"] = [95, 145]
    data["genres"]["pop"]["subgenres"]["hyperpop"] = {
        "label": "Hyperpop", "targets": {"bpm": [140, 180], "tonal_curve_db": {"16000": -12}}
    }
    table = load_genre_table(_write(data, path))
    assert table is not load_genre_table()
    assert resolve_targets("pop", "K-pop", table=table).targets.bpm == Range(min=95, max=145)
    hyper = resolve_targets("pop", "hyperpop", table=table)
    assert hyper.subgenre_known
    assert hyper.targets.tonal_curve_db[16000.0] == -12.0
    assert hyper.targets.tonal_curve_db[8000.0] == resolve_targets("pop").targets.tonal_curve_db[
        8000.0
    ]
    assert not resolve_targets("pop", "hyperpop").subgenre_known  # packaged table unchanged


def test_empty_entries_mean_no_change(tmp_path: Path) -> None:
    data, path = _copy_yaml(tmp_path)
    data["genres"]["funk"]["subgenres"]["boogie"]["targets"] = None
    table = load_genre_table(_write(data, path))
    assert table.genres["funk"].subgenres["boogie"].targets == table.genres["funk"].targets


def test_unreadable_or_malformed_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="cannot read"):
        load_genre_table(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("genres: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="not valid YAML"):
        load_genre_table(bad)


# --------------------------------------------------------------------------- tonal curve


@pytest.mark.parametrize(("genre", "subgenre"), [(None, None), ("metal", None), ("hiphop", "trap")])
def test_tonal_target_matches_the_table_at_octave_centres(
    genre: str | None, subgenre: str | None
) -> None:
    targets = resolve_targets(genre, subgenre).targets
    centres = np.array(OCTAVE_CENTRES_HZ)
    np.testing.assert_allclose(
        tonal_target_at(targets, centres), list(targets.tonal_curve_db.values()), atol=1e-12
    )


@pytest.mark.parametrize(("genre", "subgenre"), ALL_CHOICES)
def test_tonal_target_is_monotone_between_octave_centres(
    genre: str | None, subgenre: str | None
) -> None:
    targets = resolve_targets(genre, subgenre).targets
    levels = list(targets.tonal_curve_db.values())
    for i, (lo, hi) in enumerate(itertools.pairwise(OCTAVE_CENTRES_HZ)):
        values = tonal_target_at(targets, np.geomspace(lo, hi, 50))
        steps = np.diff(values)
        assert np.all(steps >= -1e-12) or np.all(steps <= 1e-12)
        assert values.min() >= min(levels[i], levels[i + 1]) - 1e-12
        assert values.max() <= max(levels[i], levels[i + 1]) + 1e-12
    # Halfway in log frequency is the mean of the two neighbouring bands.
    mid = tonal_target_at(targets, np.array([math.sqrt(250.0 * 500.0)]))[0]
    assert mid == pytest.approx(0.5 * (levels[3] + levels[4]))


def test_tonal_target_is_flat_outside_the_table_and_keeps_shape() -> None:
    targets = resolve_targets("pop").targets
    out = tonal_target_at(targets, np.array([[0.0, 10.0], [20000.0, np.nan]]))
    assert out.shape == (2, 2)
    assert out[0, 0] == out[0, 1] == targets.tonal_curve_db[31.5]
    assert out[1, 0] == targets.tonal_curve_db[16000.0]
    assert math.isnan(out[1, 1])
