"""Problems found in a track, each located in time, with thresholds that follow the track
context (mixdown, mastering, master) and the genre targets.

Every detector is a small function returning a list of ``Issue``; ``detect_issues`` runs
them all and sorts the result by severity, then time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from zz_core.fmt import clock, clock_span, number
from zz_core.judge.genres import ContextRules, GenreTargets
from zz_core.measure.loudness import LoudnessResult
from zz_core.measure.peaks import DynamicsResult, PeakResult
from zz_core.measure.spectrum import SpectralFrames, SpectrumResult
from zz_core.measure.stereo import StereoResult
from zz_core.vocab import SEVERITY_RANK, Severity

CLIP_LEVEL = 0.999  # -0.009 dBFS: a sample this close to full scale counts as "at the rail"
CLIP_MIN_RUN = 3  # consecutive samples at the rail = flat-topped wave, i.e. clipped
DC_OFFSET_LIMIT = 10 ** (-50 / 20)  # -50 dBFS of DC on a channel
PHASE_CORRELATION_LIMIT = -0.2
MONO_LOSS_LIMIT_DB = -4.5
IMBALANCE_WARN_DB = 1.5
IMBALANCE_CRITICAL_DB = 3.0
MONO_CORRELATION = 0.9995
MONO_WIDTH = 1e-4
LOUDNESS_CRITICAL_LU = 3.0
SILENCE_LUFS = -70.0
SILENCE_EDGE_S = 2.0  # leading/trailing silence longer than this is reported
SILENCE_GAP_S = 1.0  # an internal drop-out longer than this is reported
MERGE_GAP_S = 0.5
SPECTRAL_WINDOW_S = 10.0


class IssueSpan(BaseModel):
    """One stretch of the track where an issue is heard, with the worst value in it."""

    model_config = ConfigDict(frozen=True)

    start_s: float
    end_s: float
    value: float | None = None  # the worst value inside this stretch, in the issue's unit


class Issue(BaseModel):
    """One problem of a track: one issue per code per track, located in time.

    ``value`` is the evidence that decided the verdict (the worst programme window, not
    an average over fades and tails) and ``limit`` the threshold it crossed, both in
    ``unit``; ``margin`` is how far past the limit the value lies, on the failing side.
    ``spans`` are the stretches where it is heard, worst first; ``start_s``/``end_s``
    repeat the worst one. Times in seconds from the start of the track.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str
    start_s: float
    end_s: float
    value: float | None = None  # the measured figure behind the issue, in its unit
    limit: float | None = None  # the threshold it crossed
    unit: str = ""
    margin: float | None = None
    spans: list[IssueSpan] = Field(default_factory=list)

    @property
    def span_count(self) -> int:
        """How many stretches of the track the issue covers (at least one)."""
        return max(1, len(self.spans))


@dataclass(frozen=True)
class IssueInputs:
    """Everything the detectors read: the measurements and the audio they came from."""

    samples: np.ndarray  # (channels, frames) float32
    sample_rate_hz: int
    segment_s: float
    loudness: LoudnessResult
    peaks: PeakResult
    dynamics: DynamicsResult
    stereo: StereoResult
    spectrum: SpectrumResult
    frames: SpectralFrames
    targets: GenreTargets
    context: ContextRules
    genre_label: str

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate_hz


def detect_issues(inputs: IssueInputs) -> list[Issue]:
    """Run every detector; the most severe and earliest first."""
    detectors: list[Callable[[IssueInputs], list[Issue]]] = [
        detect_silence, detect_clipping, detect_true_peak_over, detect_dc_offset,
        detect_mono, detect_phase_cancellation, detect_wide_low_end,
        detect_channel_imbalance, detect_width, detect_loudness, detect_dynamics,
        detect_tonal_balance,
    ]
    found = [issue for detector in detectors for issue in detector(inputs)]
    return sorted(found, key=lambda i: (SEVERITY_RANK[i.severity], i.start_s, i.code))


