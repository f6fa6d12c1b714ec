"""Preset recommendations: a device chain (EQ, bus compressor, transient shaper, multiband,
utility, limiter) whose settings follow from a track's measurements and its genre targets.

Every number is traceable: EQ gains are the negated octave deviations from the genre's tonal
curve, the compressor works on the PLR above the genre's range, the limiter gain is the
distance from the measured to the target integrated loudness, and so on; each setting's
note names the figure it comes from. Device and parameter names (generic or Ableton Live),
the steps a device offers and the fixed starting values live in ``data/presets.yaml``.

Units: dB, dBFS, dBTP, LUFS, Hz, ms; ratios as x:1; width in % (100 = unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zz_core.datafiles import DATA_DIR, fail, read_yaml, validation_lines
from zz_core.errors import UnknownOptionError
from zz_core.judge import genres
from zz_core.judge.genres import ContextRules, GenreTargets, Range
from zz_core.judge.judging import judging_rules
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import NAMINGS, Context, Naming

DEFAULT_PRESETS_PATH = DATA_DIR / "presets.yaml"

DeviceKind = Literal["eq", "compressor", "transient", "multiband", "limiter", "utility"]
DEVICE_ORDER: tuple[DeviceKind, ...] = ("eq", "compressor", "transient", "multiband",
                                        "utility", "limiter")
PARAMETERS: dict[DeviceKind, tuple[str, ...]] = {
    "eq": ("type", "frequency", "gain", "q"),
    "compressor": ("threshold", "ratio", "attack", "release", "makeup"),
    "transient": ("attack", "sustain"),
    "multiband": ("low_crossover", "high_crossover", "low_threshold", "low_ratio", "low_attack",
                  "low_release", "high_threshold", "high_ratio", "high_attack",
                  "high_release"),
    "limiter": ("active", "gain", "ceiling"),
    "utility": ("gain", "width", "bass_mono", "bass_mono_frequency"),
}
"""The logical parameters each device kind is set through (named per scheme in the YAML)."""
FILTER_TYPES = ("high_pass", "low_shelf", "bell", "high_shelf")
LOW_OCTAVES_HZ = (31.5, 63.0, 125.0)
"""Octaves the multiband's low band covers (the low_end_excess octaves)."""
HARSH_OCTAVES_HZ = (2000.0, 4000.0)
"""Octaves its high band covers (the harshness octaves)."""
MONO_WIDTH = 1e-4
"""Side/mid ratio at or below which a stereo file is mono in effect (as issues.MONO_WIDTH)."""




# --------------------------------------------------------------------------- public models


