"""The waveform player: a Streamlit custom component over WaveSurfer.js 7.

The browser side is ``frontend/`` (``index.html``, ``player.js``, ``player.css`` and
WaveSurfer's own built ES modules with its BSD-3-Clause licence in ``frontend/vendor/``,
copied from the npm package by ``npm run build``: nothing is fetched at run time). It is
a v1 component (``declare_component(path=...)``): Streamlit serves the folder as static
files the browser caches, which the v2 API only does for installed packages.

What it does: a playhead over the analysis' own min/max envelope (the browser streams the
audio and never decodes it, so a long file costs no browser memory), zoom (buttons,
Ctrl/Cmd + wheel, pinch), a timeline in m:ss, regions (located issues coloured by
severity, and sections), a click on a region seeks there and loops it, and an A/B switch
between sources (the track and its level-matched reference, later its previous versions)
that keeps the position and keeps playing.

Audio is served by Streamlit's media file manager (a ``/media/<id>`` URL fetched with
range requests, like ``st.audio``), never inlined as base64. The page asks for a seek and
loop with ``ask`` (a command with a nonce, so each request is applied once); the player
reports its position, loop, source and whether it plays on the events that matter (a
region clicked, a command applied, A/B, loop cleared, pause), which reruns the fragment it
sits in, and ``waveform_player`` returns it as a ``PlayerState``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

__all__ = ["FRONTEND", "Command", "PlayerState", "Region", "Source", "ask", "media_url",
           "waveform_player"]

FRONTEND = Path(__file__).resolve().parent / "frontend"
_component = components.declare_component("zz_player", path=str(FRONTEND))
WAVE_HEIGHT = 128
"""The waveform's height in the player (px); the timeline and controls add about 90."""
MIN_SCALE = 10.0 ** (-24.0 / 20.0)
"""The waveform's full height is at least this (full scale 1.0): -24 dBFS."""


@dataclass(frozen=True)
class Source:
    """One thing the player can play (A, B...): its label on the A/B switch, the file,
    its length (s), its min/max envelope (full scale 1.0, as heard: scaled by any gain
    the file was made with), its waveform colours, a note (e.g. the level match) and its
    own regions (None: the player's regions)."""

    label: str
    path: Path
    duration_s: float
    maximum: Sequence[float]
    minimum: Sequence[float]
    colour: str
    progress_colour: str
    note: str = ""
    regions: tuple[Region, ...] | None = None


@dataclass(frozen=True)
class Region:
    """A stretch drawn on the waveform (s): a located issue or a section. ``colour`` is a
    CSS colour with its transparency; ``title`` the hover text; a click on it loops
    ``loop_start_s``-``loop_end_s`` (the stretch itself unless it is too short to hear)."""

    id: str
    start_s: float
    end_s: float
    colour: str
    label: str
    title: str = ""
    kind: str = "issue"
    loop_start_s: float | None = None
    loop_end_s: float | None = None


@dataclass(frozen=True)
class Command:
    """A seek asked for by the page: go to ``start_s``, loop to ``end_s`` (None: no loop)
    and play. ``nonce`` makes each request distinct, so the player applies it once."""

    nonce: int
    start_s: float
    end_s: float | None
    play: bool = True


@dataclass(frozen=True)
class PlayerState:
    """What the player last reported: position (s), the loop (s) or None, the source
    playing (0 = A), whether it plays, the event that made it report and the nonce of the
    last command it applied."""

    position_s: float
    loop: tuple[float, float] | None
    source: int
    playing: bool
    event: str = ""
    nonce: int | None = None

    @classmethod
    def of(cls, value: object) -> PlayerState | None:
        """The state from the component's value (None before it reported)."""
        if not isinstance(value, Mapping):
            return None
        loop = value.get("loop")
        looped = None
        if isinstance(loop, Sequence) and len(loop) == 2:
            looped = (float(loop[0]), float(loop[1]))
        nonce = value.get("nonce")
        return cls(position_s=float(value.get("position") or 0.0), loop=looped,
                   source=int(value.get("source") or 0), playing=bool(value.get("playing")),
                   event=str(value.get("event") or ""),
                   nonce=nonce if isinstance(nonce, int) else None)


def _command_key(key: str) -> str:
    return f"{key}__command"


def ask(key: str, start_s: float, end_s: float | None, play: bool = True) -> None:
    """Have the player ``key`` seek to ``start_s`` and loop to ``end_s`` on its next
    render (a button's ``on_click``)."""
    previous = st.session_state.get(_command_key(key))
    nonce = previous.nonce + 1 if isinstance(previous, Command) else 1
    st.session_state[_command_key(key)] = Command(nonce, start_s, end_s, play)


def pending_command(key: str) -> Command | None:
    """The last seek asked of player ``key``."""
    command = st.session_state.get(_command_key(key))
    return command if isinstance(command, Command) else None


def media_url(path: Path, coordinates: str) -> str | None:
    """The URL Streamlit's media file manager serves ``path`` at for this session (as
    ``st.audio`` does; range requests, so the browser streams it), or None without a
    running server (a bare script run)."""
    from streamlit import runtime

    if not runtime.exists():
        return None
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return runtime.get_instance().media_file_mgr.add(str(path), mimetype, coordinates)


def _rounded(values: Sequence[float]) -> list[float]:
    return [round(float(v), 3) for v in values]


def _source_arg(source: Source, url: str) -> dict[str, Any]:
    return {"label": source.label, "url": url, "duration": round(source.duration_s, 3),
            "peaks": [_rounded(source.maximum), _rounded(source.minimum)],
            "colour": source.colour, "progressColour": source.progress_colour,
            "note": source.note,
            "regions": None if source.regions is None
            else [_region_arg(r) for r in source.regions]}


def _region_arg(region: Region) -> dict[str, Any]:
    return {"id": region.id, "start": round(region.start_s, 3), "end": round(region.end_s, 3),
            "colour": region.colour, "label": region.label, "title": region.title,
            "kind": region.kind,
            "loop": [round(region.start_s if region.loop_start_s is None
                           else region.loop_start_s, 3),
                     round(region.end_s if region.loop_end_s is None
                           else region.loop_end_s, 3)]}


def _max_peak(sources: Iterable[Source]) -> float:
    """The envelope value drawn at full height: the loudest peak of all the sources (so A
    and B share one scale), at least -24 dBFS (so near silence is not blown up)."""
    peaks = [abs(float(v)) for s in sources for v in (*s.maximum, *s.minimum)]
    return round(max([MIN_SCALE, *peaks]), 3)


def waveform_player(sources: Sequence[Source], regions: Sequence[Region], *, key: str,
                    hint: str = "") -> PlayerState | None:
    """Mount the player (sources whose file is gone are left out; nothing is mounted
    without one) and return what it last reported. ``hint`` is shown under it."""
    playable = [(s, url) for i, s in enumerate(sources) if s.path.exists()
                and (url := media_url(s.path, f"zz_player.{key}.{i}")) is not None]
    if not playable:
        return None
    command = pending_command(key)
    value = _component(
        sources=[_source_arg(s, url) for s, url in playable],
        regions=[_region_arg(r) for r in regions],
        command=None if command is None else {"nonce": command.nonce,
                                              "start": round(command.start_s, 3),
                                              "end": None if command.end_s is None
                                              else round(command.end_s, 3),
                                              "play": command.play},
        waveHeight=WAVE_HEIGHT, maxPeak=_max_peak(s for s, _ in playable), hint=hint, key=key,
        default=None)
    return PlayerState.of(value)
