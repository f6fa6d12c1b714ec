"""Token usage tables, daily series and CSV from real rows in a real SQLite file, checked
against sums the database computes itself (SQL), and never showing another user's rows."""

from __future__ import annotations

import inspect
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from zz_core.advise import tokens
from zz_core.datafiles import DATA_DIR
from zz_core.services import usage
from zz_core.services.workspace import Workspace
from zz_core.store import projects, tables, users
from zz_core.store import usage as token_usage

ESTIMATE_MODEL = "gpt-4o-mini"
PRICES_YAML = DATA_DIR / "prices.yaml"
DAY = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def _user(engine: Engine, username: str) -> int:
    user = users.create_user(engine, username=username, name=username.title(),
                             email=f"{username}@example.com", password_hash="x")
    assert user.id is not None
    return user.id


def _project(engine: Engine, user_id: int, name: str) -> int:
    project = projects.create_project(engine, user_id, name)
    assert project.id is not None
    return project.id


def _record(engine: Engine, user_id: int, *, provider: str = "openai",
            model: str = "gpt-4o-mini", stage: str = "feedback", prompt: int = 1000,
            completion: int = 200, cost: float | None = None, estimated: bool = False,
            project_id: int | None = None, when: datetime | None = None,
            **extra: Any) -> int:
    if cost is None:
        cost = 0.0 if provider == "offline" else tokens.cost_usd(model, prompt, completion)
    row = token_usage.record_token_usage(
        engine, user_id, provider=provider, model=model, stage=stage, prompt_tokens=prompt,
        completion_tokens=completion, cost_usd=cost, estimated=estimated,
        project_id=project_id, **extra)
    assert row.id is not None
    if when is not None:
        with Session(engine) as session:
            session.exec(update(tables.TokenUsage)
                         .where(col(tables.TokenUsage.id) == row.id).values(created_at=when))
            session.commit()
    return row.id


def _sql(engine: Engine, query: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(query), params).all())


def _frame(workspace: Workspace, include_archived: bool = False) -> pd.DataFrame:
    return usage.usage_frame(usage.load_usage(workspace, include_archived=include_archived),
                             usage.session_names(workspace), estimate_model=ESTIMATE_MODEL)


def _yaml_price(model: str) -> tuple[float, float]:
    entry = yaml.safe_load(PRICES_YAML.read_text(encoding="utf-8"))["models"][model]
    return float(entry["input"]), float(entry["output"])


@pytest.fixture
def world(sqlite_engine: Engine, tmp_data_dir: Path) -> dict[str, Any]:
    return usage_world(sqlite_engine, tmp_data_dir)


def usage_world(engine: Engine, tmp_data_dir: Path) -> dict[str, Any]:
    """Ada: two sessions, one deleted session, a docs call, calls on three models (one
    unpriced), offline calls and estimated counts. Bob: a session and costly calls."""
    ada, bob = _user(engine, "ada"), _user(engine, "bob")
    album = _project(engine, ada, "Album")
    single = _project(engine, ada, "=Single")  # a name a spreadsheet would run
    gone_a = _project(engine, ada, "Old demo")
    gone_b = _project(engine, ada, "Older demo")
    bobs = _project(engine, bob, "Bob's secret session")
    _record(engine, ada, stage="feedback", prompt=1200, completion=300, project_id=album,
            when=DAY)
    _record(engine, ada, stage="follow_up", prompt=1500, completion=100, project_id=album,
            when=DAY + timedelta(minutes=5))
    _record(engine, ada, stage="summary", model="gpt-4o", prompt=800, completion=120,
            project_id=single, when=DAY + timedelta(days=2))
    _record(engine, ada, provider="compatible", model="my-local-finetune", stage="comparison",
            prompt=2000, completion=500, estimated=True, project_id=single,
            when=DAY + timedelta(days=2, hours=1))
    _record(engine, ada, stage="feedback", prompt=900, completion=90, project_id=gone_a,
            when=DAY + timedelta(days=1))
    _record(engine, ada, stage="presets", prompt=400, completion=40, estimated=True,
            project_id=gone_b, when=DAY + timedelta(days=1))
    _record(engine, ada, stage="docs", prompt=600, completion=60, when=DAY)
    _record(engine, ada, provider="offline", model="zz-offline-1", stage="feedback",
            prompt=1100, completion=250, estimated=True, project_id=album, when=DAY)
    _record(engine, bob, stage="feedback", model="gpt-4o", prompt=99999, completion=77777,
            project_id=bobs, when=DAY)
    projects.delete_project(engine, ada, gone_a, tmp_data_dir)
    projects.delete_project(engine, ada, gone_b, tmp_data_dir)
    return {"engine": engine, "ada": Workspace(engine, ada, tmp_data_dir),
            "bob": Workspace(engine, bob, tmp_data_dir), "ada_id": ada, "bob_id": bob,
            "album": album, "single": single}


