"""Writes ``analysis_master.json``: the stored analysis the prompt snapshot tests read.

A stored analysis (not a fresh one) keeps the snapshots independent of numeric noise in
the DSP; re-run this only when the analysis schema changes, then refresh the snapshots
with ``ZZ_UPDATE_SNAPSHOTS=1 python -m pytest tests/advise/test_prompts.py``.
"""

from __future__ import annotations

from pathlib import Path

from tests.mixes import RATE, limited, shaped_noise, wide_low_end
from zz_core.judge.models import AnalysisOptions
from zz_core.judge.pipeline import analyze_audio, with_reference
from zz_core.measure.decoding import Audio

HERE = Path(__file__).resolve().parent


def main() -> None:
    options = AnalysisOptions(context="master", genre="electronic", subgenre="techno")
    loud = limited(wide_low_end(shaped_noise(12.0, "electronic", seed=3)), -6.5, 0.3)
    reference = limited(shaped_noise(12.0, "electronic", seed=4), -8.5, -1.0)
    track = analyze_audio(Audio(loud, RATE, "wav"), options, file_name="Night Drive (final).wav")
    ref = analyze_audio(Audio(reference, RATE, "wav"), options, file_name="Reference.flac")
    (HERE / "analysis_master.json").write_text(
        with_reference(track, ref).model_dump_json(indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
