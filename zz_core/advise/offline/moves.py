"""EQ moves an engineer would make: runs of neighbouring octaves that stray the same way,
the size of move each needs, bounded to what is done in practice (``moves`` in
advice.yaml: about ±4 dB per band on a master, ±8 dB per source in a mix), and the words
that say where a problem too large for an EQ move lies (the mix, a source, the
arrangement) instead of prescribing the huge move.

Shared by every surface that suggests EQ: the feedback items, the mastering chain, the
reference items and the presets. Levels in dB; + a boost, - a cut; octave centres in Hz
(ISO 266 octaves, as the tonal balance is measured).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from zz_core.advise.offline.book import (
    FIGURE_FIELDS,
    AdviceBook,
    known_profile,
    load_advice,
    render,
)
from zz_core.fmt import NOT_AVAILABLE, amount, figure, hz, join
from zz_core.judge.genres import OCTAVE_CENTRES_HZ
from zz_core.judge.models import Verdict
from zz_core.judge.regions import REGIONS

MOVE_STEP_DB = 0.5
"""Suggested EQ amounts are written to this step (rounded down)."""
MIN_MOVE_DB = 1.0
"""The smallest EQ amount worth suggesting."""


@dataclass(frozen=True)
class OctaveRun:
    """Neighbouring octaves that stray from the target the same way: their centres (Hz)
    and deviations (dB, measured minus target)."""

    octaves: tuple[float, ...]
    deviations_db: tuple[float, ...]

    @property
    def sign(self) -> int:
        """+1: too much there (a cut), -1: too little (a boost)."""
        return 1 if self.deviations_db[0] > 0 else -1

    @property
    def worst_db(self) -> float:
        """The deviation of the octave that strays most (signed)."""
        return max(self.deviations_db, key=abs)

    @property
    def worst_hz(self) -> float:
        return self.octaves[self.deviations_db.index(self.worst_db)]

    @property
    def mean_db(self) -> float:
        """The |deviation|-weighted mean deviation (signed)."""
        weights = [abs(d) for d in self.deviations_db]
        return sum(d * w for d, w in zip(self.deviations_db, weights, strict=True)) / sum(weights)

    @property
    def centre_hz(self) -> float:
        """The |deviation|-weighted geometric centre (Hz)."""
        weights = [abs(d) for d in self.deviations_db]
        logs = sum(math.log(c) * w for c, w in zip(self.octaves, weights, strict=True))
        return math.exp(logs / sum(weights))


def octave_runs(deviations: Mapping[float, float], threshold_db: float) -> list[OctaveRun]:
    """Runs of neighbouring octaves (in ``OCTAVE_CENTRES_HZ`` order) that stray by more
    than ``threshold_db`` the same way; an unmeasured octave ends a run."""
    runs: list[tuple[list[float], list[float]]] = []
    previous = 0
    for centre in OCTAVE_CENTRES_HZ:
        deviation = deviations.get(centre)
        sign = 0 if deviation is None or not abs(deviation) > threshold_db else (
            1 if deviation > 0 else -1)
        if sign and sign == previous:
            runs[-1][0].append(centre)
            runs[-1][1].append(float(deviation or 0.0))
        elif sign:
            runs.append(([centre], [float(deviation or 0.0)]))
        previous = sign
    return [OctaveRun(tuple(o), tuple(d)) for o, d in runs]


def flagged_runs(runs: Sequence[OctaveRun], verdicts: Sequence[Verdict]) -> list[OctaveRun]:
    """The runs an engineer would EQ: those in a tonal region whose verdict is not good
    (``tonal.<region>`` warn or bad, the same judgement as the issue list and the cards)
    and that stray the way the region does; a region judged good gets no move."""
    flagged = {v.metric.removeprefix("tonal."): v for v in verdicts
               if v.metric.startswith("tonal.") and v.status in ("warn", "bad")}
    kept = []
    for run in runs:
        for area in REGIONS:
            verdict = flagged.get(area.key)
            if verdict is None or verdict.value is None or not set(run.octaves) & set(
                    area.octaves_hz):
                continue
            if (verdict.value > 0) == (run.sign > 0):
                kept.append(run)
                break
    return kept


@dataclass(frozen=True)
class BoundedMove:
    """The EQ move a deviation calls for (``needed_db``, a magnitude) against the largest
    move done in practice (``bound_db``)."""

    needed_db: float
    bound_db: float

    @property
    def beyond(self) -> bool:
        """Whether the deviation needs more than an EQ move should do."""
        return self.needed_db > self.bound_db + 1e-9

    @property
    def gain_db(self) -> float:
        """The magnitude to suggest: the need, at most the bound."""
        return min(self.needed_db, self.bound_db)

    @property
    def text(self) -> str:
        """The magnitude as written ("3.5 dB"): rounded down to MOVE_STEP_DB, at least
        MIN_MOVE_DB, never above the bound."""
        return amount(self.needed_db, MOVE_STEP_DB, minimum=MIN_MOVE_DB,
                      maximum=self.bound_db, up=False)


def eq_bound(context: str, book: AdviceBook | None = None) -> float:
    """The largest EQ move (dB) for a track in ``context``: per band on a master, per
    source in a mixdown."""
    return (book or load_advice()).moves.eq_db(context)


def bounded_move(needed_db: float, context: str, book: AdviceBook | None = None
                 ) -> BoundedMove:
    """``needed_db`` (its magnitude) against the bound of ``context``."""
    return BoundedMove(abs(needed_db), eq_bound(context, book))


def region_text(book: AdviceBook, octaves: Sequence[float]) -> str:
    """The octaves as a producer names them: "treble and air (8 kHz to 16 kHz)"."""
    names = join(list(dict.fromkeys(book.octave_name(c) for c in octaves)))
    where = hz(octaves[0]) if len(octaves) == 1 else f"{hz(octaves[0])} to {hz(octaves[-1])}"
    return f"{names} ({where})"


MAX_SOURCES = 5
"""At most this many sources are named."""


def sources_text(book: AdviceBook, octaves: Sequence[float]) -> str:
    """Who usually lives in those octaves, each named once: "hi-hats, cymbals, the
    vocal's air, bright samples and air"."""
    names = dict.fromkeys(s for c in octaves for s in book.octave_source(c))
    return join(list(names)[:MAX_SOURCES])


