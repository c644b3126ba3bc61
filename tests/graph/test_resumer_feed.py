"""A Resumer pass over a backend that says what changed asks about those reviews only."""

from __future__ import annotations

from pathlib import Path

from hitl_agent import InProcessReviews, Resumer
from hitl_agent.graph.batch import run_batch
from hitl_agent.review.base import ReviewChangeFeed, ReviewStatus
from tests.helpers.graphs import make_graph


class CountingReviews(InProcessReviews):
    def __init__(self) -> None:
        super().__init__()
        self.status_calls = 0

    def status(self, review_id: str) -> ReviewStatus:
        self.status_calls += 1
        return super().status(review_id)


def test_a_pass_asks_about_the_changed_reviews_only(tmp_path: Path) -> None:
    reviews = CountingReviews()
    assert isinstance(reviews, ReviewChangeFeed)
    graph = make_graph(tmp_path, reviews)
    run_batch(graph, [(f"t{i}", f"maybe win {i}") for i in range(30)])
    resumer = Resumer.for_graph(graph)

    first = resumer.run_once()  # it cannot know what changed before it started: polls all
    assert reviews.status_calls == 30 and first.still_pending == 30

    reviews.status_calls = 0
    answered = [r.review_id for r in reviews.pending()[:3]]
    for review_id in answered:
        reviews.answer(review_id, {"action": "edit", "final_output": "ham"})
    second = resumer.run_once()
    assert sorted(second.resumed) == sorted(answered)
    assert reviews.status_calls == 3

    reviews.status_calls = 0
    assert resumer.run_once().resumed == [] and reviews.status_calls == 0
    counts = graph.hitl_parts.ledger.counts()
    assert counts["reviews.pending"] == 27 and counts["items.finished"] == 3


def test_a_reviewer_function_asked_on_poll_is_polled_every_pass(tmp_path: Path) -> None:
    reviews = InProcessReviews(lambda r: None, answers_synchronously=False)
    assert reviews.changed_reviews(None) is None
