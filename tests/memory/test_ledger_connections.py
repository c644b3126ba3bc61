"""The ledger's hot path on SQLite: one kept connection per thread, closed with the ledger.

Connections are counted as the operating system sees them: the descriptors of this process
open on the ledger's file."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from hitl_agent.memory.ledger import Ledger

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                reason="counts open files through /proc")


def _open_on(path: Path) -> int:
    """How many descriptors of this process are open on ``path``."""
    target = str(path.resolve())
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                count += 1
        except OSError:  # closed since the listing
            pass
    return count


def test_each_thread_keeps_one_connection_and_close_closes_them_all(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    ledger = Ledger(db)
    ledger.check_item("a", "x")
    opened = _open_on(db)
    for i in range(50):  # the same thread: the same connection, none more
        ledger.check_item(f"i{i}", "x")
        ledger.mark_failed(f"i{i}", "t", "x", "boom")
    assert _open_on(db) == opened

    used, closed, failures = threading.Event(), threading.Event(), []

    def other_thread() -> None:
        ledger.check_item("b", "x")  # this thread's own connection
        used.set()
        closed.wait(10)
        try:
            ledger.check_item("c", "x")  # after close(): opens again
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            failures.append(exc)

    worker = threading.Thread(target=other_thread)
    worker.start()
    assert used.wait(10)
    assert _open_on(db) == opened + 1  # one more, for the other thread
    ledger.close()
    assert _open_on(db) == 0  # every thread's, closed from this one
    closed.set()
    worker.join(10)
    assert failures == []
    assert ledger.check_item("i0", "x") is not None  # usable again, as after dispose()


def _child_reads(ledger: Ledger, out: multiprocessing.Queue[object]) -> None:
    record = ledger.check_item("parent-item", [1])
    out.put(None if record is None else record.status)


def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    assert ledger.check_item("parent-item", [1]) is None  # the parent's connection is open
    ledger.mark_failed("parent-item", "t", [1], "boom")
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue[object] = context.Queue()
    child = context.Process(target=_child_reads, args=(ledger, out))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert out.get(timeout=5) == "failed"
    assert ledger.check_item("parent-item", [1]) is not None  # the parent's still works


def test_an_in_memory_ledger_keeps_its_one_connection() -> None:
    ledger = Ledger("sqlite:///:memory:")
    ledger.mark_failed("item", "t", [1], "boom")
    assert ledger.check_item("item", [1]) is not None
