"""Streaming-platform loudness normalization: what each platform's playback gain does to a track.

The platform figures live in ``zz_core/data/platforms.yaml`` (editable, with sources and an
``uncertain`` flag where sources disagree). ``simulate_platforms`` applies the published
rules to a track's integrated loudness (LUFS, ITU-R BS.1770) and true peak (dBTP).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zz_core import fmt
from zz_core.datafiles import DATA_DIR, fail, read_yaml, validation_lines

DEFAULT_PLATFORMS_PATH = DATA_DIR / "platforms.yaml"
FULL_SCALE_DBTP = 0.0
"""Output above this clips on playback whatever the platform advises."""
_AT_TARGET_DB = 0.05
"""Gains smaller than this are reported as 'plays as it is'."""

PlatformKind = Literal["streaming", "broadcast"]


class Platform(BaseModel):
    """One platform's normalization rules (see platforms.yaml for field meanings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9]+(_[a-z0-9]+)*$")
    name: str = Field(min_length=1)
    kind: PlatformKind = "streaming"
    target_lufs: float = Field(lt=0.0)
    turns_down_loud: bool
    raises_quiet: bool
    raise_true_peak_ceiling_dbtp: float | None = Field(default=None, le=FULL_SCALE_DBTP)
    limiter_ceiling_dbtp: float | None = Field(default=None, le=FULL_SCALE_DBTP)
    true_peak_advice_dbtp: float | None = Field(default=None, le=FULL_SCALE_DBTP)
    loud_true_peak_advice_dbtp: float | None = Field(default=None, le=FULL_SCALE_DBTP)
    loud_above_lufs: float | None = Field(default=None, lt=0.0)
    uncertain: bool
    note: str = ""
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _loud_advice_pairs(self) -> Platform:
        if (self.loud_true_peak_advice_dbtp is None) != (self.loud_above_lufs is None):
            raise ValueError("loud_true_peak_advice_dbtp and loud_above_lufs go together")
        return self

    def true_peak_advice(self, integrated_lufs: float) -> float:
        """Highest advised true peak (dBTP) of the uploaded file at this loudness.

        Falls back to 0 dBTP when the platform gives no advice.
        """
        if (
            self.loud_true_peak_advice_dbtp is not None
            and self.loud_above_lufs is not None
            and integrated_lufs > self.loud_above_lufs
        ):
            return self.loud_true_peak_advice_dbtp
        if self.true_peak_advice_dbtp is not None:
            return self.true_peak_advice_dbtp
        return FULL_SCALE_DBTP


class PlatformOutcome(BaseModel):
    """What one platform does to one track.

    ``gain_db`` is the playback gain (negative = turned down). ``limited``: a limiter acts on
    the raised track (Spotify Loud). ``raise_capped``: the raise stopped short of the target
    to respect the platform's peak ceiling. ``true_peak_over``: the file's true peak is above
    the platform's advice (the lossy encode, made before playback gain, is likely to clip) or
    the output after gain passes 0 dBTP. ``output_lufs`` ignores the small loudness change a
    limiter makes.
    """

    model_config = ConfigDict(frozen=True)

    platform: str
    platform_slug: str
    kind: PlatformKind
    target_lufs: float
    gain_db: float
    output_lufs: float
    output_true_peak_dbtp: float
    limited: bool
    raise_capped: bool
    true_peak_over: bool
    note: str
    uncertain: bool


class _PlatformFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    platforms: list[dict[str, Any]] = Field(min_length=1)


# --------------------------------------------------------------------------- loading


def _parse_platforms(source: Path, data: Any) -> list[Platform]:
    try:
        raw = _PlatformFile.model_validate(data)
    except ValidationError as err:
        problems = validation_lines(source.stem, err)
    else:
        problems = []
    if problems:
        fail(source, problems)
    platforms: list[Platform] = []
    for index, row in enumerate(raw.platforms):
        where = f"platforms[{index}] ({row.get('slug') or row.get('name') or '?'})"
        try:
            platforms.append(Platform.model_validate(row))
        except ValidationError as err:
            problems.extend(validation_lines(where, err))
    slugs = [p.slug for p in platforms]
    problems.extend(f"platforms: slug {s!r} is used twice" for s in sorted(set(slugs))
                    if slugs.count(s) > 1)
    if problems:
        fail(source, problems)
    return platforms


@lru_cache(maxsize=1)
def _default_platforms() -> tuple[Platform, ...]:
    data = read_yaml(DEFAULT_PLATFORMS_PATH)
    return tuple(_parse_platforms(DEFAULT_PLATFORMS_PATH, data))


