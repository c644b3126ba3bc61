"""Item context: what the model saw (system prompt, tools offered, messages), kept for exports.

Revision ID: 0003_item_context
Revises: 0002_thread_ids
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_item_context"
down_revision = "0002_thread_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("items")}
    # A ledger adopted from before Alembic may already have the column.
    if "context_json" not in present:
        op.add_column("items", sa.Column("context_json", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("context_json")
