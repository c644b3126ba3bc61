"""Kill the process with SIGKILL at each step boundary; a new process must finish every item with
no item lost, no review started twice and no correction written twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from hitl_agent import Ledger
from tests.helpers.paths import child_env

N_ITEMS = 6  # odd items are unsure ("maybe win") and go to review


def run_worker(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.graph.crash_worker", str(data),
                           str(N_ITEMS), *args],
                          capture_output=True, text=True, timeout=180, env=child_env())


def check_consistent(data: Path) -> None:
    ledger = Ledger(data / "ledger.db")
    items = {i.id: i for i in ledger.iter_items()}
    assert len(items) == N_ITEMS, "an item was lost"
    assert all(i.status == "finished" for i in items.values()), {
        k: v.status for k, v in items.items()}
    for i in range(N_ITEMS):
        item = items[f"item-{i}"]
        assert item.final_output == "ham" if i % 2 else item.final_output == "spam"
    starts = Counter((data / "starts.log").read_text().split())
    assert len(starts) == N_ITEMS // 2 and set(starts.values()) == {1}, starts
    corrections = list(ledger.iter_corrections())
    assert len(corrections) == N_ITEMS // 2
    assert len({c.correction.id for c in corrections}) == len(corrections)
    counts = ledger.counts()
    assert counts.get("reviews.pending", 0) == 0 and counts.get("reviews.decided", 0) == 0


@pytest.mark.parametrize(
    "crash_at", ["before_dispatch", "after_dispatch", "after_decision", "after_learn"]
)
def test_kill_at_step_boundary_then_recover(tmp_path: Path, crash_at: str) -> None:
    first = run_worker(tmp_path, crash_at, "item-3")
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    second = run_worker(tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    check_consistent(tmp_path)


def test_reviews_pending_survive_sigkill_and_a_new_process_finishes_them(tmp_path: Path) -> None:
    first = run_worker(tmp_path, "while_waiting")
    assert first.returncode == -signal.SIGKILL
    ledger = Ledger(tmp_path / "ledger.db")
    assert len(ledger.pending_reviews()) == N_ITEMS // 2
    second = run_worker(tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert json.loads(second.stdout.strip().splitlines()[-1])["corrections"] == N_ITEMS // 2
    check_consistent(tmp_path)
