"""login_throttle and login_session: sign-in kept server-side.

login_throttle counts failed sign-ins per username and per client (a lock that grows with
each round of failures); login_session holds one row per signed-in browser (the sha256 of
its cookie's token), so a reload resumes it and logging out ends it for good.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", AutoString(length=16), nullable=False),
        sa.Column("subject", AutoString(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locks", sa.Integer(), nullable=False),
        _timestamp("locked_until", nullable=True),
        _timestamp("updated_at"),
        sa.CheckConstraint("scope IN ('username', 'client')",
                           name=op.f("ck_login_throttle_scope")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttle")),
        sa.UniqueConstraint("scope", "subject", name=op.f("uq_login_throttle_scope")),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_throttle_updated_at"), ["updated_at"],
                              unique=False)
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", AutoString(length=64), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"],
                                name=op.f("fk_login_session_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_login_session_token_sha256")),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_session_expires_at"), ["expires_at"],
                              unique=False)


def downgrade() -> None:
    # Counters and sign-ins only: everyone signs in again, no producer data is touched.
    op.drop_table("login_session")
    op.drop_table("login_throttle")
