"""token_usage.would_cost_usd: what an offline-engine call would have cost on a model.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("token_usage") as batch:
        batch.add_column(sa.Column("would_cost_usd", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("token_usage") as batch:
        batch.drop_column("would_cost_usd")
