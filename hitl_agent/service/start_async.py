"""Postgres: StartHumanLoop's one-statement start (:class:`.start_sql.PlannedInsert`) run from
the event loop on psycopg's ``AsyncConnection``.

Run by SQLAlchemy in a worker thread, a start spent more on the hop to the thread and back and
on SQLAlchemy's execute layers than on its one round trip. Here the same statement (compiled once
by the engine's own dialect: the same SQL text and casts) runs on a few connections of this
class's own, opened with the arguments SQLAlchemy opens the engine's with, in autocommit: the
row is committed (``synchronous_commit`` as the server has it) when the statement returns. The
server prepares the statement on its first use on a connection.

It never waits for a connection and never decides anything but the plain case: with every
connection busy, or on any error (a name already taken, a dropped connection, a statement the
server refused), nothing is started here and the caller starts the loop the way it always did,
in a worker thread (``RuntimeBackend.start_checked``), which decides what the error meant. When
the statement ran and started nothing (the name is taken, or the flow changed since its plan),
:meth:`AsyncStarts.run` says so, and that thread goes straight to the full transaction instead of
running the same statement again. An error after the server committed is safe the same way: the
start again finds its own loop and answers its ARN.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from hitl_agent.storage.engine import PG_POOL_RECYCLE_S

from .start_sql import PlannedInsert


class AsyncStarts:
    """Up to ``size`` psycopg ``AsyncConnection``\\ s, opened on first need, used by one event
    loop at a time (a new loop, as a test client makes, drops the previous loop's)."""

    def __init__(self, engine: Engine, planned: PlannedInsert, size: int) -> None:
        self._dialect = engine.dialect
        self._connect_args = engine.dialect.create_connect_args(engine.url)
        self._planned = planned
        self._size = size
        self._idle: list[_Held] = []
        self._open = 0  # connections of this generation, idle or in use
        self._generation = 0  # one per event loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sql: dict[tuple[str, ...], tuple[str, dict[str, Any]]] = {}

    def _compiled(self, columns: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        """The statement's SQL and the parameters it fixes itself (``'Active'``)."""
        found = self._sql.get(columns)
        if found is None:
            compiled = self._planned.statement(columns).compile(dialect=self._dialect)
            found = (str(compiled), dict(compiled.params))
            self._sql[columns] = found
        return found

    async def run(self, values: Mapping[str, Any], plan: Mapping[str, Any]) -> bool | None:
        """Insert and commit the loop if the flow is still as ``plan`` says (True). False: the
        statement ran and wrote nothing (the flow changed, or the name is taken). None: it did
        not run to an answer (no connection free, or a connection failed)."""
        sql, fixed = self._compiled(tuple(values))
        conn = await self._acquire()
        if conn is None:
            return None
        import psycopg

        ok: bool | None = None
        try:
            cursor = await conn.connection.execute(sql, {**fixed, **values, **plan}, prepare=True)
            ok = await cursor.fetchone() is not None
        except psycopg.IntegrityError:
            ok = False  # the name is taken: the full transaction (start_checked) answers
        except psycopg.Error:
            pass  # decided by the full transaction (start_checked)
        except BaseException:  # cancelled mid-statement: the connection's state is unknown
            self._discard(conn)
            raise
        self._release(conn)
        return ok

    async def _acquire(self) -> _Held | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._loop = loop
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if not conn.connection.closed and now - conn.opened < PG_POOL_RECYCLE_S:
                return conn
            self._discard(conn)
        if self._open >= self._size:
            return None
        import psycopg

        args, kwargs = self._connect_args
        generation = self._generation
        self._open += 1
        try:
            made = await psycopg.AsyncConnection.connect(*args, **kwargs, autocommit=True)
        except psycopg.Error:
            made = None
        held = None if made is None else _Held(made, now, generation)
        if held is None or generation != self._generation:  # failed, or closed meanwhile
            if held is not None:
                self._discard(held)
            elif generation == self._generation:
                self._open -= 1
            return None
        return held

    def _release(self, held: _Held) -> None:
        conn = held.connection
        if conn.broken or conn.closed or held.generation != self._generation:
            self._discard(held)
        else:
            self._idle.append(held)

    def _discard(self, held: _Held) -> None:
        held.connection.pgconn.finish()
        if held.generation == self._generation:
            self._open -= 1

    def close(self) -> None:
        """Close the idle connections (those in use are closed when they come back)."""
        idle, self._idle = self._idle, []
        for held in idle:
            held.connection.pgconn.finish()
        self._open = 0
        self._generation += 1
        self._loop = None


@dataclass(frozen=True)
class _Held:
    connection: Any  # psycopg.AsyncConnection (imported on first use)
    opened: float  # time.monotonic()
    generation: int
