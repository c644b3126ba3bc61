"""The one bounded wait of the suite: for a real process, server or browser to get somewhere.

Never use it to let time pass (move an injectable clock instead, see ``tests.helpers.clock``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], timeout: float = 20.0, *, every: float = 0.05,
               message: str | Callable[[], str] = "the condition was not met") -> T:
    """Call ``check`` until it returns something truthy (and return that) or ``timeout`` seconds
    pass (``AssertionError`` with ``message``). Exceptions of ``check`` propagate."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"{text} (waited {timeout:g} s)")
        time.sleep(every)


def holds_for(check: Callable[[], bool], seconds: float, *, every: float = 0.05,
              message: str = "the condition stopped holding") -> None:
    """Assert ``check`` stays true for ``seconds``: that something does *not* happen while a real
    process (a browser, a server) has the time to do it wrongly."""
    deadline = time.monotonic() + seconds
    while True:
        assert check(), message
        if time.monotonic() >= deadline:
            return
        time.sleep(every)
