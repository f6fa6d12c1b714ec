"""zz_core.vocab: each vocabulary defined once and derived everywhere."""

from __future__ import annotations

import sqlalchemy as sa

from zz_core import vocab
from zz_core.vocab import CONTEXTS, ISSUE_CODES, MESSAGE_KINDS, TRACK_ROLES, sql_in


def test_tuples_follow_their_literals() -> None:
    assert CONTEXTS == ("mixdown", "mastering", "master")
    assert len(set(ISSUE_CODES)) == len(ISSUE_CODES) == 19
    assert set(vocab.SEVERITY_RANK) == set(vocab.SEVERITIES)
    assert all(f".{t}" in vocab.AUDIO_EXTENSIONS for t in vocab.UPLOAD_TYPES)


def test_database_constraints_are_derived_from_the_vocabularies() -> None:
    from zz_core.store.tables import ChatMessage, Track

    def checks(table: sa.Table) -> set[str]:
        return {str(c.sqltext) for c in table.constraints if isinstance(c, sa.CheckConstraint)}

    assert sql_in("role", TRACK_ROLES) in checks(Track.__table__)  # type: ignore[arg-type]
    assert sql_in("kind", MESSAGE_KINDS) in checks(ChatMessage.__table__)  # type: ignore[arg-type]
    assert sql_in("x", ("it's",)) == "x IN ('it''s')"


def test_every_issue_code_has_advice_and_the_cli_offers_every_context() -> None:
    from zz_core.advise.offline import load_advice
    from zz_core.cli import build_parser

    assert set(load_advice().issues) == set(ISSUE_CODES)
    parser = build_parser()
    analyze = parser._subparsers._group_actions[0].choices["analyze"]  # type: ignore[union-attr]
    context = next(a for a in analyze._actions if a.dest == "context")
    assert tuple(context.choices) == CONTEXTS
