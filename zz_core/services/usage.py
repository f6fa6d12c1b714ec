"""Token usage: the user's LLM calls as totals, breakdowns, a daily series and a CSV
export (the Token Usage page draws them; ``ui.usage`` makes the chart).

``usage_frame`` turns the user's usage records into one table (pandas), and everything
else reads that table. The few functions that touch the database take the user's
``Workspace``; the store scopes every query to its user.

Current rows are shown by default; "Reset counters" archives them (never deletes) and
``load_usage(..., include_archived=True)`` brings the history back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from zz_core.advise import tokens
from zz_core.advise.tokens import PriceTable
from zz_core.services.workspace import Workspace
from zz_core.store import usage as stored_usage
from zz_core.store.records import UsageRecord
from zz_core.vocab import STAGES

OFFLINE = "offline"
DELETED_SESSION = "(deleted session)"
NO_SESSION = "(no session)"
"""Docs Assistant calls are not about a session; any other call without one lost it."""
UNSESSIONED_STAGES = ("docs",)

STAGE_LABELS = {"feedback": "Feedback", "follow_up": "Follow-up", "summary": "Summary",
                "comparison": "Comparison", "docs": "Docs Assistant", "presets": "Presets"}

# Display columns of the breakdown tables (the page formats them by these names).
CALLS = "Calls"
PROMPT = "Prompt tokens"
COMPLETION = "Completion tokens"
TOTAL = "Total tokens"
COST = "Cost (USD)"
ESTIMATED_SHARE = "Estimated share"
WOULD_COST = "Offline: would have cost (USD)"
PRICE_INPUT = "Input (USD per 1M tokens)"
PRICE_OUTPUT = "Output (USD per 1M tokens)"
PRICE_STATUS = "Price"
PRICE_LISTED = "listed"
PRICE_MISSING = "not listed: counted at $0"
PRICE_OFFLINE = "offline engine: free"

FRAME_COLUMNS = ("record_id", "created_at", "provider", "model", "stage", "project_id",
                 "track_id", "session", "prompt_tokens", "completion_tokens", "total_tokens",
                 "cost_usd", "estimated", "would_cost_usd", "price_listed", "archived")
_DTYPES = {"record_id": "Int64", "provider": "object", "model": "object", "stage": "object",
           "project_id": "Int64", "track_id": "Int64", "session": "object",
           "prompt_tokens": "int64", "completion_tokens": "int64", "total_tokens": "int64",
           "cost_usd": "float64", "estimated": "bool", "would_cost_usd": "float64",
           "price_listed": "bool", "archived": "bool"}
CSV_NAMES = {"created_at": "created_at_utc"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these is a formula to a spreadsheet: it is prefixed
with an apostrophe on export (OWASP 'CSV injection')."""


# --------------------------------------------------------------------------- database


def load_usage(workspace: Workspace, *, include_archived: bool = False) -> list[UsageRecord]:
    """The user's usage records: current ones, or with ``include_archived`` all of them."""
    return stored_usage.list_token_usage(workspace.engine, workspace.user_id,
                                         archived=None if include_archived else False)


def archived_count(workspace: Workspace) -> int:
    """How many of the user's records a reset has archived."""
    return len(stored_usage.list_token_usage(workspace.engine, workspace.user_id,
                                             archived=True))


def session_names(workspace: Workspace) -> dict[int, str]:
    """The user's sessions (projects) by id."""
    return workspace.project_names()


def reset_counters(workspace: Workspace) -> int:
    """Archive (never delete) the user's current records; returns how many."""
    return stored_usage.archive_token_usage(workspace.engine, workspace.user_id)


# --------------------------------------------------------------------------- the table


def offline_figures(row: UsageRecord, estimate_model: str,
                    prices: PriceTable) -> tuple[int, int, float | None]:
    """(prompt tokens used, completion tokens used, what the call would have cost).

    The one place that decides how an offline-engine row counts: it sends nothing to a
    model, so it uses no tokens; what it would have cost is the row's own
    ``would_cost_usd`` when it stored one, else its (estimated) token counts priced on
    ``estimate_model``. Calls to a model count their tokens and have no "would cost".
    """
    if row.provider != OFFLINE:
        return row.prompt_tokens, row.completion_tokens, None
    stored = getattr(row, "would_cost_usd", None)
    if stored is not None:
        return 0, 0, float(stored)
    return 0, 0, tokens.cost_usd(estimate_model, row.prompt_tokens, row.completion_tokens,
                                 prices)


