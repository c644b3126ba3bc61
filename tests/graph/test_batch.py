"""The batch API (``ingest``/``run_batch``): the same results and ledger as one invoke per item,
one model call per item, re-runs that change nothing, and a SIGKILL mid-stream that a second run
finishes with every item once."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hitl_agent import InProcessReviews, Ledger, Prediction, Resumer
from hitl_agent.errors import ConfigError, ThreadInputConflict
from hitl_agent.graph.batch import BatchItem, ingest, run_batch
from hitl_agent.graph.parts import loop_of
from tests.helpers.graphs import cfg, gold_reviewer, keyword_model, make_graph
from tests.helpers.paths import child_env


class CountingModel:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, text: str) -> Prediction:
        self.calls[text] += 1
        return keyword_model(text)


def texts(n: int) -> list[str]:
    return [("maybe win " if i % 3 == 0 else "win " if i % 2 else "hello ") + str(i)
            for i in range(n)]


def test_batch_gives_what_one_invoke_per_item_gives(tmp_path: Path) -> None:
    model = CountingModel()
    batched = make_graph(tmp_path / "a", InProcessReviews(), model=model)
    single = make_graph(tmp_path / "b", InProcessReviews())
    items = texts(12)
    got = list(ingest(batched, ((f"t{i}", x) for i, x in enumerate(items)), batch_size=5))
    assert [r["thread_id"] for r in got] == [f"t{i}" for i in range(12)]
    for i, (x, result) in enumerate(zip(items, got, strict=True)):
        expected = single.invoke({"input": x}, cfg(f"t{i}"))
        if "__interrupt__" in expected:
            assert "__interrupt__" in result
            assert result["__interrupt__"][0].value["review_id"] == \
                expected["__interrupt__"][0].value["review_id"]
        else:
            assert (result["output"], result["output_source"]) == (expected["output"], "model")
    assert set(model.calls.values()) == {1}, "a model was asked twice"
    a, b = loop_of(batched).ledger, loop_of(single).ledger
    assert a.counts() == b.counts()
    for i in range(12):
        ia, ib = a.get_item(f"t{i}"), b.get_item(f"t{i}")
        assert (ia.status, ia.final_output, ia.prediction, ia.decision.action) == (
            ib.status, ib.final_output, ib.prediction, ib.decision.action)

    # A second run of the same stream: answers from the ledger, no model call, no new review.
    again = run_batch(batched, [BatchItem(f"t{i}", x) for i, x in enumerate(items)])
    assert [r.get("output") for r in again if "__interrupt__" not in r] == [
        r.get("output") for r in got if "__interrupt__" not in r]
    assert set(model.calls.values()) == {1}
    assert a.counts() == b.counts()

    # The escalated items wait like any other: a person answers, the Resumer finishes them.
    reviews = loop_of(batched).tiers[0]
    for request in reviews.pending():
        reviews.answer(request.review_id, {"action": "edit", "final_output": "ham"})
    report = Resumer.for_graph(batched).run_once()
    assert len(report.resumed) == 4
    assert a.counts()["items.finished"] == 12


def test_batch_refuses_a_thread_reused_with_another_input_before_writing(
        tmp_path: Path) -> None:
    graph = make_graph(tmp_path, InProcessReviews(gold_reviewer()))
    run_batch(graph, [("t1", "win 1")])
    before = loop_of(graph).ledger.counts()
    with pytest.raises(ThreadInputConflict):
        run_batch(graph, [("t2", "win 2"), ("t1", "another input")])
    assert loop_of(graph).ledger.counts() == before
    with pytest.raises(ConfigError, match="one item per thread"):
        run_batch(graph, [("t3", "a"), ("t3", "b")])
    with pytest.raises(ConfigError, match="thread_id"):
        run_batch(graph, [{"input": "no thread"}])


WORKER = """
import os, signal, sys
from pathlib import Path
from typing import Any
from tests.helpers.graphs import keyword_model, make_graph
from hitl_agent import InProcessReviews
from hitl_agent.graph.batch import ingest
data, kill_at = Path({data!r}), int(sys.argv[1])
calls = data / "calls.log"

def model(text):
    if int(text.split()[-1]) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    with calls.open("a") as f:
        f.write(text + "\\n")
    return keyword_model(text)

graph = make_graph(data, InProcessReviews(), model=model)
items = [("t%d" % i, ("maybe win " if i % 3 == 0 else "win ") + str(i)) for i in range(40)]
for _ in ingest(graph, items, batch_size=8):
    pass
from hitl_agent.graph.parts import loop_of
print(loop_of(graph).ledger.counts())
"""


def test_sigkill_mid_stream_then_a_second_run_finishes_every_item_once(tmp_path: Path) -> None:
    code = WORKER.format(data=str(tmp_path))
    first = subprocess.run([sys.executable, "-c", code, "21"], capture_output=True, text=True,
                           timeout=120, env=child_env())
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    ledger = Ledger(tmp_path / "ledger.db")
    assert len(list(ledger.iter_items())) == 16  # two batches of 8 committed, the third lost
    second = subprocess.run([sys.executable, "-c", code, "-1"], capture_output=True, text=True,
                            timeout=120, env=child_env())
    assert second.returncode == 0, second.stderr[-3000:]
    items = {i.id: i for i in ledger.iter_items()}
    assert len(items) == 40
    calls = Counter((tmp_path / "calls.log").read_text().split("\n")[:-1])
    # Committed items were never predicted again; only the lost batch's were (16..20 twice).
    assert {t for t, n in calls.items() if n > 1} == {
        ("maybe win " if i % 3 == 0 else "win ") + str(i) for i in range(16, 21)}
    escalated = [i for i in range(40) if i % 3 == 0]
    assert sum(item.status == "pending_review" for item in items.values()) == len(escalated)
    assert len(ledger.pending_reviews()) == len(escalated)  # one review each, none twice


@pytest.mark.postgres
def test_batch_on_postgres(tmp_path: Path, postgres_server: Any) -> None:
    url = postgres_server.create_database()
    model = CountingModel()
    graph = make_graph(tmp_path, InProcessReviews(), model=model, ledger=url, checkpointer=None)
    items = [(f"t{i}", x) for i, x in enumerate(texts(9))]
    first = run_batch(graph, items)
    again = run_batch(graph, items)
    assert [r.get("output") for r in first] == [r.get("output") for r in again]
    assert set(model.calls.values()) == {1}
    counts = loop_of(graph).ledger.counts()
    assert counts["items.finished"] == 6 and counts["reviews.pending"] == 3
