"""How cost grows with work: the ledger grows from 10k items (1k pending reviews) by 10x steps,
and at each size this prints what one unit of work costs:

- ``loop_ms_per_item``: one new item through the review graph (one ``invoke`` each), and through
  the batch API (``ingest``, 256 a batch), the median over the items, wall and the process's CPU
  time (``*_cpu``), with a checkpointer that holds a thread per pending review;
- ``resumer_pass_ms``: one ``Resumer.run_once`` after 100 reviews were answered, the median over
  the rounds (``status_calls``: the most any pass made),
  with a backend that says what changed (``event_driven``; its status calls are counted), and
  one that must be polled (``polled``: 1,000 pending reviews each pass, the 500 due first and
  a page of the others in turn);
- ``queue_page_ms``: the worker portal's queue page (``portal_queue.list_queue``: the first 50
  open tasks, their count up to 1,000, the reviewer's flows), sorted by deadline, and
  ``queue_by_priority_ms`` sorted by priority, with as many open human loops in the service
  database as pending reviews (``*_cpu_ms``: the CPU time of the thread, steady under load);
- ``worker_tasks_ms``: the worker API's task list (``TaskBoard.page_tasks``: a page of 100, then
  the page after it) and ``worker_count_ms`` its count (``count_tasks``, up to 1,000), and
  ``team_figures_ms`` the team view's figures computed afresh (``team_stats``), CPU ms (it grows
  from 1k to 10k pending reviews while its at-risk list, at most 1,000 loops due within a day,
  fills up, and is flat from there);
- ``export``: a full export (openai-chat) of the ledger's corrections (one per ten items, and
  1,000 more), per correction; and an export of the 1,000 alone continuing an earlier full export
  (``since``), in ms: wall, the process's CPU time, the time it waited for
  a CPU while runnable (``runqueue``: other processes' share of this 2-core machine, from
  ``/proc/thread-self/schedstat``) and ``own`` = wall - runqueue (on a CPU or waiting for the
  disk: what the export costs here); with the bytes it read from the disk (``/proc/self/io``
  ``read_bytes``: 0 while the ledger sits in the page cache) and the size of the state it reads
  and writes (``state_bytes``: 8 bytes per earlier correction and group, the one part that grows
  with the ledger).

The loop, the resumer and the exports take turns across the sizes: each size has its
own ledger, seeded once, and every round runs on each size (the order reversed every other
round), medians over eight rounds, so the machine's load falls on all sizes alike (measured one
size after the other, the wall time of the 1M export once grew 2.6x while its CPU time did not,
other processes holding the CPU; a resumer pass measured so swung from 0.95 to 1.7 times the
smallest size's from run to run). The queue, worker and team figures are measured on one
ledger and service database that grow from size to size.

Before anything is timed the seeded rows are written out (``os.sync``): otherwise the kernel
writes the seed's gigabyte back while the first measurements run, and their fsyncs wait for it.

The anchor of each figure is its value at the smallest size, measured in the same run; the
``growth`` block gives each figure's ratio to it and ``log_growth`` the ratio of log(n) to
log(n0), the ceiling for "grows no faster than log n".

Rows are seeded in bulk by copying rows the graph wrote (same columns, new ids), so seeding a
size costs seconds, not a run of the graph per row.

    python benchmarks/scaling.py [--sizes 10000,100000,1000000]   # default: 10k and 100k
    python benchmarks/scaling.py --only export [--sizes …]          # the export figures alone
    python benchmarks/scaling.py --only loop [--sizes …]            # the per-item loop alone
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portal import populate  # noqa: E402

from hitl_agent import (  # noqa: E402
    InProcessReviews,
    MaxProbabilityScorer,
    Prediction,
    Resumer,
    ThresholdPolicy,
    build_review_graph,
)
from hitl_agent.graph.batch import ingest  # noqa: E402
from hitl_agent.memory.ledger import Ledger  # noqa: E402
from hitl_agent.memory.ledger.schema import input_key  # noqa: E402
from hitl_agent.review.base import ReviewStatus  # noqa: E402


def model(text: str) -> Prediction:
    sure = not text.startswith("unsure")
    return Prediction(output="a", probabilities={"a": 0.99 if sure else 0.5,
                                                 "b": 0.01 if sure else 0.5}, model_id="m")


class CountingReviews(InProcessReviews):
    """In-process reviews whose status calls are counted. ``feed``: it says what changed;
    ``far``: the seeded reviews' backend, whose reviews stay pending."""

    def __init__(self, feed: bool, *, far: bool = False) -> None:
        super().__init__()
        self.feed, self.far = feed, far
        if far:
            self.name = "far"
        self.status_calls = 0

    def status(self, review_id: str) -> ReviewStatus:
        self.status_calls += 1
        return ReviewStatus(review_id, "pending") if self.far else super().status(review_id)

    def changed_reviews(self, cursor: str | None) -> tuple[list[str], str] | None:
        if not self.feed:
            return None
        return ([], "0") if self.far else super().changed_reviews(cursor)


