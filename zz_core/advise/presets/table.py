"""What ``data/presets.yaml`` defines, validated: the device kinds and their logical
parameters, the public models of a recommended chain, each naming scheme's device and
parameter names (generic or Ableton Live), the steps a device offers, its fixed starting
values, and the rules the settings are derived with."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zz_core.datafiles import DATA_DIR, load_model
from zz_core.judge.genres import Range
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



def load_preset_table(path: Path | None = None) -> PresetTable:
    """Load and validate presets.yaml (``DataFileError`` naming the field when invalid);
    the packaged file is read once and cached."""
    return load_model(path or DEFAULT_PRESETS_PATH, PresetTable)
