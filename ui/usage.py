"""The Token Usage page's chart (tokens per stage per UTC day as stacked bars, the day's
cost on a second axis; plotly) and how its figures are written. The data comes from
``zz_core.services.usage``."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.plots import HEIGHT, MARGIN, OVERLAY_COLOURS, TEMPLATE
from zz_core.services.usage import COST, daily_usage

COST_COLOUR = "#ffffff"
DAY_MS = 86_400_000
DAILY_TICKS_UP_TO = 31
"""Up to this many days the time axis has one tick per day; beyond, plotly picks."""
CHART_MARGIN = {**MARGIN, "t": 90}


def usage_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars of tokens per stage per UTC day, and the day's cost on a second axis."""
    daily = daily_usage(frame)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for index, stage in enumerate(c for c in daily.columns if c != COST):
        fig.add_trace(go.Bar(
            x=daily.index, y=daily[stage], name=stage,
            marker_color=OVERLAY_COLOURS[index % len(OVERLAY_COLOURS)],
            hovertemplate=f"%{{x|%Y-%m-%d}}<br>{stage}: %{{y:,}} tokens<extra></extra>",
        ), secondary_y=False)
    fig.add_trace(go.Scatter(
        x=daily.index, y=daily[COST], name="Cost", mode="lines+markers",
        line={"color": COST_COLOUR, "width": 2},
        hovertemplate="%{x|%Y-%m-%d}<br>Cost: $%{y:.4f}<extra></extra>",
    ), secondary_y=True)
    fig.update_layout(template=TEMPLATE, title="Tokens and cost per day (UTC)", height=HEIGHT,
                      margin=CHART_MARGIN, barmode="stack", hovermode="closest",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0,
                              "traceorder": "normal"})
    fig.update_xaxes(title_text="Day (UTC)", type="date", tickformat="%Y-%m-%d",
                     dtick=DAY_MS if len(daily) <= DAILY_TICKS_UP_TO else None)
    fig.update_yaxes(title_text="Tokens", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="Cost (USD)", tickprefix="$", tickformat=".4f",
                     rangemode="tozero", showgrid=False, secondary_y=True)
    return fig


def format_usd(value: float) -> str:
    """US dollars to four decimals: "$0.0123"."""
    return f"${value:.4f}"


def format_count(value: int) -> str:
    return f"{value:,}"
