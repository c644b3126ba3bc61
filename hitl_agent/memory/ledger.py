"""The ledger: the system of record for every item, every review and every correction.

Three tables:

- ``items``: one row per item (thread) with its input, prediction, routing decision and final
  outcome. A thread id reused with a different input is refused.
- ``reviews``: one row per human review the graph opened, keyed by the deterministic review id.
  Its ``state`` moves ``pending → decided → resumed`` by compare-and-set, so two workers racing to
  resume the same item resume it once.
- ``corrections``: one row per decided review, keyed by the correction id, with a monotonically
  increasing ``seq`` that exports use as their position ("everything after seq N").

Every write is idempotent on its key, so a step re-run after a crash finds its earlier write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from hitl_agent.errors import LedgerError, ThreadInputConflict
from hitl_agent.memory.db import make_engine, reader
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
    Column("thread_id", String(255), nullable=False),
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
    Index("ix_reviews_state_deadline", "state", "deadline"),
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
    Index("ix_corrections_task", "task"),
)

# The hot path (one read and one write per automatically accepted item) uses statements built
# once with bind parameters: building a statement per call cost more than executing it.
_SELECT_ITEM = select(items).where(items.c.id == bindparam("b_id"))
_ROUTE_ITEM = (
    update(items)
    .where(and_(items.c.id == bindparam("b_id"), items.c.status != "finished"))
    .values(
        prediction_json=func.coalesce(items.c.prediction_json, bindparam("b_prediction")),
        uncertainty_json=bindparam("b_uncertainty"),
        decision_json=bindparam("b_decision"),
        confidence=bindparam("b_confidence"),
        routing=bindparam("b_routing"),
        status=bindparam("b_status"),
        final_output_json=func.coalesce(bindparam("b_final", type_=Text),
                                        items.c.final_output_json),
        final_source=func.coalesce(bindparam("b_source", type_=String), items.c.final_source),
        context_json=func.coalesce(bindparam("b_context", type_=Text), items.c.context_json),
        updated_at=bindparam("b_now"),
    )
)

_ITEM_CONTEXTS = select(items.c.id, items.c.context_json).where(
    items.c.id.in_(bindparam("b_ids", expanding=True)), items.c.context_json.is_not(None))

# Plain SQL on the driver for the one read of the hot path (see record_routing); indexed by
# "is SQLite" for the parameter style.
_CHECK_ITEM_SQL = {
    flag: "SELECT input_hash, status, prediction_json, final_output_json, final_source"
    f" FROM items WHERE id = {mark}"
    for flag, mark in ((True, "?"), (False, "%s"))
}

_SQLITE_INSERT_NEW = (
    "INSERT INTO items (id, thread_id, task, input_json, input_hash, status, prediction_json,"
    " uncertainty_json, decision_json, confidence, routing, final_output_json, final_source,"
    " context_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO NOTHING"
)


def _sqlite_time(value: datetime) -> str:
    """A UTC datetime in the text form SQLAlchemy's SQLite DateTime type stores and reads."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# How a column added after a ledger was created is filled in for its existing rows.
_BACKFILL = {
    ("items", "thread_id"): "UPDATE items SET thread_id = id WHERE thread_id IS NULL",
    ("reviews", "thread_id"): "UPDATE reviews SET thread_id = item_id WHERE thread_id IS NULL",
}

