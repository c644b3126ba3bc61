"""Items per second through the review graph, against plain LangGraph graphs of the same shape.

Runs N items with an instant model through:

- ``ours``: ``build_review_graph`` with its durable SQLite checkpointer (WAL, synchronous=NORMAL)
  and the SQLite ledger, every item auto-accepted or reviewed in process (``--review-share``);
- ``plain_sqlite_default``: the anchor of the goal, a plain StateGraph of the review graph's
  sure path as it was when the goal was set (six steps: recall, predict, score, route, accept,
  finish) compiled with ``SqliteSaver.from_conn_string`` defaults (no ledger);
- ``plain_no_checkpointer``: the same plain graph with no checkpointer at all;
- ``four_step_anchors``: the same two with the four steps of ours' sure path today (recall,
  predict, score, route; route sets the output and ends the run) instead of the six the plain
  graph had when the goal was set (route, then accept, then finish): ours against a plain graph
  as short as it is;
- ``batch``: ``ours`` through the batch API (``hitl_agent.graph.batch.ingest``, 256 a batch);
- ``plain_exit_durable``: the plain graph on the same WAL checkpointer writing only at exit, with
  no ledger: the ceiling any durable graph of this shape can reach (LangGraph's checkpointing
  starts a thread per invoke and does per-step bookkeeping even when it writes only at exit);
- ``what_if_langgraph_kept_its_executor``: ``ours`` with LangGraph's background executor kept
  from one invoke to the next (a LangGraph internal swapped for that run only): the price of
  the thread LangGraph starts per invoke, which no graph built on it can avoid today;
- ``plain_full_shape_exit_durable``: a plain graph of ours' whole shape (its nine nodes, the five
  of a review's path never running here, its state keys and its routing by ``Command``) with
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
    ReviewLoop,
    SimulatedReviewer,
    ThresholdPolicy,
)
from hitl_agent.graph.batch import ingest
from hitl_agent.graph.checkpoint import sqlite_checkpointer
from hitl_agent.graph.internals import CONFIG_KEY_DURABILITY
from hitl_agent.graph.nodes import RUN_RESET
from hitl_agent.types import Prediction


class PlainState(TypedDict, total=False):
    input: Any
    prediction: dict[str, Any]
    confidence: float
    output: Any


def _plain_graph(*, four_steps: bool = False) -> StateGraph[Any, Any, Any, Any]:
    """The plain graph: six steps (recall, predict, score, route, accept, finish: the issue's
    anchor, the review graph's sure path when the goal was set), or four (``four_steps``: route
    sets the output and ends the run, as the review graph's sure path does now)."""
    g: StateGraph[Any, Any, Any, Any] = StateGraph(PlainState)
    g.add_node("recall", lambda s: {})
    g.add_node("predict", lambda s: {"prediction": {"output": "a", "p": {"a": 0.99, "b": 0.01}}})
    g.add_node("score", lambda s: {"confidence": max(s["prediction"]["p"].values())})
    chain = ["recall", "predict", "score", "route"]
    if four_steps:
        g.add_node("route", lambda s: {"output": s["prediction"]["output"]})
    else:
        g.add_node("route", lambda s: {})
        g.add_node("accept", lambda s: {"output": s["prediction"]["output"]})
        g.add_node("finish", lambda s: {})
        chain += ["accept", "finish"]
    for start, end in zip([START, *chain], [*chain, END], strict=True):
        g.add_edge(start, end)
    return g


def _full_shape_graph(ours: StateGraph[Any, Any, Any, Any]) -> StateGraph[Any, Any, Any, Any]:
    """The review graph's own nodes, edges, routing targets, state and the keys a run resets
    (read from the graph, so the anchor follows it), each node instant: the sure path runs."""
    prediction = {"output": "a", "probabilities": {"a": 0.99, "b": 0.01}}
    instant: dict[str, Callable[[Any], Any]] = {
        "recall": lambda s: Command(goto="predict",
                                    update={**RUN_RESET, "item": "i", "item_id": None}),
        "predict": lambda s: {"prediction": prediction},
        "score": lambda s: {"uncertainty": {
            "confidence": max(s["prediction"]["probabilities"].values())}},
        "route": lambda s: Command(goto=END, update={
            "decision": {"action": "a"}, "output": s["prediction"]["output"],
            "output_source": "model"}),
    }
    g: StateGraph[Any, Any, Any, Any] = StateGraph(ours.state_schema)
    for name, spec in ours.nodes.items():
        g.add_node(name, instant.get(name, lambda s: {}), destinations=spec.ends or None)
    for start, end in ours.edges:
        g.add_edge(start, end)
    return g


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

        def loop(ledger: str) -> ReviewLoop:
            return ReviewLoop(model=instant_model, scorer=MaxProbabilityScorer(),
                              policy=ThresholdPolicy(0.9), reviews=InProcessReviews(reviewer),
                              ledger=root / ledger, labels=["a", "b"])

        ours_loop = loop("ledger.db")
        graphs = {
            "ours": ours_loop.compile(root / "checkpoints.db"),
            "plain": _plain_graph().compile(checkpointer=saver),
            "bare": _plain_graph().compile(),
            "plain4": _plain_graph(four_steps=True).compile(checkpointer=saver),
            "bare4": _plain_graph(four_steps=True).compile(),
            # The ceiling for any durable graph of this shape: the plain graph on our WAL
            # checkpointer, writing only at exit, with no ledger.
            "ceiling": _plain_graph().compile(
                checkpointer=sqlite_checkpointer(root / "ceiling.db")
            ).with_config({"configurable": {CONFIG_KEY_DURABILITY: "exit"}}),
            "full_shape": _full_shape_graph(ours_loop.graph()).compile(
                checkpointer=sqlite_checkpointer(root / "full-shape.db")
            ).with_config({"configurable": {CONFIG_KEY_DURABILITY: "exit"}}),
            "nothing_stored": _plain_graph().compile(checkpointer=NothingStored()).with_config(
                {"configurable": {CONFIG_KEY_DURABILITY: "exit"}}),
        }
        batched = Batched(loop("batch-ledger.db").compile(root / "batch-checkpoints.db"))
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
        rate = {name: n / spent for name, spent in seconds.items()}

    ours, plain, bare = rate["ours"], rate["plain"], rate["bare"]

    def ceiling(prefix: str, key: str, ratio: str, ours_ratio: str) -> dict[str, float]:
        """A plain graph's rate, its ratio to the bare graph and ours to it."""
        return {f"{prefix}_items_per_s": round(rate[key], 1),
                ratio: round(rate[key] / bare, 2), ours_ratio: round(ours / rate[key], 2)}

    print(json.dumps({
        "benchmark": "loop_throughput",
        "items": n,
        "review_share": args.review_share,
        "ours_items_per_s": round(ours, 1),
        "plain_sqlite_default_items_per_s": round(plain, 1),
        "plain_no_checkpointer_items_per_s": round(bare, 1),
        "ratio_vs_plain_sqlite_default": round(ours / plain, 2),
        "ratio_vs_plain_no_checkpointer": round(ours / bare, 2),
        **ceiling("plain_exit_durable", "ceiling", "ceiling_ratio_vs_plain_no_checkpointer",
                  "ours_ratio_vs_ceiling"),
        **ceiling("plain_full_shape_exit_durable", "full_shape",
                  "full_shape_ceiling_ratio_vs_plain_no_checkpointer",
                  "ours_ratio_vs_full_shape_ceiling"),
        "four_step_anchors": {
            "plain_sqlite_default_items_per_s": round(rate["plain4"], 1),
            "plain_no_checkpointer_items_per_s": round(rate["bare4"], 1),
            "ratio_vs_plain_sqlite_default": round(ours / rate["plain4"], 2),
            "ratio_vs_plain_no_checkpointer": round(ours / rate["bare4"], 2),
        },
        "plain_nothing_stored_items_per_s": round(rate["nothing_stored"], 1),
        "nothing_stored_ratio_vs_plain_no_checkpointer": round(rate["nothing_stored"] / bare, 2),
        "nothing_stored_ratio_vs_plain_sqlite_default": round(rate["nothing_stored"] / plain, 2),
        "what_if_langgraph_kept_its_executor": {
            "ours_items_per_s": round(rate["ours_one_executor"], 1),
            "ratio_vs_plain_sqlite_default": round(rate["ours_one_executor"] / plain, 2),
            "ratio_vs_plain_no_checkpointer": round(rate["ours_one_executor"] / bare, 2),
        },
        "batch_items_per_s": round(rate["batch"], 1),
        "batch_ratio_vs_plain_no_checkpointer": round(rate["batch"] / bare, 2),
        "targets": {"ratio_vs_plain_sqlite_default": ">= 3",
                    "ratio_vs_plain_no_checkpointer": ">= 0.5",
                    "batch_ratio_vs_plain_no_checkpointer": ">= 0.8"},
    }, indent=2))


if __name__ == "__main__":
    main()
