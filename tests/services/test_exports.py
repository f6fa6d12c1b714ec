"""An analysis taken away from the page: the JSON is byte for byte what ``analyze --json``
prints, the figures CSV has the batch command's columns, the issues CSV one row per
located stretch with m:ss and seconds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.mixes import RATE, clean_mixdown, polarity_flipped
from tests.signals import write_wav
from zz_core.cli import main
from zz_core.judge.models import AnalysisResult
from zz_core.services import exports
from zz_core.services.batchfiles import COLUMNS


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What ``python -m zz_core analyze flawed.wav --json`` prints."""
    audio = polarity_flipped(clean_mixdown(10.0), 3.0, 6.0)
    audio[:, 8 * RATE:8 * RATE + 300] = 0.999
    audio[:, 9 * RATE:9 * RATE + 300] = -0.999
    path = write_wav(tmp_path_factory.mktemp("exports") / "flawed.wav", audio, RATE, "PCM_24")
    out = io.StringIO()
    assert main(["analyze", str(path), "--json"], stdout=out) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def result(printed: str) -> AnalysisResult:
    return AnalysisResult.model_validate_json(printed)


def test_the_json_is_what_analyze_json_prints(printed: str, result: AnalysisResult) -> None:
    assert exports.analysis_json(result) == printed
    assert json.loads(exports.analysis_json(result))["file_name"] == "flawed.wav"


def test_the_figures_csv_is_one_batch_row(result: AnalysisResult) -> None:
    rows = list(csv.DictReader(io.StringIO(exports.figures_csv(result))))
    assert len(rows) == 1
    assert list(rows[0]) == [column.name for column in COLUMNS]
    assert float(rows[0]["integrated_lufs"]) == result.loudness.integrated_lufs
    assert rows[0]["issues"].split() == [i.code for i in result.issues]
    assert rows[0]["key"] == (result.key.label or "")  # None is an empty cell


def test_the_issues_csv_has_a_row_per_located_stretch(result: AnalysisResult,
                                                      tmp_path: Path) -> None:
    text = exports.issues_csv(result)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(exports.ISSUE_COLUMNS)
    assert len(rows) == sum(max(1, len(i.spans)) for i in result.issues)
    phase = next(r for r in rows if r["code"] == "phase_cancellation")
    assert phase["start"].count(":") == 1 and float(phase["start_s"]) == pytest.approx(
        next(i for i in result.issues if i.code == "phase_cancellation").start_s, abs=0.001)
    clipping = [r for r in rows if r["code"] == "clipping"]
    if clipping:
        assert [r["place"] for r in clipping] == [str(n) for n in range(1, len(clipping) + 1)]
        assert all(r["places"] == str(len(clipping)) for r in clipping)
    assert all("\n" not in r["message"] for r in rows)