ITEM_STATUSES = ("predicted", "accepted", "pending_review", "decided", "finished", "failed")
"""``accepted`` is transient: the accept path finishes the item in the same write."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text (and hashes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone=True columns; they were stored as UTC.
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=UTC)


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


class Ledger:
    """The system of record. Opens (and creates) its tables on the given URL or SQLite path."""

    def __init__(self, url: str | Path, *, engine: Engine | None = None) -> None:
        self.url = str(url)
        self.engine = engine if engine is not None else make_engine(url, what="ledger")
        self._insert_new_stmt: Any = None
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._reader = reader(self.engine)
        try:
            metadata.create_all(self.engine)
            self._add_missing_columns()
        except SQLAlchemyError as exc:
            raise LedgerError(
                f"ledger {self._safe_url()} cannot be opened: {exc.__class__.__name__}: "
                f"{str(exc.orig) if hasattr(exc, 'orig') else exc}",
                url=self._safe_url(),
            ) from exc

    def _add_missing_columns(self) -> None:
        """Bring a ledger written by an older version up to date: add the columns it lacks
        (nullable) and fill them from what the row already says. Nothing is dropped."""
        with self.engine.begin() as conn:
            inspector = inspect(conn)
            for table in metadata.sorted_tables:
                present = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present:
                        continue
                    kind = column.type.compile(dialect=self.engine.dialect)
                    conn.exec_driver_sql(
                        f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")
                    backfill = _BACKFILL.get((table.name, column.name))
                    if backfill:
                        conn.exec_driver_sql(backfill)

    def _insert_new(self, **values: Any) -> tuple[Any, dict[str, Any]]:
        """``INSERT … ON CONFLICT DO NOTHING`` in the engine's dialect, built once."""
        if self._insert_new_stmt is None:
            from sqlalchemy.dialects import postgresql, sqlite

            dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
            self._insert_new_stmt = (
                dialect.insert(items)
                .values({k: bindparam(f"n_{k}") for k in values})
                .on_conflict_do_nothing()
            )
        return self._insert_new_stmt, {f"n_{k}": v for k, v in values.items()}

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # -- items -------------------------------------------------------------------------------

    def check_item(self, item_id: str, input_value: Any) -> ItemState | None:
        """What the graph needs to know of a known item before running it (read only): its
        status, journaled prediction and final output. Another input under the id is refused."""
        with self._reader.connect() as conn:
            row = conn.exec_driver_sql(_CHECK_ITEM_SQL[self._sqlite], (item_id,)).first()
        if row is None:
            return None
        input_hash, status, prediction_json, final_json, final_source = row
        if input_hash != content_hash(input_value):
            raise ThreadInputConflict(
                f"thread {item_id!r} already holds a different input; use a new thread id "
                "for a new input",
                field="thread_id",
                thread_id=item_id,
            )
        return ItemState(
            status=status,
            prediction=Prediction.model_validate_json(prediction_json)
            if prediction_json else None,
            final_output=json.loads(final_json) if final_json is not None else None,
            final_source=final_source,
        )

    def record_prediction(
        self, item_id: str, task: str, input_value: Any, prediction: Prediction
    ) -> Prediction:
        """Journal the model's prediction, once: a re-run after a crash gets the first one back
        (so a non-deterministic model is never asked twice for the same item)."""
        now = utcnow()
        digest = content_hash(input_value)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(items).values(
                        id=item_id, task=task, input_json=canonical_json(input_value),
                        input_hash=digest, status="predicted",
                        prediction_json=prediction.model_dump_json(),
                        created_at=now, updated_at=now,
                    )
                )
            return prediction
        except IntegrityError:
            pass
        with self.engine.begin() as conn:
            row = conn.execute(
                select(items.c.input_hash, items.c.prediction_json).where(items.c.id == item_id)
            ).one()
            if row.input_hash != digest:
                raise ThreadInputConflict(
                    f"thread {item_id!r} already holds a different input", field="thread_id",
                    thread_id=item_id)
            if row.prediction_json is not None:
                return Prediction.model_validate_json(row.prediction_json)
            conn.execute(
                update(items).where(items.c.id == item_id).values(
                    prediction_json=prediction.model_dump_json(), status="predicted",
                    error=None, updated_at=now)
            )
        return prediction

    def record_routing(
        self,
        item_id: str,
        uncertainty: Uncertainty,
        decision: Decision,
        *,
        task: str | None = None,
        input_value: Any = None,
        prediction: Prediction | None = None,
        final_output: Any = None,
        final_source: str | None = None,
        thread_id: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        """Record the prediction, its score and the routing in one write; with ``final_source``
        the item is finished too (the accept path costs one write). ``context`` is what the
        model saw (:mod:`hitl_agent.models.context`), kept for exports.

        With ``prediction`` and ``task`` the row is created when missing; a prediction journaled
        earlier is kept (first write wins), so a re-run never changes what a review was about.
        """
        now = utcnow()
        status = "pending_review" if decision.action == "escalate" else "accepted"
        if final_source is not None:
            status = "finished"
        params = {
            "b_id": item_id,
            "b_prediction": prediction.model_dump_json() if prediction is not None else None,
            "b_uncertainty": uncertainty.model_dump_json(),
            "b_decision": decision.model_dump_json(),
            "b_confidence": uncertainty.confidence,
            "b_routing": decision.action,
            "b_status": status,
            "b_final": canonical_json(final_output) if final_source is not None else None,
            "b_source": final_source,
            "b_context": canonical_json(context) if context is not None else None,
            "b_now": now,
        }
        with self.engine.begin() as conn:
            created = 0
            if prediction is not None and task is not None and self._sqlite:
                # The accept path's one write: plain SQL on the driver, because SQLAlchemy's
                # statement machinery cost ten times the write itself (benchmarks/loop_throughput).
                created = conn.exec_driver_sql(_SQLITE_INSERT_NEW, (
                    item_id, thread_id or item_id, task, canonical_json(input_value),
                    content_hash(input_value), status, params["b_prediction"],
                    params["b_uncertainty"], params["b_decision"], uncertainty.confidence,
                    decision.action, params["b_final"], final_source, params["b_context"],
                    _sqlite_time(now), _sqlite_time(now))).rowcount
            elif prediction is not None and task is not None:
                # Usually the item is new: one INSERT … ON CONFLICT DO NOTHING does it all.
                created = conn.execute(*self._insert_new(
                    id=item_id, thread_id=thread_id or item_id, task=task,
                    input_json=canonical_json(input_value),
                    input_hash=content_hash(input_value),
                    prediction_json=params["b_prediction"],
                    uncertainty_json=params["b_uncertainty"],
                    decision_json=params["b_decision"],
                    confidence=uncertainty.confidence, routing=decision.action,
                    status=status, final_output_json=params["b_final"],
                    final_source=final_source, context_json=params["b_context"],
                    created_at=now, updated_at=now)).rowcount
            if not created:
                conn.execute(_ROUTE_ITEM, params)

    def mark_failed(
        self, item_id: str, task: str, input_value: Any, error: str, *,
        thread_id: str | None = None,
    ) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(items)
                .where(and_(items.c.id == item_id, items.c.status != "finished"))
                .values(status="failed", error=error, updated_at=now)
            ).rowcount
            exists = done or conn.execute(
                select(func.count()).select_from(items).where(items.c.id == item_id)
            ).scalar_one()
            if not exists:
                conn.execute(
                    insert(items).values(
                        id=item_id, thread_id=thread_id or item_id, task=task,
                        input_json=canonical_json(input_value),
                        input_hash=content_hash(input_value), status="failed", error=error,
                        created_at=now, updated_at=now,
                    )
                )

    def finish_item(
        self,
        item_id: str,
        final_output: Any,
        final_source: str,
        *,
        task: str | None = None,
        input_value: Any = None,
        thread_id: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        """Record the final output. With ``task`` an item the ledger has not seen yet (an answer
        reused from memory, with no model call) is created finished. ``context`` (what the model
        saw, :mod:`hitl_agent.models.context`) replaces the item's when given."""
        now = utcnow()
        values: dict[str, Any] = dict(
            status="finished", final_output_json=canonical_json(final_output),
            final_source=final_source, error=None, updated_at=now)
        if context is not None:
            values["context_json"] = canonical_json(context)
        with self.engine.begin() as conn:
            done = conn.execute(update(items).where(items.c.id == item_id).values(**values))
            if done.rowcount == 0 and task is not None:
                conn.execute(insert(items).values(
                    id=item_id, thread_id=thread_id or item_id, task=task,
                    input_json=canonical_json(input_value),
                    input_hash=content_hash(input_value), created_at=now, **values))

    def get_item(self, item_id: str) -> ItemRecord | None:
        with self._reader.connect() as conn:
            row = conn.execute(select(items).where(items.c.id == item_id)).mappings().first()
        return None if row is None else self._item(row)

    def iter_items(self, *, status: str | None = None, batch: int = 1000) -> Iterator[ItemRecord]:
        last = ""
        while True:
            query = select(items).where(items.c.id > last).order_by(items.c.id).limit(batch)
            if status is not None:
                query = query.where(items.c.status == status)
            with self._reader.connect() as conn:
                rows = conn.execute(query).mappings().all()
            if not rows:
                return
            for row in rows:
                yield self._item(row)
            last = rows[-1]["id"]

    def counts(self) -> dict[str, int]:
        """Items by status, reviews by state, and corrections: for dashboards and tests."""
        out: dict[str, int] = {}
        with self._reader.connect() as conn:
            for status, n in conn.execute(
                select(items.c.status, func.count()).group_by(items.c.status)
            ):
                out[f"items.{status}"] = n
            for state, n in conn.execute(
                select(reviews.c.state, func.count()).group_by(reviews.c.state)
            ):
                out[f"reviews.{state}"] = n
            out["corrections"] = conn.execute(
                select(func.count()).select_from(corrections)
            ).scalar_one()
        return out

    # -- reviews -----------------------------------------------------------------------------

    def open_review(self, request: ReviewRequest, backend: str) -> ReviewRecord:
        """Insert the review as ``pending``, or return the row a previous run inserted.

        The stored request wins, so a re-run dispatch sees the same deadline as the first one.
        """
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(reviews).values(
                        id=request.review_id,
                        item_id=request.item,
                        thread_id=request.thread_id,
                        tier=request.tier,
                        backend=backend,
                        state="pending",
                        request_json=request.model_dump_json(),
                        deadline=request.deadline,
                        created_at=utcnow(),
                    )
                )
                conn.execute(
                    update(items)
                    .where(items.c.id == request.item)
                    .values(status="pending_review", updated_at=utcnow())
                )
        except IntegrityError:
            pass
        record = self.get_review(request.review_id)
        assert record is not None
        return record

    def get_review(self, review_id: str) -> ReviewRecord | None:
        with self._reader.connect() as conn:
            row = conn.execute(select(reviews).where(reviews.c.id == review_id)).mappings().first()
        return None if row is None else self._review(row)

    def reviews_for_item(self, item_id: str) -> list[ReviewRecord]:
        with self._reader.connect() as conn:
            rows = (
                conn.execute(
                    select(reviews).where(reviews.c.item_id == item_id).order_by(reviews.c.tier)
                )
                .mappings()
                .all()
            )
        return [self._review(r) for r in rows]

    def pending_reviews(self, *, limit: int = 1000) -> list[ReviewRecord]:
        return self._reviews_where(reviews.c.state == "pending", limit)

    def overdue_reviews(
        self, now: datetime | None = None, *, limit: int = 1000
    ) -> list[ReviewRecord]:
        now = now or utcnow()
        return self._reviews_where(
            and_(reviews.c.state == "pending", reviews.c.deadline <= now), limit
        )

    def unresumed_reviews(
        self, now: datetime | None = None, *, limit: int = 1000
    ) -> list[ReviewRecord]:
        """Decided reviews whose resume lease ran out: their resumer died before resuming."""
        now = now or utcnow()
        return self._reviews_where(
            and_(
                reviews.c.state == "decided",
                or_(reviews.c.resume_lease_until.is_(None), reviews.c.resume_lease_until <= now),
            ),
            limit,
        )

    def decide_review(
        self,
        review_id: str,
        outcome: ReviewOutcome,
        *,
        decided_by: str = "",
        lease_seconds: float = 300.0,
    ) -> bool:
        """Compare-and-set ``pending → decided``. True only for the one caller that won."""
        now = utcnow()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(reviews)
                .where(and_(reviews.c.id == review_id, reviews.c.state == "pending"))
                .values(
                    state="decided",
                    outcome_json=outcome.model_dump_json(),
                    decided_at=now,
                    decided_by=decided_by,
                    resume_lease_until=now + timedelta(seconds=lease_seconds),
                )
            )
            won = result.rowcount == 1
            if won:
                conn.execute(
                    update(items)
                    .where(
                        and_(
                            items.c.id == select(reviews.c.item_id)
                            .where(reviews.c.id == review_id)
                            .scalar_subquery(),
                            items.c.status == "pending_review",
                        )
                    )
                    .values(status="decided", updated_at=now)
                )
        return won

    def claim_resume(self, review_id: str, *, by: str, lease_seconds: float = 300.0) -> bool:
        """Take over the resume of a decided review whose earlier resumer's lease ran out."""
        now = utcnow()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(reviews)
                .where(
                    and_(
                        reviews.c.id == review_id,
                        reviews.c.state == "decided",
                        or_(
                            reviews.c.resume_lease_until.is_(None),
                            reviews.c.resume_lease_until <= now,
                        ),
                    )
                )
                .values(decided_by=by, resume_lease_until=now + timedelta(seconds=lease_seconds))
            )
        return result.rowcount == 1

    def release_resume(self, review_id: str) -> None:
        """Give up the resume lease of a decided review (its graph was not waiting yet), so the
        next recovery pass retries it instead of waiting for the lease to run out."""
        with self.engine.begin() as conn:
            conn.execute(
                update(reviews)
                .where(and_(reviews.c.id == review_id, reviews.c.state == "decided"))
                .values(resume_lease_until=utcnow())
            )

    def mark_resumed(self, review_id: str, interrupt_id: str | None) -> None:
        """``decided → resumed`` (the graph took the outcome); records the interrupt id when
        known, also on a row the graph's own decide step marked first."""
        with self.engine.begin() as conn:
            conn.execute(
                update(reviews)
                .where(and_(reviews.c.id == review_id,
                            reviews.c.state.in_(("decided", "resumed"))))
                .values(state="resumed",
                        interrupt_id=func.coalesce(interrupt_id, reviews.c.interrupt_id),
                        resumed_at=func.coalesce(reviews.c.resumed_at, utcnow()))
            )

    # -- corrections -------------------------------------------------------------------------

    def record_correction(self, correction: Correction) -> bool:
        """Insert the correction once; a retried write finds the first. True if newly written."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(corrections).values(
                        id=correction.id,
                        item_id=correction.thread_id,
                        review_id=correction.review_id,
                        task=correction.task,
                        action=correction.action,
                        agreement=correction.agreement,
                        split_group=correction.split_group,
                        payload_json=correction.model_dump_json(),
                        created_at=correction.created_at,
                        decided_at=correction.decided_at,
                        forgotten=False,
                    )
                )
        except IntegrityError:
            return False
        return True

    def get_correction(self, correction_id: str) -> CorrectionRecord | None:
        with self._reader.connect() as conn:
            row = (
                conn.execute(select(corrections).where(corrections.c.id == correction_id))
                .mappings()
                .first()
            )
        return None if row is None else self._correction(row)

    def iter_corrections(
        self,
        *,
        after_seq: int = 0,
        up_to_seq: int | None = None,
        task: str | None = None,
        include_forgotten: bool = False,
        batch: int = 1000,
    ) -> Iterator[CorrectionRecord]:
        """Stream corrections in ``seq`` order, a batch at a time (memory stays flat)."""
        for seq, payload, forgotten in self.iter_correction_payloads(
            after_seq=after_seq, up_to_seq=up_to_seq, task=task,
            include_forgotten=include_forgotten, batch=batch,
        ):
            yield CorrectionRecord(seq=seq, correction=Correction.model_validate_json(payload),
                                   forgotten=forgotten)

    def iter_correction_payloads(
        self,
        *,
        after_seq: int = 0,
        up_to_seq: int | None = None,
        task: str | None = None,
        include_forgotten: bool = False,
        batch: int = 1000,
    ) -> Iterator[tuple[int, str, bool]]:
        """:meth:`iter_corrections` without building models: ``(seq, payload_json, forgotten)``.

        The same filters and ``seq`` order; the payload is the stored ``Correction`` JSON, for
        readers that parse it faster than pydantic does (the export pipeline).
        """
        columns = (corrections.c.seq, corrections.c.payload_json, corrections.c.forgotten)
        last = after_seq
        while True:
            query = (
                select(*columns)
                .where(corrections.c.seq > last)
                .order_by(corrections.c.seq)
                .limit(batch)
            )
            if up_to_seq is not None:
                query = query.where(corrections.c.seq <= up_to_seq)
            if task is not None:
                query = query.where(corrections.c.task == task)
            if not include_forgotten:
                query = query.where(corrections.c.forgotten.is_(False))
            with self._reader.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            for seq, payload, forgotten in rows:
                yield seq, payload, bool(forgotten)
            last = rows[-1][0]

    def item_contexts(self, item_ids: Sequence[str]) -> dict[str, str]:
        """The recorded context JSON of each of ``item_ids`` that has one (for exports)."""
        found: dict[str, str] = {}
        ids = sorted(set(item_ids))
        with self._reader.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(_ITEM_CONTEXTS, {"b_ids": ids[start:start + 500]})
                found.update({row[0]: row[1] for row in rows})
        return found

    def last_correction_seq(self) -> int:
        with self._reader.connect() as conn:
            value = conn.execute(select(func.max(corrections.c.seq))).scalar_one()
        return int(value or 0)

    def forget_corrections(self, correction_ids: Sequence[str]) -> int:
        """Mark corrections forgotten: no export or recall may use them again."""
        if not correction_ids:
            return 0
        with self.engine.begin() as conn:
            result = conn.execute(
                update(corrections)
                .where(
                    and_(corrections.c.id.in_(list(correction_ids)),
                         corrections.c.forgotten.is_(False))
                )
                .values(forgotten=True, forgotten_at=utcnow())
            )
        return int(result.rowcount)

    # -- row mapping -------------------------------------------------------------------------

    @staticmethod
    def _item(row: Any) -> ItemRecord:
        return ItemRecord(
            id=row["id"],
            thread_id=row["thread_id"] or row["id"],
            task=row["task"],
            input=json.loads(row["input_json"]),
            status=row["status"],
            prediction=Prediction.model_validate_json(row["prediction_json"])
            if row["prediction_json"]
            else None,
            uncertainty=Uncertainty.model_validate_json(row["uncertainty_json"])
            if row["uncertainty_json"]
            else None,
            decision=Decision.model_validate_json(row["decision_json"])
            if row["decision_json"]
            else None,
            final_output=json.loads(row["final_output_json"])
            if row["final_output_json"] is not None
            else None,
            final_source=row["final_source"],
            error=row["error"],
            created_at=_aware(row["created_at"]) or utcnow(),
            updated_at=_aware(row["updated_at"]) or utcnow(),
        )

    @staticmethod
    def _review(row: Any) -> ReviewRecord:
        return ReviewRecord(
            id=row["id"],
            item_id=row["item_id"],
            thread_id=row["thread_id"],
            tier=row["tier"],
            backend=row["backend"],
            state=row["state"],
            request=ReviewRequest.model_validate_json(row["request_json"]),
            outcome=ReviewOutcome.model_validate_json(row["outcome_json"])
            if row["outcome_json"]
            else None,
            interrupt_id=row["interrupt_id"],
            deadline=_aware(row["deadline"]) or utcnow(),
            created_at=_aware(row["created_at"]) or utcnow(),
            decided_at=_aware(row["decided_at"]),
            decided_by=row["decided_by"],
            resumed_at=_aware(row["resumed_at"]),
        )

    @staticmethod
    def _correction(row: Any) -> CorrectionRecord:
        return CorrectionRecord(
            seq=row["seq"],
            correction=Correction.model_validate_json(row["payload_json"]),
            forgotten=bool(row["forgotten"]),
        )

    def _reviews_where(self, condition: Any, limit: int) -> list[ReviewRecord]:
        try:
            with self._reader.connect() as conn:
                rows = (
                    conn.execute(
                        select(reviews).where(condition).order_by(reviews.c.deadline).limit(limit)
                    )
                    .mappings()
                    .all()
                )
        except OperationalError as exc:
            raise LedgerError(f"ledger query failed: {exc.orig}") from exc
        return [self._review(r) for r in rows]
