"""Correction keys: what the correction memory looks a correction up by, in the ledger.

``input_key`` (the hash of the input's normalised text, indexed with the task) serves the
exact-match reuse lookup; ``model_id`` names the index partition a correction lives in. Rows
written before are filled in from their stored correction. The task index gains ``seq``, so that
reading one task's corrections in ``seq`` order, a batch at a time (exports), is a range scan on
every database (SQLite's indexes carry the rowid already; Postgres's do not).

Revision ID: 0004_correction_keys
Revises: 0003_item_context
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from hitl_agent.memory.ledger.schema import input_key

revision = "0004_correction_keys"
down_revision = "0003_item_context"
branch_labels = None
depends_on = None

_BATCH = 2000


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    present = {c["name"] for c in inspector.get_columns("corrections")}
    indexes = {i["name"] for i in inspector.get_indexes("corrections")}
    # A ledger adopted from before Alembic may have the columns already (filled or not).
    for name, width in (("input_key", 64), ("model_id", 255)):
        if name not in present:
            op.add_column("corrections", sa.Column(name, sa.String(width)))
    table = sa.table("corrections", sa.column("seq", sa.Integer),
                     sa.column("payload_json", sa.Text), sa.column("input_key", sa.String),
                     sa.column("model_id", sa.String))
    update = (sa.update(table).where(table.c.seq == sa.bindparam("b_seq"))
              .values(input_key=sa.bindparam("b_key"), model_id=sa.bindparam("b_model")))
    last = 0
    while True:
        rows = bind.execute(sa.select(table.c.seq, table.c.payload_json)
                            .where(table.c.seq > last, table.c.input_key.is_(None))
                            .order_by(table.c.seq)
                            .limit(_BATCH)).all()
        if not rows:
            break
        values = []
        for seq, payload in rows:
            data = json.loads(payload)
            values.append({"b_seq": seq, "b_key": input_key(data.get("input")),
                           "b_model": data.get("model_id")})
        bind.execute(update, values)
        last = rows[-1][0]
    for name, columns in (("ix_corrections_task_input_key", ["task", "input_key"]),
                          ("ix_corrections_task_seq", ["task", "seq"])):
        if name not in indexes:
            op.create_index(name, "corrections", columns)
    op.execute("DROP INDEX IF EXISTS ix_corrections_task")  # an adopted ledger may lack it


def downgrade() -> None:
    op.create_index("ix_corrections_task", "corrections", ["task"])
    op.drop_index("ix_corrections_task_seq", table_name="corrections")
    op.drop_index("ix_corrections_task_input_key", table_name="corrections")
    with op.batch_alter_table("corrections") as batch:
        batch.drop_column("model_id")
        batch.drop_column("input_key")