def test_totals_match_the_database_sums(world: dict[str, Any]) -> None:
    engine, ada = world["engine"], world["ada_id"]
    frame = _frame(world["ada"])
    total = usage.totals(frame)
    [(calls,)] = _sql(engine, "SELECT COUNT(*) FROM token_usage WHERE user_id = :u "
                      "AND archived = 0", u=ada)
    [(prompt, completion, cost)] = _sql(
        engine, "SELECT SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd) "
        "FROM token_usage WHERE user_id = :u AND archived = 0 AND provider != 'offline'", u=ada)
    [(estimated,)] = _sql(
        engine, "SELECT SUM(prompt_tokens + completion_tokens) FROM token_usage "
        "WHERE user_id = :u AND archived = 0 AND provider != 'offline' AND estimated = 1", u=ada)
    assert total.calls == calls == 8
    assert total.prompt_tokens == prompt
    assert total.completion_tokens == completion
    assert total.total_tokens == prompt + completion
    assert total.cost_usd == pytest.approx(cost, rel=1e-12)
    assert total.estimated_share == pytest.approx(estimated / (prompt + completion))
    assert total.offline_calls == 1


def test_an_offline_call_uses_no_tokens_and_says_what_it_would_cost(
        world: dict[str, Any]) -> None:
    frame = _frame(world["ada"])
    [offline] = frame[frame["provider"] == "offline"].to_dict("records")
    assert offline["prompt_tokens"] == offline["completion_tokens"] == 0
    assert offline["cost_usd"] == 0.0
    price_in, price_out = _yaml_price(ESTIMATE_MODEL)
    expected = (1100 * price_in + 250 * price_out) / 1e6
    assert offline["would_cost_usd"] == pytest.approx(expected, rel=1e-12)
    assert usage.totals(frame).would_cost_usd == pytest.approx(expected, rel=1e-12)
    assert frame.loc[frame["provider"] != "offline", "would_cost_usd"].isna().all()


def test_a_stored_would_cost_is_used_as_recorded(sqlite_engine: Engine,
                                                 tmp_data_dir: Path) -> None:
    if "would_cost_usd" not in inspect.signature(token_usage.record_token_usage).parameters:
        pytest.skip("storage does not record would_cost_usd")
    ada = _user(sqlite_engine, "ada")
    _record(sqlite_engine, ada, provider="offline", model="zz-offline-1", prompt=0,
            completion=0, estimated=True, would_cost_usd=0.0123)
    frame = _frame(Workspace(sqlite_engine, ada, tmp_data_dir))
    assert usage.totals(frame).would_cost_usd == pytest.approx(0.0123)


def test_another_users_rows_are_never_included(world: dict[str, Any]) -> None:
    frame = _frame(world["ada"], include_archived=True)
    assert set(frame["record_id"]) == {
        r for (r,) in _sql(world["engine"], "SELECT id FROM token_usage WHERE user_id = :u",
                           u=world["ada_id"])}
    assert 99999 not in set(frame["prompt_tokens"])
    assert "Bob's secret session" not in set(frame["session"])
    assert b"secret" not in usage.csv_bytes(frame) and b"99999" not in usage.csv_bytes(frame)
    bob = usage.totals(_frame(world["bob"]))
    assert (bob.calls, bob.prompt_tokens, bob.completion_tokens) == (1, 99999, 77777)