class PresetSetting(BaseModel):
    """One parameter of a device: its value in ``unit`` and where the value comes from."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: float | str
    unit: str
    note: str = ""


class PresetDevice(BaseModel):
    """One device of the chain with the settings to dial in."""

    model_config = ConfigDict(frozen=True)

    kind: DeviceKind
    device: str
    purpose: str
    settings: list[PresetSetting]


class PresetChain(BaseModel):
    """The recommended chain, in signal order, and what to keep in mind."""

    model_config = ConfigDict(frozen=True)

    context: Context
    genre_label: str
    naming: Naming
    devices: list[PresetDevice]
    notes: list[str]


# --------------------------------------------------------------------------- data file


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ParamSpec(_Frozen):
    """How a device shows one parameter (see presets.yaml)."""

    name: str = Field(min_length=1)
    unit: str = ""
    scale: float = Field(default=1.0, gt=0.0)
    steps: tuple[float, ...] | None = Field(default=None, min_length=1)
    min: float | None = None
    max: float | None = None
    digits: int = Field(default=1, ge=0, le=4)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data


class FixedSetting(_Frozen):
    name: str = Field(min_length=1)
    value: float | str
    unit: str = ""
    note: str = ""


class DeviceNames(_Frozen):
    device: str = Field(min_length=1)
    params: dict[str, ParamSpec | None]
    filters: dict[str, str] = Field(default_factory=dict)
    fixed: list[FixedSetting] = Field(default_factory=list)


class NamingScheme(_Frozen):
    label: str
    devices: dict[DeviceKind, DeviceNames]

    @model_validator(mode="after")
    def _complete(self) -> NamingScheme:
        problems = []
        for kind, params in PARAMETERS.items():
            names = self.devices.get(kind)
            if names is None:
                problems.append(f"devices.{kind}: missing")
                continue
            missing = [p for p in params if p not in names.params]
            unknown = [p for p in names.params if p not in params]
            if missing:
                problems.append(f"devices.{kind}.params: missing {', '.join(missing)}")
            if unknown:
                problems.append(f"devices.{kind}.params: unknown {', '.join(unknown)}")
        filters = self.devices["eq"].filters if "eq" in self.devices else {}
        if "eq" in self.devices and set(filters) != set(FILTER_TYPES):
            problems.append(f"devices.eq.filters: must name {', '.join(FILTER_TYPES)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class HighPassRules(_Frozen):
    default_hz: float = Field(gt=0.0)
    fundamental_share: float = Field(gt=0.0, le=1.0)
    min_hz: float = Field(gt=0.0)
    max_hz: float = Field(gt=0.0)
    q: float = Field(gt=0.0)


class EqRules(_Frozen):
    max_gain_db: float = Field(gt=0.0)
    min_move_db: float = Field(ge=0.0)
    tolerance_share: float = Field(ge=0.0)
    max_bands: int = Field(ge=2)
    shelf_q: float = Field(gt=0.0)
    high_pass: HighPassRules


class CompressorRules(_Frozen):
    ratio_min: float = Field(gt=1.0)
    ratio_base: float = Field(gt=1.0)
    ratio_per_db: float = Field(ge=0.0)
    ratio_max: float = Field(gt=1.0)
    gentle_reduction_db: float = Field(gt=0.0)
    squashed_reduction_db: float = Field(gt=0.0)
    max_reduction_db: float = Field(gt=0.0)
    attack_ms: float = Field(gt=0.0)
    slow_attack_ms: float = Field(gt=0.0)
    fast_attack_ms: float = Field(gt=0.0)
    release_ms: float = Field(gt=0.0)
    release_range_ms: Range
    mixdown_extra_plr_db: float = Field(ge=0.0)


class TransientRules(_Frozen):
    max_change_db: float = Field(gt=0.0)
    spiky_change_db: float = Field(gt=0.0)


class MultibandRules(_Frozen):
    dynamic_share: float = Field(ge=0.0, le=1.0)
    headroom_db: float = Field(gt=0.0)
    min_reduction_db: float = Field(gt=0.0)
    max_reduction_db: float = Field(gt=0.0)
    wide_reduction_db: float = Field(gt=0.0)
    high_crossover_hz: float = Field(gt=0.0)
    low_attack_ms: float = Field(gt=0.0)
    low_release_ms: float = Field(gt=0.0)
    high_attack_ms: float = Field(gt=0.0)
    high_release_ms: float = Field(gt=0.0)

    @model_validator(mode="after")
    def _below_headroom(self) -> MultibandRules:
        if self.max_reduction_db >= self.headroom_db:
            raise ValueError("max_reduction_db must stay below headroom_db")
        return self


class UtilityRules(_Frozen):
    mixdown_peak_dbfs: float = Field(le=0.0)
    min_trim_db: float = Field(ge=0.0)
    max_widen_pct: float = Field(ge=100.0)


class PresetRules(_Frozen):
    eq: EqRules
    compressor: CompressorRules
    transient: TransientRules
    multiband: MultibandRules
    utility: UtilityRules


class PresetTable(_Frozen):
    """Everything presets.yaml defines, validated."""

    version: int = 1
    namings: dict[Naming, NamingScheme]
    rules: PresetRules

    @model_validator(mode="after")
    def _every_naming(self) -> PresetTable:
        missing = [n for n in NAMINGS if n not in self.namings]
        if missing:
            raise ValueError(f"namings: missing {', '.join(missing)}")
        return self


def _parse_table(source: Path, data: Any) -> PresetTable:
    try:
        return PresetTable.model_validate(data)
    except ValidationError as err:
        problems = validation_lines("", err)
    fail(source, problems)


@lru_cache(maxsize=1)
def _default_table() -> PresetTable:
    return _parse_table(DEFAULT_PRESETS_PATH, read_yaml(DEFAULT_PRESETS_PATH))


def load_preset_table(path: Path | None = None) -> PresetTable:
    """Load and validate presets.yaml; the packaged file is read once and cached."""
    if path is None or Path(path).resolve() == DEFAULT_PRESETS_PATH:
        return _default_table()
    return _parse_table(Path(path), read_yaml(Path(path)))


# --------------------------------------------------------------------------- judging rules


def plr_range(targets: GenreTargets, rules: ContextRules, extra_mixdown_db: float) -> Range:
    """PLR (dB) a track should have in its context: the genre's range for a master; for a
    mixdown, from the context's squashed floor to the genre's top plus ``extra_mixdown_db``."""
    if rules.apply_genre_dynamics:
        return targets.plr_db
    top = targets.plr_db.max + extra_mixdown_db
    return Range(min=rules.over_compressed_plr_db, max=max(top, rules.over_compressed_plr_db))


# --------------------------------------------------------------------------- drafting


@dataclass(frozen=True)
class _Value:
    """A setting in internal units before a naming scheme names, scales and snaps it."""

    param: str
    value: float | str
    note: str = ""
    band: int | None = None


@dataclass
class _Draft:
    kind: DeviceKind
    purpose: str
    values: list[_Value] = field(default_factory=list)
    with_fixed: bool = True  # False for a device that is switched off


@dataclass(frozen=True)
class _Inputs:
    """Everything the device builders read."""

    result: AnalysisResult
    targets: GenreTargets
    rules: ContextRules
    config: PresetRules
    snap: Callable[[DeviceKind, str, float], float]

    @property
    def label(self) -> str:
        return self.result.genre.display_label

    @property
    def stereo(self) -> bool:
        width = self.result.stereo.width
        return self.result.channels > 1 and width is not None and width > MONO_WIDTH

    def deviations(self) -> dict[float, float]:
        """Octave centre (Hz) -> measured minus target (dB), measurable octaves only."""
        balance = self.result.spectrum.tonal_balance
        if balance is None:
            return {}
        return {c: d for c, d in zip(balance.octave_centres_hz, balance.deviation_db,
                                     strict=True) if d is not None}

    def tolerance(self) -> float:
        balance = self.result.spectrum.tonal_balance
        return balance.tolerance_db if balance else self.rules.tonal_tolerance(self.targets)

    def has_issue(self, code: str) -> bool:
        return any(issue.code == code for issue in self.result.issues)

    def plr_range(self) -> Range:
        return plr_range(self.targets, self.rules, self.config.compressor.mixdown_extra_plr_db)


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _hz(value: float) -> str:
    return f"{value / 1000:g} kHz" if value >= 1000 else f"{value:g} Hz"


# --------------------------------------------------------------------------- multiband


@dataclass(frozen=True)
class _DynamicShare:
    """The part (dB) of a low-end or harsh excess the multiband takes on the loud parts."""

    low_db: float = 0.0
    high_db: float = 0.0


def _excess(inputs: _Inputs, code: str) -> float:
    """The measured excess (dB over the tonal target) behind an issue, 0 without one."""
    values = [i.value for i in inputs.result.issues if i.code == code and i.value is not None]
    return max([*values, 0.0])


def _dynamic_share(inputs: _Inputs) -> _DynamicShare:
    """The multiband's share of the low-end and harsh excesses, at most its largest
    reduction; the EQ takes the rest."""
    cfg = inputs.config.multiband
    low = cfg.dynamic_share * _excess(inputs, "low_end_excess")
    high = cfg.dynamic_share * _excess(inputs, "harshness")
    return _DynamicShare(low_db=min(low, cfg.max_reduction_db),
                         high_db=min(high, cfg.max_reduction_db))


def _share_text(inputs: _Inputs) -> str:
    fraction = inputs.config.multiband.dynamic_share
    return "half" if fraction == 0.5 else f"{fraction:.0%} of"


def _wide_low_end(inputs: _Inputs) -> bool:
    low = inputs.result.stereo.low_end_correlation
    return inputs.stereo and low is not None and low < inputs.targets.low_end.min_correlation


def _band_level(inputs: _Inputs, names: tuple[str, ...]) -> float | None:
    """Combined level (dBFS) of the named bands."""
    powers = [10 ** (b.level_db / 10) for b in inputs.result.bands
              if b.name in names and b.level_db is not None]
    return 10 * math.log10(sum(powers)) if powers else None


def _band_compression(inputs: _Inputs, prefix: str, level: float, reduction: float,
                      why: str) -> list[_Value]:
    """Threshold at the band's average level, ratio so the loud parts (headroom above the
    average) come down by ``reduction``."""
    cfg = inputs.config.multiband
    reduction = _clip(reduction, cfg.min_reduction_db, cfg.max_reduction_db)
    ratio = cfg.headroom_db / (cfg.headroom_db - reduction)
    return [
        _Value(f"{prefix}_threshold", round(level, 1),
               f"the band's average level ({level:.1f} dBFS)"),
        _Value(f"{prefix}_ratio", round(ratio, 2),
               f"about {reduction:.1f} dB off parts {cfg.headroom_db:g} dB above average; {why}"),
    ]


def _multiband(inputs: _Inputs, share: _DynamicShare) -> _Draft | None:
    cfg = inputs.config.multiband
    wide = _wide_low_end(inputs)
    if not (wide or share.low_db or share.high_db):
        return None
    mono_hz = inputs.targets.low_end.mono_below_hz
    values: list[_Value] = []
    purposes = []
    low_level = _band_level(inputs, ("sub", "low"))
    if (wide or share.low_db) and low_level is not None:
        values.append(_Value("low_crossover", mono_hz,
                             f"{inputs.label} keeps the low end mono below {mono_hz:g} Hz"))
        reduction = share.low_db or cfg.wide_reduction_db
        why = (f"{_share_text(inputs)} the {_excess(inputs, 'low_end_excess'):+.1f} dB "
               "low-end excess"
               if share.low_db else "steadies a wide low end (the Utility monos it)")
        values += _band_compression(inputs, "low", low_level, reduction, why)
        values += [_Value("low_attack", cfg.low_attack_ms, "slow: keeps bass waveforms clean"),
                   _Value("low_release", cfg.low_release_ms)]
        purposes.append("tighten the low band")
    high_level = _band_level(inputs, ("high_mid", "high", "air"))
    if share.high_db and high_level is not None:
        values.append(_Value("high_crossover", cfg.high_crossover_hz, "harshness sits at 2-4 kHz"))
        why = f"{_share_text(inputs)} the {_excess(inputs, 'harshness'):+.1f} dB harsh excess"
        values += _band_compression(inputs, "high", high_level, share.high_db, why)
        values += [_Value("high_attack", cfg.high_attack_ms),
                   _Value("high_release", cfg.high_release_ms)]
        purposes.append("tame the harsh top on its loud parts")
    if not values:
        return None
    return _Draft("multiband", "; ".join(purposes).capitalize() + ".", values)


# --------------------------------------------------------------------------- EQ


@dataclass(frozen=True)
class _Move:
    kind: str  # a FILTER_TYPES entry
    frequency_hz: float
    gain_db: float
    q: float
    note: str


def _octave_groups(deviations: dict[float, float], threshold: float) -> list[list[float]]:
    """Runs of neighbouring octaves that stray by more than ``threshold`` the same way."""
    groups: list[list[float]] = []
    previous_sign = 0
    for centre in genres.OCTAVE_CENTRES_HZ:
        deviation = deviations.get(centre)
        sign = 0 if deviation is None or abs(deviation) <= threshold else (
            1 if deviation > 0 else -1)
        if sign and sign == previous_sign:
            groups[-1].append(centre)
        elif sign:
            groups.append([centre])
        previous_sign = sign
    return groups


def _q_for_octaves(octaves: float) -> float:
    """Bell Q whose -3 dB bandwidth spans ``octaves``: Q = sqrt(2^N) / (2^N - 1)."""
    ratio = 2.0 ** octaves
    return math.sqrt(ratio) / (ratio - 1.0)


def _move(inputs: _Inputs, group: list[float], share: _DynamicShare) -> _Move:
    """One EQ move for a run of straying octaves: gain = minus the |deviation|-weighted mean
    deviation (less the multiband's share), a shelf at either end of the spectrum."""
    deviations = inputs.deviations()
    values = [deviations[c] for c in group]
    weights = [abs(v) for v in values]
    mean = sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)
    dynamic = min(_group_share(group, share), mean) if mean > 0 else 0.0
    max_gain = inputs.config.eq.max_gain_db
    gain = _clip(-(mean - dynamic), -max_gain, max_gain)
    first, last = group[0], group[-1]
    listed = ", ".join(f"{_hz(c)} {deviations[c]:+.1f}" for c in group)
    note = f"octave{'s' if len(group) > 1 else ''} {listed} dB vs the {inputs.label} target"
    if dynamic:
        note += f"; the multiband takes {dynamic:.1f} dB more on the loud parts"
    if abs(mean - dynamic) > max_gain:
        note += f" (capped at {max_gain:g} dB)"
    if first == genres.OCTAVE_CENTRES_HZ[0] and len(genres.OCTAVE_CENTRES_HZ) > len(group):
        return _Move("low_shelf", last * math.sqrt(2.0), gain, inputs.config.eq.shelf_q, note)
    if last == genres.OCTAVE_CENTRES_HZ[-1]:
        return _Move("high_shelf", first / math.sqrt(2.0), gain, inputs.config.eq.shelf_q, note)
    centre = math.exp(sum(math.log(c) * w for c, w in zip(group, weights, strict=True))
                      / sum(weights))
    return _Move("bell", centre, gain, _q_for_octaves(len(group)), note)


