"""track.previous_version_of_track_id: a track can be a new version of an earlier one.

The link points at the user's own earlier track (the store checks whose it is); deleting
that track sets it to NULL, so deleting a version loses nothing else. Existing tracks
keep every row and value (the new column is NULL for them: no previous version).

On SQLite the track table is rebuilt (batch mode: the only way to add a named foreign
key there), with foreign-key enforcement off while it is (``migrations/env.py``), so
dropping the old table cascades into nothing; ``upgrade_schema`` turns enforcement back
on afterwards and checks every link still resolves.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMN = "previous_version_of_track_id"
FOREIGN_KEY = "fk_track_previous_version_of_track_id_track"
INDEX = "ix_track_previous_version_of_track_id"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.add_column("track", sa.Column(COLUMN, sa.Integer(), nullable=True))
        op.create_foreign_key(FOREIGN_KEY, "track", "track", [COLUMN], ["id"],
                              ondelete="SET NULL")
        op.create_index(INDEX, "track", [COLUMN], unique=False)
        return
    # SQLite: a foreign key needs the table rebuilt (copied, the old one dropped). With
    # foreign keys enforced, dropping the old table would cascade into its analyses and
    # conversations: env.py turns enforcement off for the migrations; refuse without.
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0005 rebuilds the track table: run it with SQLite's foreign "
                           "keys off (zz_core.store.db.upgrade_schema does)")
    with op.batch_alter_table("track", recreate="always") as batch:
        batch.add_column(sa.Column(COLUMN, sa.Integer(), nullable=True))
        batch.create_foreign_key(FOREIGN_KEY, "track", [COLUMN], ["id"],
                                 ondelete="SET NULL")
        batch.create_index(INDEX, [COLUMN], unique=False)


def downgrade() -> None:
    raise NotImplementedError(
        "0005 holds which track is a new version of which (user data): going below it "
        "would lose those links. Restore a backup of the database instead.")
