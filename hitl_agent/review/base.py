"""The review-backend protocol: how the graph starts, reads and stops human reviews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from hitl_agent.types import ReviewOutcome, ReviewRequest

ReviewState = Literal["pending", "completed", "failed", "stopped", "expired", "missing"]


@dataclass(frozen=True)
class ReviewStatus:
    review_id: str
    state: ReviewState
    failure_reason: str | None = None


@runtime_checkable
class ReviewBackend(Protocol):
    """A place where people answer :class:`ReviewRequest` s.

    ``start`` is idempotent on ``request.review_id``: starting the same review again returns the
    existing one instead of opening a second. ``answers_synchronously`` tells the graph whether
    ``result`` is available right after ``start`` (an in-process reviewer function) so the graph can
    skip the interrupt, or whether it must wait and be resumed.
    """

    name: str
    answers_synchronously: bool

    def start(self, request: ReviewRequest) -> str:
        """Open the review (or find the open one); return the backend's handle for it."""
        ...

    def status(self, review_id: str) -> ReviewStatus:
        ...

    def result(self, review_id: str) -> ReviewOutcome | None:
        """The aggregated outcome once the review is completed, else ``None``."""
        ...

    def stop(self, review_id: str) -> None:
        ...


@runtime_checkable
class ReviewChangeFeed(Protocol):
    """A backend that can say which reviews changed since a cursor (an event log, A2I's
    EventBridge events): a :class:`~hitl_agent.graph.resumer.Resumer` pass then asks about those
    reviews only, instead of about every pending one."""

    def changed_reviews(self, cursor: str | None) -> tuple[list[str], str] | None:
        """The ids of reviews whose status changed after ``cursor`` (oldest first) and the
        cursor to ask with next; with ``cursor=None``, no ids and the cursor of now. ``None``
        when this backend cannot tell (then every pending review is polled)."""
        ...