def session_label(project_id: int | None, stage: str, sessions: dict[int, str]) -> str:
    if project_id is not None and project_id in sessions:
        return sessions[project_id]
    return NO_SESSION if project_id is None and stage in UNSESSIONED_STAGES else DELETED_SESSION


def usage_frame(rows: Sequence[UsageRecord], sessions: dict[int, str], *,
                estimate_model: str, prices: PriceTable | None = None) -> pd.DataFrame:
    """One line per call, oldest first, with the columns of ``FRAME_COLUMNS``
    (``created_at`` timezone-aware UTC; tokens as counted by ``offline_figures``)."""
    prices = prices or tokens.default_prices()
    records = []
    for row in rows:
        prompt, completion, would = offline_figures(row, estimate_model, prices)
        records.append({
            "record_id": row.id, "created_at": row.created_at, "provider": row.provider,
            "model": row.model, "stage": row.stage, "project_id": row.project_id,
            "track_id": row.track_id,
            "session": session_label(row.project_id, row.stage, sessions),
            "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion, "cost_usd": float(row.cost_usd),
            "estimated": bool(row.estimated),
            "would_cost_usd": math.nan if would is None else would,
            "price_listed": tokens.is_priced(row.model, prices),
            "archived": bool(row.archived),
        })
    frame = pd.DataFrame.from_records(records, columns=list(FRAME_COLUMNS)).astype(_DTYPES)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame.sort_values(["created_at", "record_id"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- totals


@dataclass(frozen=True)
class Totals:
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    estimated_tokens: int
    offline_calls: int
    would_cost_usd: float

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def estimated_share(self) -> float:
        """Share (0..1) of the tokens whose counts were estimated, not reported."""
        return self.estimated_tokens / self.total_tokens if self.total_tokens else 0.0


def totals(frame: pd.DataFrame) -> Totals:
    return Totals(
        calls=len(frame),
        prompt_tokens=int(frame["prompt_tokens"].sum()),
        completion_tokens=int(frame["completion_tokens"].sum()),
        cost_usd=float(frame["cost_usd"].sum()),
        estimated_tokens=int(frame.loc[frame["estimated"], "total_tokens"].sum()),
        offline_calls=int((frame["provider"] == OFFLINE).sum()),
        would_cost_usd=float(frame["would_cost_usd"].sum(skipna=True)),
    )


# --------------------------------------------------------------------------- breakdowns


def _summary(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Calls, tokens, cost and estimated share per group of ``keys``."""
    work = frame.assign(estimated_tokens=frame["total_tokens"].where(frame["estimated"], 0))
    grouped = work.groupby(keys, dropna=False, sort=False).agg(
        calls=("record_id", "size"), prompt=("prompt_tokens", "sum"),
        completion=("completion_tokens", "sum"), total=("total_tokens", "sum"),
        cost=("cost_usd", "sum"), estimated=("estimated_tokens", "sum"),
        would=("would_cost_usd", "sum"),
    ).reset_index()
    share = (grouped["estimated"] / grouped["total"].where(grouped["total"] > 0)).fillna(0.0)
    table = pd.DataFrame({key: grouped[key] for key in keys})
    table[CALLS] = grouped["calls"].astype("int64")
    table[PROMPT] = grouped["prompt"].astype("int64")
    table[COMPLETION] = grouped["completion"].astype("int64")
    table[TOTAL] = grouped["total"].astype("int64")
    table[COST] = grouped["cost"].astype("float64")
    table[ESTIMATED_SHARE] = share.astype("float64")
    if (frame["provider"] == OFFLINE).any():
        table[WOULD_COST] = grouped["would"].astype("float64")
    return table


def _stage_order(stage: str) -> tuple[int, str]:
    """Stages in the pipeline's order; unknown ones after, alphabetically."""
    known: tuple[str, ...] = STAGES
    return (known.index(stage) if stage in known else len(known), stage)


def by_stage(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per stage (feedback, follow-up, ...), in the pipeline's order."""
    table = _summary(frame, ["stage"])
    table = table.sort_values("stage", key=lambda s: s.map(_stage_order), kind="stable")
    table["stage"] = table["stage"].map(lambda s: STAGE_LABELS.get(s, s))
    return table.rename(columns={"stage": "Stage"}).reset_index(drop=True)


def price_status(provider: str, model: str, prices: PriceTable | None = None) -> str:
    if provider == OFFLINE:
        return PRICE_OFFLINE
    return PRICE_LISTED if tokens.is_priced(model, prices) else PRICE_MISSING


def by_model(frame: pd.DataFrame, prices: PriceTable | None = None) -> pd.DataFrame:
    """One line per provider and model, with its listed price (None when not listed:
    its calls are counted at $0), costliest first."""
    prices = prices or tokens.default_prices()
    table = _summary(frame, ["provider", "model"])
    listed = [prices.price_of(m) if p != OFFLINE else None
              for p, m in zip(table["provider"], table["model"], strict=True)]
    head = pd.DataFrame({
        "Provider": table["provider"], "Model": table["model"],
        PRICE_STATUS: [price_status(p, m, prices)
                       for p, m in zip(table["provider"], table["model"], strict=True)],
        PRICE_INPUT: pd.array([x.input if x else None for x in listed], dtype="Float64"),
        PRICE_OUTPUT: pd.array([x.output if x else None for x in listed], dtype="Float64"),
    })
    out = pd.concat([head, table.drop(columns=["provider", "model"])], axis=1)
    return out.sort_values([COST, CALLS, "Model"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)


def unpriced_models(frame: pd.DataFrame) -> list[str]:
    """Models called (not the offline engine) with no listed price: counted at $0."""
    called = frame[(frame["provider"] != OFFLINE) & ~frame["price_listed"]]
    return sorted(set(called["model"]))


def by_session(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per session (calls whose session was deleted grouped together as
    "(deleted session)"), costliest first."""
    table = _summary(frame.assign(project_id=frame["project_id"].fillna(-1)),
                     ["project_id", "session"])
    table = table.sort_values([COST, TOTAL, CALLS, "session"],
                              ascending=[False, False, False, True], kind="stable")
    return table.drop(columns="project_id").rename(columns={"session": "Session"}
                                                   ).reset_index(drop=True)


def price_table(prices: PriceTable | None = None) -> pd.DataFrame:
    """The listed prices (``zz_core/data/prices.yaml``), one line per model."""
    prices = prices or tokens.default_prices()
    return pd.DataFrame({
        "Model": list(prices.models),
        PRICE_INPUT: [p.input for p in prices.models.values()],
        PRICE_OUTPUT: [p.output for p in prices.models.values()],
    })


# --------------------------------------------------------------------------- over time


def daily_usage(frame: pd.DataFrame) -> pd.DataFrame:
    """Tokens per stage and cost per UTC day, every day from the first to the last
    (days without calls are zero). Index: the day (naive, UTC); one column per stage
    present, labelled, then ``COST``."""
    if frame.empty:
        return pd.DataFrame(columns=[COST], index=pd.DatetimeIndex([], name="day"))
    day = frame["created_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D")
    work = frame.assign(day=day)
    stages = sorted(work["stage"].unique(), key=_stage_order)
    tokens_by_stage = work.pivot_table(index="day", columns="stage", values="total_tokens",
                                       aggfunc="sum", fill_value=0)
    days = pd.date_range(day.min(), day.max(), freq="D", name="day")
    table = tokens_by_stage.reindex(index=days, columns=stages, fill_value=0).astype("int64")
    table.columns = [STAGE_LABELS.get(s, s) for s in stages]
    table[COST] = work.groupby("day")["cost_usd"].sum().reindex(days, fill_value=0.0)
    return table


# --------------------------------------------------------------------------- export


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The calls as CSV (UTF-8), oldest first: ``FRAME_COLUMNS`` with ``created_at``
    as ``created_at_utc`` in ISO 8601 (``2026-11-24T10:11:12.123456+00:00``)."""
    out = frame[list(FRAME_COLUMNS)].copy()
    out["created_at"] = [t.isoformat() for t in out["created_at"].dt.tz_convert("UTC")]
    for column in ("provider", "model", "stage", "session"):
        out[column] = out[column].map(_cell)
    return out.rename(columns=CSV_NAMES).to_csv(index=False, lineterminator="\n"
                                                 ).encode("utf-8")
