"""The item journal: one row per item (thread) with its input, prediction, routing decision and
final outcome. A thread id reused with a different input is refused.

Every path that may meet a new item goes through :meth:`ItemJournal._insert_item` (an
``INSERT … ON CONFLICT DO NOTHING`` with every column), then updates the row it found when the
item existed already: one way to create an item, whatever step sees it first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, Text, and_, bindparam, func, select, update

from hitl_agent.canonical import canonical_json, content_hash, text_hash
from hitl_agent.errors import ThreadInputConflict
from hitl_agent.memory.ledger.base import LedgerBase
from hitl_agent.memory.ledger.schema import (
    ItemRecord,
    ItemState,
    item_record,
    items,
    sqlite_time,
)
from hitl_agent.types import Decision, Prediction, Uncertainty, utcnow

_ITEM_COLUMNS = tuple(c.name for c in items.columns)

# On SQLite the insert runs on the driver: SQLAlchemy's statement machinery cost ten times the
# write itself on the hot path (benchmarks/loop_throughput.py).
_SQLITE_INSERT = (
    f"INSERT INTO items ({', '.join(_ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(_ITEM_COLUMNS))})"
    " ON CONFLICT (id) DO NOTHING"
)

# Plain SQL on the driver for the one read of the hot path; indexed by "is SQLite" for the
# parameter style.
_CHECK_ITEM_SQL = {
    flag: "SELECT input_hash, status, prediction_json, final_output_json, final_source"
    f" FROM items WHERE id = {mark}"
    for flag, mark in ((True, "?"), (False, "%s"))
}

# Statements built once with bind parameters: building one per call cost more than running it.
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


def _thread_input_conflict(item_id: str) -> ThreadInputConflict:
    return ThreadInputConflict(
        f"thread {item_id!r} already holds a different input; use a new thread id for a new "
        "input",
        field="thread_id",
        thread_id=item_id,
    )


def _item_state(item_id: str, input_value: Any, input_hash: str, status: str,
                prediction_json: str | None, final_json: str | None,
                final_source: str | None) -> ItemState:
    if input_hash != content_hash(input_value):
        raise _thread_input_conflict(item_id)
    return ItemState(
        status=status,
        prediction=Prediction.model_validate_json(prediction_json) if prediction_json else None,
        final_output=json.loads(final_json) if final_json is not None else None,
        final_source=final_source,
    )


class ItemJournal(LedgerBase):
    _insert_stmt: Any = None

    def _insert_item(
        self, conn: Connection | None, item_id: str, *, task: str, input_value: Any,
        thread_id: str | None, status: str, **columns: Any,
    ) -> bool:
        """Create the item with these columns unless it exists; True if this call created it.
        With no ``conn`` the insert is its own transaction."""
        now = columns.pop("now", None) or utcnow()
        row = dict.fromkeys(_ITEM_COLUMNS)
        input_json = canonical_json(input_value)
        row.update(id=item_id, thread_id=thread_id or item_id, task=task,
                   input_json=input_json, input_hash=text_hash(input_json),
                   status=status, created_at=now, updated_at=now, **columns)
        if self._sqlite:
            row["created_at"] = row["updated_at"] = sqlite_time(now)
            values = tuple(row[c] for c in _ITEM_COLUMNS)
            if conn is None:  # one statement in autocommit: its own transaction
                with self._sqlite_driver() as db:
                    return bool(db.execute(_SQLITE_INSERT, values).rowcount)
            # On the driver, inside the caller's transaction.
            driver = conn.connection.driver_connection
            return bool(driver.execute(_SQLITE_INSERT, values).rowcount)  # type: ignore[union-attr]
        if conn is None:
            with self.engine.begin() as own:
                return self._insert_item(own, item_id, task=task, input_value=input_value,
                                         thread_id=thread_id, status=status, now=now, **columns)
        if self._insert_stmt is None:
            from sqlalchemy.dialects import postgresql

            self._insert_stmt = (
                postgresql.insert(items)
                .values({c: bindparam(f"n_{c}") for c in _ITEM_COLUMNS})
                .on_conflict_do_nothing()
                .returning(items.c.id)  # rowcount is not reliable here on every driver
            )
        params = {f"n_{c}": v for c, v in row.items()}
        return conn.execute(self._insert_stmt, params).first() is not None

    def check_item(self, item_id: str, input_value: Any) -> ItemState | None:
        """What the graph needs to know of a known item before running it (read only): its
        status, journaled prediction and final output. Another input under the id is refused."""
        if self._sqlite:
            with self._sqlite_driver() as db:
                row = db.execute(_CHECK_ITEM_SQL[True], (item_id,)).fetchone()
        else:
            with self._reader.connect() as conn:
                row = conn.exec_driver_sql(_CHECK_ITEM_SQL[False], (item_id,)).first()
        return None if row is None else _item_state(item_id, input_value, *row)

    def check_items(self, pairs: Sequence[tuple[str, Any]]) -> dict[str, ItemState]:
        """:meth:`check_item` for many ``(item_id, input)`` pairs in one read per 500: the
        known items' states by id (new items are absent)."""
        out: dict[str, ItemState] = {}
        inputs = dict(pairs)
        ids = list(inputs)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            query = (select(items.c.id, items.c.input_hash, items.c.status,
                            items.c.prediction_json, items.c.final_output_json,
                            items.c.final_source).where(items.c.id.in_(chunk)))
            with self._reader.connect() as conn:
                rows = conn.execute(query).all()
            for item_id, *row in rows:
                out[item_id] = _item_state(item_id, inputs[item_id], *row)
        return out

    def record_prediction(
        self, item_id: str, task: str, input_value: Any, prediction: Prediction
    ) -> Prediction:
        """Journal the model's prediction, once: a re-run after a crash gets the first one back
        (so a non-deterministic model is never asked twice for the same item)."""
        now = utcnow()
        with self.engine.begin() as conn:
            if self._insert_item(conn, item_id, task=task, input_value=input_value,
                                 thread_id=None, status="predicted", now=now,
                                 prediction_json=prediction.model_dump_json()):
                return prediction
            row = conn.execute(
                select(items.c.input_hash, items.c.prediction_json).where(items.c.id == item_id)
            ).one()
            if row.input_hash != content_hash(input_value):
                raise _thread_input_conflict(item_id)
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
        row = RoutingRow(item_id, uncertainty, decision, task=task, input_value=input_value,
                         prediction=prediction, final_output=final_output,
                         final_source=final_source, thread_id=thread_id, context=context)
        # Usually the item is new: one INSERT in autocommit is the whole write.
        if self._sqlite and prediction is not None and task is not None and self._route_items(
                None, [row], try_insert_only=True):
            return
        with self.engine.begin() as conn:
            self._route_items(conn, [row])

    def route_items(self, rows: list[RoutingRow]) -> None:
        """:meth:`record_routing` for many items in one transaction (one commit: the group
        commit of a batch). Each row is idempotent as in :meth:`record_routing`."""
        with self.engine.begin() as conn:
            self._route_items(conn, rows)

    def _route_items(self, conn: Connection | None, rows: list[RoutingRow], *,
                     try_insert_only: bool = False) -> bool:
        now = utcnow()
        for r in rows:
            status = "pending_review" if r.decision.action == "escalate" else "accepted"
            if r.final_source is not None:
                status = "finished"
            prediction_json = r.prediction.model_dump_json() if r.prediction is not None else None
            final_json = canonical_json(r.final_output) if r.final_source is not None else None
            uncertainty_json = r.uncertainty.model_dump_json()
            decision_json = r.decision.model_dump_json()
            context_json = canonical_json(r.context) if r.context is not None else None
            if r.prediction is not None and r.task is not None and self._insert_item(
                conn, r.item_id, task=r.task, input_value=r.input_value, thread_id=r.thread_id,
                status=status, now=now, prediction_json=prediction_json,
                uncertainty_json=uncertainty_json, decision_json=decision_json,
                confidence=r.uncertainty.confidence, routing=r.decision.action,
                final_output_json=final_json, final_source=r.final_source,
                context_json=context_json,
            ):
                continue
            if try_insert_only or conn is None:
                return False
            conn.execute(_ROUTE_ITEM, {
                "b_id": r.item_id, "b_prediction": prediction_json,
                "b_uncertainty": uncertainty_json, "b_decision": decision_json,
                "b_confidence": r.uncertainty.confidence, "b_routing": r.decision.action,
                "b_status": status, "b_final": final_json, "b_source": r.final_source,
                "b_context": context_json, "b_now": now,
            })
        return True

    def mark_failed(
        self, item_id: str, task: str, input_value: Any, error: str, *,
        thread_id: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            if not self._insert_item(conn, item_id, task=task, input_value=input_value,
                                     thread_id=thread_id, status="failed", error=error):
                conn.execute(
                    update(items)
                    .where(and_(items.c.id == item_id, items.c.status != "finished"))
                    .values(status="failed", error=error, updated_at=utcnow())
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
        values: dict[str, Any] = dict(final_output_json=canonical_json(final_output),
                                      final_source=final_source, error=None)
        if context is not None:
            values["context_json"] = canonical_json(context)
        with self.engine.begin() as conn:
            if task is not None and self._insert_item(
                conn, item_id, task=task, input_value=input_value, thread_id=thread_id,
                status="finished", **values,
            ):
                return
            conn.execute(update(items).where(items.c.id == item_id).values(
                status="finished", updated_at=utcnow(), **values))

    def item_contexts(self, item_ids: Sequence[str]) -> dict[str, str]:
        """The recorded context JSON of each of ``item_ids`` that has one (for exports)."""
        found: dict[str, str] = {}
        ids = sorted(set(item_ids))
        with self._reader.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(_ITEM_CONTEXTS, {"b_ids": ids[start:start + 500]})
                found.update({row[0]: row[1] for row in rows})
        return found

    def get_item(self, item_id: str) -> ItemRecord | None:
        with self._reader.connect() as conn:
            row = conn.execute(select(items).where(items.c.id == item_id)).mappings().first()
        return None if row is None else item_record(row)

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
                yield item_record(row)
            last = rows[-1]["id"]


@dataclass(slots=True)
class RoutingRow:
    """One item's routing, as :meth:`ItemJournal.route_items` writes it."""

    item_id: str
    uncertainty: Uncertainty
    decision: Decision
    task: str | None = None
    input_value: Any = None
    prediction: Prediction | None = None
    final_output: Any = None
    final_source: str | None = None
    thread_id: str | None = None
    context: dict[str, Any] | None = None