class ResumerPasses:
    """Two resumers over a ledger, one whose backends say what changed (``event_driven``) and
    one whose backends must be polled (``polled``), each with a graph of its own whose unsure
    items wait for review. :meth:`one_pass` starts 100 such items, answers their reviews and
    times the pass that resumes them."""

    def __init__(self, root: Path, ledger: Any, tag: str) -> None:
        self.modes: dict[str, tuple[Any, CountingReviews, CountingReviews, Resumer]] = {}
        for mode, feed in (("event_driven", True), ("polled", False)):
            reviews = CountingReviews(feed)
            far = CountingReviews(feed, far=True)
            g = build_review_graph(model=model, scorer=MaxProbabilityScorer(),
                                   policy=ThresholdPolicy(0.9), reviews=reviews, ledger=ledger,
                                   checkpointer=root / f"checkpoints-{tag}-{mode}.db",
                                   labels=["a", "b"])
            resumer = Resumer(g, ledger, {"in_process": reviews, "far": far})
            resumer.run_once()  # the first pass of a resumer polls what it can (catch-up)
            self.modes[mode] = (g, reviews, far, resumer)

    def one_pass(self, mode: str, tag: str) -> dict[str, float]:
        g, reviews, far, resumer = self.modes[mode]
        for i in range(100):
            g.invoke({"input": f"unsure {mode} {tag} {i}"},
                     {"configurable": {"thread_id": f"u{mode}{tag}-{i}"}})
        for request in reviews.pending():
            reviews.answer(request.review_id, {"action": "accept"})
        reviews.status_calls = far.status_calls = 0
        start, start_cpu = time.perf_counter(), time.process_time()
        report = resumer.run_once()
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        assert len(report.resumed) == 100, report
        return {f"{mode}_ms": seconds * 1000, f"{mode}_cpu_ms": cpu * 1000,
                f"{mode}_status_calls": reviews.status_calls + far.status_calls}


def ledger_copy(ledger: Any, path: Path) -> Ledger:
    """A copy of a SQLite ``ledger`` at ``path`` (SQLite's online backup: what its WAL holds
    too)."""
    source, target = sqlite3.connect(ledger.engine.url.database), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return Ledger(path)


def median_ms(fn: Callable[[], Any], repeats: int = 5,
              clock: Callable[[], float] = time.perf_counter) -> float:
    samples = []
    for _ in range(repeats):
        start = clock()
        fn()
        samples.append((clock() - start) * 1000)
    return round(statistics.median(samples), 3)


