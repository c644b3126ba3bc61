"""Answer a waiting review from any UI, exactly once.

``answer_review(resumer, review_id, answer)`` takes the answer in whichever shape the UI speaks (a
:class:`~hitl_agent.types.ReviewOutcome`, a LangChain decision or ``{"decisions": [...]}``, an
Agent Inbox ``[HumanResponse]``), turns it into an outcome against the request stored in the
ledger, and hands it to :meth:`Resumer.answer`: compare-and-set ``pending → decided``, then one
``Command(resume={interrupt_id: outcome})``. A second answer for the same review raises
:class:`~hitl_agent.errors.AlreadyDecided` and resumes nothing.
"""

from __future__ import annotations

from typing import Any

from hitl_agent.errors import ReviewNotFound
from hitl_agent.graph.resumer import Resumer
from hitl_agent.review.decisions import outcome_from_answer
from hitl_agent.types import ReviewOutcome

__all__ = ["answer_review", "to_outcome"]


def to_outcome(resumer: Resumer, review_id: str, answer: Any, *,
               worker_id: str | None = None) -> ReviewOutcome:
    """The outcome ``answer`` stands for, read against the review's stored request
    (:func:`~hitl_agent.review.decisions.outcome_from_answer`)."""
    review = resumer.ledger.get_review(review_id)
    if review is None:
        raise ReviewNotFound(f"no review {review_id!r} in the ledger", review_id=review_id)
    return outcome_from_answer(review.request, answer, worker_id=worker_id)


def answer_review(resumer: Resumer, review_id: str, answer: Any, *,
                  worker_id: str | None = None) -> ReviewOutcome:
    """Decide ``review_id`` with ``answer`` and resume its graph; returns the outcome used.

    Same as :meth:`Resumer.answer`. Raises :class:`AlreadyDecided` when the review is no longer
    pending (no double resume), and :class:`~hitl_agent.errors.ValidationError` when the answer
    does not fit the review.
    """
    return resumer.answer(review_id, answer, worker_id=worker_id)
