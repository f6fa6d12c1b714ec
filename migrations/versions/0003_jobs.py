"""job: one analysis job (a track, its optional reference, the options) and its state.

queued -> running (progress 0..1, a stage text, the worker and its heartbeat) -> done (the
analysis made) | failed (a reason sentence). A server restart finds the jobs a dead worker
left queued or running and resumes them; the scale-out queue keeps the same record.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_job_{column}_{target}"), ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("project_created", sa.Boolean(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("reference_track_id", sa.Integer(), nullable=True),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("content_sha256", AutoString(length=64), nullable=False),
        sa.Column("state", AutoString(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("stage", AutoString(length=200), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=True),
        sa.Column("reason", AutoString(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker_id", AutoString(length=128), nullable=True),
        _timestamp("heartbeat_at", nullable=True),
        _timestamp("started_at", nullable=True),
        _timestamp("finished_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')",
                           name=op.f("ck_job_state")),
        _fk("analysis_id", "analysis", "SET NULL"),
        _fk("project_id", "project", "SET NULL"),
        _fk("reference_track_id", "track", "SET NULL"),
        _fk("track_id", "track", "SET NULL"),
        _fk("user_id", "user", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        for column in ("user_id", "project_id", "track_id", "reference_track_id",
                       "analysis_id"):
            batch_op.create_index(batch_op.f(f"ix_job_{column}"), [column], unique=False)
        batch_op.create_index("ix_job_state", ["state"], unique=False)
        batch_op.create_index("ix_job_user_id_content_sha256", ["user_id", "content_sha256"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("job")  # job records only: tracks and analyses are untouched
