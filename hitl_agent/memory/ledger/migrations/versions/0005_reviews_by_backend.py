"""Reviews by backend, a page at a time: a resumer's poll skips the backends that tell it what
changed, and goes through the others' pending reviews a page after another.

``ix_reviews_state_backend_deadline`` lets ``Ledger.pending_reviews(exclude_backends=...)`` find
the backends holding pending reviews with a seek each and read the others' in deadline order:
with 100,000 reviews pending on a backend that reports its changes (the review service's
events, A2I's EventBridge events), a resumer's pass reads none of them (before, it read every
one through ``ix_reviews_state_deadline`` to drop it). Both indexes end with ``id``, so a page
that starts after a ``(deadline, id)`` (``after=``) is a range of the index, ties included.

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

_BY_BACKEND = "ix_reviews_state_backend_deadline"
_BY_DEADLINE = "ix_reviews_state_deadline"


def upgrade() -> None:
    present = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("reviews")}
    if _BY_DEADLINE in present:
        op.drop_index(_BY_DEADLINE, table_name="reviews")
    op.create_index(_BY_DEADLINE, "reviews", ["state", "deadline", "id"])
    if _BY_BACKEND in present:
        op.drop_index(_BY_BACKEND, table_name="reviews")
    op.create_index(_BY_BACKEND, "reviews", ["state", "backend", "deadline", "id"])


def downgrade() -> None:
    op.drop_index(_BY_BACKEND, table_name="reviews")
    op.drop_index(_BY_DEADLINE, table_name="reviews")
    op.create_index(_BY_DEADLINE, "reviews", ["state", "deadline"])
