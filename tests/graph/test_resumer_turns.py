"""A Resumer pass polls at most ``poll_limit`` reviews: the earliest-deadline half every pass and
the others a page at a time in turn, so no pending review waits for its deadline to be seen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hitl_agent import InProcessReviews, Resumer
from hitl_agent.errors import ValidationError
from hitl_agent.graph.batch import run_batch
from hitl_agent.review.base import ReviewStatus
from tests.helpers.graphs import make_graph


class CountingReviews(InProcessReviews):
    """In-process reviews whose status calls are counted (``asked``: which reviews)."""

    def __init__(self, reviewer: Any = None) -> None:
        super().__init__(reviewer, answers_synchronously=False if reviewer else None)
        self.asked: list[str] = []

    def status(self, review_id: str) -> ReviewStatus:
        self.asked.append(review_id)
        return super().status(review_id)


def _waiting(tmp_path: Path, reviews: CountingReviews, n: int = 25) -> tuple[Any, list[str]]:
    graph = make_graph(tmp_path, reviews)
    run_batch(graph, [(f"t{i:02d}", f"maybe win {i}") for i in range(n)])
    ledger = Resumer.for_graph(graph).ledger
    ordered = [r.id for r in ledger.pending_reviews()]  # earliest deadline first
    assert len(ordered) == n
    return graph, ordered


def test_a_polled_backend_is_gone_through_a_page_a_pass(tmp_path: Path) -> None:
    answers: dict[str, dict[str, Any]] = {}
    reviews = CountingReviews(lambda r: answers.get(r.review_id))
    assert reviews.changed_reviews(None) is None  # it cannot say what changed: polled
    graph, o = _waiting(tmp_path, reviews)
    resumer = Resumer.for_graph(graph, poll_limit=10)

    def one_pass() -> tuple[list[str], list[str]]:
        reviews.asked.clear()
        report = resumer.run_once()
        return list(reviews.asked), report.resumed

    asked, _ = one_pass()
    assert asked == o[0:5] + o[5:10]
    answers[o[1]] = answers[o[22]] = {"action": "accept"}
    asked, resumed = one_pass()  # the earliest five every pass, the next page of the others
    assert asked == o[0:5] + o[10:15] and resumed == [o[1]]
    asked, resumed = one_pass()
    assert asked == [o[0], *o[2:6]] + o[15:20] and resumed == []
    asked, resumed = one_pass()  # a review far down the queue: its turn came
    assert asked == [o[0], *o[2:6]] + o[20:25] and resumed == [o[22]]
    asked, _ = one_pass()  # the end of the turn: the next one starts in the same pass
    assert asked == [o[0], *o[2:6]] + o[6:10] + [o[10]]


def test_a_backend_that_says_what_changed_is_polled_on_the_first_pass_only(
    tmp_path: Path,
) -> None:
    """What was answered before the resumer started, the feed cannot tell: the first pass polls
    the backend's reviews with the others' (a page of them); then the feed alone."""
    reviews = CountingReviews()
    graph, o = _waiting(tmp_path, reviews)
    reviews.answer(o[2], {"action": "accept"})  # before the resumer starts
    resumer = Resumer.for_graph(graph, poll_limit=10)
    assert resumer.run_once().resumed == [o[2]] and reviews.asked == o[0:10]
    reviews.asked.clear()
    reviews.answer(o[17], {"action": "accept"})
    assert resumer.run_once().resumed == [o[17]] and reviews.asked == [o[17]]


def test_poll_limit_is_checked(tmp_path: Path) -> None:
    graph = make_graph(tmp_path, CountingReviews())
    with pytest.raises(ValidationError) as err:
        Resumer.for_graph(graph, poll_limit=1)
    assert err.value.field == "poll_limit"
