"""Items per second through the review graph, against plain LangGraph graphs of the same shape.

Runs N items with an instant model through:

- ``ours``: ``build_review_graph`` with its durable SQLite checkpointer (WAL, synchronous=NORMAL)
  and the SQLite ledger, every item auto-accepted or reviewed in process (``--review-share``);
- ``plain_sqlite_default``: the same node shapes as a plain StateGraph compiled with
  ``SqliteSaver.from_conn_string`` defaults (no ledger);
- ``plain_no_checkpointer``: the same plain graph with no checkpointer at all;
- ``batch``: ``ours`` through the batch API (``hitl_agent.graph.batch.ingest``, 256 a batch);
- ``plain_exit_durable``: the plain graph on the same WAL checkpointer writing only at exit, with
  no ledger: the ceiling any durable graph of this shape can reach (LangGraph's checkpointing
  starts a thread per invoke and does per-step bookkeeping even when it writes only at exit);
- ``what_if_langgraph_kept_its_executor``: ``ours`` with LangGraph's background executor kept
  from one invoke to the next (a LangGraph internal swapped for that run only): the price of
  the thread LangGraph starts per invoke, which no graph built on it can avoid today;
- ``plain_full_shape_exit_durable``: a plain graph of ours' whole shape (its ten nodes, the four
  of a human review never running here, its state keys and its routing by ``Command``) with
  instant nodes, on the same checkpointer writing at exit, no ledger: the ceiling for a durable
  graph shaped like ours (LangGraph's bookkeeping grows with the nodes a step may trigger);
- ``plain_nothing_stored``: the plain graph on a checkpointer that stores nothing (its ``put`` and
  ``put_writes`` return at once), writing at exit: LangGraph's own price for having a
  checkpointer at all, with no I/O, the floor under every durable graph.

Prints JSON with items/s for each and the ratios. Targets: ours >= 3x the plain default and
>= 50% of the plain graph without a checkpointer; the batch API >= 80% of that plain graph.

    python benchmarks/loop_throughput.py [--items 2000]
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypedDict

from langchain_core.runnables.config import ContextThreadPoolExecutor
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

from hitl_agent import (
    InProcessReviews,
    MaxProbabilityScorer,
    SimulatedReviewer,
    ThresholdPolicy,
    build_review_graph,
)
from hitl_agent.graph.batch import ingest
from hitl_agent.graph.build import CONFIG_KEY_DURABILITY
from hitl_agent.graph.checkpoint import sqlite_checkpointer
from hitl_agent.types import Prediction


class PlainState(TypedDict, total=False):
    input: Any
    prediction: dict[str, Any]
    confidence: float
    output: Any


def _plain_graph() -> StateGraph[Any, Any, Any, Any]:
    g: StateGraph[Any, Any, Any, Any] = StateGraph(PlainState)
    g.add_node("recall", lambda s: {})
    g.add_node("predict", lambda s: {"prediction": {"output": "a", "p": {"a": 0.99, "b": 0.01}}})
    g.add_node("score", lambda s: {"confidence": max(s["prediction"]["p"].values())})
    g.add_node("route", lambda s: {})
    g.add_node("accept", lambda s: {"output": s["prediction"]["output"]})
    g.add_node("finish", lambda s: {})
    g.add_edge(START, "recall")
    g.add_edge("recall", "predict")
    g.add_edge("predict", "score")
    g.add_edge("score", "route")
    g.add_edge("route", "accept")
    g.add_edge("accept", "finish")
    g.add_edge("finish", END)
    return g


def _full_shape_graph() -> StateGraph[Any, Any, Any, Any]:
    """Ours' nodes, edges and state keys, each node instant (the accept path runs)."""
    fresh: dict[str, Any] = {
        "similar": [], "prediction": None, "uncertainty": None, "decision": None, "tier": 0,
        "request": None, "outcome": None, "output": None, "output_source": None,
        "correction_id": None}
    prediction = {"output": "a", "probabilities": {"a": 0.99, "b": 0.01}}
    g: StateGraph[Any, Any, Any, Any] = StateGraph(FullShapeState)
    g.add_node("recall", lambda s: Command(goto="predict", update={**fresh, "item": "i",
                                                                   "item_id": None}),
               destinations=("predict", "finish"))
    g.add_node("predict", lambda s: {"prediction": prediction})
    g.add_node("score", lambda s: {"uncertainty": {
        "confidence": max(s["prediction"]["probabilities"].values())}})
    g.add_node("route", lambda s: Command(goto="accept", update={"decision": {"action": "a"}}),
               destinations=("accept", "dispatch"))
    g.add_node("accept", lambda s: {"output": s["prediction"]["output"],
                                    "output_source": "model"})
    g.add_node("dispatch", lambda s: {}, destinations=("await_review", "decide"))
    g.add_node("await_review", lambda s: {})
    g.add_node("decide", lambda s: {},
               destinations=("learn", "finish", "dispatch", "await_review"))
    g.add_node("learn", lambda s: {})
    g.add_node("finish", lambda s: {})
    for a, b in ((START, "recall"), ("predict", "score"), ("score", "route"),
                 ("accept", "finish"), ("await_review", "decide"), ("learn", "finish"),
                 ("finish", END)):
        g.add_edge(a, b)
    return g


