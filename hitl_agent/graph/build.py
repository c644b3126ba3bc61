"""``build_review_graph``: the review loop as a compiled LangGraph graph, in one call.

A thin convenience over :class:`~hitl_agent.graph.loop.ReviewLoop`:
``build_review_graph(checkpointer=c, **parts)`` is ``ReviewLoop(**parts).compile(c)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NotRequired, Required, TypedDict, Unpack

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


class ReviewLoopArguments(TypedDict):
    """The keyword arguments of :class:`ReviewLoop` (a test holds the two together)."""

    model: Required[ModelAdapter | Callable[..., Any]]
    scorer: Required[Scorer]
    policy: Required[EscalationPolicy]
    reviews: Required[ReviewBackend | Sequence[ReviewBackend]]
    ledger: Required[Ledger | str | Path]
    memory: NotRequired[CorrectionRecall | None]
    task: NotRequired[str]
    labels: NotRequired[Sequence[str] | None]
    review_timeout: NotRequired[timedelta | float]
    timeout_fallback: NotRequired[TimeoutFallback]
    final_fallback: NotRequired[Literal["accept", "reject"]]
    template: NotRequired[str | None]
    memory_signal_weight: NotRequired[float]
    name: NotRequired[str]
    durability: NotRequired[Durability]


def build_review_graph(
    *, checkpointer: Checkpointing = None, **parts: Unpack[ReviewLoopArguments]
) -> Graph:
    """``ReviewLoop(**parts).compile(checkpointer)``: see :class:`ReviewLoop` for the arguments.

    Use the :class:`ReviewLoop` itself to also get its resumer (``loop.resumer(graph)``) or a
    node for your own graph (``loop.node(...)``).
    """
    return ReviewLoop(**parts).compile(checkpointer)
