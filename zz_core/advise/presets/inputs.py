"""What every device builder reads (``Inputs``: the analysis, its genre targets and
context rules, the rules of presets.yaml), what it writes (``Draft``: a device with its
settings in internal units) and the measurements several devices share."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from zz_core.advise.presets.table import DeviceKind, PresetRules
from zz_core.judge import judging
from zz_core.judge.genres import ContextRules, GenreTargets, Range
from zz_core.judge.issues import MONO_WIDTH
from zz_core.judge.models import AnalysisResult, Verdict


@dataclass(frozen=True)
class Value:
    """A setting in internal units before a naming scheme names, scales and snaps it."""

    param: str
    value: float | str
    note: str = ""
    band: int | None = None


@dataclass
class Draft:
    kind: DeviceKind
    purpose: str
    values: list[Value] = field(default_factory=list)
    with_fixed: bool = True  # False for a device that is switched off
    notes: list[str] = field(default_factory=list)  # for the chain's notes


@dataclass(frozen=True)
class Inputs:
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
        return judging.tonal_tolerance(self.result)

    def verdict(self, metric: str) -> Verdict | None:
        """The judge's verdict on one headline figure (``judging.verdicts``)."""
        return next((v for v in judging.verdicts(self.result) if v.metric == metric), None)

    def has_issue(self, code: str) -> bool:
        return any(issue.code == code for issue in self.result.issues)

    def plr_range(self) -> Range:
        return judging.plr_range(self.targets, self.rules,
                                 self.config.compressor.mixdown_extra_plr_db)


def clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


# --------------------------------------------------------------------------- shared measurements


@dataclass(frozen=True)
class DynamicShare:
    """The part (dB) of a low-end or harsh excess the multiband takes on the loud parts."""

    low_db: float = 0.0
    high_db: float = 0.0


def excess(inputs: Inputs, code: str) -> float:
    """The measured excess (dB over the tonal target) behind an issue, 0 without one."""
    values = [i.value for i in inputs.result.issues if i.code == code and i.value is not None]
    return max([*values, 0.0])


def dynamic_share(inputs: Inputs) -> DynamicShare:
    """The multiband's share of the low-end and harsh excesses, at most its largest
    reduction; the EQ takes the rest."""
    cfg = inputs.config.multiband
    low = cfg.dynamic_share * excess(inputs, "low_end_excess")
    high = cfg.dynamic_share * excess(inputs, "harshness")
    return DynamicShare(low_db=min(low, cfg.max_reduction_db),
                        high_db=min(high, cfg.max_reduction_db))


def share_text(inputs: Inputs) -> str:
    fraction = inputs.config.multiband.dynamic_share
    return "half" if fraction == 0.5 else f"{fraction:.0%} of"


def wide_low_end(inputs: Inputs) -> bool:
    """Whether the low end of a stereo track is wider than its genre allows."""
    return inputs.stereo and judging.low_end_correlation_status(inputs.result) in ("warn", "bad")


def band_level(inputs: Inputs, names: tuple[str, ...]) -> float | None:
    """Combined level (dBFS) of the named bands."""
    powers = [10 ** (b.level_db / 10) for b in inputs.result.bands
              if b.name in names and b.level_db is not None]
    return 10 * math.log10(sum(powers)) if powers else None

