"""The correction store: one row per decided review, keyed by the correction id, with a
monotonically increasing ``seq`` that exports use as their position ("everything after seq N").
Forgotten corrections stay (marked) so that no export or recall uses them again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from typing_extensions import Unpack

from hitl_agent.memory.ledger.base import LedgerBase
from hitl_agent.memory.ledger.schema import (
    CorrectionRecord,
    correction_record,
    corrections,
    input_key,
    sqlite_time,
)
from hitl_agent.types import Correction, utcnow


@dataclass(frozen=True)
class RecordedBatch:
    """What :meth:`CorrectionStore.record_corrections_for_index` found in the ledger."""

    forgotten: set[str]
    """Ids the ledger marks forgotten: not to index."""
    held: set[str]
    """Ids the ledger held before the batch (forgotten or not)."""


class CorrectionFilters(TypedDict, total=False):
    after_seq: int
    up_to_seq: int | None
    task: str | None
    include_forgotten: bool
    batch: int


def _row(correction: Correction, key: str | None = None) -> dict[str, Any]:
    return {
        "id": correction.id,
        "item_id": correction.thread_id,
        "review_id": correction.review_id,
        "task": correction.task,
        "action": correction.action,
        "agreement": correction.agreement,
        "split_group": correction.split_group,
        "payload_json": correction.model_dump_json(),
        "created_at": correction.created_at,
        "decided_at": correction.decided_at,
        "forgotten": False,
        "input_key": input_key(correction.input) if key is None else key,
        "model_id": correction.model_id,
    }


_COLUMNS = ("id", "item_id", "review_id", "task", "action", "agreement", "split_group",
            "payload_json", "created_at", "decided_at", "forgotten", "input_key", "model_id")


def _sqlite_row(correction: Correction, key: str) -> tuple[Any, ...]:
    """:func:`_row`'s values in :data:`_COLUMNS` order, as SQLAlchemy's SQLite dialect writes
    them (times as text, booleans 0/1), built straight from the correction (the ingest path)."""
    c = correction
    return (c.id, c.thread_id, c.review_id, c.task, c.action, c.agreement, c.split_group,
            c.model_dump_json(), sqlite_time(c.created_at),
            None if c.decided_at is None else sqlite_time(c.decided_at), 0, key, c.model_id)


class CorrectionStore(LedgerBase):
    def record_correction(self, correction: Correction) -> bool:
        """Insert the correction once; a retried write finds the first. True if newly written."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(corrections).values(**_row(correction)))
        except IntegrityError:
            return False
        return True

    def record_indexed_corrections(self, keyed: Sequence[tuple[Correction, str]]) -> set[str]:
        """:meth:`record_corrections_for_index`'s forgotten ids (the ones not to index)."""
        return self.record_corrections_for_index(keyed).forgotten

    def record_corrections_for_index(self, keyed: Sequence[tuple[Correction, str]]
                                     ) -> RecordedBatch:
        """Write a batch of corrections in one transaction, as the correction memory indexes
        them: new ones are inserted; one the ledger holds keeps its record and takes the
        ``input_key`` it is indexed under (an agent may index a correction by another input
        than the one it recorded). Says which ids the ledger held before (only those can be in
        the index already: it is written after the ledger) and which it marks forgotten."""
        if not keyed:
            return RecordedBatch(forgotten=set(), held=set())
        ids = [c.id for c, _key in keyed]
        if self._sqlite:
            # On the driver: SQLAlchemy's per-row parameter processing costs more than the
            # insert. The same values its SQLite dialect writes (times as text, booleans 0/1).
            with self._sqlite_driver() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    before = conn.execute(
                        "SELECT id, forgotten FROM corrections WHERE id IN "
                        f"({','.join('?' * len(ids))})", ids).fetchall()
                    conn.executemany(
                        f"INSERT INTO corrections ({', '.join(_COLUMNS)}) VALUES "
                        f"({', '.join('?' * len(_COLUMNS))}) ON CONFLICT (id) DO UPDATE SET "
                        "input_key = excluded.input_key, model_id = excluded.model_id",
                        [_sqlite_row(c, key) for c, key in keyed])
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        else:
            rows = [_row(c, key) for c, key in keyed]
            stmt = postgresql.insert(corrections)
            stmt = stmt.on_conflict_do_update(
                index_elements=[corrections.c.id],
                set_={"input_key": stmt.excluded.input_key, "model_id": stmt.excluded.model_id},
            )
            with self.engine.begin() as conn:
                before = [tuple(row) for row in conn.execute(
                    select(corrections.c.id, corrections.c.forgotten)
                    .where(corrections.c.id.in_(ids)))]
                conn.execute(stmt, rows)
        return RecordedBatch(forgotten={i for i, forgotten in before if forgotten},
                             held={i for i, _forgotten in before})

    def correction_payloads(self, ids: Sequence[str]) -> dict[str, str]:
        """``{id: payload_json}`` of the live (not forgotten) corrections among ``ids``: one
        query on the primary key (recall's hot path: on SQLite, straight on the driver)."""
        if not ids:
            return {}
        if self._sqlite:
            with self._sqlite_driver() as conn:
                return dict(conn.execute(
                    "SELECT id, payload_json FROM corrections WHERE forgotten = 0 AND id IN "
                    f"({','.join('?' * len(ids))})", list(ids)).fetchall())
        with self._reader.connect() as conn:
            rows = conn.execute(
                select(corrections.c.id, corrections.c.payload_json)
                .where(corrections.c.id.in_(list(ids)), corrections.c.forgotten.is_(False))
            ).all()
        return {i: p for i, p in rows}

    def corrections_with_input_key(self, task: str, key: str,
                                   limit: int = 50) -> list[tuple[str, str]]:
        """``(id, payload_json)`` of the live corrections of ``task`` whose input has ``key``,
        newest decision first (the exact-match lookup; served by an index on both)."""
        if self._sqlite:
            with self._sqlite_driver() as conn:
                return conn.execute(
                    "SELECT id, payload_json FROM corrections WHERE task = ? AND input_key = ? "
                    "AND forgotten = 0 ORDER BY decided_at DESC LIMIT ?",
                    (task, key, limit)).fetchall()
        with self._reader.connect() as conn:
            return [(i, p) for i, p in conn.execute(
                select(corrections.c.id, corrections.c.payload_json)
                .where(corrections.c.task == task, corrections.c.input_key == key,
                       corrections.c.forgotten.is_(False))
                .order_by(corrections.c.decided_at.desc()).limit(limit)
            )]

    def get_correction(self, correction_id: str) -> CorrectionRecord | None:
        with self._reader.connect() as conn:
            row = (
                conn.execute(select(corrections).where(corrections.c.id == correction_id))
                .mappings()
                .first()
            )
        return None if row is None else correction_record(row)

    def iter_corrections(
        self, **filters: Unpack[CorrectionFilters]
    ) -> Iterator[CorrectionRecord]:
        """Stream corrections in ``seq`` order, a batch at a time (memory stays flat); the
        filters of :meth:`iter_correction_payloads`."""
        for seq, payload, forgotten in self.iter_correction_payloads(**filters):
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
