"""The Token Usage chart and how its figures are written, from the same real rows as
``tests/services/test_usage.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from sqlalchemy.engine import Engine

from tests.services.test_usage import _frame, _record, _user, usage_world
from ui import usage as usage_ui
from zz_core.services import usage
from zz_core.services.workspace import Workspace


@pytest.fixture
def world(sqlite_engine: Engine, tmp_data_dir: Path) -> dict[str, Any]:
    return usage_world(sqlite_engine, tmp_data_dir)


def test_usage_figure_stacks_stages_and_puts_cost_on_a_second_axis(
        world: dict[str, Any]) -> None:
    fig = usage_ui.usage_figure(_frame(world["ada"]))
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    [line] = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert [b.name for b in bars] == ["Feedback", "Follow-up", "Summary", "Comparison",
                                      "Docs Assistant", "Presets"]
    assert fig.layout.barmode == "stack"
    assert line.yaxis == "y2" and all(b.yaxis in (None, "y") for b in bars)
    assert fig.layout.yaxis.title.text == "Tokens"
    assert fig.layout.yaxis2.title.text == "Cost (USD)"
    assert sum(sum(b.y) for b in bars) == usage.totals(_frame(world["ada"])).total_tokens


def test_no_usage_gives_an_empty_figure(sqlite_engine: Engine, tmp_data_dir: Path) -> None:
    workspace = Workspace(sqlite_engine, _user(sqlite_engine, "ada"), tmp_data_dir)
    assert isinstance(usage_ui.usage_figure(_frame(workspace)), go.Figure)


def test_a_stored_would_cost_is_shown_as_recorded(sqlite_engine: Engine,
                                                  tmp_data_dir: Path) -> None:
    ada = _user(sqlite_engine, "ada")
    _record(sqlite_engine, ada, provider="offline", model="zz-offline-1", prompt=0,
            completion=0, estimated=True, would_cost_usd=0.0123)
    frame = _frame(Workspace(sqlite_engine, ada, tmp_data_dir))
    assert usage_ui.format_usd(usage.totals(frame).would_cost_usd) == "$0.0123"


@pytest.mark.parametrize(("value", "shown"), [(0.0, "$0.0000"), (0.0123, "$0.0123"),
                                              (0.01234, "$0.0123"), (12.5, "$12.5000")])
def test_costs_are_shown_to_four_decimals(value: float, shown: str) -> None:
    assert usage_ui.format_usd(value) == shown
