"""One SQLite connection per thread, kept from one call to the next, for hot paths whose single
statements cost less than a pool checkout and its reset."""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from pathlib import Path

from hitl_agent.storage.engine import connect_sqlite


class _Held:
    """A thread's connection (a holder: a connection cannot be weakly referenced). It closes
    with its :class:`ThreadConnections`, or when its thread ends."""

    __slots__ = ("__weakref__", "conn", "pid")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()
        weakref.finalize(self, conn.close).atexit = False


# Connections a forked child inherited: never closed or used there (SQLite's rule for a
# connection that crossed a fork), only kept from the garbage collector.
_INHERITED: list[_Held] = []


class ThreadConnections:
    """The calling thread's own autocommit connection to the SQLite file ``path``
    (:func:`connect_sqlite`'s settings); ``what`` and ``field`` name it in errors."""

    def __init__(self, path: str | Path, *, what: str, field: str) -> None:
        self.path, self.what, self.field = path, what, field
        self._local = threading.local()
        self._all: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        held: _Held | None = getattr(self._local, "held", None)
        if held is None or held.pid != os.getpid():  # a new thread, or a forked child
            if held is not None:
                _INHERITED.append(held)
            held = _Held(connect_sqlite(self.path, what=self.what, field=self.field))
            self._local.held = held
            with self._lock:
                self._all.add(held)
        return held.conn

    def close(self) -> None:
        """Close every thread's connection (from any thread); the next :meth:`get` opens
        anew."""
        with self._lock:
            held, self._all = list(self._all), weakref.WeakSet()
        self._local = threading.local()
        for h in held:
            if h.pid == os.getpid():
                h.conn.close()
