"""A worker process for the crash tests: runs items through the graph, and may SIGKILL itself
at a chosen step boundary. Usage: ``python -m tests.graph.crash_worker DATA_DIR N_ITEMS [CRASH_AT
[CRASH_ITEM]]``, the repository on ``PYTHONPATH``."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from hitl_agent import (
    InProcessReviews,
    MaxProbabilityScorer,
    Resumer,
    ThresholdPolicy,
    build_review_graph,
)
from hitl_agent.errors import ReviewNotFound
from tests.helpers.graphs import LABELS, gold_reviewer, keyword_model
from tests.helpers.wait import wait_until

data = Path(sys.argv[1])
n_items = int(sys.argv[2])
crash_at = sys.argv[3] if len(sys.argv) > 3 else ""
crash_item = sys.argv[4] if len(sys.argv) > 4 else "item-1"
log = data / "starts.log"


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


reviews = InProcessReviews(gold_reviewer(), answers_synchronously=False,
                           path=data / "reviews.db")
real_start = reviews.start


def logged_start(request):  # type: ignore[no-untyped-def]
    try:
        reviews.get_request(request.review_id)
    except ReviewNotFound:
        with log.open("a") as f:
            f.write(request.review_id + "\n")
    out = real_start(request)
    if crash_at == "after_dispatch" and request.thread_id == crash_item:
        die()
    return out


reviews.start = logged_start  # type: ignore[method-assign]

graph = build_review_graph(
    model=keyword_model, scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
    reviews=reviews, ledger=data / "ledger.db", checkpointer=data / "checkpoints.db",
    labels=LABELS, task="spam",
)
ledger = Resumer.for_graph(graph).ledger

real_open, real_decide, real_record = ledger.open_review, ledger.decide_review, \
    ledger.record_correction


def open_review(request, backend):  # type: ignore[no-untyped-def]
    if crash_at == "before_dispatch" and request.thread_id == crash_item:
        die()
    return real_open(request, backend)


def decide_review(review_id, outcome, **kw):  # type: ignore[no-untyped-def]
    won = real_decide(review_id, outcome, **kw)
    item = ledger.get_review(review_id).item_id
    if crash_at == "after_decision" and item == crash_item and kw.get("decided_by") != "graph":
        die()
    return won


def record_correction(correction):  # type: ignore[no-untyped-def]
    new = real_record(correction)
    if crash_at == "after_learn" and correction.thread_id == crash_item:
        die()
    return new


ledger.open_review = open_review  # type: ignore[method-assign]
ledger.decide_review = decide_review  # type: ignore[method-assign]
ledger.record_correction = record_correction  # type: ignore[method-assign]

resumer = Resumer.for_graph(graph, lease_seconds=0.0)
resumer.recover_stalled(stale_after=0)
texts = [("maybe win " if i % 2 else "win ") + str(i) for i in range(n_items)]
for i, text in enumerate(texts):
    graph.invoke({"input": text}, {"configurable": {"thread_id": f"item-{i}"}})
if crash_at == "while_waiting":
    die()


def settled() -> bool:
    report = resumer.run_once()
    return report.still_pending == 0 and not ledger.pending_reviews()


wait_until(settled, 60, message="reviews still pending")
resumer.recover_stalled(stale_after=0)
print(json.dumps(ledger.counts()))
