"""Token usage on each backend: archiving keeps the rows."""

from __future__ import annotations

from tests.store.helpers import World
from zz_core.store import usage as token_usage


def test_token_usage_archive_keeps_rows(world: World) -> None:
    engine, ada = world.engine, world.ada
    token_usage.record_token_usage(engine, ada, provider="groq", model="llama", stage="summary",
                                   prompt_tokens=100, completion_tokens=50, cost_usd=0.002,
                                   estimated=True)
    token_usage.record_token_usage(engine, world.bob, provider="groq", model="llama",
                                   stage="feedback", prompt_tokens=1, completion_tokens=1,
                                   cost_usd=0.0)
    current = token_usage.list_token_usage(engine, ada)
    assert [u.stage for u in current] == ["summary", "feedback"]
    assert current[0].estimated and not current[1].estimated
    assert token_usage.archive_token_usage(engine, ada) == 2
    assert token_usage.archive_token_usage(engine, ada) == 0
    assert token_usage.list_token_usage(engine, ada) == []
    archived = token_usage.list_token_usage(engine, ada, archived=True)
    assert len(archived) == 2 and all(u.archived for u in archived)
    assert len(token_usage.list_token_usage(engine, ada, archived=None)) == 2
    assert len(token_usage.list_token_usage(engine, world.bob)) == 1  # Bob's are untouched
