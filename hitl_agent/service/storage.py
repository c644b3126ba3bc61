"""The database: SQLite in WAL mode under the data folder by default, or any Postgres URL.

``Store.write()`` opens a transaction that holds the database's write lock from its first
statement (``BEGIN IMMEDIATE`` on SQLite; row locks taken with ``lock_loop`` on Postgres), so the
read-check-write sequences of claims and answers are atomic across threads and processes.
``Store.read()`` opens a plain transaction. Both commit before they return, so a reply is only
sent after the data is durable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, bindparam, event, make_url, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hitl_agent.errors import ConfigError
from hitl_agent.storage.engine import make_engine, reader, sqlite_path
from hitl_agent.storage.migrate import UpgradeReport

from .models import HumanLoop
from .wal_checkpoints import WalCheckpointer

LOOP_BY_NAME = select(HumanLoop).where(HumanLoop.name == bindparam("name"))  # built once
_LOOP_BY_NAME_LOCKED = LOOP_BY_NAME.with_for_update()


class Store:
    """Owns the engine and hands out transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        # No pre-ping: a round trip per request on Postgres. A connection the server dropped
        # fails its statement once and SQLAlchemy invalidates the pool's older connections
        # (StartHumanLoop retries such a failure: RuntimeBackend.start_checked).
        self.engine = make_engine(url, what="database_url", pool_size=8, pre_ping=False)
        self.dialect = self.engine.dialect.name
        # Writes take the database's write lock from their first statement (BEGIN IMMEDIATE on
        # SQLite, see hitl_agent.storage.engine); reads begin deferred.
        self._read = sessionmaker(reader(self.engine), expire_on_commit=False)
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        self.no_wait = _no_wait_engine(url) if self.dialect == "sqlite" else None
        self.checkpointer: WalCheckpointer | None = None
        if self.no_wait is not None:  # it never checkpoints itself: this thread does
            self.checkpointer = WalCheckpointer(self.engine)
            event.listen(self.no_wait, "commit", self.checkpointer.committed)

    def create_schema(self) -> UpgradeReport:
        """Create the database or bring it to the newest schema revision (adopting one that an
        older release made with ``create_all``): see :mod:`.schema`. Safe when several processes
        start at once; one query when the database is up to date."""
        from .schema import upgrade_service_db  # Alembic is imported on first use

        try:
            return upgrade_service_db(self.engine)
        except SQLAlchemyError as exc:
            url = make_url(self.engine.url).render_as_string(hide_password=True)
            raise ConfigError(
                f"service database {url!r} cannot be opened or upgraded: "
                f"{exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}",
                field="database_url",
            ) from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session, session.begin():
            yield session

    def lock_loop(self, session: Session, name: str) -> HumanLoop | None:
        """The loop row, locked for the rest of the transaction (``FOR UPDATE`` on Postgres)."""
        stmt = _LOOP_BY_NAME_LOCKED if self.dialect == "postgresql" else LOOP_BY_NAME
        return session.scalars(stmt, {"name": name}).first()

    def get_loop(self, session: Session, name: str) -> HumanLoop | None:
        """The loop row, unlocked."""
        return session.scalars(LOOP_BY_NAME, {"name": name}).first()

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        if self.no_wait is not None:
            self.no_wait.dispose()
        self.engine.dispose()


def _no_wait_engine(url: str) -> Engine | None:
    """A second engine on a SQLite file whose connection never waits for the write lock: a
    ``BEGIN IMMEDIATE`` that finds it taken fails at once (SQLITE_BUSY) instead of sleeping in
    the busy handler. StartHumanLoop runs its short transaction on it from the event loop
    (``RuntimeBackend.start_now``), which must never block; None for an in-memory database (a
    second engine would open another database)."""
    if sqlite_path(url) is None:
        return None
    engine = make_engine(url, what="database_url", pool_size=1)
    event.listen(engine, "connect", _never_wait)
    return engine


def _never_wait(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA busy_timeout=0")  # after the project's pragmas (30 s)
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")  # no pause on the event loop: wal_checkpoints
