"""Baseline: the review service's database as ``Base.metadata.create_all`` made it before the
service used Alembic (every table of hitl_agent/service/models.py and the modules that add their
own: access_keys, gold, portal_accounts).

The tables are declared here, frozen, not imported from the models (which move on). Creating them
is idempotent: what is there already is left alone. That is how a database written by
``create_all`` is adopted (:func:`hitl_agent.service.schema.adopt`): its columns are checked
against :func:`tables`, tables and indexes that a release of ``create_all`` did not make yet are
added, and the database is stamped at this revision.

(Revision ``0001_baseline``, the first: Alembic reads ``revision`` and ``down_revision`` below.)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None


def _fk(name: str, target: str, **options: Any) -> sa.Column[Any]:
    """An integer column that refers to ``target`` and goes with it (``ON DELETE CASCADE``)."""
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target, ondelete="CASCADE"),
                     **{"nullable": False, **options})


def _team_columns() -> list[sa.Column[Any]]:
    """The columns that work teams and workforces (AWS resources with a name) start with."""
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(length=63), nullable=False, unique=True),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
    ]


def tables() -> sa.MetaData:
    """The tables at this revision."""
    metadata = sa.MetaData()
    sa.Table(
        "access_keys",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("access_key_id", sa.String(length=32), nullable=False, unique=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_us", sa.BigInteger(), nullable=True),
    )
    sa.Table(
        "disabled_workers",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("worker_name", sa.String(length=128), nullable=False, unique=True),
        sa.Column("disabled_us", sa.BigInteger(), nullable=False),
    )
    sa.Table(
        "events",
        metadata,
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(length=36), nullable=False, unique=True),
        sa.Column("loop_name", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    sa.Table(
        "flow_definitions",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(length=63), nullable=False, unique=True),
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("role_arn", sa.String(length=2048), nullable=False),
        sa.Column("output_path", sa.String(length=1024), nullable=False),
        sa.Column("kms_key_id", sa.String(length=2048), nullable=True),
        sa.Column("human_loop_config", sa.Text(), nullable=True),
        sa.Column("request_source", sa.String(length=64), nullable=True),
        sa.Column("activation_conditions", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Index("ix_flow_definitions_created_us", "created_us"),
    )
    sa.Table(
        "gold_items",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("flow_name", sa.String(length=63), nullable=False),
        sa.Column("input_content", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Index("ix_gold_items_flow_name", "flow_name"),
    )
    sa.Table(
        "human_loops",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(length=63), nullable=False, unique=True),
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("flow_definition_name", sa.String(length=63), nullable=False),
        sa.Column("flow_definition_arn", sa.String(length=1024), nullable=False),
        sa.Column("input_content", sa.Text(), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_classifiers", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_code", sa.String(length=32), nullable=True),
        sa.Column("failure_reason", sa.String(length=1024), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.Column("output_uri", sa.String(length=2048), nullable=False),
        sa.Column("output_pending", sa.Integer(), nullable=False),
        sa.Column("task_count", sa.Integer(), nullable=False),
        sa.Column("task_time_limit_s", sa.Integer(), nullable=False),
        sa.Column("workteam_name", sa.String(length=63), nullable=True),
        sa.Column("human_task_ui_arn", sa.String(length=1024), nullable=True),
        sa.Column("task_title", sa.String(length=128), nullable=True),
        sa.Column("task_description", sa.String(length=255), nullable=True),
        sa.Column("task_keywords", sa.Text(), nullable=True),
        sa.Column("request_source", sa.String(length=64), nullable=True),
        sa.Index("ix_human_loops_workteam_name", "workteam_name"),
        sa.Index("ix_loops_flow_created", "flow_definition_arn", "created_us", "id"),
        sa.Index("ix_loops_status_expires", "status", "expires_us"),
        sa.Index(
            "ix_loops_status_flow", "status", "flow_definition_name", "expires_us", "task_count"
        ),
        sa.Index("ix_loops_team_status_created", "workteam_name", "status", "created_us", "id"),
    )
    sa.Table(
        "human_task_uis",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(length=63), nullable=False, unique=True),
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Index("ix_human_task_uis_created_us", "created_us"),
    )
    sa.Table(
        "portal_sessions",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sid_sha256", sa.String(length=64), nullable=False, unique=True),
        sa.Column("worker_pk", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_us", sa.BigInteger(), nullable=True),
        sa.Index("ix_portal_sessions_worker_pk", "worker_pk"),
    )
    sa.Table(
        "resource_tags",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("resource_arn", sa.String(length=256), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.UniqueConstraint("resource_arn", "key"),
        sa.Index("ix_resource_tags_resource_arn", "resource_arn"),
    )
    sa.Table(
        "signin_failures",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(length=200), nullable=False, unique=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start_us", sa.BigInteger(), nullable=False),
        sa.Column("locked_until_us", sa.BigInteger(), nullable=False),
    )
    sa.Table(
        "workers",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(length=16), nullable=False, unique=True),
        sa.Column("name", sa.String(length=128), nullable=False, unique=True),
        sa.Column("sub", sa.String(length=36), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(length=128), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
    )
    sa.Table(
        "workforces",
        metadata,
        *_team_columns(),
        sa.Column("oidc_config", sa.Text(), nullable=True),
        sa.Column("source_cidrs", sa.Text(), nullable=False),
        sa.Index("ix_workforces_created_us", "created_us"),
    )
    sa.Table(
        "workteams",
        metadata,
        *_team_columns(),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("member_definitions", sa.Text(), nullable=False),
        sa.Column("workforce_name", sa.String(length=63), nullable=True),
        sa.Column("notification_config", sa.Text(), nullable=True),
        sa.Column("worker_access_config", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Index("ix_workteams_created_us", "created_us"),
    )
    sa.Table(
        "answers",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _fk("loop_pk", "human_loops.id"),
        sa.Column("worker_pk", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=16), nullable=False),
        sa.Column("answer_content", sa.Text(), nullable=False),
        sa.Column("acceptance_us", sa.BigInteger(), nullable=False),
        sa.Column("submission_us", sa.BigInteger(), nullable=False),
        sa.Column("time_spent_s", sa.Float(), nullable=False),
        sa.Column("worker_metadata", sa.Text(), nullable=False),
        sa.UniqueConstraint("loop_pk", "worker_pk"),
        sa.Index("ix_answers_worker", "worker_pk"),
    )
    sa.Table(
        "claims",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _fk("loop_pk", "human_loops.id"),
        _fk("worker_pk", "workers.id"),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("loop_pk", "worker_pk"),
    )
    sa.Table(
        "deliveries",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _fk("event_seq", "events.seq"),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Index("ix_deliveries_due", "done", "next_attempt_us"),
    )
    sa.Table(
        "gold_loops",
        metadata,
        _fk("loop_pk", "human_loops.id", primary_key=True),
        _fk("gold_pk", "gold_items.id"),
        sa.Column("flow_name", sa.String(length=63), nullable=False),
        sa.Index("ix_gold_loops_flow_name", "flow_name"),
    )
    sa.Table(
        "oidc_identities",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("issuer", sa.String(length=512), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        _fk("worker_pk", "workers.id", unique=True),
        sa.Column("groups", sa.Text(), nullable=False),
        sa.Column("signed_in_us", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("issuer", "sub"),
    )
    sa.Table(
        "team_members",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _fk("worker_pk", "workers.id"),
        sa.Column("team_name", sa.String(length=63), nullable=False),
        sa.UniqueConstraint("worker_pk", "team_name"),
        sa.Index("ix_team_members_team_name", "team_name"),
    )
    return metadata


def missing_columns(bind: sa.Connection) -> dict[str, list[str]]:
    """The columns of :func:`tables` that the database's tables of the same names lack."""
    inspector = sa.inspect(bind)
    present = set(inspector.get_table_names())
    missing = {}
    for table in tables().sorted_tables:
        if table.name in present:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            lacking = [c.name for c in table.columns if c.name not in have]
            if lacking:
                missing[table.name] = lacking
    return missing


def create_missing(bind: sa.Connection) -> list[str]:
    """Create the tables and indexes of :func:`tables` that are not there; return their names."""
    inspector = sa.inspect(bind)
    present = set(inspector.get_table_names())
    created = []
    metadata = tables()
    for table in metadata.sorted_tables:
        if table.name not in present:
            table.create(bind)
            created.append(table.name)
            continue
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            if index.name not in indexes:
                index.create(bind)
                created.append(index.name or "")
    return created


def upgrade() -> None:
    create_missing(op.get_bind())


def downgrade() -> None:
    for table in reversed(tables().sorted_tables):
        op.drop_table(table.name)
