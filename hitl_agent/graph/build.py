"""``build_review_graph``: the review loop as a compiled LangGraph graph, in one call.

A thin convenience over :class:`~hitl_agent.graph.loop.ReviewLoop`:
``build_review_graph(checkpointer=c, **parts)`` is ``ReviewLoop(**parts).compile(c)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langgraph.types import Durability

from hitl_agent.graph.internals import CONFIG_KEY_DURABILITY
from hitl_agent.graph.loop import Checkpointing, Graph, ReviewLoop
from hitl_agent.memory.base import CorrectionRecall
from hitl_agent.models.base import ModelAdapter
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.types import TimeoutFallback
from hitl_agent.uncertainty.base import Scorer

if TYPE_CHECKING:
    from hitl_agent.memory.ledger import Ledger

__all__ = ["Checkpointing", "build_review_graph"]

_DEPRECATED = (CONFIG_KEY_DURABILITY,)  # importable here for one release (graph.internals now)


def build_review_graph(
    *,
    model: ModelAdapter | Callable[..., Any],
    scorer: Scorer,
    policy: EscalationPolicy,
    reviews: ReviewBackend | Sequence[ReviewBackend],
    ledger: Ledger | str | Path,
    checkpointer: Checkpointing = None,
    memory: CorrectionRecall | None = None,
    task: str = "classification",
    labels: Sequence[str] | None = None,
    review_timeout: timedelta | float = timedelta(days=3),
    timeout_fallback: TimeoutFallback = "accept",
    final_fallback: Literal["accept", "reject"] = "accept",
    template: str | None = None,
    memory_signal_weight: float = 0.0,
    name: str = "review",
    durability: Durability = "exit",
) -> Graph:
    """``ReviewLoop(...).compile(checkpointer)``: see :class:`ReviewLoop` for the arguments.

    Use the :class:`ReviewLoop` itself to also get its resumer (``loop.resumer(graph)``) or a
    node for your own graph (``loop.node(...)``).
    """
    loop = ReviewLoop(
        model=model, scorer=scorer, policy=policy, reviews=reviews, ledger=ledger,
        memory=memory, task=task, labels=labels, review_timeout=review_timeout,
        timeout_fallback=timeout_fallback, final_fallback=final_fallback, template=template,
        memory_signal_weight=memory_signal_weight, name=name, durability=durability,
    )
    return loop.compile(checkpointer)
