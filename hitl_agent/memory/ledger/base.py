"""What the ledger's three parts share: the engine, its read-only twin, and the dialect."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from hitl_agent.storage.engine import reader
from hitl_agent.storage.thread_connections import ThreadConnections


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
        self._per_thread: ThreadConnections | None = (
            ThreadConnections(database, what="ledger", field="ledger")
            if database and database != ":memory:" and not engine.url.query
            and isinstance(engine.pool, QueuePool) else None)

    @contextmanager
    def _sqlite_driver(self) -> Iterator[sqlite3.Connection]:
        """A SQLite connection on the driver, in autocommit mode: for the hot path's single
        statements (each one its own transaction), where SQLAlchemy's statement and transaction
        machinery cost more than the statement. On a file database it is the calling thread's
        own connection, kept from one call to the next: a pool checkout and its reset cost about
        as much as the statement they wrap (~100 µs a graph run)."""
        if self._per_thread is None:
            pooled = self.engine.raw_connection()
            try:
                yield pooled.driver_connection  # type: ignore[misc]
            finally:
                pooled.close()
            return
        conn = self._per_thread.get()
        try:
            yield conn
        finally:
            if conn.in_transaction:  # a caller's BEGIN that neither committed nor rolled back
                conn.rollback()

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        if self._per_thread is not None:
            self._per_thread.close()
        self.engine.dispose()
