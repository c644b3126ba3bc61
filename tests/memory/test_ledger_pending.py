"""The pending reviews a resumer polls: those of the backends that do not say what changed,
earliest deadline first, read without reading the others'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from hitl_agent.memory.ledger import Ledger
from hitl_agent.review.ids import review_id
from hitl_agent.types import Decision, Prediction, ReviewOutcome, ReviewRequest, Uncertainty

START = datetime(2026, 12, 1, tzinfo=UTC)


def _open(ledger: Ledger, item: str, backend: str, hours: float) -> str:
    ledger.record_prediction(item, "spam", f"maybe win {item}",
                             Prediction(output="spam", model_id="m"))
    request = ReviewRequest(
        review_id=review_id(item), thread_id=item, task="spam", input=f"maybe win {item}",
        model_output="spam", uncertainty=Uncertainty(confidence=0.6, scorer="max_probability"),
        decision=Decision(action="escalate", reason="threshold", propensity=1.0, policy_id="t"),
        labels=["spam", "ham"], deadline=START + timedelta(hours=hours))
    return ledger.open_review(request, backend).id


def _far(ledger: Ledger, start: int, stop: int) -> None:
    for i in range(start, stop):
        _open(ledger, f"far-{i}", "far", hours=i % 7)


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_the_other_backends_pending_reviews_come_earliest_deadline_first(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (request.getfixturevalue("postgres_server").create_database() if where == "postgres"
           else str(tmp_path / "ledger.db"))
    ledger = Ledger(url)
    _far(ledger, 0, 20)
    near = [_open(ledger, f"near-{i}", "near", hours=h) for i, h in enumerate((5, 1, 3))]
    other = [_open(ledger, f"other-{i}", "other", hours=h) for i, h in enumerate((2, 4))]
    unnamed = _open(ledger, "unnamed", "", hours=6)  # a backend named "" is a backend too
    assert ledger.decide_review(near[2], ReviewOutcome(action="accept", review_id=near[2]))

    got = ledger.pending_reviews(exclude_backends=["far"])
    assert [r.id for r in got] == [near[1], other[0], other[1], near[0], unnamed]
    assert [r.id for r in ledger.pending_reviews(exclude_backends=["far"], limit=2)] == [
        near[1], other[0]]
    assert [r.id for r in ledger.pending_reviews(exclude_backends=["far", "near"])] == [
        *other, unnamed]
    assert ledger.pending_reviews(exclude_backends=["far", "near", "other", ""]) == []
    assert len(ledger.pending_reviews()) == 25  # nothing excluded: every backend's


def test_an_excluded_backends_pending_reviews_are_not_read(tmp_path: Path) -> None:
    """The work of a poll (SQLite's virtual machine steps) is the same with 100 or 1,000
    reviews pending on a backend that says what changed: none of them is read."""
    ledger = Ledger(tmp_path / "ledger.db")
    for i, hours in enumerate((3, 1)):
        _open(ledger, f"near-{i}", "near", hours=hours)
    steps = [0]

    def count(*_: Any) -> int:
        steps[0] += 1
        return 0

    def watch(conn: Any, *_: Any) -> None:
        conn.connection.driver_connection.set_progress_handler(count, 1)

    def work() -> int:
        steps[0] = 0
        event.listen(ledger.engine, "before_cursor_execute", watch)
        try:
            assert len(ledger.pending_reviews(exclude_backends=["far"])) == 2
        finally:
            event.remove(ledger.engine, "before_cursor_execute", watch)
        return steps[0]

    _far(ledger, 0, 100)
    few = work()
    _far(ledger, 100, 1000)
    many = work()
    assert few > 0 and many <= few * 1.2, (few, many)
