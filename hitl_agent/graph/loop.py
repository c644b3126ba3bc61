"""``ReviewLoop``: the review loop's parts, and the graphs, nodes and resumers made of them.

One object owns the model, the scorer, the escalation policy, the review tiers, the ledger and
the correction memory::

    loop = ReviewLoop(model=classify, scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.8),
                      reviews=InProcessReviews(path="reviews.db"), ledger="ledger.db",
                      labels=["billing", "technical", "other"])
    graph = loop.compile(checkpointer="checkpoints.db")   # the loop as a graph
    builder.add_node("triage", loop.node(input_key="ticket", output_key="category"))  # or a node
    loop.resumer(graph).run_once()                        # resume graphs whose reviews ended

Building does no I/O: the ledger (given as a URL or path) is opened on first use, so graph
factories are safe to call on an event loop (``langgraph dev`` without ``--allow-blocking``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Unpack

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Durability

from hitl_agent._lazy import lazy_exports
from hitl_agent.data_folder import checkpoints_beside
from hitl_agent.errors import ConfigError
from hitl_agent.graph.checkpoint import open_checkpointer
from hitl_agent.graph.internals import with_durability
from hitl_agent.graph.node import NodeKeys, node_of
from hitl_agent.graph.nodes import ReviewNodes
from hitl_agent.graph.parts import LedgerRef, register
from hitl_agent.graph.resumer import Resumer
from hitl_agent.graph.state import (
    ReviewGraphConfig,
    ReviewGraphInput,
    ReviewGraphState,
)
from hitl_agent.memory.base import CorrectionRecall
from hitl_agent.models.base import ModelAdapter
from hitl_agent.models.callable import CallableModel
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.types import TimeoutFallback
from hitl_agent.uncertainty.base import Scorer

if TYPE_CHECKING:
    from hitl_agent.memory.ledger import Ledger

Graph = CompiledStateGraph[Any, Any, Any, Any]
Checkpointing = BaseCheckpointSaver[Any] | str | Path | Literal["parent", "server"] | None
"""A saver; a SQLite path or Postgres URL; ``None`` for the durable default beside the ledger;
``"parent"`` / ``"server"`` for none of its own (a subgraph, or LangGraph Server's)."""

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "loop_of": "hitl_agent.graph.parts",
    "open_ledger": "hitl_agent.graph.parts",
})


