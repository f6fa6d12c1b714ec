"""The tonal regions of a mix as a producer names them: ONE table, used by the tonal
issues, the reference comparison, the album cohesion and the offline engine.

Each region is a run of whole octaves of the genre tonal curve (IEC 61260 octave centres,
``OCTAVE_CENTRES_HZ``), so its bounds are the outer edges of its octaves (centre / sqrt 2
to centre x sqrt 2). The regions do not overlap. "Low end" has one definition: the
31.5, 63 and 125 Hz octaves, 22-177 Hz (sub and bass together).

A region's deviation from the genre curve is the mean of its octaves' deviations (dB):
one signed figure, so an opposite pair (too much / too little low end) is decided once
and can never both fire.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from zz_core.fmt import hz_label


class Region(BaseModel):
    """One tonal region: its octaves, its bounds (Hz), the issue codes of its two
    directions (None where the direction is not a problem on its own) and the spectrum
    frame bands that locate it in time."""

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    octaves_hz: tuple[float, ...]
    excess_code: str | None = None
    lacking_code: str | None = None
    frame_bands: tuple[str, ...] = ()

    @property
    def low_hz(self) -> float:
        """Lower edge (Hz) of the region's lowest octave."""
        return self.octaves_hz[0] / math.sqrt(2.0)

    @property
    def high_hz(self) -> float:
        """Upper edge (Hz) of the region's highest octave."""
        return self.octaves_hz[-1] * math.sqrt(2.0)

    @property
    def label(self) -> str:
        """"low end (31.5-125 Hz)", "air (8-16 kHz)": the name and its octave centres."""
        return region_label(self.name, self.octaves_hz)

    def codes(self) -> tuple[str, ...]:
        """The issue codes this region decides."""
        return tuple(c for c in (self.excess_code, self.lacking_code) if c)

    def deviation(self, octave_deviations_db: Mapping[float, float | None]) -> float | None:
        """Mean deviation (dB) of the region's octaves that have one; None without any."""
        values = [v for o in self.octaves_hz
                  if (v := octave_deviations_db.get(o)) is not None and math.isfinite(v)]
        return sum(values) / len(values) if values else None

    def contains_hz(self, freq_hz: float) -> bool:
        """Whether a frequency falls inside the region's bounds."""
        return self.low_hz <= freq_hz < self.high_hz


REGIONS: tuple[Region, ...] = (
    Region(key="low_end", name="low end", octaves_hz=(31.5, 63.0, 125.0),
           excess_code="low_end_excess", lacking_code="low_end_lacking",
           frame_bands=("sub", "low")),
    Region(key="low_mids", name="low-mids", octaves_hz=(250.0, 500.0),
           excess_code="low_mid_excess", frame_bands=("low_mid",)),
    Region(key="mids", name="mids", octaves_hz=(1000.0,), frame_bands=("mid",)),
    Region(key="presence", name="presence", octaves_hz=(2000.0, 4000.0),
           excess_code="harshness", frame_bands=("high_mid",)),
    Region(key="air", name="air", octaves_hz=(8000.0, 16000.0),
           lacking_code="dull_highs", frame_bands=("air",)),
)
"""Low to high; every region with its octaves of the tonal curve."""

LOW_END: Region = REGIONS[0]
"""The one definition of "low end"."""


def region(key: str) -> Region:
    """A region by its key ("low_end", "presence", ...)."""
    for item in REGIONS:
        if item.key == key:
            return item
    raise KeyError(key)


def region_of_code(code: str) -> Region | None:
    """The region a tonal issue code belongs to, None for any other code."""
    return next((r for r in REGIONS if code in r.codes()), None)


def tonal_codes() -> tuple[str, ...]:
    """Every tonal issue code, low to high."""
    return tuple(c for r in REGIONS for c in r.codes())


def region_label(name: str, octaves: Sequence[float]) -> str:
    """"low end (63-125 Hz)", "top end (8-16 kHz)", "mids (1-2 kHz)", "sub (31.5 Hz)"."""
    first, last = octaves[0], octaves[-1]
    if len(octaves) == 1:
        return f"{name} ({_hz(first)} {'kHz' if first >= 1000 else 'Hz'})"
    if first < 1000 <= last:
        return f"{name} ({first:g} Hz-{_hz(last)} kHz)"
    return f"{name} ({_hz(first)}-{_hz(last)} {'kHz' if first >= 1000 else 'Hz'})"


def _hz(value: float) -> str:
    return hz_label(value).removesuffix("k")
