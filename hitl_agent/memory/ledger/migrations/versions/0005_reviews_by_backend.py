"""Reviews by backend: a resumer's poll skips the backends that tell it what changed.

``ix_reviews_state_backend_deadline`` lets ``Ledger.pending_reviews(exclude_backends=...)`` find
the backends holding pending reviews with a seek each and read the others' in deadline order:
with 100,000 reviews pending on a backend that reports its changes (the review service's
events, A2I's EventBridge events), a resumer's pass reads none of them (before, it read every
one through ``ix_reviews_state_deadline`` to drop it).

Revision ID: 0005_reviews_by_backend
Revises: 0004_correction_keys
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_reviews_by_backend"
down_revision = "0004_correction_keys"
branch_labels = None
depends_on = None

_NAME = "ix_reviews_state_backend_deadline"


def upgrade() -> None:
    if _NAME not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("reviews")}:
        op.create_index(_NAME, "reviews", ["state", "backend", "deadline"])


def downgrade() -> None:
    op.drop_index(_NAME, table_name="reviews")
