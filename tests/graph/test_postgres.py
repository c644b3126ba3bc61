"""The same review loop with the ledger and the checkpoints on a real PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hitl_agent import InProcessReviews, Ledger, Resumer
from tests.helpers.graphs import cfg, gold_reviewer, make_graph
from tests.helpers.paths import child_env

pytestmark = pytest.mark.postgres


def test_loop_on_postgres_survives_a_new_process(tmp_path: Path, postgres_server: Any) -> None:
    url = postgres_server.create_database()
    reviews_path = tmp_path / "reviews.db"
    reviews = InProcessReviews(gold_reviewer(), answers_synchronously=False, path=reviews_path)
    graph = make_graph(tmp_path, reviews, ledger=url, checkpointer=None)
    assert Resumer.for_graph(graph).ledger.engine.url.get_backend_name() == "postgresql"
    assert graph.invoke({"input": "win now"}, cfg("pg1"))["output"] == "spam"
    out = graph.invoke({"input": "maybe win"}, cfg("pg2"))
    assert "__interrupt__" in out

    # A new process resumes the waiting item from Postgres alone.
    code = f"""
from pathlib import Path
from tests.helpers.graphs import make_graph, gold_reviewer, cfg
from hitl_agent import InProcessReviews, Resumer
reviews = InProcessReviews(gold_reviewer(), answers_synchronously=False,
                           path=Path({str(reviews_path)!r}))
g = make_graph(Path({str(tmp_path)!r}), reviews, ledger={url!r}, checkpointer=None)
report = Resumer.for_graph(g).run_once()
assert len(report.resumed) == 1, report
print(g.get_state(cfg("pg2")).values["output"])
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env=child_env())
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "ham"
    ledger = Ledger(url)
    assert ledger.get_item("pg2").final_output == "ham"
    assert ledger.counts()["corrections"] == 1
    assert Resumer.for_graph(graph).run_once().resumed == []
