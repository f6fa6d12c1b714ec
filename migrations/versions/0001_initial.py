"""Initial schema: user, project, track, analysis, chat_message, token_usage.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Migrations only ever add: never drop a table or a column that holds user data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> AutoString:
    return AutoString(length=length)


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete)


def _indexes(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "user",
        _id(),
        sa.Column("username", _text(100), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("email", _text(320), nullable=False),
        sa.Column("password_hash", _text(255), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("username", name=op.f("uq_user_username")),
    )
    op.create_table(
        "project",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", _text(100), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _fk("project", "user_id", "user", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
    )
    _indexes("project", "user_id")

    op.create_table(
        "track",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("role", _text(16), nullable=False),
        sa.Column("original_name", _text(255), nullable=False),
        sa.Column("stored_name", _text(64), nullable=False),
        sa.Column("content_sha256", _text(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("sample_rate_hz", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        _timestamp("audio_deleted_at", nullable=True),
        _timestamp("created_at"),
        sa.Column("reference_of_track_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('main', 'reference')", name=op.f("ck_track_role")),
        _fk("track", "project_id", "project", "CASCADE"),
        _fk("track", "reference_of_track_id", "track", "SET NULL"),
        _fk("track", "user_id", "user", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_track")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_track_stored_name")),
    )
    _indexes("track", "project_id", "reference_of_track_id", "user_id")
    with op.batch_alter_table("track", schema=None) as batch_op:
        batch_op.create_index("ix_track_user_id_content_sha256", ["user_id", "content_sha256"],
                              unique=False)

    op.create_table(
        "analysis",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("context", _text(32), nullable=False),
        sa.Column("genre", _text(100), nullable=True),
        sa.Column("subgenre", _text(100), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("integrated_lufs", sa.Float(), nullable=True),
        sa.Column("true_peak_dbtp", sa.Float(), nullable=True),
        sa.Column("lra_lu", sa.Float(), nullable=True),
        sa.Column("plr_db", sa.Float(), nullable=True),
        sa.Column("bpm", sa.Float(), nullable=True),
        sa.Column("key_label", _text(32), nullable=True),
        sa.Column("width", sa.Float(), nullable=True),
        sa.Column("correlation", sa.Float(), nullable=True),
        _timestamp("created_at"),
        _fk("analysis", "track_id", "track", "CASCADE"),
        _fk("analysis", "user_id", "user", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis")),
    )
    _indexes("analysis", "track_id", "user_id")

    op.create_table(
        "chat_message",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("role", _text(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("provider", _text(64), nullable=True),
        sa.Column("model", _text(128), nullable=True),
        _timestamp("created_at"),
        sa.CheckConstraint(
            "kind IN ('feedback', 'follow_up', 'summary', 'comparison', 'docs', 'presets')",
            name=op.f("ck_chat_message_kind")),
        sa.CheckConstraint("role IN ('user', 'assistant', 'system')",
                           name=op.f("ck_chat_message_role")),
        _fk("chat_message", "project_id", "project", "CASCADE"),
        _fk("chat_message", "track_id", "track", "CASCADE"),
        _fk("chat_message", "user_id", "user", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_message")),
    )
    _indexes("chat_message", "project_id", "track_id", "user_id")

    op.create_table(
        "token_usage",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("provider", _text(64), nullable=False),
        sa.Column("model", _text(128), nullable=False),
        sa.Column("stage", _text(64), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        _fk("token_usage", "project_id", "project", "SET NULL"),
        _fk("token_usage", "track_id", "track", "SET NULL"),
        _fk("token_usage", "user_id", "user", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_usage")),
    )
    _indexes("token_usage", "project_id", "track_id", "user_id")


def downgrade() -> None:
    raise NotImplementedError(
        "0001 is the first revision: going below it would drop every user's data. "
        "Restore a backup of the database instead.")