def load_platforms(path: Path | None = None) -> list[Platform]:
    """All platforms in file order; the packaged file is read once and cached.

    Raises DataFileError naming the platform and field of any mistake.
    """
    if path is None or Path(path).resolve() == DEFAULT_PLATFORMS_PATH:
        return list(_default_platforms())
    source = Path(path)
    return _parse_platforms(source, read_yaml(source))


# --------------------------------------------------------------------------- simulation


def _playback_gain(
    p: Platform, integrated_lufs: float, true_peak_dbtp: float
) -> tuple[float, bool]:
    """Gain (dB) the platform applies, and whether a peak ceiling cut a raise short."""
    gain = p.target_lufs - integrated_lufs
    if gain > 0.0 and not p.raises_quiet:
        return 0.0, False
    if gain < 0.0 and not p.turns_down_loud:
        return 0.0, False
    ceiling = p.raise_true_peak_ceiling_dbtp
    if gain > 0.0 and p.limiter_ceiling_dbtp is None and ceiling is not None:
        headroom = ceiling - true_peak_dbtp if not math.isnan(true_peak_dbtp) else 0.0
        if gain > headroom:
            return max(0.0, headroom), True
    return gain, False


def _gain_sentence(
    p: Platform, lufs: float, peak: float, gain: float, capped: bool, limited: bool
) -> str:
    wanted = p.target_lufs - lufs
    target = f"{p.target_lufs:g} LUFS"  # a setting, written as in platforms.yaml
    if abs(wanted) < _AT_TARGET_DB:
        return f"{p.name} plays this track as it is: it already sits at the {target} target"
    if wanted < 0.0 and gain == 0.0:
        return (f"{p.name} does not turn loud tracks down, so this one plays "
                f"{-wanted:.1f} dB above its {target} target")
    if gain < 0.0:
        return f"{p.name} turns this track down {-gain:.1f} dB; your extra loudness buys nothing"
    if not p.raises_quiet:
        return (f"{p.name} does not raise quiet tracks, so this one plays {wanted:.1f} dB "
                f"below louder ones at {target}")
    if capped:
        ceiling = f"{p.raise_true_peak_ceiling_dbtp or 0.0:g}"
        short = wanted - gain
        if gain < _AT_TARGET_DB:
            return (f"{p.name} cannot raise this track because its peaks already reach "
                    f"{peak:.1f} dBTP, so it plays {short:.1f} dB below the {target} target")
        return (f"{p.name} raises this track only {gain:.1f} dB (not {wanted:.1f}) to keep "
                f"peaks under {ceiling} dBTP, so it plays {short:.1f} dB below the {target} "
                "target")
    if limited:
        limit = f"{p.limiter_ceiling_dbtp or 0.0:g}"
        return (f"{p.name} raises this track {gain:.1f} dB and its limiter pulls peaks that "
                f"would reach {peak + gain:+.1f} dBTP down to {limit} dBTP, flattening your "
                "transients")
    return f"{p.name} raises this track {gain:.1f} dB to its {target} target"


def _outcome(
    p: Platform,
    *,
    gain: float,
    output_lufs: float,
    output_peak: float,
    limited: bool = False,
    capped: bool = False,
    over: bool = False,
    note: str,
) -> PlatformOutcome:
    return PlatformOutcome(
        platform=p.name, platform_slug=p.slug, kind=p.kind, target_lufs=p.target_lufs,
        gain_db=gain, output_lufs=output_lufs, output_true_peak_dbtp=output_peak,
        limited=limited, raise_capped=capped, true_peak_over=over, note=note,
        uncertain=p.uncertain,
    )


def _simulate_one(p: Platform, lufs: float | None, peak: float | None) -> PlatformOutcome:
    peak_value = math.nan if peak is None else float(peak)
    if lufs is None or not math.isfinite(lufs):
        return _outcome(
            p, gain=0.0, output_lufs=-math.inf if lufs is None else float(lufs),
            output_peak=peak_value, over=peak_value > FULL_SCALE_DBTP,
            note=(f"{p.name} has nothing to normalize: the track is silent or its loudness "
                  "could not be measured."),
        )
    gain, capped = _playback_gain(p, lufs, peak_value)
    out_peak = peak_value + gain
    limiter = p.limiter_ceiling_dbtp
    limited = limiter is not None and gain > 0.0 and out_peak > limiter
    if limited and limiter is not None:
        out_peak = limiter
    advice = p.true_peak_advice(lufs)
    encode_over = peak_value > advice
    sentence = _gain_sentence(p, lufs, peak_value, gain, capped, limited)
    if encode_over:
        sentence += (f", and peaks at {peak_value:.1f} dBTP (advice: {advice:g} dBTP or "
                     "lower) may clip in the lossy encode")
    return _outcome(
        p, gain=gain, output_lufs=lufs + gain, output_peak=out_peak, limited=limited,
        capped=capped, over=encode_over or out_peak > FULL_SCALE_DBTP, note=sentence + ".",
    )


