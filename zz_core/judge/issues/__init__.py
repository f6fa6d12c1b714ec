"""Problems found in a track, each located in time, with thresholds that follow the track
context (mixdown, mastering, master) and the genre targets.

One issue per code per track, its located spans worst first. Every verdict is decided by
the rules in ``judge/rules.py`` (the same ones behind the headline figures' statuses),
on programme windows only where the verdict is windowed (``judge/gating.py``). The
detectors are grouped by family: silence, peaks, stereo, loudness, tonal.
"""

from __future__ import annotations

from collections.abc import Callable

from zz_core.judge.issues.common import (
    MARGIN_DIGITS,
    MARGIN_UNITS,
    MERGE_GAP_S,
    margin_text,
    time_spans,
    where,
)
from zz_core.judge.issues.loudness import detect_dynamics, detect_loudness
from zz_core.judge.issues.models import Issue, IssueInputs, IssueSpan
from zz_core.judge.issues.peaks import detect_clipping, detect_dc_offset, detect_true_peak_over
from zz_core.judge.issues.silence import detect_silence
from zz_core.judge.issues.stereo import (
    detect_channel_imbalance,
    detect_mono,
    detect_phase_cancellation,
    detect_wide_low_end,
    detect_width,
)
from zz_core.judge.issues.tonal import _TONAL_RULES, ADVICE, detect_tonal_balance
from zz_core.judge.rules import MONO_CORRELATION, MONO_WIDTH
from zz_core.measure.peaks import CLIP_LEVEL, CLIP_MIN_RUN, clipped_runs
from zz_core.vocab import SEVERITY_RANK

DETECTORS: tuple[Callable[[IssueInputs], list[Issue]], ...] = (
    detect_silence, detect_clipping, detect_true_peak_over, detect_dc_offset,
    detect_mono, detect_phase_cancellation, detect_wide_low_end,
    detect_channel_imbalance, detect_width, detect_loudness, detect_dynamics,
    detect_tonal_balance,
)


def detect_issues(inputs: IssueInputs) -> list[Issue]:
    """Run every detector: one issue per code, the most severe and earliest first."""
    found = [issue for detector in DETECTORS for issue in detector(inputs)]
    return sorted(found, key=lambda i: (SEVERITY_RANK[i.severity], i.start_s, i.code))


__all__ = [
    "ADVICE", "CLIP_LEVEL", "CLIP_MIN_RUN", "DETECTORS", "MARGIN_DIGITS", "MARGIN_UNITS",
    "MERGE_GAP_S", "MONO_CORRELATION", "MONO_WIDTH", "_TONAL_RULES", "Issue", "IssueInputs",
    "IssueSpan", "clipped_runs", "detect_channel_imbalance", "detect_clipping",
    "detect_dc_offset", "detect_dynamics", "detect_issues", "detect_loudness", "detect_mono",
    "detect_phase_cancellation", "detect_silence", "detect_tonal_balance",
    "detect_true_peak_over", "detect_wide_low_end", "detect_width", "margin_text",
    "time_spans", "where",
]