def test_by_stage_follows_the_pipeline_and_sums_per_stage(world: dict[str, Any]) -> None:
    table = usage.by_stage(_frame(world["ada"]))
    assert list(table["Stage"]) == ["Feedback", "Follow-up", "Summary", "Comparison",
                                    "Docs Assistant", "Presets"]
    expected = {stage: (calls, prompt, completion, cost) for stage, calls, prompt, completion,
                cost in _sql(world["engine"],
                             "SELECT stage, COUNT(*), "
                             "SUM(CASE WHEN provider = 'offline' THEN 0 ELSE prompt_tokens END),"
                             " SUM(CASE WHEN provider = 'offline' THEN 0 "
                             "ELSE completion_tokens END), SUM(cost_usd) FROM token_usage "
                             "WHERE user_id = :u AND archived = 0 GROUP BY stage",
                             u=world["ada_id"])}
    by_label = {usage.STAGE_LABELS[s]: v for s, v in expected.items()}
    for line in table.to_dict("records"):
        calls, prompt, completion, cost = by_label[line["Stage"]]
        assert (line[usage.CALLS], line[usage.PROMPT], line[usage.COMPLETION]) == (
            calls, prompt, completion)
        assert line[usage.TOTAL] == prompt + completion
        assert line[usage.COST] == pytest.approx(cost, rel=1e-12)
    feedback = table[table["Stage"] == "Feedback"].iloc[0]
    assert feedback[usage.CALLS] == 3  # two model calls and the offline one
    assert usage.WOULD_COST in table.columns
    assert table[usage.ESTIMATED_SHARE].between(0, 1).all()
    comparison = table[table["Stage"] == "Comparison"].iloc[0]
    assert comparison[usage.ESTIMATED_SHARE] == 1.0


def test_by_model_flags_models_without_a_listed_price(world: dict[str, Any]) -> None:
    frame = _frame(world["ada"])
    table = usage.by_model(frame)
    lines = {(r["Provider"], r["Model"]): r for r in table.to_dict("records")}
    assert set(lines) == {("openai", "gpt-4o-mini"), ("openai", "gpt-4o"),
                          ("compatible", "my-local-finetune"), ("offline", "zz-offline-1")}
    mini = lines[("openai", "gpt-4o-mini")]
    assert mini[usage.PRICE_STATUS] == usage.PRICE_LISTED
    assert (mini[usage.PRICE_INPUT], mini[usage.PRICE_OUTPUT]) == _yaml_price("gpt-4o-mini")
    assert mini[usage.CALLS] == 5
    unpriced = lines[("compatible", "my-local-finetune")]
    assert unpriced[usage.PRICE_STATUS] == usage.PRICE_MISSING
    assert pd.isna(unpriced[usage.PRICE_INPUT]) and unpriced[usage.COST] == 0.0
    assert unpriced[usage.TOTAL] == 2500
    assert lines[("offline", "zz-offline-1")][usage.PRICE_STATUS] == usage.PRICE_OFFLINE
    assert usage.unpriced_models(frame) == ["my-local-finetune"]
    assert list(table[usage.COST]) == sorted(table[usage.COST], reverse=True)
    assert table[usage.COST].sum() == pytest.approx(usage.totals(frame).cost_usd)


def test_by_session_names_sessions_and_groups_deleted_ones(world: dict[str, Any]) -> None:
    engine, ada = world["engine"], world["ada_id"]
    table = usage.by_session(_frame(world["ada"]))
    lines = {r["Session"]: r for r in table.to_dict("records")}
    assert set(lines) == {"Album", "=Single", usage.DELETED_SESSION, usage.NO_SESSION}
    deleted = lines[usage.DELETED_SESSION]
    assert deleted[usage.CALLS] == 2  # both deleted sessions, together
    assert (deleted[usage.PROMPT], deleted[usage.COMPLETION]) == (900 + 400, 90 + 40)
    assert lines[usage.NO_SESSION][usage.CALLS] == 1  # the docs call
    [(album_prompt, album_calls)] = _sql(
        engine, "SELECT SUM(CASE WHEN provider = 'offline' THEN 0 ELSE prompt_tokens END), "
        "COUNT(*) FROM token_usage WHERE user_id = :u AND project_id = :p",
        u=ada, p=world["album"])
    assert (lines["Album"][usage.PROMPT], lines["Album"][usage.CALLS]) == (
        album_prompt, album_calls)
    assert table[usage.CALLS].sum() == usage.totals(_frame(world["ada"])).calls


def test_sessions_with_the_same_name_stay_apart(sqlite_engine: Engine,
                                                tmp_data_dir: Path) -> None:
    ada = _user(sqlite_engine, "ada")
    for _ in range(2):
        _record(sqlite_engine, ada, project_id=_project(sqlite_engine, ada, "Demo"))
    table = usage.by_session(_frame(Workspace(sqlite_engine, ada, tmp_data_dir)))
    assert list(table["Session"]) == ["Demo", "Demo"]
    assert list(table[usage.CALLS]) == [1, 1]


