"""What the ledger's three parts share: the engine, its read-only twin, and the dialect."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from hitl_agent.storage.engine import reader


class LedgerBase:
    """The connection side of the ledger; the item journal, the review queue and the correction
    store are mixins on it (one :class:`~hitl_agent.memory.ledger.Ledger` object, one engine)."""

    engine: Engine

    def _connect(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = reader(engine)
        self._sqlite = engine.dialect.name == "sqlite"

    @contextmanager
    def _sqlite_driver(self) -> Iterator[sqlite3.Connection]:
        """A pooled SQLite connection on the driver, in autocommit mode: for the hot path's
        single statements (each one its own transaction), where SQLAlchemy's statement and
        transaction machinery cost more than the statement."""
        pooled = self.engine.raw_connection()
        try:
            yield pooled.driver_connection  # type: ignore[misc]
        finally:
            pooled.close()

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()
