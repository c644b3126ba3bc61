"""The review queue: one row per human review the graph opened, keyed by the deterministic
review id.

Its ``state`` moves ``pending → decided → resumed`` by compare-and-set, so two workers racing to
resume the same item resume it once; a decided review carries a resume lease, and a resumer that
died holding one is replaced once the lease has run out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from hitl_agent.errors import LedgerError
from hitl_agent.memory.ledger.base import LedgerBase
from hitl_agent.memory.ledger.schema import ReviewRecord, items, review_record, reviews
from hitl_agent.types import ReviewOutcome, ReviewRequest, utcnow


class ReviewQueue(LedgerBase):
    def open_review(self, request: ReviewRequest, backend: str) -> ReviewRecord:
        """Insert the review as ``pending``, or return the row a previous run inserted.

        The stored request wins, so a re-run dispatch sees the same deadline as the first one.
        """
        try:
            with self.engine.begin() as conn:
                now = utcnow()
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
                        created_at=now,
                    )
                )
                conn.execute(
                    update(items)
                    .where(items.c.id == request.item)
                    .values(status="pending_review", updated_at=now)
                )
        except IntegrityError:
            pass
        record = self.get_review(request.review_id)
        if record is None:  # pragma: no cover - the insert or an earlier one made it
            raise LedgerError(f"review {request.review_id!r} vanished after it was written",
                              review_id=request.review_id)
        return record

    def get_review(self, review_id: str) -> ReviewRecord | None:
        with self._reader.connect() as conn:
            row = conn.execute(select(reviews).where(reviews.c.id == review_id)).mappings().first()
        return None if row is None else review_record(row)

    def reviews_for_item(self, item_id: str) -> list[ReviewRecord]:
        with self._reader.connect() as conn:
            rows = conn.execute(
                select(reviews).where(reviews.c.item_id == item_id).order_by(reviews.c.tier)
            ).mappings().all()
        return [review_record(r) for r in rows]

    def pending_reviews(self, *, limit: int = 1000, exclude_backends: Sequence[str] = (),
                        after: tuple[datetime, str] | None = None) -> list[ReviewRecord]:
        """Pending reviews in ``(deadline, id)`` order, earliest first, except those of
        ``exclude_backends``; ``after``: only those past that ``(deadline, id)`` (the last one
        of the page before).

        An excluded backend's reviews are never read: a resumer that such a backend tells what
        changed reads none of its pending reviews, however many there are. The backends holding
        pending reviews are found by a seek each in ``(state, backend, deadline, id)``, then
        each other backend's first ``limit`` are read in order from the same index, and only
        the ``limit`` kept of them are parsed.
        """
        pending = reviews.c.state == "pending"
        if after is not None:
            deadline, review_id = after
            # ``deadline >=`` first: a range of the index, not a scan from its start
            pending = and_(pending, reviews.c.deadline >= deadline,
                           or_(reviews.c.deadline > deadline, reviews.c.id > review_id))
        if not exclude_backends:
            return self._reviews_where(pending, limit)
        excluded = set(exclude_backends)
        try:
            with self._reader.connect() as conn:
                rows = [row for backend in _pending_backends(conn) if backend not in excluded
                        for row in _review_rows(conn, and_(pending, reviews.c.backend == backend),
                                                limit)]
        except OperationalError as exc:
            raise LedgerError(f"ledger query failed: {exc.orig}") from exc
        rows.sort(key=lambda row: (row["deadline"], row["id"]))
        return [review_record(row) for row in rows[:limit]]

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

    def _reviews_where(self, condition: Any, limit: int) -> list[ReviewRecord]:
        try:
            with self._reader.connect() as conn:
                rows = _review_rows(conn, condition, limit)
        except OperationalError as exc:
            raise LedgerError(f"ledger query failed: {exc.orig}") from exc
        return [review_record(r) for r in rows]


def _review_rows(conn: Connection, condition: Any, limit: int) -> Sequence[RowMapping]:
    """The first ``limit`` rows of ``condition`` in ``(deadline, id)`` order."""
    return conn.execute(
        select(reviews).where(condition).order_by(reviews.c.deadline, reviews.c.id).limit(limit)
    ).mappings().all()


def _pending_backends(conn: Connection) -> Iterator[str]:
    """The backends holding pending reviews, in name order: a seek each in
    ``ix_reviews_state_backend_deadline``, however many reviews each holds."""
    backend: str | None = None
    while True:
        further = () if backend is None else (reviews.c.backend > backend,)
        backend = conn.execute(
            select(reviews.c.backend).where(reviews.c.state == "pending", *further)
            .order_by(reviews.c.state, reviews.c.backend).limit(1)
        ).scalar()
        if backend is None:
            return
        yield backend