def test_csv_round_trips_with_pandas(world: dict[str, Any]) -> None:
    frame = _frame(world["ada"])
    back = pd.read_csv(io.BytesIO(usage.csv_bytes(frame)))
    assert list(back.columns) == ["record_id", "created_at_utc", "provider", "model", "stage",
                                  "project_id", "track_id", "session", "prompt_tokens",
                                  "completion_tokens", "total_tokens", "cost_usd",
                                  "estimated", "would_cost_usd", "price_listed", "archived"]
    assert len(back) == len(frame) == 8
    assert all(s.endswith("+00:00") for s in back["created_at_utc"])
    stamps = pd.to_datetime(back["created_at_utc"], utc=True, format="ISO8601")
    assert list(stamps) == list(frame["created_at"])
    assert stamps.is_monotonic_increasing  # oldest first
    for column in ("record_id", "prompt_tokens", "completion_tokens", "total_tokens"):
        assert list(back[column]) == list(frame[column].astype("int64"))
    assert list(back["cost_usd"]) == list(frame["cost_usd"])  # exact, not rounded
    assert back["estimated"].dtype == bool and list(back["estimated"]) == list(
        frame["estimated"])
    assert set(back["session"]) == {"Album", "'=Single", usage.DELETED_SESSION,
                                    usage.NO_SESSION}  # a formula is defused
    assert back["project_id"].isna().sum() == 3
    assert back["would_cost_usd"].notna().sum() == 1


def test_reset_archives_and_history_comes_back(world: dict[str, Any]) -> None:
    engine, workspace = world["engine"], world["ada"]
    before = usage.totals(_frame(workspace))
    assert usage.reset_counters(workspace) == 8
    assert _frame(workspace).empty
    assert usage.totals(_frame(workspace)).calls == 0
    assert usage.archived_count(workspace) == 8
    [(kept, archived)] = _sql(engine, "SELECT COUNT(*), SUM(archived) FROM token_usage "
                              "WHERE user_id = :u", u=world["ada_id"])
    assert kept == archived == 8  # archived, never deleted
    history = _frame(workspace, include_archived=True)
    assert history["archived"].all()
    assert usage.totals(history) == before
    assert usage.totals(_frame(world["bob"])).calls == 1  # Bob's counters untouched
    _record(engine, world["ada_id"], prompt=10, completion=5)
    both = _frame(workspace, include_archived=True)
    assert (len(both), int((~both["archived"]).sum())) == (9, 1)
    assert usage.totals(_frame(workspace)).total_tokens == 15


def test_daily_usage_fills_empty_days_and_sums_cost(world: dict[str, Any]) -> None:
    frame = _frame(world["ada"])
    daily = usage.daily_usage(frame)
    assert list(daily.index) == list(pd.date_range("2026-11-20", "2026-11-22", freq="D"))
    assert list(daily.columns) == ["Feedback", "Follow-up", "Summary", "Comparison",
                                   "Docs Assistant", "Presets", usage.COST]
    assert daily.loc["2026-11-20", "Feedback"] == 1500  # the offline call adds nothing
    assert daily.loc["2026-11-20", "Follow-up"] == 1600
    assert daily.loc["2026-11-21", "Summary"] == 0
    assert daily.loc["2026-11-22", "Comparison"] == 2500
    assert daily[usage.COST].sum() == pytest.approx(usage.totals(frame).cost_usd)
    token_columns = [c for c in daily.columns if c != usage.COST]
    assert int(daily[token_columns].to_numpy().sum()) == usage.totals(frame).total_tokens


def test_no_usage_gives_empty_tables(sqlite_engine: Engine, tmp_data_dir: Path) -> None:
    workspace = Workspace(sqlite_engine, _user(sqlite_engine, "ada"), tmp_data_dir)
    frame = _frame(workspace)
    assert frame.empty and list(frame.columns) == list(usage.FRAME_COLUMNS)
    total = usage.totals(frame)
    assert (total.calls, total.total_tokens, total.cost_usd, total.estimated_share) == (
        0, 0, 0.0, 0.0)
    assert usage.by_stage(frame).empty and usage.by_model(frame).empty
    assert usage.by_session(frame).empty and usage.daily_usage(frame).empty
    back = pd.read_csv(io.BytesIO(usage.csv_bytes(frame)))
    assert back.empty and "created_at_utc" in back.columns


def test_price_table_is_the_yaml() -> None:
    table = usage.price_table()
    raw = yaml.safe_load(PRICES_YAML.read_text(encoding="utf-8"))["models"]
    assert list(table["Model"]) == [m.lower() for m in raw]
    for line in table.to_dict("records"):
        assert (line[usage.PRICE_INPUT], line[usage.PRICE_OUTPUT]) == _yaml_price(
            line["Model"])


