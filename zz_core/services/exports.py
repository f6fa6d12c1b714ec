"""One analysis as files to take away from the page: its JSON, exactly what
``python -m zz_core analyze --json`` prints, and two CSVs, the headline figures (one row,
the columns of the batch command's CSV) and the issues (one row per located stretch).

Times in the issue CSV are given both as m:ss.s (as the page and the PDF write them) and
in seconds for a spreadsheet; figures keep their measured precision, in the unit of
their column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from zz_core.fmt import clock
from zz_core.judge.models import AnalysisResult
from zz_core.services.batchfiles import COLUMNS
from zz_core.text import one_line

__all__ = ["ISSUE_COLUMNS", "analysis_json", "figures_csv", "figures_row", "issues_csv"]

ISSUE_COLUMNS = ("code", "severity", "place", "places", "start", "end", "start_s", "end_s",
                 "value", "limit", "unit", "margin", "message")
"""The issue CSV's columns: ``place`` counts the issue's stretches worst first (1 = the
worst), ``start``/``end`` are m:ss.s, ``value`` the worst value in that stretch (the
issue's own value when the stretch has none)."""


def analysis_json(result: AnalysisResult) -> str:
    """The analysis as ``analyze --json`` writes it (the same serialiser, one line)."""
    return result.model_dump_json() + "\n"


def figures_row(result: AnalysisResult) -> dict[str, Any]:
    """The headline figures under the batch CSV's column names (units in the names)."""
    return {column.name: column.value(result) for column in COLUMNS}


def _csv(header: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return out.getvalue()


def figures_csv(result: AnalysisResult) -> str:
    """The headline figures as a one-row CSV (the batch command's columns)."""
    return _csv([column.name for column in COLUMNS], [figures_row(result)])


def issues_csv(result: AnalysisResult) -> str:
    """The issues as a CSV, one row per located stretch (an issue stored without
    stretches is one row over its own start and end)."""
    rows = []
    for issue in result.issues:
        spans = ([(s.start_s, s.end_s, s.value) for s in issue.spans]
                 or [(issue.start_s, issue.end_s, issue.value)])
        for place, (start, end, value) in enumerate(spans, start=1):
            rows.append({"code": issue.code, "severity": issue.severity, "place": place,
                         "places": len(spans), "start": clock(start), "end": clock(end),
                         "start_s": round(start, 3), "end_s": round(end, 3),
                         "value": issue.value if value is None else value,
                         "limit": issue.limit, "unit": issue.unit, "margin": issue.margin,
                         "message": one_line(issue.message)})
    return _csv(ISSUE_COLUMNS, rows)
