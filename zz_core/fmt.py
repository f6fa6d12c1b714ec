"""How every figure, time and frequency is written, on every surface.

The terminal report, the prompts, the offline engine, the issue messages, the page's
cards and tables, the charts and the PDF all format numbers here, so one figure reads the
same everywhere. A value that rounds to zero is written without a sign ("0.0", never
"-0.0"), and an unmeasured value as "n/a".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

NOT_AVAILABLE = "n/a"


def _finite(value: float | int | None) -> bool:
    return value is not None and not (isinstance(value, float) and not math.isfinite(value))


def number(value: float | int | None, digits: int = 1, *, sign: bool = False) -> str:
    """``value`` rounded to ``digits`` decimals ("-14.0", "+0.3" with ``sign``); integers
    stay integers ("10") unless signed; "n/a" when unmeasured; never "-0.0"."""
    if value is None or not _finite(value):
        return NOT_AVAILABLE
    if isinstance(value, int) and not isinstance(value, bool) and not sign:
        return str(value)
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0
    return f"{rounded:+.{digits}f}" if sign else f"{rounded:.{digits}f}"


def figure(value: float | int | None, unit: str = "", digits: int = 1,
           sign: bool = False) -> str:
    """A measured figure with its unit: "-14.0 LUFS", "+0.3 dBTP", "10", "n/a"."""
    text = number(value, digits, sign=sign)
    if text == NOT_AVAILABLE:
        return text
    return f"{text} {unit}".rstrip()


def amount(value: float, step: float = 0.1, minimum: float | None = None,
           maximum: float | None = None, unit: str = "dB", up: bool = True) -> str:
    """The size of a change to make ("2.5 dB"): ``|value|`` rounded (up by default) to
    ``step`` and kept within [``minimum``, ``maximum``]."""
    steps = abs(value) / step
    rounded = (math.ceil(steps - 1e-9) if up else round(steps)) * step
    if minimum is not None:
        rounded = max(rounded, minimum)
    if maximum is not None:
        rounded = min(rounded, maximum)
    return f"{rounded:.1f} {unit}".rstrip()


def hz(value: float | None) -> str:
    """A frequency as an engineer says it: "40 Hz", "250 Hz", "2.5 kHz", "12 kHz"."""
    if value is None or not _finite(value):
        return NOT_AVAILABLE
    if value >= 1000:
        return f"{value / 1000:.3g} kHz"
    return f"{value:.3g} Hz" if value < 100 else f"{value:.0f} Hz"


def hz_label(value: float) -> str:
    """A frequency as a short axis or list label: "63", "125", "2k", "16k"."""
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


def octave_range(centre_hz: float) -> str:
    """The octave band around ``centre_hz``: "177-354 Hz", "2.8-5.7 kHz"."""
    low, high = centre_hz / math.sqrt(2), centre_hz * math.sqrt(2)
    if low >= 1000:
        return f"{low / 1000:.1f}-{high / 1000:.1f} kHz"
    if high >= 1000:
        return f"{low:.0f} Hz-{high / 1000:.1f} kHz"
    return f"{low:.0f}-{high:.0f} Hz"


def compact(value: float | int | None) -> str:
    """``value`` as short as it is written, up to 6 significant digits: "7.5", "10",
    "0.25", "-1"; "n/a" when unmeasured; never "-0"."""
    if value is None or not _finite(value):
        return NOT_AVAILABLE
    return f"{value + 0.0:g}"  # + 0.0 turns -0.0 into 0.0


def value_range(low: float, high: float, unit: str = "", digits: int | None = 0) -> str:
    """A target range: "-10 to -7 LUFS" (``digits`` None: each end as ``compact``)."""
    ends = [compact(v) if digits is None else number(v, digits) for v in (low, high)]
    return f"{ends[0]} to {ends[1]} {unit}".rstrip()


def clock(seconds: float) -> str:
    """A position in the track as a DAW timeline shows it: m:ss.s ("1:32.5")."""
    minutes, rest = divmod(max(0.0, float(seconds)), 60.0)
    if round(rest, 1) >= 60.0:  # 59.96 s must not print as 0:60.0
        minutes, rest = minutes + 1, 0.0
    return f"{int(minutes)}:{rest:04.1f}"


def clock_span(start_s: float, end_s: float) -> str:
    """A span of the track: "1:32.5-1:40.0"."""
    return f"{clock(start_s)}-{clock(end_s)}"


def duration(seconds: float) -> str:
    """A length for people: "3:25" (m:ss), "1:02:03" past an hour."""
    total = max(0, round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def join(items: Sequence[str], last: str = "and") -> str:
    """"a, b and c" (empty items dropped)."""
    kept = [i for i in items if i]
    if len(kept) <= 1:
        return "".join(kept)
    return f"{', '.join(kept[:-1])} {last} {kept[-1]}"
