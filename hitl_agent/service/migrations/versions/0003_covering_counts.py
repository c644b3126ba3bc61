"""Covering counts: a team's task count read from an index alone.

The worker API's and the portal queue's counts (up to 1,000, ``task_scan.count_rows``) read a
team's open loops in deadline order and test each against the taking rule, which needs the
loop's ``output_pending`` and ``task_count`` too. With those two columns at the end of the
deadline indexes (of a team, and of a flow of a team) the count reads no table row: it costs the
same at 1,000 open loops as at 100,000 (before, each of its 1,001 rows was a lookup on a page of
the table, and the pages of a larger table are more scattered).

Revision ID: 0003_covering_counts
Revises: 0002_queue_keys
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_covering_counts"
down_revision = "0002_queue_keys"
branch_labels = None
depends_on = None

_COVERED = ["output_pending", "task_count"]
_INDEXES = (
    ("ix_loops_team_status_deadline", ["workteam_name", "status", "expires_us", "id"]),
    ("ix_loops_team_flow_status_deadline",
     ["workteam_name", "flow_definition_name", "status", "expires_us", "id"]),
)


def _replace(extra: list[str]) -> None:
    present = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("human_loops")}
    for name, columns in _INDEXES:
        if name in present:
            op.drop_index(name, table_name="human_loops")
        op.create_index(name, "human_loops", columns + extra)


def upgrade() -> None:
    _replace(_COVERED)


def downgrade() -> None:
    _replace([])