def time_spans(
    mask: np.ndarray, hop_s: float, start_s: float = 0.0, *, min_length_s: float = 0.0,
    merge_gap_s: float = MERGE_GAP_S,
) -> list[tuple[float, float]]:
    """Spans (start, end) in seconds where ``mask`` is true, with item i covering
    [start_s + i hop_s, start_s + (i + 1) hop_s); gaps shorter than ``merge_gap_s``
    are bridged and spans shorter than ``min_length_s`` dropped."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    spans: list[list[float]] = []
    for first, last in zip(starts, ends, strict=True):
        begin, end = start_s + first * hop_s, start_s + last * hop_s
        if spans and begin - spans[-1][1] < merge_gap_s:
            spans[-1][1] = end
        else:
            spans.append([begin, end])
    return [(round(b, 3), round(e, 3)) for b, e in spans if e - b >= min_length_s]


def _where(spans: list[tuple[float, float]], limit: int = 3) -> str:
    """The first ``limit`` spans as m:ss.s-m:ss.s, then how many more."""
    shown = ", ".join(clock_span(b, e) for b, e in spans[:limit])
    more = f" and {len(spans) - limit} more" if len(spans) > limit else ""
    return f"{shown}{more}"


def _whole(inputs: IssueInputs) -> tuple[float, float]:
    return 0.0, round(inputs.duration_s, 3)


# --------------------------------------------------------------------------- silence


def detect_silence(inputs: IssueInputs) -> list[Issue]:
    """Silent track, long silence at either end, and drop-outs inside the track."""
    momentary = inputs.loudness.momentary_lufs.as_array()
    if inputs.loudness.integrated_lufs is None:
        start, end = _whole(inputs)
        return [Issue(code="silence", severity="critical", start_s=start, end_s=end,
                      message="The track is silent (no audio above -70 LUFS).")]
    silent = momentary <= SILENCE_LUFS
    spans = time_spans(silent, inputs.segment_s, 0.0, merge_gap_s=0.0)
    issues = []
    for begin, end in spans:
        length = end - begin
        at_start, at_end = begin <= 0.0, end >= inputs.duration_s - 0.5
        if (at_start or at_end) and length >= SILENCE_EDGE_S:
            where = "start" if at_start else "end"
            issues.append(Issue(
                code="silence", severity="info", start_s=begin, end_s=min(end, inputs.duration_s),
                value=round(length, 1),
                message=f"{length:.1f} s of silence at the {where}; trim it before release "
                        "unless the gap is intended."))
        elif not (at_start or at_end) and length >= SILENCE_GAP_S:
            issues.append(Issue(
                code="silence", severity="warning", start_s=begin, end_s=end,
                value=round(length, 1),
                message=f"The audio drops out for {length:.1f} s at {clock(begin)}; "
                        "check for a muted part or an export glitch."))
    return issues


# --------------------------------------------------------------------------- peaks


def clipped_runs(channel: np.ndarray, sample_rate_hz: int,
                 chunk: int = 1 << 20) -> list[tuple[float, float]]:
    """Start and end times (s) of runs of at least CLIP_MIN_RUN samples at full scale.

    Scanned in chunks (overlapping by a run's length) to keep memory flat on long files.
    """
    runs: list[tuple[float, float]] = []
    last_end = -1
    for first in range(0, channel.shape[0], chunk):
        piece = channel[first : first + chunk + CLIP_MIN_RUN]
        at_rail = np.abs(piece) >= CLIP_LEVEL
        if not at_rail.any():
            continue
        edges = np.diff(np.concatenate(([0], at_rail.astype(np.int8), [0])))
        starts = np.flatnonzero(edges == 1) + first
        ends = np.flatnonzero(edges == -1) + first
        for start, end in zip(starts, ends, strict=True):
            if end - start >= CLIP_MIN_RUN and start >= last_end:
                runs.append((start / sample_rate_hz, end / sample_rate_hz))
                last_end = int(end)
    return runs


def detect_clipping(inputs: IssueInputs) -> list[Issue]:
    """One issue per stretch of clipped runs (runs closer than MERGE_GAP_S merge), each
    with the number of runs in it."""
    runs = sorted(run for ch in inputs.samples for run in clipped_runs(ch, inputs.sample_rate_hz))
    spans: list[list[float]] = []  # [start, end, runs]
    for begin, end in runs:
        if spans and begin - spans[-1][1] < MERGE_GAP_S:
            spans[-1][1] = max(end, spans[-1][1])
            spans[-1][2] += 1
        else:
            spans.append([begin, end, 1])
    return [Issue(
        code="clipping", severity=inputs.context.clip_severity,
        start_s=round(b, 3), end_s=round(max(e, b + 0.01), 3), value=float(n),
        message=f"Clipped (flat-topped) samples at {clock(b)}: {int(n)} clipped "
                f"run{'s' if n != 1 else ''} here ({len(runs)} in the track). Lower the "
                "level feeding the output or limit with a true-peak ceiling.")
        for b, e, n in spans]


def detect_true_peak_over(inputs: IssueInputs) -> list[Issue]:
    limit = inputs.context.true_peak_limit(inputs.targets)
    measured = inputs.peaks.true_peak_dbtp
    if measured is None or measured <= limit:
        return []
    series = inputs.peaks.true_peak_dbtp_series
    spans = time_spans(series.as_array() > limit, series.hop_s, series.start_s)
    severity: Severity = "critical" if measured > 0.0 else inputs.context.ceiling_severity
    if inputs.context.name == "mixdown":
        advice = (f"Leave headroom for mastering: pull the mix bus down about "
                  f"{measured - limit:.1f} dB so peaks stay below {limit:.0f} dBTP.")
    else:
        advice = (f"Set the limiter's true-peak ceiling to {limit:.1f} dBTP; lossy encoding "
                  "(AAC, Ogg, MP3) turns these overs into audible distortion.")
    return [Issue(
        code="true_peak_over", severity=severity, start_s=spans[0][0] if spans else 0.0,
        end_s=spans[-1][1] if spans else inputs.duration_s, value=measured, limit=limit,
        message=f"True peak reaches {measured:+.1f} dBTP (limit {limit:.1f} dBTP) at "
                f"{_where(spans)}. {advice}")]


def detect_dc_offset(inputs: IssueInputs) -> list[Issue]:
    offsets = [float(np.mean(ch, dtype=np.float64)) for ch in inputs.samples]
    worst = max(offsets, key=abs)
    if abs(worst) < DC_OFFSET_LIMIT:
        return []
    start, end = _whole(inputs)
    level = 20 * np.log10(abs(worst))
    return [Issue(
        code="dc_offset", severity="warning", start_s=start, end_s=end, value=round(level, 1),
        limit=-50.0,
        message=f"DC offset of {level:.0f} dBFS: it wastes headroom and clicks at edits. "
                "Put a high-pass (5-20 Hz) or DC filter on the offending track or bus.")]


# --------------------------------------------------------------------------- stereo


def detect_mono(inputs: IssueInputs) -> list[Issue]:
    stereo = inputs.stereo
    start, end = _whole(inputs)
    if inputs.samples.shape[0] == 1:
        return [Issue(code="mono", severity="info", start_s=start, end_s=end,
                      message="The file is mono; stereo checks do not apply.")]
    if (stereo.correlation is not None and stereo.width is not None
            and stereo.correlation >= MONO_CORRELATION and stereo.width <= MONO_WIDTH):
        return [Issue(
            code="mono", severity="warning", start_s=start, end_s=end, value=stereo.width,
            message="Both channels carry the same signal: the track is mono in a stereo "
                    "file. Check the export or pan/widen elements above the low end.")]
    return []


def detect_phase_cancellation(inputs: IssueInputs) -> list[Issue]:
    stereo = inputs.stereo
    series = stereo.correlation_series
    spans = time_spans(series.as_array() < PHASE_CORRELATION_LIMIT, series.hop_s,
                       series.start_s - 0.4, min_length_s=1.0)
    overall_bad = (stereo.mono_loss_db is not None and stereo.mono_loss_db < MONO_LOSS_LIMIT_DB)
    if not spans and not overall_bad:
        return []
    severity: Severity = "critical" if overall_bad or (stereo.correlation or 0) < 0 else "warning"
    where = f" at {_where(spans)}" if spans else ""
    return [Issue(
        code="phase_cancellation", severity=severity,
        start_s=spans[0][0] if spans else 0.0,
        end_s=spans[-1][1] if spans else inputs.duration_s,
        value=stereo.correlation, limit=PHASE_CORRELATION_LIMIT,
        message=f"Left and right cancel each other{where} (correlation "
                f"{number(stereo.correlation, 2, sign=True)}, mono sum "
                f"{number(stereo.mono_loss_db, 2, sign=True)} dB). "
                "Check polarity of stereo-miked or doubled parts and wideners; "
                "listen in mono.")]


def detect_wide_low_end(inputs: IssueInputs) -> list[Issue]:
    stereo = inputs.stereo
    low = inputs.targets.low_end
    if inputs.samples.shape[0] == 1 or stereo.low_end_correlation is None:
        return []
    if stereo.low_end_correlation >= low.min_correlation:
        return []
    frames = inputs.frames
    columns = [i for i, n in enumerate(frames.band_names) if n in ("sub", "low")]
    ll, rr, lr = (m[:, columns].sum(axis=1) for m in
                  (frames.frame_left, frames.frame_right, frames.frame_cross))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(ll * rr > 0, lr / np.sqrt(ll * rr), 1.0)
    spans = time_spans(corr < low.min_correlation, frames.hop_s, min_length_s=1.0)
    severity: Severity = "critical" if stereo.low_end_correlation < 0.3 else "warning"
    return [Issue(
        code="wide_low_end", severity=severity,
        start_s=spans[0][0] if spans else 0.0,
        end_s=spans[-1][1] if spans else inputs.duration_s,
        value=stereo.low_end_correlation, limit=low.min_correlation,
        message=f"The low end below {stereo.low_end_hz:.0f} Hz is wide (correlation "
                f"{stereo.low_end_correlation:+.2f}, {inputs.genre_label} aims for "
                f"{low.min_correlation:+.2f} or more){_at(spans)}. Mono the bass and kick "
                f"below about {low.mono_below_hz:.0f} Hz (utility/mid-side EQ).")]


def _at(spans: list[tuple[float, float]]) -> str:
    return f", most at {_where(spans)}" if spans else ""


def detect_channel_imbalance(inputs: IssueInputs) -> list[Issue]:
    balance = inputs.stereo.balance_db
    if inputs.samples.shape[0] == 1 or balance is None or abs(balance) < IMBALANCE_WARN_DB:
        return []
    start, end = _whole(inputs)
    louder = "left" if balance > 0 else "right"
    severity: Severity = "critical" if abs(balance) >= IMBALANCE_CRITICAL_DB else "warning"
    return [Issue(
        code="channel_imbalance", severity=severity, start_s=start, end_s=end, value=balance,
        limit=IMBALANCE_WARN_DB,
        message=f"The {louder} channel is {abs(balance):.1f} dB louder. Check panning of "
                "the lead elements and the master balance control.")]


def detect_width(inputs: IssueInputs) -> list[Issue]:
    """Stereo width (side/mid energy) against the genre's range; a mono file is skipped."""
    width = inputs.stereo.width
    wanted = inputs.targets.stereo_width
    if inputs.samples.shape[0] == 1 or width is None or width <= MONO_WIDTH:
        return []  # true mono is reported as `mono`
    start, end = _whole(inputs)
    if width < wanted.min:
        return [Issue(
            code="narrow_image", severity="info", start_s=start, end_s=end, value=width,
            limit=wanted.min,
            message=f"Stereo width {width:.2f} is narrower than {inputs.genre_label} mixes "
                    f"({wanted.min:.2f}-{wanted.max:.2f}). Pan supporting parts wider or "
                    "widen pads and effects above 300 Hz.")]
    if width > wanted.max:
        return [Issue(
            code="wide_image", severity="warning", start_s=start, end_s=end, value=width,
            limit=wanted.max,
            message=f"Stereo width {width:.2f} is wider than {inputs.genre_label} mixes "
                    f"({wanted.min:.2f}-{wanted.max:.2f}): the mix may sound hollow and "
                    "lose level in mono. Narrow wideners and check side-heavy reverbs.")]
    return []


# --------------------------------------------------------------------------- loudness


def detect_loudness(inputs: IssueInputs) -> list[Issue]:
    integrated = inputs.loudness.integrated_lufs
    if integrated is None:
        return []
    wanted = inputs.context.loudness_range(inputs.targets)
    distance = wanted.distance(integrated)
    if distance == 0.0:
        return []
    start, end = _whole(inputs)
    severity: Severity = "critical" if abs(distance) > LOUDNESS_CRITICAL_LU else "warning"
    reference = (f"{inputs.genre_label} masters sit at {wanted.min:.0f} to {wanted.max:.0f} LUFS"
                 if inputs.context.apply_genre_loudness
                 else f"a {inputs.context.label.lower()} should sit at {wanted.min:.0f} to "
                      f"{wanted.max:.0f} LUFS")
    mixdown = not inputs.context.apply_genre_loudness
    if distance > 0:
        advice = ("Pull the mix bus down about that much and take any limiter off it: "
                  "loudness is the mastering stage's job." if mixdown else
                  "Streaming platforms will turn it down; ease the limiter to win back punch.")
        return [Issue(
            code="too_loud", severity=severity, start_s=start, end_s=end, value=integrated,
            limit=wanted.max,
            message=f"Integrated loudness {integrated:.1f} LUFS is {distance:.1f} LU above "
                    f"the range ({reference}). {advice}")]
    advice = ("Raise the mix bus about that much, keeping peaks below the headroom limit."
              if mixdown else "Raise the limiter's input gain about that much, keeping the "
              "true-peak ceiling.")
    return [Issue(
        code="too_quiet", severity=severity, start_s=start, end_s=end, value=integrated,
        limit=wanted.min,
        message=f"Integrated loudness {integrated:.1f} LUFS is {-distance:.1f} LU below the "
                f"range ({reference}). {advice}")]


def detect_dynamics(inputs: IssueInputs) -> list[Issue]:
    plr = inputs.dynamics.plr_db
    if plr is None:
        return []
    context, targets = inputs.context, inputs.targets
    floor = targets.plr_db.min if context.apply_genre_dynamics else context.over_compressed_plr_db
    start, end = _whole(inputs)
    if plr < floor:
        squashing = ("bus compression (and remove any mix-bus limiter)"
                     if not context.apply_genre_dynamics else "bus compression or limiter gain")
        psr = inputs.dynamics.psr_db_series
        spans = time_spans(psr.as_array() < floor, psr.hop_s, psr.start_s - 3.0,
                           min_length_s=3.0)
        return [Issue(
            code="over_compressed", severity="critical" if plr < floor - 3.0 else "warning",
            start_s=spans[0][0] if spans else start, end_s=spans[-1][1] if spans else end,
            value=plr, limit=floor,
            message=f"PLR {plr:.1f} dB is below {floor:.0f} dB: the track is squashed"
                    f"{_at(spans)}. Back off {squashing} by {floor - plr:.1f} dB, or use "
                    "slower attack so transients survive.")]
    if context.apply_genre_dynamics and plr > targets.plr_db.max:
        return [Issue(
            code="too_dynamic", severity="info", start_s=start, end_s=end, value=plr,
            limit=targets.plr_db.max,
            message=f"PLR {plr:.1f} dB is above the {inputs.genre_label} norm of "
                    f"{targets.plr_db.max:.0f} dB: more dynamic than usual for the genre. "
                    "Fine if intended; otherwise gentle bus compression will glue it.")]
    return []


# --------------------------------------------------------------------------- tonal balance

_TONAL_RULES: tuple[tuple[str, tuple[float, ...], int, str, str], ...] = (
    # code, octaves, sign (+1 excess, -1 lack), band for localisation, advice
    ("low_end_excess", (31.5, 63.0, 125.0), 1, "low",
     "Too much low end: cut the bass or kick with a low shelf, or sidechain the bass to "
     "the kick."),
    ("low_end_lacking", (63.0, 125.0), -1, "low",
     "Thin low end: raise the bass and kick fundamentals or add sub harmonics."),
    ("low_mid_excess", (250.0, 500.0), 1, "low_mid",
     "Muddy low-mids: cut 250-500 Hz with a broad bell on guitars, keys and pads."),
    ("harshness", (2000.0, 4000.0), 1, "high_mid",
     "Harsh upper mids: tame 2-4 kHz with a dynamic EQ or a de-esser on the loudest parts."),
    ("dull_highs", (8000.0, 16000.0), -1, "air",
     "Dull top end: add a high shelf above 8-10 kHz or brighten the overheads and vocals."),
)


def detect_tonal_balance(inputs: IssueInputs) -> list[Issue]:
    balance = inputs.spectrum.tonal_balance
    if balance is None:
        return []
    tolerance = inputs.context.tonal_tolerance(inputs.targets)
    deviations = dict(zip(balance.octave_centres_hz, balance.deviation_db, strict=True))
    issues = []
    for code, octaves, sign, band, advice in _TONAL_RULES:
        values = [v for o in octaves if (v := deviations.get(o)) is not None]
        if not values:
            continue
        worst = max(values) if sign > 0 else min(values)
        if sign * worst <= tolerance:
            continue
        start, end = _loudest_window(inputs.frames, band, sign)
        direction = "above" if sign > 0 else "below"
        issues.append(Issue(
            code=code, severity="critical" if sign * worst > 2 * tolerance else "warning",
            start_s=start, end_s=end, value=round(worst, 1), limit=sign * tolerance,
            message=f"{worst:+.1f} dB {direction} the {inputs.genre_label} tonal target "
                    f"(tolerance ±{tolerance:.0f} dB), most pronounced at "
                    f"{clock_span(start, end)}. {advice}"))
    return issues


def _loudest_window(frames: SpectralFrames, band: str, sign: int) -> tuple[float, float]:
    """The SPECTRAL_WINDOW_S stretch where ``band`` is most (sign +1) or least (-1)
    prominent relative to the whole spectrum."""
    if band not in frames.band_names or frames.frames == 0:
        return 0.0, round(frames.frames * frames.hop_s, 3)
    column = frames.band_names.index(band)
    total = (frames.frame_left + frames.frame_right).sum(axis=1)
    share = (frames.frame_left[:, column] + frames.frame_right[:, column])
    per = max(1, min(round(SPECTRAL_WINDOW_S / frames.hop_s), frames.frames))
    kernel = np.ones(per)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.convolve(share, kernel, "valid") / np.convolve(total, kernel, "valid")
    if ratio.size == 0 or np.all(np.isnan(ratio)):
        return 0.0, round(frames.frames * frames.hop_s, 3)
    index = int(np.nanargmax(ratio) if sign > 0 else np.nanargmin(ratio))
    return round(index * frames.hop_s, 3), round((index + per) * frames.hop_s, 3)
