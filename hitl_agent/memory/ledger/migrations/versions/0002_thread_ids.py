"""Thread ids: an item's (and its reviews') LangGraph thread, when it is not the item id.

Rows written before are filled in from what they already say (the thread was the item).

Revision ID: 0002_thread_ids
Revises: 0001_baseline
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_thread_ids"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = {
        table: {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
        for table in ("items", "reviews")
    }
    # A ledger adopted from before Alembic may have gained either column on its own.
    if "thread_id" not in present["items"]:
        op.add_column("items", sa.Column("thread_id", sa.String(255)))
    if "thread_id" not in present["reviews"]:
        # Nullable in the database (SQLite cannot add a NOT NULL column to filled rows); the
        # ledger always writes it.
        op.add_column("reviews", sa.Column("thread_id", sa.String(255)))
    op.execute("UPDATE items SET thread_id = id WHERE thread_id IS NULL")
    op.execute("UPDATE reviews SET thread_id = item_id WHERE thread_id IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("thread_id")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("thread_id")