def _group_share(group: list[float], share: _DynamicShare) -> float:
    if set(group) & set(LOW_OCTAVES_HZ):
        return share.low_db
    if set(group) & set(HARSH_OCTAVES_HZ):
        return share.high_db
    return 0.0


def _high_pass(inputs: _Inputs) -> _Move:
    cfg = inputs.config.eq.high_pass
    peak = inputs.result.spectrum.low_end_peak_hz
    if peak is None:
        return _Move("high_pass", cfg.default_hz, 0.0, cfg.q, "subsonic: below any music")
    frequency = _clip(peak * cfg.fundamental_share, cfg.min_hz, cfg.max_hz)
    note = (f"subsonic: {cfg.fundamental_share:g} x the low-end fundamental ({peak:.0f} Hz), "
            f"kept within {cfg.min_hz:g}-{cfg.max_hz:g} Hz")
    if inputs.has_issue("dc_offset"):
        note += "; also removes the DC offset"
    return _Move("high_pass", frequency, 0.0, cfg.q, note)


def _move_threshold(inputs: _Inputs) -> float:
    """Octave deviation (dB) from which the EQ moves."""
    cfg = inputs.config.eq
    return max(cfg.min_move_db, cfg.tolerance_share * inputs.tolerance())


def _eq_moves(inputs: _Inputs, share: _DynamicShare) -> list[_Move]:
    groups = _octave_groups(inputs.deviations(), _move_threshold(inputs))
    moves = [m for m in (_move(inputs, group, share) for group in groups)
             if abs(m.gain_db) >= 0.5]
    kept = sorted(moves, key=lambda m: -abs(m.gain_db))[: inputs.config.eq.max_bands - 1]
    return sorted(kept, key=lambda m: m.frequency_hz)