def beyond_note(context: str, profile: str, *, sign: int, octaves: Sequence[float],
                deviation_db: float, move: BoundedMove, book: AdviceBook | None = None,
                figures: Mapping[str, str] | None = None) -> str:
    """Where a tonal problem too large for an EQ move lies, and the most to move on the
    EQ (advice.yaml ``notes.moves``), in ``context`` and ``profile``. ``sign`` +1: too much
    there, -1: too little; ``deviation_db`` the measured deviation (its magnitude shown)."""
    stage = "mix" if context == "mixdown" else "master"
    part = f"{stage}_{'excess' if sign > 0 else 'lack'}"
    return _note(part, context, profile, octaves=octaves, deviation_db=deviation_db,
                 bound_db=move.bound_db, amount_db=move.text, book=book, figures=figures)


def bus_rest_note(profile: str, *, octaves: Sequence[float], deviation_db: float,
                  move: BoundedMove, book: AdviceBook | None = None) -> str:
    """A mixdown's bus EQ stops at ``move.bound_db``: the rest of the move belongs on the
    sources (advice.yaml ``notes.moves.bus_rest``)."""
    rest = amount(move.needed_db - move.bound_db, MOVE_STEP_DB, minimum=MOVE_STEP_DB)
    return _note("bus_rest", "mixdown", profile, octaves=octaves, deviation_db=deviation_db,
                 bound_db=move.bound_db, amount_db=rest, book=book)


def _note(part: str, context: str, profile: str, *, octaves: Sequence[float],
          deviation_db: float, bound_db: float, amount_db: str, book: AdviceBook | None,
          figures: Mapping[str, str] | None = None) -> str:
    book = book or load_advice()
    values = dict.fromkeys(FIGURE_FIELDS, NOT_AVAILABLE)
    values.update(figures or {})
    values.update(region=region_text(book, octaves), deviation=figure(abs(deviation_db), "dB"),
                  bound_db=figure(bound_db, "dB"), amount_db=amount_db,
                  sources=sources_text(book, octaves))
    return render(book.notes["moves"][part].pick(context, known_profile(profile)), values)
