"""A review backend whose reviewer is a Python callable: for demos, evaluations and tests."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

from hitl_agent.errors import ReviewError, ReviewNotFound
from hitl_agent.review.base import ReviewState, ReviewStatus
from hitl_agent.storage.engine import connect_sqlite
from hitl_agent.types import HumanAnswer, ReviewOutcome, ReviewRequest

ReviewerResult = ReviewOutcome | dict[str, Any] | None
Reviewer = Callable[[ReviewRequest], ReviewerResult]
"""Answers a request with an outcome (or its fields as a dict), or ``None`` while not ready."""


class InProcessReviews:
    """Reviews answered by ``reviewer`` in this process.

    - With a reviewer and ``answers_synchronously=True`` (the default), the graph gets the answer
      right after ``start`` and never has to pause.
    - With ``answers_synchronously=False`` the reviewer is asked when someone polls ``status``;
      the graph pauses at its interrupt and a :class:`~hitl_agent.graph.resumer.Resumer` resumes it.
    - With no reviewer, reviews wait for :meth:`answer` (a person at a console, a test).

    ``path`` keeps the reviews in a SQLite file, so they survive a crash of the process.
    """

    name = "in_process"

    def __init__(
        self,
        reviewer: Reviewer | None = None,
        *,
        answers_synchronously: bool | None = None,
        path: str | Path | None = None,
    ) -> None:
        self.reviewer = reviewer
        self.answers_synchronously = (
            reviewer is not None if answers_synchronously is None else answers_synchronously
        )
        if self.answers_synchronously and reviewer is None:
            raise ReviewError("answers_synchronously needs a reviewer", field="reviewer")
        self._lock = threading.RLock()
        self.path = Path(path) if path is not None else None
        self._db: sqlite3.Connection | None = None

    @property
    def _conn(self) -> sqlite3.Connection:
        # Opened on first use, so that building a graph does no I/O (``langgraph dev`` runs
        # graph factories on its event loop).
        if self._db is None:
            with self._lock:
                if self._db is None:
                    if self.path is not None:
                        self.path.parent.mkdir(parents=True, exist_ok=True)
                    conn = connect_sqlite(self.path if self.path is not None else ":memory:",
                                          what="in-process reviews", field="path")
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS in_process_reviews ("
                        " id TEXT PRIMARY KEY, request_json TEXT NOT NULL, outcome_json TEXT,"
                        " state TEXT NOT NULL)")
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS in_process_changes ("
                        " seq INTEGER PRIMARY KEY AUTOINCREMENT, review_id TEXT NOT NULL)")
                    # Written by the same statement that answers or stops a review (atomic).
                    conn.execute(
                        "CREATE TRIGGER IF NOT EXISTS in_process_changed AFTER UPDATE OF state"
                        " ON in_process_reviews WHEN NEW.state != OLD.state"
                        " BEGIN INSERT INTO in_process_changes (review_id) VALUES (NEW.id); END")
                    self._db = conn
        return self._db

    # -- ReviewBackend -----------------------------------------------------------------------

    def start(self, request: ReviewRequest) -> str:
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO in_process_reviews (id, request_json, state)"
                " VALUES (?, ?, 'pending')",
                (request.review_id, request.model_dump_json()),
            )
        if self.answers_synchronously:
            self._ask(request.review_id)
        return request.review_id

    def status(self, review_id: str) -> ReviewStatus:
        row = self._row(review_id)
        if row is None:
            return ReviewStatus(review_id, "missing")
        state = cast(ReviewState, row[2])
        if state == "pending" and self.reviewer is not None:
            state = "completed" if self._ask(review_id) is not None else "pending"
        return ReviewStatus(review_id, state)

    def result(self, review_id: str) -> ReviewOutcome | None:
        row = self._row(review_id)
        if row is None:
            raise ReviewNotFound(f"no in-process review {review_id!r}", review_id=review_id)
        if row[1] is not None:
            return ReviewOutcome.model_validate_json(row[1])
        if self.reviewer is not None:
            return self._ask(review_id)
        return None

    def stop(self, review_id: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE in_process_reviews SET state='stopped' WHERE id=? AND state='pending'",
                (review_id,),
            )

    def changed_reviews(self, cursor: str | None) -> tuple[list[str], str] | None:
        """Reviews answered or stopped after ``cursor`` (see ``ReviewChangeFeed``). A reviewer
        function asked when polled answers nothing until polled, so that backend cannot tell."""
        if self.reviewer is not None:
            return None
        with self._lock:
            if cursor is None:
                head = self._conn.execute("SELECT MAX(seq) FROM in_process_changes").fetchone()
                return [], str(head[0] or 0)
            rows = self._conn.execute(
                "SELECT seq, review_id FROM in_process_changes WHERE seq > ? ORDER BY seq"
                " LIMIT 10000", (int(cursor),)).fetchall()
        if not rows:
            return [], cursor
        return list(dict.fromkeys(r[1] for r in rows)), str(rows[-1][0])

    # -- manual answers ----------------------------------------------------------------------

    def answer(self, review_id: str, outcome: Any) -> ReviewOutcome:
        """Record an answer given outside a reviewer function (first answer wins).

        ``outcome``: anything a review is resumed with (a :class:`ReviewOutcome` or its dict,
        LangChain's ``{"decisions": [...]}``, Agent Inbox's ``[HumanResponse]``); one that does
        not fit the review raises :class:`~hitl_agent.errors.ValidationError`."""
        if self._row(review_id) is None:
            raise ReviewNotFound(f"no in-process review {review_id!r}", review_id=review_id)
        return self._store(review_id, outcome)

    def pending(self) -> list[ReviewRequest]:
        rows = self._conn.execute(
            "SELECT request_json FROM in_process_reviews WHERE state='pending'"
        ).fetchall()
        return [ReviewRequest.model_validate_json(r[0]) for r in rows]

    def get_request(self, review_id: str) -> ReviewRequest:
        row = self._row(review_id)
        if row is None:
            raise ReviewNotFound(f"no in-process review {review_id!r}", review_id=review_id)
        return ReviewRequest.model_validate_json(row[0])

    # -- internals ---------------------------------------------------------------------------

    def _row(self, review_id: str) -> tuple[str, str | None, str] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT request_json, outcome_json, state FROM in_process_reviews WHERE id=?",
                (review_id,),
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def _ask(self, review_id: str) -> ReviewOutcome | None:
        row = self._row(review_id)
        if row is None or self.reviewer is None:
            return None
        if row[1] is not None:
            return ReviewOutcome.model_validate_json(row[1])
        request = ReviewRequest.model_validate_json(row[0])
        raw = self.reviewer(request)
        if raw is None:
            return None
        return self._store(review_id, raw)

    def _store(self, review_id: str, raw: Any) -> ReviewOutcome:
        from hitl_agent.review.decisions import outcome_from_answer

        row = self._row(review_id)
        if row is None:  # pragma: no cover - callers checked
            raise ReviewNotFound(f"no in-process review {review_id!r}", review_id=review_id)
        request = ReviewRequest.model_validate_json(row[0])
        outcome = outcome_from_answer(request, raw)  # ValidationError: field and rule named
        update: dict[str, Any] = {"review_id": review_id}
        if outcome.source == "manual":
            update["source"] = "in_process"
        outcome = outcome.model_copy(update=update)
        with self._lock:
            self._conn.execute(
                "UPDATE in_process_reviews SET outcome_json=?, state='completed'"
                " WHERE id=? AND outcome_json IS NULL",
                (outcome.model_dump_json(), review_id),
            )
            stored = self._conn.execute(
                "SELECT outcome_json FROM in_process_reviews WHERE id=?", (review_id,)
            ).fetchone()
        return ReviewOutcome.model_validate_json(stored[0])


def outcome_from_label(
    request: ReviewRequest, label: Any, *, worker_id: str, answer_key: str = "label"
) -> ReviewOutcome:
    """Outcome of one reviewer who chose ``label``: accept if it is the model's, else edit."""
    action: Literal["accept", "edit"] = "accept" if label == request.model_output else "edit"
    return ReviewOutcome(
        action=action,
        final_output=label,
        agreement=1.0,
        answers=[HumanAnswer(answer_content={answer_key: json.loads(json.dumps(label))},
                             worker_id=worker_id)],
        source="in_process",
        review_id=request.review_id,
        reviewer_tier=request.tier,
    )
