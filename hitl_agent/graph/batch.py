"""Many items through a review graph at once: ``ingest(graph, stream)`` and ``run_batch``.

Per item, LangGraph's own run (tasks, channels, a checkpoint thread per invoke) costs far more
than the review loop's work, and an item the model answers surely needs nothing LangGraph keeps.
A batch therefore runs the sure path itself, with the graph's own parts, and gives the graph the
rest:

1. one ledger read for the whole batch: known items (finished, waiting, crashed mid-run) and
   thread ids reused with another input are found before anything runs;
2. for each new item: recall, predict, score and route, exactly as the nodes do;
3. one ledger transaction (a group commit) journals every prediction and routing and finishes
   the accepted items;
4. every other item (escalated, known, answered from memory, failed) runs through
   ``graph.invoke`` as if it came alone. An escalated item's prediction is journaled by then, so
   the graph never asks the model again.

The guarantees are the graph's: every item is in the ledger once, a model is asked once per
item whose prediction was committed, a re-run of a batch (after a crash, anywhere) finds each
item's earlier writes and finishes it once. What differs: an item accepted in a batch has no
LangGraph checkpoint (it never paused, and its result is in the ledger, which a later run of its
thread reads); run it through ``graph.invoke`` if you need its graph state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from hitl_agent.errors import ConfigError, HitlError
from hitl_agent.graph.parts import LoopParts, loop_of, predict_checked, recall_or_none
from hitl_agent.memory.ledger import RoutingRow
from hitl_agent.memory.signal import apply_memory_signal
from hitl_agent.models.context import model_context
from hitl_agent.types import SimilarCorrection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchItem:
    """One item of a batch: its thread id, its input, and optionally its item id and task."""

    thread_id: str
    input: Any
    item_id: str | None = None
    task: str | None = None


ItemLike = BatchItem | Mapping[str, Any] | tuple[str, Any]


def _item(value: ItemLike) -> BatchItem:
    if isinstance(value, BatchItem):
        return value
    if isinstance(value, tuple):
        thread_id, input_value = value
        return BatchItem(str(thread_id), input_value)
    if isinstance(value, Mapping):
        if "thread_id" not in value or "input" not in value:
            raise ConfigError("a batch item needs 'thread_id' and 'input'", field="thread_id")
        return BatchItem(str(value["thread_id"]), value["input"], value.get("item_id"),
                         value.get("task"))
    raise ConfigError(f"a batch item is a BatchItem, a mapping or a (thread_id, input) pair, "
                      f"not {type(value).__name__}", field="items")


def _parts(graph: CompiledStateGraph[Any, Any, Any, Any]) -> LoopParts:
    loop = loop_of(graph)
    if loop is None:
        raise ConfigError("run_batch needs a graph made by ReviewLoop.compile (or "
                          "build_review_graph)", field="graph")
    return loop


def run_batch(
    graph: CompiledStateGraph[Any, Any, Any, Any], batch: Sequence[ItemLike],
) -> list[dict[str, Any]]:
    """Run ``batch`` through ``graph``; one result per item, in order.

    A result is what ``graph.invoke`` returns for the item (``output``, ``output_source``, or
    ``__interrupt__`` while a review is pending), plus its ``thread_id``. Errors are raised as
    ``graph.invoke`` raises them; the items before the failing one are done.
    """
    parts = _parts(graph)
    work = [_item(v) for v in batch]
    if len({w.thread_id for w in work}) != len(work):
        raise ConfigError("a batch holds one item per thread id", field="thread_id")
    ids = [w.item_id or w.thread_id for w in work]
    known = parts.ledger.check_items(list(zip(ids, (w.input for w in work), strict=True)))
    results: list[dict[str, Any] | None] = [None] * len(work)
    rows: list[RoutingRow] = []
    to_graph: list[int] = []
    for i, (w, item_id) in enumerate(zip(work, ids, strict=True)):
        if item_id in known:
            to_graph.append(i)
            continue
        routed = _route_new(parts, w, item_id)
        if routed is None:
            to_graph.append(i)
            continue
        rows.append(routed)
        if routed.decision.action == "escalate":
            to_graph.append(i)
        else:
            results[i] = {"thread_id": w.thread_id, "item_id": item_id,
                          "output": routed.final_output, "output_source": "model"}
    if rows:
        parts.ledger.route_items(rows)  # the group commit
    for i in to_graph:
        w = work[i]
        start: dict[str, Any] = {"input": w.input}
        if w.item_id is not None:
            start["item_id"] = w.item_id
        if w.task is not None:
            start["task"] = w.task
        out = graph.invoke(start, {"configurable": {"thread_id": w.thread_id}})
        results[i] = {"thread_id": w.thread_id, **out}
    return [r for r in results if r is not None]


def ingest(
    graph: CompiledStateGraph[Any, Any, Any, Any], stream: Iterable[ItemLike], *,
    batch_size: int = 256,
) -> Iterator[dict[str, Any]]:
    """Run a stream of items through ``graph`` in batches of ``batch_size``, yielding each
    item's result (see :func:`run_batch`) in order."""
    if batch_size < 1:
        raise ConfigError("batch_size must be positive", field="batch_size")
    batch: list[ItemLike] = []
    for value in stream:
        batch.append(value)
        if len(batch) >= batch_size:
            yield from run_batch(graph, batch)
            batch = []
    if batch:
        yield from run_batch(graph, batch)


def _route_new(parts: LoopParts, w: BatchItem, item_id: str) -> RoutingRow | None:
    """The recall → predict → score → route nodes for a new item; ``None`` hands the item to
    the graph (an answer from memory, or a model error the graph records and raises)."""
    task = w.task or parts.task
    similar: list[SimilarCorrection] = []
    found = recall_or_none(parts.memory, task, w.input)
    if found is not None:
        if found.reuse is not None:
            return None
        similar = list(found.similar)
    try:
        prediction = predict_checked(parts.model, w.input, similar)
    except HitlError:  # the graph asks again, records the failure and raises
        return None
    uncertainty = parts.scorer(prediction)
    if parts.memory_signal_weight > 0 and similar:
        uncertainty = apply_memory_signal(uncertainty, prediction, similar,
                                          parts.memory_signal_weight)
    decision = parts.policy.decide(item_id, uncertainty, prediction)
    accept = decision.action != "escalate"
    return RoutingRow(item_id, uncertainty, decision, task=task, input_value=w.input,
                      prediction=prediction, thread_id=w.thread_id,
                      final_output=prediction.output if accept else None,
                      final_source="model" if accept else None,
                      context=model_context(parts.model, w.input, similar, labels=parts.labels))