def _band_values(band: int, move: _Move) -> list[_Value]:
    values = [_Value("type", move.kind, move.note, band),
              _Value("frequency", round(move.frequency_hz), band=band)]
    if move.kind != "high_pass":
        values.append(_Value("gain", round(move.gain_db, 1), band=band))
    return [*values, _Value("q", round(move.q, 2), band=band)]


def _eq(inputs: _Inputs, share: _DynamicShare) -> _Draft:
    moves = _eq_moves(inputs, share)
    values = [v for band, move in enumerate([_high_pass(inputs), *moves], start=1)
              for v in _band_values(band, move)]
    if moves:
        purpose = (f"Subsonic high-pass, then {len(moves)} move{'s' if len(moves) > 1 else ''} "
                   f"towards the {inputs.label} tonal target.")
    elif inputs.deviations():
        purpose = (f"Subsonic high-pass only: every octave is within "
                   f"{_move_threshold(inputs):g} dB of the {inputs.label} target.")
    else:
        purpose = "Subsonic high-pass only (no tonal balance could be measured)."
    return _Draft("eq", purpose, values)


# --------------------------------------------------------------------------- compressor


def _release_ms(inputs: _Inputs) -> tuple[float, str]:
    """A 1/8 note at the measured tempo, halved or doubled into the release range."""
    cfg = inputs.config.compressor
    bpm = inputs.result.tempo.bpm
    if bpm is None or bpm <= 0:
        return cfg.release_ms, "no steady tempo measured: a neutral starting value"
    release, division = 30000.0 / bpm, 8
    while release > cfg.release_range_ms.max and division < 32:
        release, division = release / 2, division * 2
    while release < cfg.release_range_ms.min and division > 2:
        release, division = release * 2, division // 2
    return release, (f"a 1/{division} note at {bpm:.1f} BPM ({release:.0f} ms), so it breathes "
                     "in time")


