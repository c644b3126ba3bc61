"""``build_review_graph``: the review loop as a compiled LangGraph graph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Durability

try:  # where invoke() reads its default durability from (no public setter exists)
    from langgraph._internal._constants import CONFIG_KEY_DURABILITY
except ImportError:  # pragma: no cover - older or newer layouts
    CONFIG_KEY_DURABILITY = "__pregel_durability"

from hitl_agent.data_folder import checkpoints_beside
from hitl_agent.errors import ConfigError
from hitl_agent.graph.checkpoint import open_checkpointer
from hitl_agent.graph.nodes import ReviewLoopParts, ReviewNodes
from hitl_agent.graph.state import ReviewGraphInput, ReviewGraphState
from hitl_agent.memory.base import CorrectionRecall
from hitl_agent.memory.ledger import Ledger
from hitl_agent.models.base import ModelAdapter
from hitl_agent.models.callable import CallableModel
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.types import TimeoutFallback
from hitl_agent.uncertainty.base import Scorer

Checkpointing = BaseCheckpointSaver[Any] | str | Path | Literal["parent"] | None


def build_review_graph(
    *,
    model: ModelAdapter | Any,
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
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the review loop: recall → predict → score → route → (accept | dispatch → await →
    decide → learn) → finish.

    - ``reviews``: one backend, or several tiers (tier 0 first; an overdue review escalates to
      the next tier when ``timeout_fallback="escalate"``).
    - ``ledger``: a :class:`Ledger`, a SQLAlchemy/Postgres URL, or a SQLite path.
    - ``checkpointer``: a saver, a SQLite path or Postgres URL, ``None`` for the durable default
      (a SQLite file beside a SQLite ledger: ``checkpoints.db`` beside ``ledger.db``, as in the
      data folder; or the ledger's Postgres database), or ``"parent"``
      to compile without one for use as a subgraph of a graph that has its own.
    - ``review_timeout``: the deadline of every review (a timedelta or seconds).
    - ``durability``: when LangGraph writes checkpoints. The default ``"exit"`` writes one at the
      end of each run and at every interrupt (a pending review is always durable). It is safe
      against a crash mid-run because every step is idempotent and the ledger journals the
      model's prediction: :meth:`Resumer.recover_stalled` re-runs such an item from its last
      checkpoint or its input without asking the model again. ``"sync"`` checkpoints after
      every step (slower; for graphs whose user nodes are not idempotent).
    """
    adapter: ModelAdapter
    if isinstance(model, ModelAdapter):
        adapter = model
    else:
        if callable(model):
            adapter = CallableModel(model)
        else:
            raise ConfigError(f"model must be a ModelAdapter or a callable, got "
                              f"{type(model).__name__}", field="model")
    tiers = [reviews] if not isinstance(reviews, Sequence) else list(reviews)
    if not tiers:
        raise ConfigError("reviews needs at least one review backend", field="reviews")
    ledger_obj = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    timeout = review_timeout if isinstance(review_timeout, timedelta) else timedelta(
        seconds=float(review_timeout))
    if timeout.total_seconds() <= 0:
        raise ConfigError("review_timeout must be positive", field="review_timeout")
    if not 0.0 <= memory_signal_weight <= 1.0:
        raise ConfigError("memory_signal_weight must lie in [0, 1]", field="memory_signal_weight")

    parts = ReviewLoopParts(
        model=adapter, scorer=scorer, policy=policy, tiers=tiers, ledger=ledger_obj, task=task,
        labels=labels, memory=memory, review_timeout=timeout, timeout_fallback=timeout_fallback,
        final_fallback=final_fallback, template=template,
        memory_signal_weight=memory_signal_weight,
    )
    nodes = ReviewNodes(parts)
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        ReviewGraphState, input_schema=ReviewGraphInput
    )
    builder.add_node("recall", nodes.recall, destinations=("predict", "finish"))
    builder.add_node("predict", nodes.predict)
    builder.add_node("score", nodes.score)
    builder.add_node("route", nodes.route, destinations=("accept", "dispatch"))
    builder.add_node("accept", nodes.accept)
    builder.add_node("dispatch", nodes.dispatch, destinations=("await_review", "decide"))
    builder.add_node("await_review", nodes.await_review)
    builder.add_node("decide", nodes.decide,
                     destinations=("learn", "finish", "dispatch", "await_review"))
    builder.add_node("learn", nodes.learn)
    builder.add_node("finish", nodes.finish)
    builder.add_edge(START, "recall")
    builder.add_edge("predict", "score")
    builder.add_edge("score", "route")
    builder.add_edge("accept", "finish")
    builder.add_edge("await_review", "decide")
    builder.add_edge("learn", "finish")
    builder.add_edge("finish", END)

    saver = _resolve_checkpointer(checkpointer, ledger_obj)
    graph = builder.compile(checkpointer=saver, name=name)
    if saver is not None:
        # A subgraph inherits its parent's durability; only a top-level graph sets its own.
        graph = graph.with_config({"configurable": {CONFIG_KEY_DURABILITY: durability}})
    graph.hitl_parts = parts  # type: ignore[attr-defined]  # for Resumer and the CLI
    return graph


def _resolve_checkpointer(
    checkpointer: Checkpointing, ledger: Ledger
) -> BaseCheckpointSaver[Any] | None:
    if checkpointer == "parent":
        return None
    if isinstance(checkpointer, BaseCheckpointSaver):
        return checkpointer
    if checkpointer is not None:
        return open_checkpointer(checkpointer)
    url = ledger.engine.url
    if url.get_backend_name() == "postgresql":
        return open_checkpointer(url.render_as_string(hide_password=False))
    database = url.database or ""
    if not database or database == ":memory:":
        raise ConfigError(
            "an in-memory ledger has no place for durable checkpoints: pass checkpointer= "
            "(a path, a Postgres URL or a saver such as InMemorySaver for tests)",
            field="checkpointer",
        )
    return open_checkpointer(checkpoints_beside(database))