def seed(graph: Any, items: int, pending: int, have: tuple[int, int, int]) -> None:
    """Grow the ledger to ``items`` finished items, ``pending`` pending reviews (backend
    ``far``) and one correction per ten items, copying rows the graph wrote."""
    ledger = graph.hitl_parts.ledger
    db = ledger.engine.raw_connection()
    try:
        conn = db.driver_connection
        item_cols = [r[1] for r in conn.execute("PRAGMA table_info(items)")]
        review_cols = [r[1] for r in conn.execute("PRAGMA table_info(reviews)")]
        done = conn.execute("SELECT * FROM items WHERE status='finished' LIMIT 1").fetchone()
        review = conn.execute("SELECT * FROM reviews LIMIT 1").fetchone()
        correction = conn.execute("SELECT * FROM corrections LIMIT 1").fetchone()
        assert done and review and correction, "run the template items first"
        far = "9999-01-01 00:00:00.000000"
        conn.execute("BEGIN IMMEDIATE")

        def clone(row: Any, cols: list[str], **new: Any) -> tuple[Any, ...]:
            return tuple(new.get(c, row[i]) for i, c in enumerate(cols))

        ins_item = f"INSERT INTO items ({','.join(item_cols)}) VALUES " \
                   f"({','.join('?' * len(item_cols))})"
        have_items, have_pending, have_corrections = have
        rows = []
        for i in range(have_items, items - pending):
            rows.append(clone(done, item_cols, id=f"s{i}", thread_id=f"s{i}"))
            if len(rows) == 20000:
                conn.executemany(ins_item, rows)
                rows.clear()
        conn.executemany(ins_item, rows)
        rows = []
        reviews_rows = []
        ins_review = f"INSERT INTO reviews ({','.join(review_cols)}) VALUES " \
                     f"({','.join('?' * len(review_cols))})"
        for i in range(have_pending, pending):
            rows.append(clone(done, item_cols, id=f"p{i}", thread_id=f"p{i}",
                              status="pending_review", final_output_json=None,
                              final_source=None))
            reviews_rows.append(clone(review, review_cols, id=f"p{i}:r", item_id=f"p{i}",
                                      thread_id=f"p{i}", backend="far", deadline=far,
                                      state="pending", outcome_json=None, decided_at=None,
                                      decided_by=None, resume_lease_until=None,
                                      resumed_at=None, interrupt_id=None))
        conn.executemany(ins_item, rows)
        conn.executemany(ins_review, reviews_rows)
        add_corrections(conn, have_corrections, items // 10)
        conn.execute("COMMIT")
    finally:
        db.close()


def add_corrections(conn: Any, start: int, stop: int) -> None:
    """Corrections ``sc{start}`` .. ``sc{stop - 1}``, copies of the graph's first correction
    with their own ids, inputs and exact-match keys (inside the caller's transaction)."""
    cols = [r[1] for r in conn.execute("PRAGMA table_info(corrections)") if r[1] != "seq"]
    template = conn.execute(f"SELECT {','.join(cols)} FROM corrections ORDER BY seq LIMIT 1"
                            ).fetchone()
    payload = json.loads(template[cols.index("payload_json")])
    insert = (f"INSERT INTO corrections ({','.join(cols)}) VALUES "
              f"({','.join('?' * len(cols))})")
    rows = []
    for i in range(start, stop):
        text = f"{payload['input']} {i}"
        body = json.dumps({**payload, "id": f"sc{i}", "thread_id": f"s{i}", "input": text,
                           "split_group": f"s{i}"})
        new = {"id": f"sc{i}", "item_id": f"s{i}", "review_id": f"s{i}:r",
               "split_group": f"s{i}", "payload_json": body, "input_key": input_key(text)}
        rows.append(tuple(new.get(c, template[j]) for j, c in enumerate(cols)))
        if len(rows) == 20000:
            conn.executemany(insert, rows)
            rows.clear()
    conn.executemany(insert, rows)


def measure(items: int, pending: int, services: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"items": items, "pending_reviews": pending}

    from hitl_agent.service.portal_queue import QueueView, list_queue

    worker = services.workforce.get_worker("bench-worker")
    views = (("queue_page", QueueView()), ("queue_by_priority", QueueView(sort="priority")))
    for key, view in views:
        def page(view: QueueView = view) -> Any:
            return list_queue(services.tasks, worker, view, limit=50)

        out[f"{key}_ms"] = median_ms(page, repeats=9)
        # The CPU time of this thread too (the query runs in it): the wall time swings with the
        # machine's load.
        out[f"{key}_cpu_ms"] = median_ms(page, repeats=9, clock=time.thread_time)

    # The worker API's task list: the first page of 100 and the one after it, and the count.
    board = services.tasks

    def two_pages() -> Any:
        first = board.page_tasks(worker, limit=100)
        return board.page_tasks(worker, limit=100, token=first.next_token)

    assert len(two_pages().tasks) == 100
    out["worker_tasks_ms"] = median_ms(two_pages, repeats=9, clock=time.thread_time)
    out["worker_count"] = board.count_tasks(worker)
    out["worker_count_ms"] = median_ms(lambda: board.count_tasks(worker), repeats=9,
                                       clock=time.thread_time)
    # The team view's figures computed afresh (each flow's backlog up to its cap), CPU ms.
    from hitl_agent.service.team_stats import team_stats

    out["team_figures_ms"] = median_ms(lambda: team_stats(services), repeats=5,
                                       clock=time.thread_time)
    return out


def settle() -> None:
    """Write out what the seeding left in the page cache, so the kernel does not write it back
    (and make every fsync wait for it) while the next figures are timed."""
    os.sync()


def runqueue_ms() -> float:
    """How long this thread has waited for a CPU while runnable (Linux schedstat), in ms."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


def io_counters() -> dict[str, int]:
    """This process's I/O counters (``/proc/self/io``; empty where there is none)."""
    try:
        with open("/proc/self/io") as f:
            return {k: int(v) for k, v in (line.split(":") for line in f)}
    except OSError:
        return {}


EXPORT_OPTIONS: dict[str, Any] = {"format": "openai-chat", "near_dup": False}


def full_export(root: Path, graph: Any, tag: str) -> dict[str, Any]:
    """A full export of the ledger's corrections (the one the ``since`` exports continue), then
    1,000 corrections more for them: the continuous fine-tuning case, whose cost should not
    depend on what came before. (Its cost per correction: :func:`full_export_again`, in the
    rounds.)"""
    from hitl_agent.export import ExportOptions, export_dataset

    result = export_dataset(graph.hitl_parts.ledger, root / f"export-{tag}",
                            ExportOptions(**EXPORT_OPTIONS))
    last = graph.hitl_parts.ledger.last_correction_seq()
    db = graph.hitl_parts.ledger.engine.raw_connection()
    try:
        conn = db.driver_connection
        conn.execute("BEGIN IMMEDIATE")
        add_corrections(conn, 10_000_000 + last, 10_000_000 + last + 1000)
        conn.execute("COMMIT")
    finally:
        db.close()
    return {"corrections": result.counts["read"]}


def full_export_again(root: Path, graph: Any, tag: str, run: int) -> dict[str, float]:
    """A full export of every correction the ledger holds, µs per correction: wall and the
    process's CPU time."""
    from hitl_agent.export import ExportOptions, export_dataset

    folder = root / f"export-{tag}-full-{run}"
    start, start_cpu = time.perf_counter(), time.process_time()
    result = export_dataset(graph.hitl_parts.ledger, folder, ExportOptions(**EXPORT_OPTIONS))
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    shutil.rmtree(folder)
    read = result.counts["read"]
    return {"us_per_correction": wall * 1e6 / read, "us_per_correction_cpu": cpu * 1e6 / read}


def since_export(root: Path, graph: Any, tag: str, run: int) -> dict[str, float]:
    """One export of the 1,000 corrections after the full export (``since`` it): wall, the
    process's CPU, the time this thread waited for a CPU, ``own`` (wall - that wait), the bytes
    read from the disk, read and written (through the page cache), and the state's size."""
    from hitl_agent.export import ExportOptions, export_dataset

    out = root / f"export-{tag}-more-{run}"
    io0, wait0 = io_counters(), runqueue_ms()
    start, start_cpu = time.perf_counter(), time.process_time()
    more = export_dataset(graph.hitl_parts.ledger, out, ExportOptions(**EXPORT_OPTIONS),
                          since=root / f"export-{tag}")
    wall = (time.perf_counter() - start) * 1000
    cpu = (time.process_time() - start_cpu) * 1000
    waited = runqueue_ms() - wait0
    io1 = io_counters()
    assert more.counts["read"] == 1000, more.counts
    state = more.manifest.state
    shutil.rmtree(out)
    return {"wall": wall, "cpu": cpu, "runqueue": waited, "own": wall - waited,
            **{key: io1.get(counter, 0) - io0.get(counter, 0)
               for key, counter in (("disk_read", "read_bytes"), ("bytes_read", "rchar"),
                                    ("bytes_written", "wchar"))},
            "state_bytes": state.bytes if state is not None else 0}


def new_graph(root: Path, name: str, *, ledger: Any = None, reviews: Any = None) -> Any:
    """A review graph of ``model`` on the ledger ``root/<name>.db`` (or ``ledger``) with its own
    checkpointer."""
    return build_review_graph(
        model=model, scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
        reviews=reviews or InProcessReviews(lambda r: {"action": "accept"},
                                            answers_synchronously=False),
        ledger=ledger if ledger is not None else root / f"{name}.db",
        checkpointer=root / f"{name}-checkpoints.db", labels=["a", "b"])


def with_templates(graph: Any) -> Any:
    """The graph after writing the rows :func:`seed` copies: a finished item, a pending review
    and a correction."""
    graph.invoke({"input": "template sure"}, {"configurable": {"thread_id": "tpl-1"}})
    graph.invoke({"input": "unsure template"}, {"configurable": {"thread_id": "tpl-2"}})
    Resumer.for_graph(graph).run_once()  # tpl-2 decided: a review and a correction
    return graph


def seed_checkpoints(path: Path, threads: int) -> None:
    """Give the checkpointer at ``path`` the threads of the pending reviews (``p0`` ..), each a
    copy of the template thread's rows: the threads a checkpointer must keep."""
    import sqlite3

    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        for table in ("checkpoints", "writes"):
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            rows = db.execute(f"SELECT * FROM {table} WHERE thread_id = 'tpl-1'").fetchall()
            at = cols.index("thread_id")
            db.executemany(
                f"INSERT INTO {table} VALUES ({','.join('?' * len(cols))})",
                (tuple(f"p{i}" if j == at else v for j, v in enumerate(row))
                 for i in range(threads) for row in rows))
        db.execute("COMMIT")
    finally:
        db.close()


def loop_item(graph: Any, batch_graph: Any, tag: str, per_round: int,
              batch: int) -> dict[str, list[float]]:
    """``per_round`` items through the graph (one ``invoke`` each) and ``batch`` through
    ``ingest``: ms per item, wall and the process's CPU."""
    got: dict[str, list[float]] = {"invoke": [], "invoke_cpu": []}
    for i in range(per_round):
        start, start_cpu = time.perf_counter(), time.process_time()
        graph.invoke({"input": f"new {tag} {i}"}, {"configurable": {"thread_id": f"n{tag}-{i}"}})
        got["invoke"].append((time.perf_counter() - start) * 1000)
        got["invoke_cpu"].append((time.process_time() - start_cpu) * 1000)
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in ingest(batch_graph, ((f"b{tag}-{i}", f"batch {tag} {i}") for i in range(batch))):
        pass
    got["batch"] = [(time.perf_counter() - start) * 1000 / batch]
    got["batch_cpu"] = [(time.process_time() - start_cpu) * 1000 / batch]
    return got


def alternating(root: Path, sizes: list[int], *, loop: bool, export: bool, resumer: bool,
                rounds: int = 8, per_round: int = 25,
                batch: int = 256) -> dict[int, dict[str, Any]]:
    """The per-item loop, the resumer's passes and the exports at each size, the sizes taking
    turns.

    Each size has its own ledger, seeded once, and a checkpointer holding its pending reviews'
    threads (and, for the export, exported in full once, then given 1,000 corrections more);
    each round runs on every size, the order reversed every other round: ``per_round`` invokes
    and one ``ingest`` of ``batch`` items, a resumer pass of each kind (:class:`ResumerPasses`),
    one ``since`` export and one full export. Medians over the samples,
    so the machine's load and a slow moment fall on every size alike and the ratios between
    sizes hold even on a busy machine."""
    graphs, out, passes = {}, {}, {}
    for items in sizes:
        graph = with_templates(new_graph(root, f"alt-{items}"))
        seed(graph, items, items // 10, (0, 0, 0))
        seed_checkpoints(root / f"alt-{items}-checkpoints.db", items // 10)
        batch_graph = new_graph(root, f"alt-{items}-batch", ledger=graph.hitl_parts.ledger,
                                reviews=InProcessReviews())
        graphs[items] = (graph, batch_graph)
        if resumer:  # on a copy: its corrections must not reach the exports'
            passes[items] = ResumerPasses(root, ledger_copy(
                graph.hitl_parts.ledger, root / f"alt-{items}-resumer.db"), f"alt-{items}")
        out[items] = {"export": full_export(root, graph, f"alt-{items}")} if export else {}
    settle()
    samples: dict[int, dict[str, list[float]]] = {n: {} for n in sizes}
    for r in range(-1, rounds):  # round -1 warms every size up and is not counted
        for items in sizes if r % 2 == 0 else sizes[::-1]:
            graph, batch_graph = graphs[items]
            got: dict[str, list[float]] = {}
            if loop:
                got.update(loop_item(graph, batch_graph, f"{items}-{r}", per_round, batch))
            if resumer:
                for mode in passes[items].modes:
                    got.update({f"resumer_{k}": [v] for k, v in
                                passes[items].one_pass(mode, f"{items}-{r}").items()})
            if export:
                got.update({f"since_{k}": [v]
                            for k, v in since_export(root, graph, f"alt-{items}", r).items()})
                got.update({f"full_{k}": [v] for k, v in
                            full_export_again(root, graph, f"alt-{items}", r).items()})
            if r >= 0:
                for key, values in got.items():
                    samples[items].setdefault(key, []).extend(values)
    for items, got in samples.items():
        med = {k: statistics.median(v) for k, v in got.items()}
        if loop:
            out[items]["loop_ms_per_item"] = {k: round(med[k], 3) for k in
                                              ("invoke", "invoke_cpu", "batch", "batch_cpu")}
        if resumer:
            out[items]["resumer_pass"] = {mode: {
                "ms": round(med[f"resumer_{mode}_ms"], 1),
                "cpu_ms": round(med[f"resumer_{mode}_cpu_ms"], 1),
                "status_calls": int(max(got[f"resumer_{mode}_status_calls"]))}
                for mode in ("event_driven", "polled")}
        if export:
            out[items]["export"].update({
                "us_per_correction": round(med["full_us_per_correction"], 1),
                "us_per_correction_cpu": round(med["full_us_per_correction_cpu"], 1),
                "since_previous_1000_new_ms": round(med["since_wall"], 1),
                "since_previous_1000_new_cpu_ms": round(med["since_cpu"], 1),
                "since_previous_1000_new_runqueue_ms": round(med["since_runqueue"], 1),
                "since_previous_1000_new_own_ms": round(med["since_own"], 1),
                "since_previous_disk_read_bytes": int(med["since_disk_read"]),
                "since_previous_bytes_read": int(med["since_bytes_read"]),
                "since_previous_bytes_written": int(med["since_bytes_written"]),
                "state_bytes": int(med["since_state_bytes"])})
    return out


def flat(r: dict[str, Any]) -> dict[str, float]:
    """The figures of one size that the growth block compares, by name."""
    out: dict[str, float] = {}
    if "loop_ms_per_item" in r:
        loop = r["loop_ms_per_item"]
        out.update({"loop_invoke": loop["invoke"], "loop_invoke_cpu": loop["invoke_cpu"],
                    "loop_batch": loop["batch"], "loop_batch_cpu": loop["batch_cpu"]})
    if "resumer_pass" in r:
        out.update({"resumer_event_driven": r["resumer_pass"]["event_driven"]["ms"],
                    "resumer_event_driven_cpu": r["resumer_pass"]["event_driven"]["cpu_ms"]})
    if "queue_page_ms" in r:
        out.update({"queue_page": r["queue_page_ms"],
                    "queue_by_priority": r["queue_by_priority_ms"],
                    "queue_page_cpu": r["queue_page_cpu_ms"],
                    "queue_by_priority_cpu": r["queue_by_priority_cpu_ms"],
                    "worker_tasks_cpu": r["worker_tasks_ms"],
                    "worker_count_cpu": r["worker_count_ms"],
                    "team_figures_cpu": r["team_figures_ms"]})
    if "export" in r:
        e = r["export"]
        out.update({"export_per_correction": e["us_per_correction"],
                    "export_per_correction_cpu": e["us_per_correction_cpu"],
                    "export_since_1000_new": e["since_previous_1000_new_ms"],
                    "export_since_1000_new_cpu": e["since_previous_1000_new_cpu_ms"],
                    "export_since_1000_new_own": e["since_previous_1000_new_own_ms"],
                    "export_since_state_bytes": e["state_bytes"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="ledger sizes in items, comma-separated, growing (pending reviews: "
                             "a tenth of each); e.g. 10000,100000,1000000")
    parser.add_argument("--only", choices=("all", "export", "loop"), default="all",
                        help="export: the exports alone; loop: the per-item loop alone")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    results = [{"items": items, "pending_reviews": items // 10} for items in sizes]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.only == "all":
            from hitl_agent.service.services import build_services
            from hitl_agent.service.settings import ServiceSettings

            graph = with_templates(new_graph(root, "ledger"))
            have = (0, 0, 0)
            for result in results:
                items, pending = result["items"], result["pending_reviews"]
                seed(graph, items, pending, have)
                have = (items - pending, pending, items // 10)
                settle()
                data = root / f"service-{items}"
                populate(data, pending)
                services = build_services(ServiceSettings(data_dir=data, background=False))
                result.update(measure(items, pending, services))
                services.close()
                print(json.dumps(result), file=sys.stderr)
        turns = alternating(root, sizes, loop=args.only in ("all", "loop"),
                            export=args.only in ("all", "export"), resumer=args.only == "all")
        for result in results:
            result.update(turns[result["items"]])
            print(json.dumps({"items": result["items"], **turns[result["items"]]}),
                  file=sys.stderr)

    base = flat(results[0])
    growth = [{"items": r["items"],
               "log_growth": round(math.log(r["items"]) / math.log(sizes[0]), 2),
               "log_growth_pending": round(math.log(r["pending_reviews"])
                                           / math.log(results[0]["pending_reviews"]), 2),
               **{k: round(v / base[k], 2) for k, v in flat(r).items() if base[k]}}
              for r in results]
    by_pending = ("resumer", "queue", "worker", "team")
    for row in growth:
        row["over_log_growth"] = sorted(
            k for k, v in row.items()
            if k not in ("items", "log_growth", "log_growth_pending", "export_since_state_bytes")
            and v > row["log_growth_pending" if k.startswith(by_pending) else "log_growth"])
    print(json.dumps({"benchmark": "scaling", "sizes": results, "anchor": "the smallest size",
                      "growth": growth,
                      "target": "each growth ratio flat or <= log_growth (log_growth_pending for "
                                "the resumer, queue, worker and team figures; "
                                "export_since_state_bytes excepted: the dedup state, 8 bytes a "
                                "correction); over_log_growth lists those above it. "
                                "team_figures_cpu is bounded instead: it grows while its at-risk "
                                "list fills (at most 1,000 loops) and is flat from there"},
                     indent=2))


if __name__ == "__main__":
    main()