def _compressor_plan(inputs: _Inputs, plr: float) -> tuple[float, float, float, str, str]:
    """Ratio, gain reduction (dB), attack (ms), why, and purpose from the PLR."""
    cfg = inputs.config.compressor
    wanted = inputs.plr_range()
    spiky = inputs.result.transients.description == "spiky"
    if plr > wanted.max:
        excess = plr - wanted.max
        ratio = _clip(cfg.ratio_base + cfg.ratio_per_db * excess, cfg.ratio_min, cfg.ratio_max)
        reduction = _clip(excess, cfg.gentle_reduction_db, cfg.max_reduction_db)
        attack = cfg.fast_attack_ms if spiky else cfg.attack_ms
        why = f"PLR {plr:.1f} dB is {excess:.1f} dB above the {_range(wanted)} dB range"
        return ratio, reduction, attack, why, "Bring the dynamics into the genre's range."
    if plr < wanted.min:
        why = f"PLR {plr:.1f} dB is already below the {_range(wanted)} dB range"
        return (cfg.ratio_min, cfg.squashed_reduction_db, cfg.slow_attack_ms, why,
                "Barely touch it: the track is already squashed (or bypass).")
    why = f"PLR {plr:.1f} dB is inside the {_range(wanted)} dB range"
    return (cfg.ratio_min, cfg.gentle_reduction_db, cfg.slow_attack_ms, why,
            "Gentle glue; the dynamics already fit.")