class ReviewLoop:
    """The review loop's parts (see the module docstring).

    - ``reviews``: one backend, or several tiers (tier 0 first; an overdue review escalates to
      the next tier when ``timeout_fallback="escalate"``).
    - ``ledger``: a :class:`~hitl_agent.memory.ledger.Ledger`, or a SQLAlchemy/Postgres URL or a
      SQLite path (opened on first use).
    - ``labels``: a classification review's choices. Without them they come from the model
      (``model.labels``) or from each prediction's ``probabilities``; a classification whose
      prediction has neither is refused before a review opens.
    - ``review_timeout``: the deadline of every review (a timedelta or seconds).
    - ``durability``: when LangGraph writes checkpoints (see :meth:`compile`).
    """

    def __init__(
        self,
        *,
        model: ModelAdapter | Callable[..., Any],
        scorer: Scorer,
        policy: EscalationPolicy,
        reviews: ReviewBackend | Sequence[ReviewBackend],
        ledger: Ledger | str | Path,
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
    ) -> None:
        if isinstance(model, ModelAdapter):
            self.model: ModelAdapter = model
        elif callable(model):
            self.model = CallableModel(model)
        else:
            raise ConfigError(f"model must be a ModelAdapter or a callable, got "
                              f"{type(model).__name__}", field="model")
        self.tiers: list[ReviewBackend] = (
            list(reviews) if isinstance(reviews, Sequence) else [reviews])
        if not self.tiers:
            raise ConfigError("reviews needs at least one review backend", field="reviews")
        timeout = review_timeout if isinstance(review_timeout, timedelta) else timedelta(
            seconds=float(review_timeout))
        if timeout.total_seconds() <= 0:
            raise ConfigError("review_timeout must be positive", field="review_timeout")
        if not 0.0 <= memory_signal_weight <= 1.0:
            raise ConfigError("memory_signal_weight must lie in [0, 1]",
                              field="memory_signal_weight")
        declared = getattr(self.model, "labels", None)
        self.labels: list[str] | None = (
            list(labels) if labels is not None
            else list(declared) if isinstance(declared, Sequence) and declared else None)
        if task == "classification" and self.labels is None and _gives_no_probabilities(
                self.model):
            raise ConfigError(
                "a classification review needs its choices and this model gives no class "
                "probabilities: pass labels=[...]", field="labels", rule="required")
        self.scorer = scorer
        self.policy = policy
        self.memory = memory
        self.task = task
        self.review_timeout = timeout
        self.timeout_fallback: TimeoutFallback = timeout_fallback
        self.final_fallback: Literal["accept", "reject"] = final_fallback
        self.template = template
        self.memory_signal_weight = memory_signal_weight
        self.name = name
        self.durability: Durability = durability
        self._ledger = LedgerRef(ledger)

    # -- parts ---------------------------------------------------------------------------------

    @property
    def ledger(self) -> Ledger:
        """The ledger, opened on first use."""
        return self._ledger.get()

    # -- graphs --------------------------------------------------------------------------------

    def graph(self) -> StateGraph[Any, Any, Any, Any]:
        """The loop as an uncompiled ``StateGraph``: recall → predict → score → route, which
        ends the run when it accepts the model's output, or → dispatch → await_review → decide
        → learn → finish; recall goes straight to finish with an answer it already has."""
        nodes = ReviewNodes(self)
        builder: StateGraph[Any, Any, Any, Any] = StateGraph(
            ReviewGraphState, context_schema=ReviewGraphConfig,
            input_schema=ReviewGraphInput)
        builder.add_node("recall", nodes.recall, destinations=("predict", "finish"))
        builder.add_node("predict", nodes.predict)
        builder.add_node("score", nodes.score)
        builder.add_node("route", nodes.route, destinations=(END, "dispatch"))
        builder.add_node("dispatch", nodes.dispatch,  # type: ignore[arg-type]
                         destinations=("await_review", "decide"))
        builder.add_node("await_review", nodes.await_review)
        builder.add_node("decide", nodes.decide,
                         destinations=("learn", "finish", "dispatch", "await_review"))
        builder.add_node("learn", nodes.learn)
        builder.add_node("finish", nodes.finish)
        builder.add_edge(START, "recall")
        builder.add_edge("predict", "score")
        builder.add_edge("score", "route")
        builder.add_edge("await_review", "decide")
        builder.add_edge("learn", "finish")
        builder.add_edge("finish", END)
        return builder

    def compile(self, checkpointer: Checkpointing = None, *, name: str | None = None) -> Graph:
        """The loop as a compiled graph.

        ``checkpointer``: a saver, a SQLite path or Postgres URL, ``None`` for the durable
        default (a SQLite file beside a SQLite ledger, or the ledger's Postgres database; opened
        now), or ``"parent"`` / ``"server"`` for none of its own.

        ``durability`` (constructor): the default ``"exit"`` writes a checkpoint at the end of
        each run and at every interrupt (a pending review is always durable). It is safe against
        a crash mid-run because every step is idempotent and the ledger journals the model's
        prediction: :meth:`Resumer.recover_stalled` re-runs such an item without asking the
        model again. ``"sync"`` checkpoints after every step.
        """
        saver = self._saver(checkpointer)
        graph = self.graph().compile(checkpointer=saver, name=name or self.name)
        if saver is not None:
            # A subgraph inherits its parent's durability; only a top-level graph sets its own.
            graph = with_durability(graph, self.durability)
        register(graph, self)
        return graph

    def node(self, **keys: Unpack[NodeKeys]) -> Graph:
        """The loop as one node of a user's graph: ``input_key`` (default ``"input"``) and
        ``output_key`` (``"output"``) name the user's state keys; see
        :func:`hitl_agent.agents.review_node` for ``prediction_key``, ``outputs``,
        ``input_mapper``, ``item_id_key`` and ``name``."""
        return node_of(self, **keys)

    def resumer(self, graph: Graph | None = None, **options: Any) -> Resumer:
        """A :class:`~hitl_agent.graph.resumer.Resumer` over this loop's ledger and tiers.

        ``graph``: the graph whose threads wait (this loop's compiled graph, or the user's graph
        that holds :meth:`node`); default: a compiled graph with the default checkpointer.
        """
        return Resumer(graph if graph is not None else self.compile(), self.ledger,
                       list(self.tiers), **options)

    # -- internals -----------------------------------------------------------------------------

    def _saver(self, checkpointer: Checkpointing) -> BaseCheckpointSaver[Any] | None:
        if checkpointer in ("parent", "server"):
            return None
        if isinstance(checkpointer, BaseCheckpointSaver):
            return checkpointer
        if checkpointer is not None:
            return open_checkpointer(checkpointer)
        url = self.ledger.engine.url
        if url.get_backend_name() == "postgresql":
            return open_checkpointer(url.render_as_string(hide_password=False))
        database = url.database or ""
        if not database or database == ":memory:":
            raise ConfigError(
                "an in-memory ledger has no place for durable checkpoints: pass checkpointer= "
                "(a path, a Postgres URL or a saver such as InMemorySaver for tests)",
                field="checkpointer")
        path = Path(database)
        return open_checkpointer(checkpoints_beside(path))


def _gives_no_probabilities(model: Any) -> bool:
    """A model known to answer with text only (a chat model without labels)."""
    from hitl_agent.models.chat import ChatModelAdapter

    return isinstance(model, ChatModelAdapter) or getattr(
        model, "gives_probabilities", None) is False


ReviewLoopParts = ReviewLoop
"""Deprecated alias (one release): the loop's parts are the :class:`ReviewLoop`."""