def simulate_platforms(
    integrated_lufs: float | None,
    true_peak_dbtp: float | None,
    platforms: list[Platform] | None = None,
) -> list[PlatformOutcome]:
    """What each platform's loudness normalization does to a track, in platform order.

    gain = target - integrated loudness; no raise on platforms that do not raise quiet tracks,
    no cut on platforms that do not turn loud ones down; a raise stops where the true peak
    would pass ``raise_true_peak_ceiling_dbtp``, unless the platform limits instead
    (``limiter_ceiling_dbtp``: raise fully, peaks held at the ceiling). Silence or an
    unmeasurable loudness (None, -inf, NaN) gets gain 0 and is never raised.
    """
    chosen = load_platforms() if platforms is None else platforms
    return [_simulate_one(p, integrated_lufs, true_peak_dbtp) for p in chosen]


# --------------------------------------------------------------------------- for the verdicts


def _default_playback(platforms: list[Platform] | None) -> list[Platform]:
    """The streaming platforms as most listeners hear them: a listener's own "Loud" mode
    (a platform that limits instead of capping the raise) left out."""
    chosen = load_platforms() if platforms is None else platforms
    return [p for p in chosen if p.kind == "streaming" and p.limiter_ceiling_dbtp is None]


def typical_streaming_target(platforms: list[Platform] | None = None) -> float:
    """The loudness (LUFS) streaming platforms normalise to: the median of their default
    targets (-14 LUFS with the packaged file)."""
    targets = sorted(p.target_lufs for p in _default_playback(platforms))
    if not targets:
        return -14.0
    middle = len(targets) // 2
    return targets[middle] if len(targets) % 2 else (targets[middle - 1] + targets[middle]) / 2


def loud_master_ceiling(integrated_lufs: float | None,
                        platforms: list[Platform] | None = None) -> float | None:
    """The lowest true-peak advice (dBTP) platforms give for a master this loud (Spotify:
    -2 dBTP above -14 LUFS); None when no platform advises more for it."""
    if integrated_lufs is None or not math.isfinite(integrated_lufs):
        return None
    chosen = load_platforms() if platforms is None else platforms
    advice = [p.loud_true_peak_advice_dbtp for p in chosen
              if p.loud_true_peak_advice_dbtp is not None and p.loud_above_lufs is not None
              and integrated_lufs > p.loud_above_lufs]
    return min(advice) if advice else None


def normalisation_summary(integrated_lufs: float, true_peak_dbtp: float | None,
                          platforms: list[Platform] | None = None) -> str:
    """One sentence on what default streaming playback does to a track: which platforms
    play it as it is, turn it down or raise it ("Spotify and YouTube play it as it is;
    Apple Music turns it down 2.0 dB")."""
    chosen = _default_playback(platforms)
    outcomes = simulate_platforms(integrated_lufs, true_peak_dbtp, chosen)
    as_is, down, up, short = [], [], [], []
    for p, o in zip(chosen, outcomes, strict=True):
        wanted = p.target_lufs - integrated_lufs
        if abs(wanted) < _AT_TARGET_DB or (abs(o.gain_db) < _AT_TARGET_DB and wanted < 0):
            as_is.append(o.platform)
        elif o.gain_db < 0:
            down.append(f"{o.platform} ({fmt.number(-o.gain_db)} dB)")
        elif o.gain_db >= _AT_TARGET_DB:
            short_by = f", {fmt.number(wanted - o.gain_db)} dB short" if o.raise_capped else ""
            up.append(f"{o.platform} ({fmt.number(o.gain_db)} dB{short_by})")
        else:
            short.append(f"{o.platform} ({fmt.number(wanted)} dB below its target)")
    clauses = []
    for names, verb in ((as_is, "play{s} it as it is"), (down, "turn{s} it down"),
                        (up, "raise{s} it"), (short, "do{es} not raise it")):
        if names:
            single = len(names) == 1
            clauses.append(f"{fmt.join(names)} "
                           + verb.format(s="s" if single else "", es="es" if single else ""))
    return "; ".join(clauses)
