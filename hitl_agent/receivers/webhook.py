"""The webhook receiver: the review service POSTs A2I's EventBridge event ("SageMaker A2I
HumanLoop Status Change") to ``http://HOST:PORT/events``; the named review is checked at once."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hitl_agent.receivers.base import OnEvent, review_name_of

log = logging.getLogger(__name__)

PATH = "/events"
MAX_BODY_BYTES = 256 * 1024
"""An A2I status-change event is under 2 KB; a larger body is refused unread (413)."""


class WebhookReceiver:
    """A small HTTP endpoint for the service's status-change webhooks (stdlib only).

    It answers 202 to an event it hands on, 400 to a body that is not one, 411/413 to a body of
    unknown or excessive length, and 404 to any other path. Bind it to a private address: the
    service's webhooks carry no signature to check.
    """

    def __init__(self, host: str, port: int, on_event: OnEvent) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.split("?", 1)[0] != PATH:
                    self._answer(404, b'{"error": "POST events to /events"}')
                    return
                length = self.headers.get("Content-Length")
                if length is None or not length.isdigit():
                    self._answer(411, b'{"error": "Content-Length is required"}')
                    return
                if int(length) > MAX_BODY_BYTES:
                    self._answer(413, b'{"error": "an event is at most 256 KiB"}')
                    return
                body = self.rfile.read(int(length)).decode("utf-8", "replace")
                name = review_name_of(body)
                if name is None:
                    self._answer(400, b'{"error": "not an A2I status-change event"}')
                    return
                receiver.on_event(name)
                self._answer(202, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                if body:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if status in (411, 413):
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("webhook: " + format, *args)

        self.on_event = on_event
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
