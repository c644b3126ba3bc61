"""``review_node``: the review loop as one node of any user-built LangGraph graph.

The node is a small compiled graph (``prepare → review → publish``) around the review subgraph
of :func:`~hitl_agent.graph.build.build_review_graph`. It reads the user's own state key
(``input_key``) and writes the user's own keys back (``output_key`` and any ``outputs``), so the
review loop's internal keys never reach the user's state::

    builder = StateGraph(TicketState)                     # {"ticket", "category", ...}
    builder.add_node("triage", review_node(
        model=classifier, scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.8),
        reviews=A2IReviews(flow_arn), ledger="tickets.db",
        input_key="ticket", output_key="category", outputs={"category_source": "output_source"},
    ))
    graph = compile_with_checkpointer(builder, checkpointer=SqliteSaver(...))

The user's graph must have a checkpointer (a review cannot wait without one):
:func:`compile_with_checkpointer` refuses to compile without it, and the node itself stops with
a :class:`~hitl_agent.errors.ConfigError` before it opens a review if the graph runs without one.

To review an output the user's graph already has (a draft an earlier node wrote), pass
``prediction_key``: the node journals that value as the prediction and the model is not called.

Any number of reviews per thread: each pass through the node is its own ledger item, derived from
the thread (``<thread>``, ``<thread>#2``, …; a re-run after a crash finds its own item again), or
named by the user's state key ``item_id_key``. ``loop.resumer(graph)`` resumes the thread that
holds a review. The node is :meth:`ReviewLoop.node`; ``review_node(**parts, **keys)`` is
``ReviewLoop(**parts).node(**keys)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import ConfigError, ModelError
from hitl_agent.graph.internals import has_checkpointer, require_checkpointer
from hitl_agent.graph.loop import ReviewLoop
from hitl_agent.graph.parts import loop_of
from hitl_agent.models.callable import CallableModel

Graph = CompiledStateGraph[Any, Any, Any, Any]

__all__ = ["compile_with_checkpointer", "has_checkpointer", "require_checkpointer",
           "review_node"]

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "node_of": "hitl_agent.graph.node",
})


def compile_with_checkpointer(
    builder: StateGraph[Any, Any, Any, Any], *, checkpointer: Any, **kwargs: Any
) -> Graph:
    """``builder.compile(checkpointer=...)`` that refuses a missing checkpointer at build time.

    ``checkpointer="server"`` compiles without one for LangGraph Server / ``langgraph dev``,
    which inject their own.
    """
    if checkpointer is None or checkpointer is False:
        raise ConfigError(
            "a graph with a review node needs a checkpointer: a review cannot wait without one "
            "(pass a saver, or checkpointer='server' when LangGraph Server provides it)",
            field="checkpointer",
        )
    return builder.compile(checkpointer=None if checkpointer == "server" else checkpointer,
                           **kwargs)


def _not_called(input: Any) -> Any:
    raise ModelError("review_node was given prediction_key but its prediction was not found in "
                     "the ledger; pass model= to let the node predict", field="model")


def review_node(
    *,
    policy: Any,
    reviews: Any,
    scorer: Any,
    ledger: Any,
    model: Any = None,
    input_key: str = "input",
    output_key: str = "output",
    prediction_key: str | None = None,
    outputs: Mapping[str, str] | None = None,
    input_mapper: Callable[[Mapping[str, Any]], Any] | None = None,
    item_id_key: str | None = None,
    name: str = "review",
    **review_options: Any,
) -> Graph:
    """A compiled node that reviews ``state[input_key]`` and writes ``state[output_key]``.

    - ``model``: the model the review loop asks (any adapter or callable); or ``prediction_key``,
      the user's state key that already holds the output to review (a value, a dict with
      ``output``, or a :class:`~hitl_agent.types.Prediction`).
    - ``outputs``: more of the review's results to copy into the user's state, as
      ``{user_key: review_key}`` with review keys from
      :class:`~hitl_agent.graph.state.ReviewGraphState` (``output_source``, ``decision``,
      ``uncertainty``, ``outcome``, ``correction_id``, ``prediction``, ``item_id``).
    - ``input_mapper``: builds the reviewed input from the whole user state instead of one key.
    - ``item_id_key``: the user's state key naming the ledger item (default: derived from the
      thread, one item per pass through the node).
    - ``review_options``: passed to :class:`~hitl_agent.graph.loop.ReviewLoop` (``task``,
      ``labels``, ``memory``, ``review_timeout``, ``timeout_fallback``, ``template``, …).
    """
    if model is None and prediction_key is None:
        raise ConfigError("review_node needs model= or prediction_key=", field="model")
    if "checkpointer" in review_options:
        raise ConfigError("review_node uses the checkpointer of the graph it is added to; "
                          "do not pass checkpointer=", field="checkpointer")
    loop = ReviewLoop(
        model=model if model is not None else CallableModel(_not_called, model_id="user-state"),
        scorer=scorer, policy=policy, reviews=reviews, ledger=ledger, name=name,
        **review_options)
    return loop.node(input_key=input_key, output_key=output_key, prediction_key=prediction_key,
                     outputs=outputs, input_mapper=input_mapper, item_id_key=item_id_key)


def review_backends(node: Graph) -> Sequence[Any]:
    """Deprecated (one release): the review backends of a node made by :func:`review_node`;
    use ``loop.tiers`` of the :class:`ReviewLoop` instead."""
    loop = loop_of(node)
    if loop is None:
        raise ConfigError("not a node made by review_node / ReviewLoop.node", field="node")
    return list(loop.tiers)
