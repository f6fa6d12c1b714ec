"""The utility: a gain trim (mixdown), a width change towards the genre's range and
mono below the genre's low-end frequency."""

from __future__ import annotations

import math

from zz_core.advise.presets.inputs import Draft, Inputs, Value, wide_low_end
from zz_core.fmt import compact, figure, number


def _width_value(inputs: Inputs) -> Value | None:
    """Utility width (%) that moves side/mid energy to the nearest edge of the genre range:
    side energy scales with width squared."""
    verdict = inputs.verdict("stereo.width")
    width = verdict.value if verdict is not None else None
    wanted = inputs.targets.stereo_width
    if not inputs.stereo or width is None or width <= 0 or verdict is None \
            or verdict.status in ("good", "unknown"):
        return None
    goal = wanted.max if width > wanted.max else wanted.min
    percent = min(100.0 * math.sqrt(goal / width), inputs.config.utility.max_widen_pct)
    if abs(percent - 100.0) < 5.0:
        return None
    return Value("width", round(percent), f"width (side/mid) {number(width, 2)}, {inputs.label} "
                                           f"{compact(wanted.min)}-{compact(wanted.max)}")


def _trim_value(inputs: Inputs) -> Value | None:
    """Mixdown only: gain that puts the true peak at the mixdown peak target."""
    peak = inputs.result.loudness.true_peak_dbtp
    if inputs.rules.apply_genre_loudness or peak is None:
        return None
    goal = inputs.config.utility.mixdown_peak_dbfs
    gain = goal - peak
    if abs(gain) < inputs.config.utility.min_trim_db:
        return None
    return Value("gain", round(gain, 1), f"true peak {figure(peak, 'dBTP', sign=True)} to about "
                                          f"{compact(goal)} dBFS, the headroom mastering expects")


def utility_draft(inputs: Inputs) -> Draft | None:
    values: list[Value] = []
    purposes = []
    trim = _trim_value(inputs)
    if trim is not None:
        values.append(trim)
        purposes.append("trim the mix level")
    width = _width_value(inputs)
    if width is not None:
        values.append(width)
        purposes.append("narrow the image" if float(width.value) < 100 else "widen the image")
    if wide_low_end(inputs):
        low = inputs.targets.low_end
        corr = inputs.result.stereo.low_end_correlation or 0.0
        values += [
            Value("bass_mono", "on", f"low-end correlation {number(corr, 2, sign=True)}, "
                                      f"{inputs.label} aims for "
                                      f"{number(low.min_correlation, 2, sign=True)} or more"),
            Value("bass_mono_frequency", low.mono_below_hz,
                  f"{inputs.label} keeps the low end mono below {compact(low.mono_below_hz)} Hz"),
        ]
        purposes.append("mono the low end")
    if not values:
        return None
    return Draft("utility", "; ".join(purposes).capitalize() + ".", values)