class FullShapeState(TypedDict, total=False):
    input: Any
    item_id: Any
    task: Any
    output: Any
    output_source: Any
    item: Any
    correction_id: Any
    similar: Any
    prediction: Any
    uncertainty: Any
    decision: Any
    tier: Any
    request: Any
    outcome: Any


class NothingStored(InMemorySaver):
    """A checkpointer whose writes store nothing: what LangGraph's checkpointing costs by
    itself (the per-invoke thread, the per-step checkpoint bookkeeping)."""

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        return config

    def put_writes(self, *args: Any, **kwargs: Any) -> None:
        return None


def _with_one_executor(run: Callable[[], float]) -> float:
    """``run()`` with LangGraph's background executor kept across invokes instead of started
    (and its thread with it) on each one: a what-if, to measure that thread's price. It swaps
    a LangGraph internal for the length of this run only; the product never does."""
    import langgraph.pregel._executor as executor_module

    original = getattr(executor_module, "get_executor_for_config", None)
    if original is None:  # another LangGraph layout: measure ours as it is
        return run()

    @contextmanager
    def one_executor(config: Any) -> Iterator[Any]:
        yield _ONE_EXECUTOR

    executor_module.get_executor_for_config = one_executor
    try:
        return run()
    finally:
        executor_module.get_executor_for_config = original


_ONE_EXECUTOR = ContextThreadPoolExecutor(max_workers=4)


def _run(graph: Any, n: int, prefix: str, offset: int) -> float:
    """Seconds to run ``n`` items (thread ids ``prefix-offset`` onwards)."""
    start = time.perf_counter()
    for i in range(offset, offset + n):
        graph.invoke({"input": [i, i + 1]}, {"configurable": {"thread_id": f"{prefix}-{i}"}})
    return time.perf_counter() - start


