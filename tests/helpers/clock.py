"""Injectable clocks: tests move time forward instead of sleeping."""

from __future__ import annotations

import threading
import time


class ServiceClock:
    """The review service's clock (``hitl_agent.service.clock.Clock``: microseconds since the
    epoch): the real time plus an offset that :meth:`advance` moves forward.

    Real time keeps running (threads of a served app, timestamps that must differ), and a test
    jumps ahead by seconds without waiting for them::

        clock = ServiceClock()
        services = build_services(settings, clock=clock)
        clock.advance(61)  # a 60 s claim has lapsed
    """

    def __init__(self, start_us: int | None = None) -> None:
        self._lock = threading.Lock()
        self._offset_us = 0 if start_us is None else start_us - time.time_ns() // 1000

    def __call__(self) -> int:
        with self._lock:
            return time.time_ns() // 1000 + self._offset_us

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset_us += round(seconds * 1_000_000)
