"""SQLAlchemy tables of the review service. Times are integer microseconds since the epoch (UTC)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from . import queue_keys


class Base(DeclarativeBase):
    pass


class FlowDefinition(Base):
    __tablename__ = "flow_definitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    arn: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))
    created_us: Mapped[int] = mapped_column(BigInteger, index=True)
    role_arn: Mapped[str] = mapped_column(String(2048))
    output_path: Mapped[str] = mapped_column(String(1024))
    kms_key_id: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    human_loop_config: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    request_source: Mapped[str | None] = mapped_column(String(64), nullable=True)
    activation_conditions: Mapped[str | None] = mapped_column(Text, nullable=True)  # the string
    tags: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON


class HumanTaskUi(Base):
    __tablename__ = "human_task_uis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    arn: Mapped[str] = mapped_column(String(1024))
    created_us: Mapped[int] = mapped_column(BigInteger, index=True)
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    tags: Mapped[str | None] = mapped_column(Text, nullable=True)


class Workteam(Base):
    __tablename__ = "workteams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    arn: Mapped[str] = mapped_column(String(256))
    created_us: Mapped[int] = mapped_column(BigInteger, index=True)
    updated_us: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(200))
    member_definitions: Mapped[str] = mapped_column(Text)  # JSON
    workforce_name: Mapped[str | None] = mapped_column(String(63), nullable=True)
    notification_config: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker_access_config: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[str | None] = mapped_column(Text, nullable=True)


class HumanLoop(Base):
    """One human loop; the flow definition's settings are copied in at the start."""

    __tablename__ = "human_loops"
    __table_args__ = (
        Index("ix_loops_flow_created", "flow_definition_arn", "created_us", "id"),
        Index("ix_loops_status_expires", "status", "expires_us"),
        # The portal's queue (portal_queue.py), one index per sort, read in index order from the
        # view's position: a team's open loops, or those of one flow of the team (revision 0002).
        Index("ix_loops_team_status_created", "workteam_name", "status", "created_us", "id"),
        # The deadline indexes carry the taking rule's columns too, so that a count of a team's
        # tasks reads the index alone (revision 0003).
        Index("ix_loops_team_status_deadline", "workteam_name", "status", "expires_us", "id",
              "output_pending", "task_count"),
        Index("ix_loops_team_status_priority", "workteam_name", "status", "priority_key",
              "confidence_key", "expires_us", "id"),
        Index("ix_loops_team_flow_status_created", "workteam_name", "flow_definition_name",
              "status", "created_us", "id"),
        Index("ix_loops_team_flow_status_deadline", "workteam_name", "flow_definition_name",
              "status", "expires_us", "id", "output_pending", "task_count"),
        Index("ix_loops_team_flow_status_priority", "workteam_name", "flow_definition_name",
              "status", "priority_key", "confidence_key", "expires_us", "id"),
        # The team view's backlog per flow, read from the index alone.
        Index("ix_loops_status_flow", "status", "flow_definition_name", "expires_us", "task_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    arn: Mapped[str] = mapped_column(String(1024))
    flow_definition_name: Mapped[str] = mapped_column(String(63))
    flow_definition_arn: Mapped[str] = mapped_column(String(1024))
    input_content: Mapped[str] = mapped_column(Text)
    input_sha256: Mapped[str] = mapped_column(String(64))
    content_classifiers: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    status: Mapped[str] = mapped_column(String(16))
    failure_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    created_us: Mapped[int] = mapped_column(BigInteger)
    updated_us: Mapped[int] = mapped_column(BigInteger)
    expires_us: Mapped[int] = mapped_column(BigInteger)
    output_uri: Mapped[str] = mapped_column(String(2048))
    output_pending: Mapped[int] = mapped_column(Integer, default=0)  # answers in, output not yet
    task_count: Mapped[int] = mapped_column(Integer)
    task_time_limit_s: Mapped[int] = mapped_column(Integer)
    workteam_name: Mapped[str | None] = mapped_column(String(63), nullable=True)
    human_task_ui_arn: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    task_title: Mapped[str | None] = mapped_column(String(128), nullable=True)
    task_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    task_keywords: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    request_source: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The queue's sort keys, from the input when the loop starts (queue_keys.py): the priority
    # negated (ascending = highest first) and the model's confidence (1 when the input has none).
    priority_key: Mapped[float] = mapped_column(
        Float, default=queue_keys.priority_default, server_default=text("0")
    )
    confidence_key: Mapped[float] = mapped_column(
        Float, default=queue_keys.confidence_default, server_default=text("1")
    )


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_id: Mapped[str] = mapped_column(String(16), unique=True)  # A2I's 16-hex workerId
    name: Mapped[str] = mapped_column(String(128), unique=True)
    sub: Mapped[str] = mapped_column(String(36))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_us: Mapped[int] = mapped_column(BigInteger)


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("worker_pk", "team_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_pk: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    team_name: Mapped[str] = mapped_column(String(63), index=True)


class Claim(Base):
    """A worker's hold on a loop: ``active`` until it expires or is released/declined/submitted."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("loop_pk", "worker_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loop_pk: Mapped[int] = mapped_column(ForeignKey("human_loops.id", ondelete="CASCADE"))
    worker_pk: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))  # active | released | declined | submitted
    claimed_us: Mapped[int] = mapped_column(BigInteger)
    expires_us: Mapped[int] = mapped_column(BigInteger)


class Answer(Base):
    """One worker's answer; unique per (loop, worker) so nothing is counted twice."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("loop_pk", "worker_pk"),
        Index("ix_answers_worker", "worker_pk"),  # a worker's history
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loop_pk: Mapped[int] = mapped_column(ForeignKey("human_loops.id", ondelete="CASCADE"))
    worker_pk: Mapped[int] = mapped_column(Integer)
    worker_id: Mapped[str] = mapped_column(String(16))
    answer_content: Mapped[str] = mapped_column(Text)  # JSON
    acceptance_us: Mapped[int] = mapped_column(BigInteger)
    submission_us: Mapped[int] = mapped_column(BigInteger)
    time_spent_s: Mapped[float] = mapped_column(Float)
    worker_metadata: Mapped[str] = mapped_column(Text)  # JSON


class Event(Base):
    """The status-change event log; ``seq`` orders it for pollers."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    loop_name: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16))
    created_us: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)  # the EventBridge event, JSON


class Delivery(Base):
    """One webhook delivery of one event, retried with backoff until it succeeds or gives up."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "done", "next_attempt_us"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    done: Mapped[int] = mapped_column(Integer, default=0)  # 0 pending, 1 delivered, 2 gave up
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_us: Mapped[int] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ResourceTag(Base):
    """A tag on a SageMaker resource (AddTags, ListTags, DeleteTags; Tags given on create)."""

    __tablename__ = "resource_tags"
    __table_args__ = (UniqueConstraint("resource_arn", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_arn: Mapped[str] = mapped_column(String(256), index=True)
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(256))


class WorkforceRow(Base):
    """A private workforce (CreateWorkforce): its OIDC identity provider and source-IP ranges."""

    __tablename__ = "workforces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    arn: Mapped[str] = mapped_column(String(256))
    created_us: Mapped[int] = mapped_column(BigInteger, index=True)
    updated_us: Mapped[int] = mapped_column(BigInteger)
    oidc_config: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, with the secret
    source_cidrs: Mapped[str] = mapped_column(Text)  # JSON list


class OidcIdentity(Base):
    """The worker an OpenID Connect identity (issuer, sub) signs in as."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(512))
    sub: Mapped[str] = mapped_column(String(255))
    worker_pk: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), unique=True
    )
    groups: Mapped[str] = mapped_column(Text)  # JSON list, from the last sign-in
    signed_in_us: Mapped[int] = mapped_column(BigInteger)


# Access keys (access_keys.py), gold items (gold.py) and the portal's accounts
# (portal_accounts.py): their tables live here with the others, so the schema needs no module
# that uses the database.


class AccessKey(Base):
    __tablename__ = "access_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    access_key_id: Mapped[str] = mapped_column(String(32), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(256), default="")
    created_us: Mapped[int] = mapped_column(BigInteger)
    revoked_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class GoldItem(Base):
    __tablename__ = "gold_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow_name: Mapped[str] = mapped_column(String(63), index=True)
    input_content: Mapped[str] = mapped_column(Text)  # JSON, as StartHumanLoop's InputContent
    label: Mapped[str] = mapped_column(Text)  # the known answer, as ``answer_label`` reads it
    created_us: Mapped[int] = mapped_column(BigInteger)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class GoldLoop(Base):
    """Marks a human loop as gold (the loop row itself looks like any other)."""

    __tablename__ = "gold_loops"

    loop_pk: Mapped[int] = mapped_column(
        ForeignKey("human_loops.id", ondelete="CASCADE"), primary_key=True
    )
    gold_pk: Mapped[int] = mapped_column(ForeignKey("gold_items.id", ondelete="CASCADE"))
    flow_name: Mapped[str] = mapped_column(String(63), index=True)


class PortalSessionRow(Base):
    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sid_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    worker_pk: Mapped[int] = mapped_column(Integer, index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_us: Mapped[int] = mapped_column(BigInteger)
    revoked_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SignInFailures(Base):
    """Failed sign-ins of one account (``account:NAME``) or address (``address:IP``)."""

    __tablename__ = "signin_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start_us: Mapped[int] = mapped_column(BigInteger)
    locked_until_us: Mapped[int] = mapped_column(BigInteger, default=0)


class DisabledWorker(Base):
    __tablename__ = "disabled_workers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_name: Mapped[str] = mapped_column(String(128), unique=True)
    disabled_us: Mapped[int] = mapped_column(BigInteger)
