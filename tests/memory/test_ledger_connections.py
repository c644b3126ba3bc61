"""The ledger's hot path on SQLite: one kept connection per thread, closed with the ledger."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from hitl_agent.memory.ledger import Ledger


def _driver(ledger: Ledger) -> sqlite3.Connection:
    with ledger._sqlite_driver() as conn:
        return conn


def test_each_thread_keeps_one_connection_and_close_closes_them(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    mine = _driver(ledger)
    assert _driver(ledger) is mine
    assert mine.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    theirs: list[sqlite3.Connection] = []
    opened, closed = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_thread() -> None:
        theirs.append(_driver(ledger))
        opened.set()
        closed.wait(10)
        try:
            theirs[0].execute("SELECT 1")
        except sqlite3.ProgrammingError as exc:  # closed by the ledger, from the main thread
            errors.append(exc)

    worker = threading.Thread(target=other_thread)
    worker.start()
    assert opened.wait(10)
    assert theirs[0] is not mine
    ledger.close()
    closed.set()
    worker.join()
    assert len(errors) == 1
    with pytest.raises(sqlite3.ProgrammingError):
        mine.execute("SELECT 1")
    # the ledger opens again on use, as an engine does after dispose()
    assert ledger.check_item("nothing", "x") is None
    assert _driver(ledger) is not mine


def test_a_transaction_left_open_is_rolled_back_when_the_call_ends(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    with ledger._sqlite_driver() as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE items SET status = 'x'")
    assert not conn.in_transaction
    # another connection can write: no lock was kept
    other = sqlite3.connect(tmp_path / "ledger.db", timeout=0)
    other.execute("BEGIN IMMEDIATE")
    other.rollback()


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


def test_an_in_memory_ledger_keeps_its_one_connection(tmp_path: Path) -> None:
    ledger = Ledger("sqlite:///:memory:")
    ledger.mark_failed("item", "t", [1], "boom")
    assert ledger.check_item("item", [1]) is not None
