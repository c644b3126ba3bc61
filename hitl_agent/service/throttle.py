"""The service's per-process request-rate limit (``ServiceSettings.throttle_rps``)."""

from __future__ import annotations

import threading
import time


class TokenBucket:
    """A per-process request-rate limit (``ServiceSettings.throttle_rps``)."""

    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False