def _range(r: Range) -> str:
    return f"{r.min:g} to {r.max:g}"


def _compressor(inputs: _Inputs) -> _Draft | None:
    loud = inputs.result.loudness
    level = loud.short_term_max_lufs if loud.short_term_max_lufs is not None else loud.rms_dbfs
    if loud.plr_db is None or level is None:
        return None
    ratio, reduction, attack, why, purpose = _compressor_plan(inputs, loud.plr_db)
    ratio = max(inputs.snap("compressor", "ratio", ratio), 1.1)
    threshold = level - reduction * ratio / (ratio - 1.0)
    release, release_note = _release_ms(inputs)
    return _Draft("compressor", purpose, [
        _Value("threshold", round(threshold, 1),
               f"about {reduction:.1f} dB of gain reduction on the loudest 3 s "
               f"({level:.1f} LUFS) at {ratio:g}:1"),
        _Value("ratio", round(ratio, 2), why),
        _Value("attack", attack, "slow: lets the transients through" if attack >= 20
               else "catches the spikes" if attack <= 5 else "medium"),
        _Value("release", round(release), release_note),
        _Value("makeup", round(reduction, 1), "about the gain reduction: level unchanged"),
    ])


# --------------------------------------------------------------------------- transients


def _transient(inputs: _Inputs) -> _Draft | None:
    """More attack when the track is squashed; less when it is spiky or more dynamic than
    the bus compressor can bring into range."""
    cfg = inputs.config.transient
    plr = inputs.result.loudness.plr_db
    if plr is None:
        return None
    wanted = inputs.plr_range()
    transients = inputs.result.transients
    left_over = plr - wanted.max - inputs.config.compressor.max_reduction_db
    if plr < wanted.min:
        change = min(wanted.min - plr, cfg.max_change_db)
        note = f"PLR {plr:.1f} dB is {wanted.min - plr:.1f} dB below {wanted.min:g} dB"
        purpose = "Bring back the attack that compression took."
    elif transients.description == "spiky" or left_over > 0:
        change = -_clip(left_over, cfg.spiky_change_db, cfg.max_change_db)
        if transients.description == "spiky":
            note = (f"spiky transients: attacks {transients.strength_crest_db:.0f} dB above "
                    "the background")
        else:
            note = (f"PLR {plr:.1f} dB is {left_over:.1f} dB more than the bus compressor "
                    f"takes above the {_range(wanted)} dB range")
        purpose = "Soften the spikes so the limiter works less."
    else:
        return None
    return _Draft("transient", purpose, [
        _Value("attack", round(change, 1), note),
        _Value("sustain", 0.0, "unchanged"),
    ])


# --------------------------------------------------------------------------- utility


def _width_value(inputs: _Inputs) -> _Value | None:
    """Utility width (%) that moves side/mid energy to the nearest edge of the genre range:
    side energy scales with width squared."""
    width = inputs.result.stereo.width
    wanted = inputs.targets.stereo_width
    if not inputs.stereo or width is None or wanted.contains(width):
        return None
    goal = wanted.max if width > wanted.max else wanted.min
    percent = min(100.0 * math.sqrt(goal / width), inputs.config.utility.max_widen_pct)
    if abs(percent - 100.0) < 5.0:
        return None
    return _Value("width", round(percent), f"width (side/mid) {width:.2f}, {inputs.label} "
                                           f"{wanted.min:g}-{wanted.max:g}")


