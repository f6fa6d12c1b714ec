"""The Token Usage page through Streamlit's AppTest: real SQLite file, rows recorded
through zz_core.store for the signed-in user and another one; the totals shown, the
other user's usage absent, reset (archive) with its confirmation, archived history."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from tests.app.helpers import engine_for, login, make_user
from zz_core.advise import tokens
from zz_core.store import projects
from zz_core.store import usage as token_usage

PAGE = "pages/token_usage.py"


def _open(username: str) -> AppTest:
    at = login(username)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _button(at: AppTest, label: str) -> Button:
    return next(b for b in at.button if b.label == label)


def _usage(data_dir: Path, ada: int, bob: int) -> None:
    """Ada: two model calls in a session and one offline call; Bob: one big call."""
    engine = engine_for(data_dir)
    album = projects.create_project(engine, ada, "Album")
    secret = projects.create_project(engine, bob, "Bob's secret session")
    for prompt, completion in ((1200, 300), (800, 150)):
        token_usage.record_token_usage(
            engine, ada, provider="openai", model="gpt-4o-mini", stage="feedback",
            prompt_tokens=prompt, completion_tokens=completion,
            cost_usd=tokens.cost_usd("gpt-4o-mini", prompt, completion), project_id=album.id)
    token_usage.record_token_usage(engine, ada, provider="offline", model="zz-offline-1",
                                   stage="summary", prompt_tokens=0, completion_tokens=0,
                                   cost_usd=0.0, estimated=True, would_cost_usd=0.0123,
                                   project_id=album.id)
    token_usage.record_token_usage(engine, bob, provider="openai", model="gpt-4o",
                                   stage="comparison", prompt_tokens=55555, completion_tokens=4444,
                                   cost_usd=1.5, project_id=secret.id)


ADA_COST = "${:.4f}".format(tokens.cost_usd("gpt-4o-mini", 1200, 300)
                            + tokens.cost_usd("gpt-4o-mini", 800, 150))


def test_no_usage_says_the_offline_engine_uses_no_tokens(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = _open("ada")
    assert [t.value for t in at.title] == ["Token Usage"]
    assert any("offline engine is the default and uses no tokens" in i.value for i in at.info)
    assert not at.metric
    assert _button(at, "Reset counters").disabled
    assert any("as of" in e.label for e in at.expander)


def test_totals_are_the_users_own(data_dir: Path) -> None:
    ada, bob = make_user(data_dir, "ada"), make_user(data_dir, "bob")
    _usage(data_dir, ada, bob)
    at = _open("ada")
    metrics = _metrics(at)
    assert metrics["Calls"] == "3"
    assert metrics["Prompt tokens"] == "2,000"
    assert metrics["Completion tokens"] == "450"
    assert metrics["Total tokens"] == "2,450"
    assert metrics["Cost (USD)"] == ADA_COST
    assert metrics["Estimated share"] == "0%"
    assert metrics["Offline engine: would have cost on gpt-4o-mini"] == "$0.0123"
    tables = [d.value for d in at.dataframe]
    sessions = next(t for t in tables if "Session" in t.columns)
    assert list(sessions["Session"]) == ["Album"]
    everything = " ".join(t.to_csv() for t in tables)
    assert "secret" not in everything and "55555" not in everything
    assert "55,555" not in " ".join(metrics.values())
    assert len(at.get("plotly_chart")) == 1
    [download] = at.get("download_button")  # its bytes: tests/ui/test_usage.py
    assert download.proto.label == "Download CSV"

    bob_at = _open("bob")
    bob_metrics = _metrics(bob_at)
    assert (bob_metrics["Calls"], bob_metrics["Total tokens"], bob_metrics["Cost (USD)"]) == (
        "1", "59,999", "$1.5000")
    assert not any(label.startswith("Offline engine") for label in bob_metrics)


def test_reset_archives_and_the_toggle_shows_history(data_dir: Path) -> None:
    ada, bob = make_user(data_dir, "ada"), make_user(data_dir, "bob")
    _usage(data_dir, ada, bob)
    at = _open("ada")
    _button(at, "Reset counters").click()
    at.run()
    assert not at.exception, at.exception
    assert _metrics(at)["Calls"] == "3"  # nothing archived before confirming
    _button(at, "Archive and reset").click()
    at.run()
    assert not at.exception, at.exception

    engine = engine_for(data_dir)
    rows = token_usage.list_token_usage(engine, ada, archived=None)
    assert len(rows) == 3 and all(r.archived for r in rows)  # kept, never deleted
    assert not token_usage.list_token_usage(engine, bob, archived=True)  # Bob's untouched
    assert not at.metric
    assert any("uses no tokens" in i.value for i in at.info)
    assert any("3 earlier record(s)" in c.value for c in at.caption)
    assert not any(b.label == "Archive and reset" for b in at.button)  # dialog closed

    at.toggle(key="usage_include_archived").set_value(True).run()
    assert not at.exception, at.exception
    metrics = _metrics(at)
    assert (metrics["Calls"], metrics["Total tokens"], metrics["Cost (USD)"]) == (
        "3", "2,450", ADA_COST)
    assert any("Including 3 archived record(s)" in c.value for c in at.caption)
    assert _button(at, "Reset counters").disabled  # nothing current left to archive


def test_cancel_keeps_the_counters(data_dir: Path) -> None:
    ada, bob = make_user(data_dir, "ada"), make_user(data_dir, "bob")
    _usage(data_dir, ada, bob)
    at = _open("ada")
    _button(at, "Reset counters").click()
    at.run()
    _button(at, "Cancel").click()
    at.run()
    assert not at.exception, at.exception
    assert _metrics(at)["Calls"] == "3"
    assert not token_usage.list_token_usage(engine_for(data_dir), ada, archived=True)

