"""Queue keys: the portal's queue read in index order, whatever its sort or filter.

``human_loops`` gains ``priority_key`` (the input's priority negated, so that ascending puts the
highest first) and ``confidence_key`` (the model's confidence, 1 when the input gives none),
computed from ``input_content`` (as hitl_agent/service/queue_keys.py did at this revision) for
the loops still open; a closed loop never returns to a queue and keeps the column defaults. One
index per sort (deadline, priority, oldest) for a team's open loops and for those of one flow of
the team, so a queue page reads its 50 rows from its position in the index instead of sorting
every open loop.
``ix_human_loops_workteam_name`` goes: every team index starts with the team.

Revision ID: 0002_queue_keys
Revises: 0001_baseline
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_queue_keys"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

_BATCH = 2000
_OPEN = ("InProgress", "Stopping")
_INDEXES = (
    ("ix_loops_team_status_deadline", ["workteam_name", "status", "expires_us", "id"]),
    ("ix_loops_team_status_priority",
     ["workteam_name", "status", "priority_key", "confidence_key", "expires_us", "id"]),
    ("ix_loops_team_flow_status_created",
     ["workteam_name", "flow_definition_name", "status", "created_us", "id"]),
    ("ix_loops_team_flow_status_deadline",
     ["workteam_name", "flow_definition_name", "status", "expires_us", "id"]),
    ("ix_loops_team_flow_status_priority", ["workteam_name", "flow_definition_name", "status",
                                            "priority_key", "confidence_key", "expires_us", "id"]),
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def sort_keys(input_content: str | None) -> tuple[float, float]:
    """``(priority_key, confidence_key)`` as this revision computes them: a copy of
    ``queue_keys.sort_keys`` at this revision, kept here so that a later change to the live
    module does not change what this revision writes (a change of the keys gets a revision of
    its own that computes them again)."""
    try:
        content = json.loads(input_content) if input_content else None
    except ValueError:
        content = None
    if not isinstance(content, dict):
        return 0.0, 1.0
    priority = _number(content.get("priority"))
    if priority is None:
        priority = _number(content.get("tier"))
    uncertainty = content.get("uncertainty")
    confidence = _number(uncertainty.get("confidence")) if isinstance(uncertainty, dict) else None
    if confidence is None:
        confidence = _number(content.get("confidence"))
    return -(priority or 0.0) + 0.0, 1.0 if confidence is None else confidence


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    present = {c["name"] for c in inspector.get_columns("human_loops")}
    indexes = {i["name"] for i in inspector.get_indexes("human_loops")}
    for name, default in (("priority_key", "0"), ("confidence_key", "1")):
        if name not in present:
            op.add_column("human_loops", sa.Column(name, sa.Float(), nullable=False,
                                                   server_default=sa.text(default)))
    loops = sa.table("human_loops", sa.column("id", sa.Integer),
                     sa.column("status", sa.String), sa.column("input_content", sa.Text),
                     sa.column("priority_key", sa.Float), sa.column("confidence_key", sa.Float))
    update = (sa.update(loops).where(loops.c.id == sa.bindparam("b_id"))
              .values(priority_key=sa.bindparam("b_priority"),
                      confidence_key=sa.bindparam("b_confidence")))
    last = 0
    while True:
        rows = bind.execute(sa.select(loops.c.id, loops.c.input_content)
                            .where(loops.c.id > last, loops.c.status.in_(_OPEN))
                            .order_by(loops.c.id).limit(_BATCH)).all()
        if not rows:
            break
        values = []
        for pk, content in rows:
            priority, confidence = sort_keys(content)
            values.append({"b_id": pk, "b_priority": priority, "b_confidence": confidence})
        bind.execute(update, values)
        last = rows[-1][0]
    for name, columns in _INDEXES:
        if name not in indexes:
            op.create_index(name, "human_loops", columns)
    if "ix_human_loops_workteam_name" in indexes:
        op.drop_index("ix_human_loops_workteam_name", table_name="human_loops")


def downgrade() -> None:
    op.create_index("ix_human_loops_workteam_name", "human_loops", ["workteam_name"])
    for name, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name="human_loops")
    with op.batch_alter_table("human_loops") as batch:
        batch.drop_column("confidence_key")
        batch.drop_column("priority_key")
