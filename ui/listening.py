"""What the waveform player plays and marks, from the stored analyses: the sources (the
track, its level-matched reference) with their envelopes, the located issues as regions
coloured by severity, sections as regions, and the stretch a click on an issue loops.

Pure functions over the models (no streamlit); ``ui.views`` mounts the player with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ui.player import PlayerState, Region, Source
from zz_core.advise.figures import whole_track
from zz_core.fmt import clock_span, number
from zz_core.judge.issues import Issue
from zz_core.judge.models import AnalysisResult
from zz_core.measure.levelmatch import matched_gains_db

SEVERITY_COLOURS = {"critical": "#ef5350", "warning": "#ffb300", "info": "#42a5f5"}
"""The severity colours of the charts (``ui.plots`` uses the same)."""
REGION_ALPHA = 0.28
SECTION_COLOURS = ("rgba(255, 255, 255, 0.07)", "rgba(255, 255, 255, 0.13)")
SOURCE_COLOURS = (("#4fc3f7", "#1f7fa8"), ("#f48fb1", "#a8476b"), ("#aed581", "#6b8f3e"),
                  ("#ffb74d", "#a86f1e"))
"""(wave, played part) colours of A, B, C and D: the track, reference and overlay colours."""
MIN_LOOP_S = 2.0
"""A stretch shorter than this (a clipped run, an over) is looped with context around it."""


def rgba(colour: str, alpha: float) -> str:
    """"#ef5350" with an alpha as a CSS rgba() colour."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def title(code: str) -> str:
    """An issue code as words: "phase_cancellation" -> "Phase cancellation"."""
    words = code.replace("_", " ")
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Stretch:
    """One located stretch of an issue (s) and what a click on it loops (s)."""

    issue: Issue
    index: int
    start_s: float
    end_s: float
    loop_start_s: float
    loop_end_s: float


def loop_of(start_s: float, end_s: float, duration_s: float) -> tuple[float, float]:
    """What to loop for a stretch: itself, or MIN_LOOP_S centred on it when shorter
    (kept inside the track)."""
    if end_s - start_s >= MIN_LOOP_S or duration_s <= 0:
        return start_s, end_s
    length = min(MIN_LOOP_S, duration_s)
    start = min(max(0.0, (start_s + end_s - length) / 2), max(0.0, duration_s - length))
    return start, start + length


def stretches(issue: Issue, duration_s: float) -> list[Stretch]:
    """The issue's located stretches, worst first (an issue stored without spans is its
    own stretch); none when it covers the whole track."""
    spans = [(s.start_s, s.end_s) for s in issue.spans] or [(issue.start_s, issue.end_s)]
    found = []
    for index, (start, end) in enumerate(spans):
        if end < start or whole_track(start, end, duration_s):
            continue
        loop = loop_of(start, end, duration_s)
        found.append(Stretch(issue, index, start, end, *loop))
    return found


def issue_regions(result: AnalysisResult) -> list[Region]:
    """Every located stretch of every issue as a region coloured by severity; the worst
    stretch of each carries the issue's name."""
    regions = []
    for position, issue in enumerate(result.issues):
        for stretch in stretches(issue, result.duration_s):
            where = clock_span(stretch.start_s, stretch.end_s)
            regions.append(Region(
                id=f"issue-{position}-{stretch.index}", start_s=stretch.start_s,
                end_s=stretch.end_s,
                colour=rgba(SEVERITY_COLOURS[issue.severity], REGION_ALPHA),
                label=title(issue.code) if stretch.index == 0 else "",
                title=f"{title(issue.code)} ({issue.severity}), {where}: {issue.message}",
                loop_start_s=stretch.loop_start_s, loop_end_s=stretch.loop_end_s))
    return regions


class SectionLike(Protocol):
    """A section of the song (the sections issue adds them to the result): a label and
    where it starts and ends (s)."""

    @property
    def label(self) -> str: ...

    @property
    def start_s(self) -> float: ...

    @property
    def end_s(self) -> float: ...


def section_regions(sections: Sequence[SectionLike] | None) -> list[Region]:
    """Sections (intro, verse, drop...) as shaded regions, alternating shades."""
    return [Region(id=f"section-{i}", start_s=s.start_s, end_s=s.end_s,
                   colour=SECTION_COLOURS[i % len(SECTION_COLOURS)], label=s.label,
                   title=f"{s.label}: {clock_span(s.start_s, s.end_s)}", kind="section",
                   loop_start_s=s.start_s, loop_end_s=s.end_s)
            for i, s in enumerate(sections or [])]


def result_sections(result: AnalysisResult) -> list[SectionLike]:
    """The result's sections once the analysis has them (``result.sections``), else none."""
    found = getattr(result, "sections", None)
    return list(found) if isinstance(found, Sequence) else []


def source(label: str, path: Path, result: AnalysisResult, index: int = 0,
           gain_db: float = 0.0, note: str = "",
           regions: Sequence[Region] | None = None) -> Source:
    """A source for the player: the file and its analysis' envelope scaled by the gain
    the file was made with (so the waveform shows what is heard); ``regions`` its own
    (None: the player's)."""
    scale = 10.0 ** (gain_db / 20.0)
    wave = result.series.waveform
    colour, played = SOURCE_COLOURS[index % len(SOURCE_COLOURS)]
    return Source(label=label, path=path, duration_s=result.duration_s,
                  maximum=[v * scale for v in wave.maximum],
                  minimum=[v * scale for v in wave.minimum],
                  colour=colour, progress_colour=played, note=note,
                  regions=None if regions is None else tuple(regions))


def matched_note(gain_db: float) -> str:
    """What the level match did to a source: "level-matched: turned down 2.3 dB"."""
    if gain_db < 0:
        return f"level-matched: turned down {number(-gain_db)} dB"
    return "level-matched: as it is (the quietest)"


def ab_sources(result: AnalysisResult, reference: AnalysisResult,
               pair: tuple[Path, Path]) -> list[Source]:
    """A (the track, with its issues marked) and B (its reference, its sections only) at
    equal integrated loudness, from the level-matched copies: the louder one turned down."""
    gains = matched_gains_db(result.loudness.integrated_lufs,
                             reference.loudness.integrated_lufs)
    return [source(f"A · {result.file_name or 'your track'}", pair[0], result, 0, gains[0],
                   matched_note(gains[0])),
            source(f"B · {reference.file_name or 'reference'}", pair[1], reference, 1,
                   gains[1], matched_note(gains[1]),
                   regions=section_regions(result_sections(reference)))]


LETTERS = "ABCDEFGH"


def compared_sources(tracks: Sequence[tuple[str, Path, AnalysisResult, float]]) -> list[Source]:
    """Several tracks on one player (A, B, C...), each with its own issues and sections:
    (name, level-matched file, analysis, gain in dB the file was made with)."""
    return [source(f"{LETTERS[i % len(LETTERS)]} · {name}", path, result, i, gain,
                   matched_note(gain),
                   regions=[*section_regions(result_sections(result)),
                            *issue_regions(result)])
            for i, (name, path, result, gain) in enumerate(tracks)]


def active_stretch(state: PlayerState | None, result: AnalysisResult) -> Stretch | None:
    """The located stretch the player loops right now, if it loops one."""
    if state is None or state.loop is None:
        return None
    for issue in result.issues:
        for stretch in stretches(issue, result.duration_s):
            if (abs(stretch.loop_start_s - state.loop[0]) < 0.01
                    and abs(stretch.loop_end_s - state.loop[1]) < 0.01):
                return stretch
    return None
