"""Times a question names ("at 3:13", "1m20", "80 s", "between 1:00 and 1:30") and what the
track's measurements show there: loudness, peaks, correlation, the band levels against
the band's own level over the track, and the issues located at that time."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from zz_core.advise.offline.track import measured
from zz_core.fmt import clock, clock_span, duration, figure, join, number
from zz_core.judge.issues import time_spans
from zz_core.judge.models import AnalysisResult
from zz_core.measure.series import TimeSeries

_CLOCK = re.compile(r"(?<![\d.:])(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d(?:\.\d+)?)(?![\d:])")
_MIN_SEC = re.compile(r"(?<![\w.])(\d{1,3})\s*(?:m|min|mins|minutes?)\s*(?:and\s+)?"
                      r"(\d{1,2}(?:\.\d+)?)\s*(?:s|secs?|seconds?)?(?![\w.])", re.IGNORECASE)
_MINUTES = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)\s*(?:min|mins|minutes?)(?![\w.])",
                      re.IGNORECASE)
_SECONDS = re.compile(r"(?<![\w.:])(\d{1,4}(?:\.\d+)?)(\s*)(secs?|seconds?|s)(?![\w.])",
                      re.IGNORECASE)
_BEFORE_TIME = re.compile(r"(?:\bat|\baround|\babout|\bafter|\bbefore|\bfrom|\bto|\buntil|"
                          r"\btill|\bnear|\bby|\bbetween|\band|@|-)\s*$", re.IGNORECASE)
_SPAN_JOIN = re.compile(r"^\s*(?:-|–|—|to|and|until|till|through|thru)\s*$", re.IGNORECASE)

LOUDNESS_GATE_LUFS = -70.0
"""Below this short-term loudness the track is silent there (BS.1770's absolute gate)."""
BAND_CHANGE_DB = 6.0
"""A band this far above or below its own median level over the track stands out (or
drops out) at a moment."""


@dataclass(frozen=True)
class Moment:
    """A time (``end_s`` None) or a span of the track a question asks about, in seconds."""

    start_s: float
    end_s: float | None = None

    @property
    def label(self) -> str:
        return clock(self.start_s) if self.end_s is None else clock_span(self.start_s,
                                                                          self.end_s)


def parse_times(question: str) -> list[tuple[float, int, int]]:
    """Every time the question names, as (seconds, start, end) of its text, in order:
    m:ss(.s) and h:mm:ss, "1m20", "1 min 20 s", "2 minutes", and "80 s" / "80 sec" (or
    "80s" after "at", "around", "from" ...; a bare "80s" is a decade)."""
    found: list[tuple[float, int, int]] = []
    taken: list[tuple[int, int]] = []

    def add(seconds: float, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken) or not math.isfinite(seconds):
            return
        taken.append((start, end))
        found.append((seconds, start, end))

    for match in _CLOCK.finditer(question):
        hours = int(match.group(1) or 0)
        add(hours * 3600 + int(match.group(2)) * 60 + float(match.group(3)), *match.span())
    for match in _MIN_SEC.finditer(question):
        add(int(match.group(1)) * 60 + float(match.group(2)), *match.span())
    for match in _MINUTES.finditer(question):
        add(float(match.group(1)) * 60, *match.span())
    for match in _SECONDS.finditer(question):
        spaced, unit = bool(match.group(2)), match.group(3).lower()
        if unit == "s" and not spaced and not _BEFORE_TIME.search(question[:match.start()]):
            continue  # "the 80s snare"
        add(float(match.group(1)), *match.span())
    return sorted(found, key=lambda f: f[1])


def moments(question: str) -> list[Moment]:
    """The times and spans a question asks about: two times joined by "-", "to", "and",
    "until" make a span; at most two moments."""
    times = parse_times(question)
    out: list[Moment] = []
    index = 0
    while index < len(times) and len(out) < 2:
        seconds, _, end = times[index]
        if index + 1 < len(times) and _SPAN_JOIN.match(question[end:times[index + 1][1]]):
            later = times[index + 1][0]
            out.append(Moment(min(seconds, later), max(seconds, later)))
            index += 2
            continue
        out.append(Moment(seconds))
        index += 1
    return out


# --------------------------------------------------------------------------- band levels


@dataclass(frozen=True)
class BandTrack:
    """Band levels over time: ``levels_db[band][i]`` dBFS (NaN where the band is empty),
    stretch i centred at ``start_s + (i + 0.5) * hop_s``."""

    names: tuple[str, ...]
    labels: tuple[str, ...]
    start_s: float
    hop_s: float
    levels_db: np.ndarray  # (bands, stretches)

    def times_s(self) -> np.ndarray:
        """The centre of each stretch, seconds."""
        return self.start_s + self.hop_s * (np.arange(self.levels_db.shape[1]) + 0.5)


def band_track(result: AnalysisResult) -> BandTrack | None:
    """The analysis' band levels over time (``series.bands``), None in an analysis stored
    before they were kept."""
    bands = result.series.bands
    if bands is None or not bands.bands:
        return None
    names = tuple(bands.bands)
    count = max(len(values) for values in bands.bands.values())
    if count == 0:
        return None
    array = np.full((len(names), count), np.nan)
    for row, name in enumerate(names):
        values = bands.bands[name]
        array[row, :len(values)] = [np.nan if v is None else v for v in values]
    return BandTrack(names, _labels(result, names), bands.start_s, bands.hop_s, array)


def _labels(result: AnalysisResult, names: Sequence[str]) -> tuple[str, ...]:
    known = {band.name: band.label for band in result.bands}
    return tuple(known.get(name, name) for name in names)


# --------------------------------------------------------------------------- what is there


def _window(series: TimeSeries, start_s: float, end_s: float) -> np.ndarray:
    values = series.as_array()
    if values.size == 0:
        return values
    times = series.times_s()
    inside = (times >= start_s) & (times <= end_s)
    if not inside.any():
        inside = np.zeros(values.size, dtype=bool)
        inside[int(np.argmin(np.abs(times - (start_s + end_s) / 2)))] = True
    return values[inside]


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _loudness_text(result: AnalysisResult, moment: Moment) -> str | None:
    """Short-term loudness there (the 3 s windows centred in the moment), against the
    track's integrated loudness."""
    end = moment.end_s if moment.end_s is not None else moment.start_s
    values = _finite(_window(result.series.short_term_lufs, moment.start_s + 1.5, end + 1.5))
    if values.size == 0:
        return None
    level = float(np.mean(values)) if moment.end_s is not None else float(values[0])
    if level <= LOUDNESS_GATE_LUFS:
        return "the track is silent there (below -70 LUFS)"
    integrated = measured(result.loudness.integrated_lufs)
    text = f"short-term loudness {figure(level, 'LUFS')}"
    if integrated is not None:
        difference = level - integrated
        if abs(difference) >= 0.5:
            side = "above" if difference > 0 else "below"
            text += (f", {figure(abs(difference), 'LU')} {side} the track's integrated "
                     f"{figure(integrated, 'LUFS')}")
        else:
            text += f", level with the track's integrated {figure(integrated, 'LUFS')}"
    return text


def _peak_text(result: AnalysisResult, moment: Moment) -> str | None:
    end = moment.end_s if moment.end_s is not None else moment.start_s
    values = _finite(_window(result.series.true_peak_dbtp, moment.start_s - 0.5, end + 0.5))
    if values.size == 0 or float(np.max(values)) <= -100.0:
        return None
    return f"true peak {figure(float(np.max(values)), 'dBTP', sign=True)}"


def _correlation_text(result: AnalysisResult, moment: Moment) -> str | None:
    if result.channels < 2:
        return None
    end = moment.end_s if moment.end_s is not None else moment.start_s
    values = _finite(_window(result.series.correlation, moment.start_s, end + 0.4))
    if values.size == 0:
        return None
    return f"correlation {number(float(np.mean(values)), 2, sign=True)}"


def _stretches(bands: BandTrack, moment: Moment) -> np.ndarray:
    """Which stretches of the band levels the moment covers (the nearest one at least)."""
    times = bands.times_s()
    end = moment.end_s if moment.end_s is not None else moment.start_s
    inside = (times >= moment.start_s - bands.hop_s / 2) & (times <= end + bands.hop_s / 2)
    if not inside.any():
        inside[int(np.argmin(np.abs(times - moment.start_s)))] = True
    return inside


def band_levels_at(result: AnalysisResult, moment: Moment,
                   names: Sequence[str] | None = None) -> list[str] | None:
    """Each band's level at the moment (only ``names`` when given) and how far it lies
    from the band's median level over the sounding part of the track ("Low 60-250 Hz
    -31.0 dBFS (-22.4 dB)"); None without band levels over time."""
    bands = band_track(result)
    if bands is None:
        return None
    inside = _stretches(bands, moment)
    lines = []
    for name, row, label in zip(bands.names, bands.levels_db, bands.labels, strict=True):
        if names is not None and name not in names:
            continue
        here = _finite(row[inside])
        sounding = _finite(row)
        sounding = sounding[sounding > -100.0]
        if here.size == 0:
            continue
        level = float(np.mean(here))
        if level <= -100.0 or sounding.size == 0:
            lines.append(f"{label} silent")
            continue
        change = level - float(np.median(sounding))
        lines.append(f"{label} {figure(level, 'dBFS')} ({figure(change, 'dB', sign=True)})")
    return lines


def band_changes_at(result: AnalysisResult, moment: Moment) -> tuple[list[str], list[str]]:
    """(bands that drop out, bands that stand out) at the moment: more than
    BAND_CHANGE_DB below or above their median level over the track. Over a span, each
    band is named with where inside the span it does so ("Low 60-250 Hz (1:02.0-1:08.0)")."""
    bands = band_track(result)
    if bands is None:
        return [], []
    inside = _stretches(bands, moment)
    low, high = [], []
    for row, label in zip(bands.levels_db, bands.labels, strict=True):
        here, sounding = _finite(row[inside]), _finite(row)
        sounding = sounding[sounding > -100.0]
        if here.size == 0 or sounding.size == 0:
            continue
        median = float(np.median(sounding))
        if moment.end_s is None:
            change = float(np.mean(np.maximum(here, -100.0))) - median
            if change <= -BAND_CHANGE_DB:
                low.append(label)
            elif change >= BAND_CHANGE_DB:
                high.append(label)
            continue
        levels = np.where(np.isfinite(row), np.maximum(row, -100.0), -100.0)
        for found, mask in ((low, levels - median <= -BAND_CHANGE_DB),
                            (high, levels - median >= BAND_CHANGE_DB)):
            where = time_spans(mask & inside, bands.hop_s, bands.start_s, merge_gap_s=0.0)
            if where:
                found.append(f"{label} ({', '.join(clock_span(b, e) for b, e in where[:3])})")
    return low, high


def issues_at(result: AnalysisResult, moment: Moment) -> list[str]:
    """The located issues whose spans cover the moment ("silence 1:04.0-1:06.0")."""
    end = moment.end_s if moment.end_s is not None else moment.start_s
    found: list[str] = []
    for issue in result.issues:
        spans = [(s.start_s, s.end_s) for s in getattr(issue, "spans", []) or []]
        spans = spans or [(issue.start_s, issue.end_s)]
        whole = any(b <= 0.05 and e >= result.duration_s - 0.5 for b, e in spans)
        for begin, finish in spans:
            if not whole and begin - 0.5 <= end and moment.start_s <= finish + 0.5:
                found.append(f"{issue.code} ({clock_span(begin, finish)})")
                break
    return list(dict.fromkeys(found))


def moment_facts(result: AnalysisResult, moment: Moment,
                 names: Sequence[str] | None = None) -> list[str]:
    """Sentences on what the measurements show at a moment of the track: loudness, peak
    and correlation there, the band levels (only the bands ``names`` when the question is
    about a region) against each band's level over the track, the bands that drop out or
    stand out, and the issues located there."""
    if moment.start_s > result.duration_s + 0.5:
        return [f"The track is {duration(result.duration_s)} long: {moment.label} is past "
                "its end."]
    where = f"at {moment.label}" if moment.end_s is None else f"over {moment.label}"
    measures = [t for t in (_loudness_text(result, moment), _peak_text(result, moment),
                            _correlation_text(result, moment)) if t]
    facts = [f"Measured {where}: {'; '.join(measures)}."] if measures else []
    levels = band_levels_at(result, moment, names)
    if levels:
        facts.append(f"Band levels {where}, each against its own level over the track: "
                     f"{'; '.join(levels)}.")
    if levels is not None:
        low, high = band_changes_at(result, moment)
        if low:
            facts.append(f"{join(low)} drop{'s' if len(low) == 1 else ''} out there "
                         f"(more than {figure(BAND_CHANGE_DB, 'dB', 0)} below "
                         f"{'its' if len(low) == 1 else 'their'} level over the track).")
        if high:
            facts.append(f"{join(high)} stand{'s' if len(high) == 1 else ''} out there "
                         f"(more than {figure(BAND_CHANGE_DB, 'dB', 0)} above "
                         f"{'its' if len(high) == 1 else 'their'} level over the track).")
    else:
        facts.append("This analysis keeps no band levels over time; analyse the file again "
                     "to see them.")
    located = issues_at(result, moment)
    if located:
        facts.append(f"Issues located {where}: {join(located)}.")
    return facts