class Batched:
    """Runs the same items through ``ingest`` (the batch API) instead of one invoke each."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph

    def run(self, n: int, prefix: str, offset: int) -> float:
        start = time.perf_counter()
        stream = ((f"{prefix}-{i}", [i, i + 1]) for i in range(offset, offset + n))
        for _ in ingest(self.graph, stream, batch_size=256):
            pass
        return time.perf_counter() - start


def instant_model(x: Any) -> Prediction:
    confidence = 0.5 if x[0] % 100 < REVIEW_PERCENT else 0.99
    return Prediction(output="a", probabilities={"a": confidence, "b": 1 - confidence},
                      model_id="instant")


REVIEW_PERCENT = 0


def main() -> None:
    global REVIEW_PERCENT
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--review-share", type=float, default=0.0,
                        help="share of items sent to an in-process reviewer (0-1)")
    args = parser.parse_args()
    REVIEW_PERCENT = int(round(args.review_share * 100))
    n = args.items
    block = max(1, min(100, n // 10))
    with tempfile.TemporaryDirectory() as tmp, SqliteSaver.from_conn_string(
        str(Path(tmp) / "plain.db")
    ) as saver:
        root = Path(tmp)
        reviewer = SimulatedReviewer(lambda r: "a")
        graphs = {
            "ours": build_review_graph(
                model=instant_model, scorer=MaxProbabilityScorer(),
                policy=ThresholdPolicy(0.9), reviews=InProcessReviews(reviewer),
                ledger=root / "ledger.db", checkpointer=root / "checkpoints.db",
                labels=["a", "b"],
            ),
            "plain": _plain_graph().compile(checkpointer=saver),
            "bare": _plain_graph().compile(),
            # The ceiling for any durable graph of this shape: the plain graph on our WAL
            # checkpointer, writing only at exit, with no ledger.
            "ceiling": _plain_graph().compile(
                checkpointer=sqlite_checkpointer(root / "ceiling.db")
            ).with_config({"configurable": {CONFIG_KEY_DURABILITY: "exit"}}),
            "full_shape": _full_shape_graph().compile(
                checkpointer=sqlite_checkpointer(root / "full-shape.db")
            ).with_config({"configurable": {CONFIG_KEY_DURABILITY: "exit"}}),
            "nothing_stored": _plain_graph().compile(checkpointer=NothingStored()).with_config(
                {"configurable": {CONFIG_KEY_DURABILITY: "exit"}}),
        }
        batched = Batched(build_review_graph(
            model=instant_model, scorer=MaxProbabilityScorer(),
            policy=ThresholdPolicy(0.9), reviews=InProcessReviews(reviewer),
            ledger=root / "batch-ledger.db", checkpointer=root / "batch-checkpoints.db",
            labels=["a", "b"],
        ))
        runners: dict[str, Callable[[int, str, int], float]] = {
            name: functools.partial(_run, graph) for name, graph in graphs.items()}
        runners["batch"] = batched.run
        runners["ours_one_executor"] = lambda n_, p_, o_: _with_one_executor(
            functools.partial(_run, graphs["ours"], n_, p_, o_))
        seconds = dict.fromkeys(runners, 0.0)
        for name, run in runners.items():
            run(20, f"warm-{name}", 0)
        # Alternate blocks so every graph meets the same machine load.
        for start in range(0, n, block):
            for name, run in runners.items():
                seconds[name] += run(min(block, n - start), name, start)
        ours_rate, plain_rate, bare_rate, ceiling_rate, batch_rate, floor_rate, one_rate = (
            n / seconds[k] for k in ("ours", "plain", "bare", "ceiling", "batch",
                                     "nothing_stored", "ours_one_executor"))
        shape_rate = n / seconds["full_shape"]

    print(json.dumps({
        "benchmark": "loop_throughput",
        "items": n,
        "review_share": args.review_share,
        "ours_items_per_s": round(ours_rate, 1),
        "plain_sqlite_default_items_per_s": round(plain_rate, 1),
        "plain_no_checkpointer_items_per_s": round(bare_rate, 1),
        "ratio_vs_plain_sqlite_default": round(ours_rate / plain_rate, 2),
        "ratio_vs_plain_no_checkpointer": round(ours_rate / bare_rate, 2),
        "plain_exit_durable_items_per_s": round(ceiling_rate, 1),
        "ceiling_ratio_vs_plain_no_checkpointer": round(ceiling_rate / bare_rate, 2),
        "ours_ratio_vs_ceiling": round(ours_rate / ceiling_rate, 2),
        "plain_full_shape_exit_durable_items_per_s": round(shape_rate, 1),
        "full_shape_ceiling_ratio_vs_plain_no_checkpointer": round(shape_rate / bare_rate, 2),
        "ours_ratio_vs_full_shape_ceiling": round(ours_rate / shape_rate, 2),
        "plain_nothing_stored_items_per_s": round(floor_rate, 1),
        "nothing_stored_ratio_vs_plain_no_checkpointer": round(floor_rate / bare_rate, 2),
        "nothing_stored_ratio_vs_plain_sqlite_default": round(floor_rate / plain_rate, 2),
        "what_if_langgraph_kept_its_executor": {
            "ours_items_per_s": round(one_rate, 1),
            "ratio_vs_plain_sqlite_default": round(one_rate / plain_rate, 2),
            "ratio_vs_plain_no_checkpointer": round(one_rate / bare_rate, 2),
        },
        "batch_items_per_s": round(batch_rate, 1),
        "batch_ratio_vs_plain_no_checkpointer": round(batch_rate / bare_rate, 2),
        "targets": {"ratio_vs_plain_sqlite_default": ">= 3",
                    "ratio_vs_plain_no_checkpointer": ">= 0.5",
                    "batch_ratio_vs_plain_no_checkpointer": ">= 0.8"},
    }, indent=2))


if __name__ == "__main__":
    main()
