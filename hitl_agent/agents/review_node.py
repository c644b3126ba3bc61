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
from typing import TYPE_CHECKING, Any, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from typing_extensions import TypedDict

from hitl_agent.errors import ConfigError, ModelError
from hitl_agent.graph.internals import has_checkpointer
from hitl_agent.graph.nodes import next_item_id, thread_id_of
from hitl_agent.graph.state import ReviewGraphState
from hitl_agent.models.callable import CallableModel, coerce_prediction
from hitl_agent.tracing import review_metadata, trace_step
from hitl_agent.types import ReviewOutcome, RoutingDecision, Uncertainty

if TYPE_CHECKING:
    from hitl_agent.graph.loop import ReviewLoop

Graph = CompiledStateGraph[Any, Any, Any, Any]

__all__ = ["compile_with_checkpointer", "has_checkpointer", "require_checkpointer",
           "review_node"]

_INTERNAL = set(get_type_hints(ReviewGraphState))


def require_checkpointer(config: RunnableConfig, *, where: str = "review") -> None:
    """Raise a clear :class:`ConfigError` when the running graph has no checkpointer."""
    if not has_checkpointer(config):
        raise ConfigError(
            f"{where}: this graph has no checkpointer, so a review could never wait for its "
            "answer; compile the graph with checkpointer=... (SqliteSaver, PostgresSaver, "
            "InMemorySaver in tests) or serve it with `langgraph dev` / LangGraph Server",
            field="checkpointer",
        )


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
    from hitl_agent.graph.loop import ReviewLoop

    if model is None and prediction_key is None:
        raise ConfigError("review_node needs model= or prediction_key=", field="model")
    if "checkpointer" in review_options:
        raise ConfigError("review_node uses the checkpointer of the graph it is added to; "
                          "do not pass checkpointer=", field="checkpointer")
    loop = ReviewLoop(
        model=model if model is not None else CallableModel(_not_called, model_id="user-state"),
        scorer=scorer, policy=policy, reviews=reviews, ledger=ledger, name=name,
        **review_options)
    return node_of(loop, input_key=input_key, output_key=output_key,
                   prediction_key=prediction_key, outputs=outputs, input_mapper=input_mapper,
                   item_id_key=item_id_key, name=name)


def node_of(
    loop: ReviewLoop,
    *,
    input_key: str,
    output_key: str,
    prediction_key: str | None,
    outputs: Mapping[str, str] | None,
    input_mapper: Callable[[Mapping[str, Any]], Any] | None,
    item_id_key: str | None,
    name: str,
) -> Graph:
    """The node behind :meth:`ReviewLoop.node` and :func:`review_node`."""
    from hitl_agent.graph.loop import register

    outputs = dict(outputs or {})
    for user_key, review_key in outputs.items():
        if review_key not in _INTERNAL:
            raise ConfigError(f"outputs[{user_key!r}] names {review_key!r}, not a key of the "
                              f"review state ({', '.join(sorted(_INTERNAL))})", field="outputs")
    user_in = [input_key] + [k for k in (prediction_key, item_id_key) if k]
    user_out = [output_key, *outputs]
    for key in {*user_in, *user_out}:
        if key in _INTERNAL and key not in ("input", "output"):
            raise ConfigError(f"state key {key!r} clashes with the review loop's own key; "
                              "name it differently in your state", field="state")
    inner = loop.compile("parent", name=f"{name}_loop")

    fields: dict[str, Any] = {k: Any for k in get_type_hints(ReviewGraphState)}
    fields.update({k: Any for k in (*user_in, *user_out)})
    state_schema = TypedDict(f"{name.title()}NodeState", fields, total=False)  # type: ignore[misc]
    input_schema = TypedDict(  # type: ignore[misc]
        f"{name.title()}NodeInput", {k: Any for k in user_in}, total=False)
    output_schema = TypedDict(  # type: ignore[misc]
        f"{name.title()}NodeOutput", {k: Any for k in user_out}, total=False)

    def prepare(state: Any, config: RunnableConfig) -> dict[str, Any]:
        require_checkpointer(config, where=f"review node {name!r}")
        if input_mapper is not None:
            value = input_mapper(state)
        elif input_key in state:
            value = state[input_key]
        else:
            raise ConfigError(f"review node {name!r} found no {input_key!r} in the state",
                              field=input_key)
        if item_id_key is not None and state.get(item_id_key):
            item_id = str(state[item_id_key])
        else:
            item_id = next_item_id(loop.ledger, thread_id_of(config), loop.task, value)
        if prediction_key is not None:
            if prediction_key not in state:
                raise ConfigError(f"review node {name!r} found no {prediction_key!r} in the "
                                  "state", field=prediction_key)
            prediction = coerce_prediction(state[prediction_key], model_id="user-state")
            loop.ledger.check_item(item_id, value)  # refuses another input under this item
            loop.ledger.record_prediction(item_id, loop.task, value, prediction)
        return {"input": value, "item_id": item_id}

    def publish(state: Any, config: RunnableConfig) -> dict[str, Any]:
        request = state.get("request") or {}

        def typed(key: str, kind: Any) -> Any:
            return kind.model_validate(state[key]) if state.get(key) is not None else None

        trace_step("review", review_metadata(
            thread_id=state.get("item"), task=state.get("task"),
            review_id=request.get("review_id"),
            decision=typed("decision", RoutingDecision),
            uncertainty=typed("uncertainty", Uncertainty),
            outcome=typed("outcome", ReviewOutcome), output_source=state.get("output_source"),
        ), config)
        out = {output_key: state.get("output")}
        out.update({user_key: state.get(review_key) for user_key, review_key in outputs.items()})
        return out

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        state_schema, input_schema=input_schema, output_schema=output_schema)
    builder.add_node("prepare", prepare)
    builder.add_node(f"{name}_loop", inner)
    builder.add_node("publish", publish)
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", f"{name}_loop")
    builder.add_edge(f"{name}_loop", "publish")
    builder.add_edge("publish", END)
    graph = builder.compile(name=name)
    register(graph, loop)
    return graph


def review_backends(node: Graph) -> Sequence[Any]:
    """Deprecated (one release): the review backends of a node made by :func:`review_node`;
    use ``loop.tiers`` of the :class:`ReviewLoop` instead."""
    from hitl_agent.graph.loop import loop_of

    loop = loop_of(node)
    if loop is None:
        raise ConfigError("not a node made by review_node / ReviewLoop.node", field="node")
    return list(loop.tiers)
