"""Preset recommendations: a device chain (EQ, bus compressor, transient shaper, multiband,
utility, limiter) whose settings follow from a track's measurements and its genre targets.

Every number is traceable: EQ gains are the negated octave deviations from the genre's tonal
curve, the compressor works on the PLR above the genre's range, the limiter gain is the
distance from the measured to the target integrated loudness, and so on; each setting's
note names the figure it comes from. Device and parameter names (generic or Ableton Live),
the steps a device offers and the fixed starting values live in ``data/presets.yaml``.

Units: dB, dBFS, dBTP, LUFS, Hz, ms; ratios as x:1; width in % (100 = unchanged).

Modules: ``table`` (presets.yaml and the public models), ``inputs`` (what the device builders
read), ``eq``, ``dynamics`` (multiband, compressor, transient shaper, limiter), ``utility``
and ``chain`` (naming, snapping, signal order, notes).
"""

from zz_core.advise.presets.chain import recommend_presets
from zz_core.advise.presets.table import (
    DEFAULT_PRESETS_PATH,
    DEVICE_ORDER,
    PARAMETERS,
    DeviceKind,
    PresetChain,
    PresetDevice,
    PresetSetting,
    PresetTable,
    load_preset_table,
)

__all__ = ["DEFAULT_PRESETS_PATH", "DEVICE_ORDER", "PARAMETERS", "DeviceKind", "PresetChain",
           "PresetDevice", "PresetSetting", "PresetTable", "load_preset_table",
           "recommend_presets"]
