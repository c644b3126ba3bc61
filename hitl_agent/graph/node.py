"""The review loop as one node of a user's graph (behind :meth:`ReviewLoop.node` and
:func:`~hitl_agent.agents.review_node`).

The node is a small compiled graph (``prepare → <name>_loop → publish``) around the loop's graph
compiled as a subgraph. It reads the user's own state key (``input_key``) and writes the user's
own keys back (``output_key`` and any ``outputs``), so the loop's internal keys never reach the
user's state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Unpack, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from typing_extensions import TypedDict

from hitl_agent.errors import ConfigError
from hitl_agent.graph.internals import require_checkpointer
from hitl_agent.graph.nodes import next_item_id, thread_id_of
from hitl_agent.graph.parts import LoopParts, register
from hitl_agent.graph.state import ReviewGraphState
from hitl_agent.models.callable import coerce_prediction
from hitl_agent.tracing import review_metadata, trace_step
from hitl_agent.types import ReviewOutcome, RoutingDecision, Uncertainty

Graph = CompiledStateGraph[Any, Any, Any, Any]

_INTERNAL = set(get_type_hints(ReviewGraphState))


class NodeKeys(TypedDict, total=False):
    """Where the node reads and writes the user's state (see :meth:`ReviewLoop.node`)."""

    input_key: str
    output_key: str
    prediction_key: str | None
    outputs: Mapping[str, str] | None
    input_mapper: Callable[[Mapping[str, Any]], Any] | None
    item_id_key: str | None
    name: str | None


def node_of(loop: LoopParts, **keys: Unpack[NodeKeys]) -> Graph:
    """The loop as a compiled node of a user's graph (see the module docstring)."""
    input_key = keys.get("input_key") or "input"
    output_key = keys.get("output_key") or "output"
    prediction_key = keys.get("prediction_key")
    input_mapper = keys.get("input_mapper")
    item_id_key = keys.get("item_id_key")
    name = keys.get("name") or loop.name
    outputs = dict(keys.get("outputs") or {})
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
