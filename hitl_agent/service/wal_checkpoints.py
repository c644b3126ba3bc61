"""SQLite WAL checkpoints on a thread of their own, for a connection that must not run them.

A SQLite connection in WAL mode checkpoints after the commit that takes the log past 1000 pages
(``wal_autocheckpoint``): it copies the log into the database file and syncs it, milliseconds on
a slow disk. The review service's StartHumanLoop commits from the event loop (``storage.py``'s
no-wait engine), where such a pause would hold every other request; that connection checkpoints
never (``PRAGMA wal_autocheckpoint=0``) and counts its commits here instead: every
:data:`EVERY_COMMITS` of them, this thread runs a PASSIVE checkpoint (it never waits for readers
or writers) on a connection of the main pool.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)

EVERY_COMMITS = 64
"""Commits between checkpoints (a start writes a dozen pages: about 800 pages of log)."""


class WalCheckpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on ``engine`` every ``every`` :meth:`committed`."""

    def __init__(self, engine: Engine, every: int = EVERY_COMMITS) -> None:
        self.engine, self.every = engine, every
        self.checkpoints = 0  # checkpoints run (tests and diagnostics)
        self._commits = 0
        self._due = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def committed(self, *_args: Any) -> None:
        """One more commit on the connection that does not checkpoint (a "commit" listener)."""
        self._commits += 1
        if self._commits < self.every:
            return
        self._commits = 0
        with self._lock:
            if self._stopped:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="hitl-wal-checkpoints", daemon=True
                )
                self._thread.start()
        self._due.set()

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._stopped:
                return
            try:
                raw = self.engine.raw_connection()
                try:  # the driver's own: no transaction around it (a checkpoint runs outside one)
                    driver: Any = raw.driver_connection
                    driver.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    raw.close()
                self.checkpoints += 1
            except Exception:  # noqa: BLE001 - a thread of its own: logged, the next one retries
                log.exception("WAL checkpoint failed (the next one retries)")

    def close(self) -> None:
        with self._lock:
            self._stopped = True
            thread = self._thread
        self._due.set()
        if thread is not None:
            thread.join(timeout=10)
