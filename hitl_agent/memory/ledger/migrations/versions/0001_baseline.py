"""Baseline: the ledger as the first release wrote it (items, reviews, corrections).

A ledger written before the project used Alembic is adopted at this revision (or the next one,
when it has its columns) instead of being created again.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("task", sa.String(128), nullable=False),
        sa.Column("input_json", sa.Text, nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("prediction_json", sa.Text),
        sa.Column("uncertainty_json", sa.Text),
        sa.Column("decision_json", sa.Text),
        sa.Column("confidence", sa.Float),
        sa.Column("routing", sa.String(16)),
        sa.Column("final_output_json", sa.Text),
        sa.Column("final_source", sa.String(32)),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_items_status", "items", ["status"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("item_id", sa.String(255), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("backend", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("request_json", sa.Text, nullable=False),
        sa.Column("outcome_json", sa.Text),
        sa.Column("interrupt_id", sa.String(64)),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.String(255)),
        sa.Column("resume_lease_until", sa.DateTime(timezone=True)),
        sa.Column("resumed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_reviews_state_deadline", "reviews", ["state", "deadline"])
    op.create_index("ix_reviews_item", "reviews", ["item_id"])
    op.create_table(
        "corrections",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(128), nullable=False, unique=True),
        sa.Column("item_id", sa.String(255), nullable=False),
        sa.Column("review_id", sa.String(128), nullable=False),
        sa.Column("task", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("agreement", sa.Float),
        sa.Column("split_group", sa.String(128), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forgotten", sa.Boolean, nullable=False),
        sa.Column("forgotten_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_corrections_task", "corrections", ["task"])


def downgrade() -> None:
    op.drop_table("corrections")
    op.drop_table("reviews")
    op.drop_table("items")
