"""What the ledger's three parts share: the engine, its read-only twin, and the dialect."""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from hitl_agent.storage.engine import connect_sqlite, reader


class _ThreadConnection:
    """One thread's own SQLite connection for the hot path (a holder: a connection itself
    cannot be weakly referenced). It closes with the ledger, or when its thread ends."""

    __slots__ = ("__weakref__", "conn", "pid")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()
        weakref.finalize(self, conn.close).atexit = False


# Connections a forked child inherited: never closed or used there (SQLite's rule for a
# connection that crossed a fork), only kept from the garbage collector.
_INHERITED: list[_ThreadConnection] = []


class LedgerBase:
    """The connection side of the ledger; the item journal, the review queue and the correction
    store are mixins on it (one :class:`~hitl_agent.memory.ledger.Ledger` object, one engine)."""

    engine: Engine

    def _connect(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = reader(engine)
        self._sqlite = engine.dialect.name == "sqlite"
        database = engine.url.database if self._sqlite else None
        # A file database on a pool of its own connections: each thread may keep one (an
        # in-memory database lives in its one pooled connection, so it keeps the pool).
        self._file: str | None = (
            database if database and database != ":memory:" and not engine.url.query
            and isinstance(engine.pool, QueuePool) else None)
        self._per_thread = threading.local()
        self._kept: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._kept_lock = threading.Lock()

    @contextmanager
    def _sqlite_driver(self) -> Iterator[sqlite3.Connection]:
        """A SQLite connection on the driver, in autocommit mode: for the hot path's single
        statements (each one its own transaction), where SQLAlchemy's statement and transaction
        machinery cost more than the statement. On a file database it is the calling thread's
        own connection, kept from one call to the next: a pool checkout and its reset cost about
        as much as the statement they wrap (~100 µs a graph run)."""
        if self._file is None:
            pooled = self.engine.raw_connection()
            try:
                yield pooled.driver_connection  # type: ignore[misc]
            finally:
                pooled.close()
            return
        own: _ThreadConnection | None = getattr(self._per_thread, "own", None)
        if own is None or own.pid != os.getpid():  # new thread, or a forked child
            if own is not None:
                _INHERITED.append(own)
            own = _ThreadConnection(connect_sqlite(self._file, what="ledger", field="ledger"))
            self._per_thread.own = own
            with self._kept_lock:
                self._kept.add(own)
        try:
            yield own.conn
        finally:
            if own.conn.in_transaction:  # a caller's BEGIN that neither committed nor rolled back
                own.conn.rollback()

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        with self._kept_lock:
            kept, self._kept = list(self._kept), weakref.WeakSet()
        self._per_thread = threading.local()
        for own in kept:
            if own.pid == os.getpid():
                own.conn.close()
        self.engine.dispose()