def _trim_value(inputs: _Inputs) -> _Value | None:
    """Mixdown only: gain that puts the true peak at the mixdown peak target."""
    peak = inputs.result.loudness.true_peak_dbtp
    if inputs.rules.apply_genre_loudness or peak is None:
        return None
    goal = inputs.config.utility.mixdown_peak_dbfs
    gain = goal - peak
    if abs(gain) < inputs.config.utility.min_trim_db:
        return None
    return _Value("gain", round(gain, 1), f"true peak {peak:+.1f} dBTP to about {goal:g} dBFS, "
                                          "the headroom mastering expects")


def _utility(inputs: _Inputs) -> _Draft | None:
    values: list[_Value] = []
    purposes = []
    trim = _trim_value(inputs)
    if trim is not None:
        values.append(trim)
        purposes.append("trim the mix level")
    width = _width_value(inputs)
    if width is not None:
        values.append(width)
        purposes.append("narrow the image" if float(width.value) < 100 else "widen the image")
    if _wide_low_end(inputs):
        low = inputs.targets.low_end
        corr = inputs.result.stereo.low_end_correlation or 0.0
        values += [
            _Value("bass_mono", "on", f"low-end correlation {corr:+.2f}, {inputs.label} aims "
                                      f"for {low.min_correlation:+.2f} or more"),
            _Value("bass_mono_frequency", low.mono_below_hz,
                   f"{inputs.label} keeps the low end mono below {low.mono_below_hz:g} Hz"),
        ]
        purposes.append("mono the low end")
    if not values:
        return None
    return _Draft("utility", "; ".join(purposes).capitalize() + ".", values)


# --------------------------------------------------------------------------- limiter


def _limiter(inputs: _Inputs) -> _Draft | None:
    loud = inputs.result.loudness
    ceiling = inputs.rules.true_peak_limit(inputs.targets)
    if not inputs.rules.apply_genre_loudness:
        peak = "n/a" if loud.true_peak_dbtp is None else f"{loud.true_peak_dbtp:+.1f} dBTP"
        return _Draft("limiter", "Off: leave headroom for mastering.", [
            _Value("active", "off", f"a {inputs.rules.label.lower()} keeps its peaks below "
                                    f"{ceiling:g} dBTP (measured {peak}); loudness is set "
                                    "at mastering"),
        ], with_fixed=False)
    if loud.integrated_lufs is None:
        return None
    measured = loud.integrated_lufs
    wanted = inputs.rules.loudness_range(inputs.targets)
    target = measured if wanted.contains(measured) else wanted.mid
    gain = target - measured
    where = (f"{measured:.1f} LUFS is inside {inputs.label}'s {_range(wanted)} LUFS"
             if gain == 0 else f"{measured:.1f} LUFS to {target:.1f} LUFS, the middle of "
                               f"{inputs.label}'s {_range(wanted)} LUFS")
    return _Draft("limiter", f"Set the final loudness ({target:.1f} LUFS) under a "
                             f"{ceiling:g} dBTP ceiling.", [
        _Value("active", "on"),
        _Value("gain", round(gain, 1), where),
        _Value("ceiling", ceiling, f"{inputs.rules.label}: true peak at most {ceiling:g} dBTP"),
    ])


def _limiter_notes(inputs: _Inputs) -> list[str]:
    loud = inputs.result.loudness
    if not inputs.rules.apply_genre_loudness or loud.integrated_lufs is None:
        return []
    ceiling = inputs.rules.true_peak_limit(inputs.targets)
    wanted = inputs.rules.loudness_range(inputs.targets)
    measured = loud.integrated_lufs
    target = measured if wanted.contains(measured) else wanted.mid
    notes = []
    if loud.true_peak_dbtp is not None:
        over = loud.true_peak_dbtp + (target - measured) - ceiling
        if over > 0.5:
            notes.append(f"The limiter will take about {over:.1f} dB off the loudest peaks "
                         f"(true peak {loud.true_peak_dbtp:+.1f} dBTP plus "
                         f"{target - measured:+.1f} dB of gain, ceiling {ceiling:g} dBTP).")
            plr_after = ceiling - target
            if plr_after < inputs.targets.plr_db.min:
                notes.append(f"That leaves a PLR of about {plr_after:.1f} dB, below "
                             f"{inputs.label}'s {inputs.targets.plr_db.min:g} dB: stop short "
                             "of the target if the track loses its punch.")
    return notes


# --------------------------------------------------------------------------- rendering


def _snap(value: float, spec: ParamSpec) -> float:
    scaled = value * spec.scale
    if spec.min is not None:
        scaled = max(scaled, spec.min)
    if spec.max is not None:
        scaled = min(scaled, spec.max)
    if spec.steps:
        if scaled > 0 and all(s > 0 for s in spec.steps):
            scaled = min(spec.steps, key=lambda s: abs(math.log(s / scaled)))
        else:
            scaled = min(spec.steps, key=lambda s: abs(s - scaled))
    return round(scaled, spec.digits) if spec.digits else float(round(scaled))


