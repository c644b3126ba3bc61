"""The worker that resumes waiting graphs when their reviews end.

Three triggers, any combination:

- **polling**: every ``poll_interval`` seconds the :class:`~hitl_agent.graph.resumer.Resumer`
  polls pending reviews and sweeps overdue ones (always on: it is also the safety net for lost
  events);
- **webhook** (:class:`~hitl_agent.receivers.webhook.WebhookReceiver`): the review service POSTs
  A2I's status-change event; the named review is checked at once;
- **SQS** (:class:`~hitl_agent.receivers.sqs.SqsReceiver`): on AWS, an EventBridge rule sends
  those events to an SQS queue.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from hitl_agent.errors import ConfigError
from hitl_agent.graph.resumer import Resumer, ResumeReport
from hitl_agent.receivers.base import Receiver
from hitl_agent.receivers.sqs import SqsReceiver
from hitl_agent.receivers.webhook import WebhookReceiver

log = logging.getLogger(__name__)


class ReviewWorker:
    """Runs a :class:`Resumer` on events and on a timer until stopped."""

    def __init__(
        self,
        resumer: Resumer,
        *,
        poll_interval: float = 5.0,
        webhook: tuple[str, int] | None = None,
        sqs_queue_url: str | None = None,
        sqs_client: Any | None = None,
    ) -> None:
        if poll_interval <= 0:
            raise ConfigError("poll_interval must be positive", field="poll_interval")
        self.resumer = resumer
        self.poll_interval = poll_interval
        self.events: queue.Queue[str] = queue.Queue()
        self.stopping = threading.Event()
        self.webhook = WebhookReceiver(*webhook, self.events.put) if webhook else None
        self.sqs = (SqsReceiver(sqs_queue_url, self.events.put, client=sqs_client)
                    if sqs_queue_url else None)
        self.receivers: list[Receiver] = [r for r in (self.webhook, self.sqs) if r is not None]
        self.report = ResumeReport()
        self.errors = 0

    def run(self, *, max_seconds: float | None = None) -> ResumeReport:
        for receiver in self.receivers:
            receiver.start()
        end = None if max_seconds is None else time.monotonic() + max_seconds
        next_poll = 0.0
        try:
            while not self.stopping.is_set() and (end is None or time.monotonic() < end):
                now = time.monotonic()
                if now >= next_poll:
                    self._guarded(self.resumer.run_once)
                    next_poll = now + self.poll_interval
                try:
                    name = self.events.get(timeout=min(0.2, self.poll_interval))
                except queue.Empty:
                    continue
                self._guarded(lambda name=name: self.resumer.poll_review(name))  # type: ignore[misc]
        finally:
            self.stopping.set()
            for receiver in self.receivers:
                receiver.stop()
        return self.report

    def stop(self) -> None:
        self.stopping.set()

    def _guarded(self, step: Callable[[], ResumeReport]) -> None:
        """One failing pass (a database hiccup, a graph error) must not end the worker: it is
        logged and the next poll retries, since every step is idempotent."""
        try:
            self.report.merge(step())
        except Exception:  # noqa: BLE001 - the edge to user graphs: logged, retried next poll
            log.exception("resume pass failed; retrying at the next poll")
            self.errors += 1
