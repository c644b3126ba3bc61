"""The correction store: one row per decided review, keyed by the correction id, with a
monotonically increasing ``seq`` that exports use as their position ("everything after seq N").
Forgotten corrections stay (marked) so that no export or recall uses them again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypedDict

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from typing_extensions import Unpack

from hitl_agent.memory.ledger.base import LedgerBase
from hitl_agent.memory.ledger.schema import CorrectionRecord, correction_record, corrections
from hitl_agent.types import Correction, utcnow


class CorrectionFilters(TypedDict, total=False):
    after_seq: int
    up_to_seq: int | None
    task: str | None
    include_forgotten: bool
    batch: int


class CorrectionStore(LedgerBase):
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
