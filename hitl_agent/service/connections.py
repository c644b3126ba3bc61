"""Connection limits uvicorn does not have: a header read timeout and a per-client cap.

``guarded_protocol(settings)`` is uvicorn's own HTTP protocol (httptools, or h11 when httptools is
missing) with two additions:

- a client has ``header_timeout_s`` from opening the connection (or from the first byte of the next
  request on a kept-alive one) to finish sending the request's headers; past it the service answers
  408 and closes (a connection on which nothing arrived is closed quietly), so half-sent requests
  cannot pile up;
- one address may hold at most ``max_connections_per_client`` open connections; one more is
  answered 429 (``ThrottlingException``) and closed at once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections import Counter
from typing import Any

from .settings import ServiceSettings

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - uvicorn without httptools
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _raw_response(status: str, code: str, message: str) -> bytes:
    body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-amzn-ErrorType: {code}\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def guarded_protocol(settings: ServiceSettings) -> type[asyncio.Protocol]:
    header_timeout = settings.header_timeout_s
    cap = settings.max_connections_per_client
    open_per_client: Counter[str] = Counter()

    class GuardedProtocol(_Base):  # type: ignore[valid-type, misc]
        _peer: str | None = None
        _header_timer: asyncio.TimerHandle | None = None
        _begun = False  # a byte of the current request has arrived

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            peer = self.client[0] if self.client else "?"
            if open_per_client[peer] >= cap:
                transport.write(
                    _raw_response(
                        "429 Too Many Requests",
                        "ThrottlingException",
                        f"Too many open connections from {peer} (at most {cap})",
                    )
                )
                transport.close()
                return
            self._peer = peer
            open_per_client[peer] += 1
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.transport.is_closing():
                return
            if not self._begun:  # an idle (pre)connection: close it quietly
                self.transport.close()
                return
            self.transport.write(
                _raw_response(
                    "408 Request Timeout",
                    "RequestTimeoutException",
                    f"The request headers did not arrive within {header_timeout:g} s",
                )
            )
            self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._begun = True
            if self._header_timer is None:
                self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            self._begun = False
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._peer is not None:
                open_per_client[self._peer] -= 1
                if open_per_client[self._peer] <= 0:
                    del open_per_client[self._peer]
                self._peer = None
            super().connection_lost(exc)

    return GuardedProtocol