def _snapper(scheme: NamingScheme) -> Callable[[DeviceKind, str, float], float]:
    """Value (internal units) as the device can be set, back in internal units."""
    def snap(kind: DeviceKind, param: str, value: float) -> float:
        spec = scheme.devices[kind].params.get(param)
        return value if spec is None else _snap(value, spec) / spec.scale
    return snap


def _render_value(item: _Value, names: DeviceNames) -> PresetSetting | None:
    spec = names.params.get(item.param)
    if spec is None:
        return None
    name = spec.name.replace("{n}", str(item.band or 1))
    if isinstance(item.value, str):
        value: float | str = names.filters.get(item.value, item.value)
        return PresetSetting(name=name, value=value, unit="", note=item.note)
    snapped = _snap(item.value, spec)
    note = item.note
    wanted = item.value * spec.scale
    if spec.steps and not math.isclose(snapped, wanted, rel_tol=0.02, abs_tol=1e-9):
        step = f"nearest step to {wanted:.3g}"
        note = f"{note} ({step})" if note else step
    return PresetSetting(name=name, value=snapped, unit=spec.unit, note=note)


def _render(draft: _Draft, scheme: NamingScheme) -> PresetDevice:
    names = scheme.devices[draft.kind]
    settings = [s for s in (_render_value(v, names) for v in draft.values) if s is not None]
    if draft.with_fixed:
        settings += [PresetSetting(name=f.name, value=f.value, unit=f.unit, note=f.note)
                     for f in names.fixed]
    return PresetDevice(kind=draft.kind, device=names.device, purpose=draft.purpose,
                        settings=settings)


# --------------------------------------------------------------------------- the chain


def _chain_notes(inputs: _Inputs, drafts: list[_Draft]) -> list[str]:
    result = inputs.result
    notes = [f"{inputs.rules.label}, {inputs.label}: starting points derived from this "
             "track's measurements; each note names the figure behind its value. Adjust by ear."]
    if result.channels == 1:
        notes.append("Mono file: width and bass-mono settings do not apply.")
    kinds = {d.kind for d in drafts}
    if "transient" not in kinds and "multiband" not in kinds:
        notes.append("No transient shaper or multiband: the EQ and bus compressor cover what "
                     "was measured.")
    notes += _limiter_notes(inputs)
    balance = result.stereo.balance_db
    if inputs.has_issue("channel_imbalance") and balance is not None:
        side = "left" if balance > 0 else "right"
        notes.append(f"The {side} channel is {abs(balance):.1f} dB louder: fix the panning "
                     "in the mix rather than on the bus.")
    if result.comparison is not None and result.comparison.issues:
        name = result.comparison.reference_name or "the reference"
        shown = " ".join(i.message for i in result.comparison.issues[:3])
        notes.append(f"Against {name}: {shown}")
    return notes


def recommend_presets(result: AnalysisResult, naming: Naming = "generic", *,
                      table: PresetTable | None = None) -> PresetChain:
    """The device chain (signal order) with settings derived from ``result`` and its genre
    targets, named for ``naming`` ("generic" or "ableton"). Deterministic."""
    table = table or load_preset_table()
    if naming not in table.namings:
        raise UnknownOptionError(f"Unknown preset naming {naming!r}; choose one of: "
                                 f"{', '.join(table.namings)}.")
    scheme = table.namings[naming]
    targets, rules = judging_rules(result)
    inputs = _Inputs(result, targets, rules, table.rules, _snapper(scheme))
    label = result.genre.display_label
    if result.loudness.integrated_lufs is None:
        return PresetChain(context=result.context, genre_label=label, naming=naming,
                           devices=[], notes=["The track is silent (no audio above -70 LUFS): "
                                              "nothing to set."])
    share = _dynamic_share(inputs)
    built = [_eq(inputs, share), _compressor(inputs), _transient(inputs),
             _multiband(inputs, share), _utility(inputs), _limiter(inputs)]
    drafts = sorted((d for d in built if d is not None),
                    key=lambda d: DEVICE_ORDER.index(d.kind))
    return PresetChain(context=result.context, genre_label=label, naming=naming,
                       devices=[_render(d, scheme) for d in drafts],
                       notes=_chain_notes(inputs, drafts))
