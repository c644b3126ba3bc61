"""The ledger's tables, the records read from them, and the content hash of an input.

The tables as they are now; how a database gets there is the migration history in
``migrations/`` (Alembic). A change of these tables needs a new revision there.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from hitl_agent._lazy import lazy_exports
from hitl_agent.canonical import canonical_json
from hitl_agent.types import (
    Correction,
    Decision,
    Prediction,
    ReviewOutcome,
    ReviewRequest,
    Uncertainty,
    utcnow,
)

metadata = MetaData()

items = Table(
    "items",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("thread_id", String(255)),
    Column("task", String(128), nullable=False),
    Column("input_json", Text, nullable=False),
    Column("input_hash", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("prediction_json", Text),
    Column("uncertainty_json", Text),
    Column("decision_json", Text),
    Column("confidence", Float),
    Column("routing", String(16)),
    Column("final_output_json", Text),
    Column("final_source", String(32)),
    Column("context_json", Text),  # what the model saw: hitl_agent.models.context
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_items_status", "status"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("item_id", String(255), ForeignKey("items.id"), nullable=False),
    Column("thread_id", String(255)),  # always written; nullable for rows it was added to
    Column("tier", Integer, nullable=False),
    Column("backend", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("request_json", Text, nullable=False),
    Column("outcome_json", Text),
    Column("interrupt_id", String(64)),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(255)),
    Column("resume_lease_until", DateTime(timezone=True)),
    Column("resumed_at", DateTime(timezone=True)),
    # Pending reviews read a page at a time in (deadline, id) order, in all or by backend: a
    # resumer's poll skips the backends that tell it what changed (revision 0005).
    Index("ix_reviews_state_deadline", "state", "deadline", "id"),
    Index("ix_reviews_state_backend_deadline", "state", "backend", "deadline", "id"),
    Index("ix_reviews_item", "item_id"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(128), nullable=False, unique=True),
    Column("item_id", String(255), nullable=False),
    Column("review_id", String(128), nullable=False),
    Column("task", String(128), nullable=False),
    Column("action", String(16), nullable=False),
    Column("agreement", Float),
    Column("split_group", String(128), nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("forgotten", Boolean, nullable=False, default=False),
    Column("forgotten_at", DateTime(timezone=True)),
    # What the correction memory looks corrections up by (revision 0004): the hash of the
    # indexed input's normalised text (exact-match reuse) and the model (the index partition).
    Column("input_key", String(64)),
    Column("model_id", String(255)),
    Index("ix_corrections_task_seq", "task", "seq"),
    Index("ix_corrections_task_input_key", "task", "input_key"),
)

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "content_hash": "hitl_agent.canonical",  # the package's one canonical JSON
})

ITEM_STATUSES = ("predicted", "accepted", "pending_review", "decided", "finished", "failed")
"""``accepted`` is transient: the accept path finishes the item in the same write."""


_SPACES = re.compile(r"\s+")


def input_text(value: Any) -> str:
    """The text that stands for an input: a string itself, anything else canonical JSON."""
    return value if isinstance(value, str) else canonical_json(value)


def normalise_text(text: str) -> str:
    """Fold what does not change meaning: Unicode forms, case, and runs of whitespace.

    >>> normalise_text("  Hello\\u00a0 WORLD\\n")
    'hello world'
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def input_key(value: Any) -> str:
    """The exact-match key of an input: the hash of its whole normalised text."""
    return hashlib.sha256(normalise_text(input_text(value)).encode("utf-8")).hexdigest()


def aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes even for timezone=True columns; they were stored as
    UTC."""
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=UTC)


def sqlite_time(value: datetime) -> str:
    """A UTC datetime in the text form SQLAlchemy's SQLite DateTime type stores and reads."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class ItemState:
    status: str
    prediction: Prediction | None
    final_output: Any
    final_source: str | None


@dataclass(frozen=True)
class ItemRecord:
    id: str
    thread_id: str
    task: str
    input: Any
    status: str
    prediction: Prediction | None
    uncertainty: Uncertainty | None
    decision: Decision | None
    final_output: Any
    final_source: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ReviewRecord:
    id: str
    item_id: str
    thread_id: str
    tier: int
    backend: str
    state: str
    request: ReviewRequest
    outcome: ReviewOutcome | None
    interrupt_id: str | None
    deadline: datetime
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    resumed_at: datetime | None


@dataclass(frozen=True)
class CorrectionRecord:
    seq: int
    correction: Correction
    forgotten: bool


def item_record(row: Any) -> ItemRecord:
    return ItemRecord(
        id=row["id"],
        thread_id=row["thread_id"] or row["id"],
        task=row["task"],
        input=json.loads(row["input_json"]),
        status=row["status"],
        prediction=Prediction.model_validate_json(row["prediction_json"])
        if row["prediction_json"] else None,
        uncertainty=Uncertainty.model_validate_json(row["uncertainty_json"])
        if row["uncertainty_json"] else None,
        decision=Decision.model_validate_json(row["decision_json"])
        if row["decision_json"] else None,
        final_output=json.loads(row["final_output_json"])
        if row["final_output_json"] is not None else None,
        final_source=row["final_source"],
        error=row["error"],
        created_at=aware(row["created_at"]) or utcnow(),
        updated_at=aware(row["updated_at"]) or utcnow(),
    )


def review_record(row: Any) -> ReviewRecord:
    return ReviewRecord(
        id=row["id"],
        item_id=row["item_id"],
        thread_id=row["thread_id"],
        tier=row["tier"],
        backend=row["backend"],
        state=row["state"],
        request=ReviewRequest.model_validate_json(row["request_json"]),
        outcome=ReviewOutcome.model_validate_json(row["outcome_json"])
        if row["outcome_json"] else None,
        interrupt_id=row["interrupt_id"],
        deadline=aware(row["deadline"]) or utcnow(),
        created_at=aware(row["created_at"]) or utcnow(),
        decided_at=aware(row["decided_at"]),
        decided_by=row["decided_by"],
        resumed_at=aware(row["resumed_at"]),
    )


def correction_record(row: Any) -> CorrectionRecord:
    return CorrectionRecord(
        seq=row["seq"],
        correction=Correction.model_validate_json(row["payload_json"]),
        forgotten=bool(row["forgotten"]),
    )
