"""The SQS receiver: on AWS, an EventBridge rule sends A2I's status-change events to an SQS
queue; this long-polls it and deletes each message once the review it names is handed on."""

from __future__ import annotations

import logging
import threading
from typing import Any

from hitl_agent.receivers.base import OnEvent, review_name_of

log = logging.getLogger(__name__)


class SqsReceiver:
    """Reads ``queue_url`` on a thread of its own until stopped (``client``: a boto3 SQS client,
    default ``boto3.client("sqs")``)."""

    def __init__(self, queue_url: str, on_event: OnEvent, *, client: Any | None = None,
                 wait_seconds: int = 2, retry_seconds: float = 1.0) -> None:
        self.queue_url = queue_url
        self.on_event = on_event
        self._client = client
        self.wait_seconds = wait_seconds
        self.retry_seconds = retry_seconds
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=self.wait_seconds + 23)

    def _read(self) -> None:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        sqs = self._client or boto3.client("sqs")
        while not self.stopping.is_set():
            try:
                got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                          WaitTimeSeconds=self.wait_seconds)
            except (BotoCoreError, ClientError) as exc:  # keep reading; polling covers the gap
                log.warning("SQS receive failed: %s", exc)
                self.stopping.wait(self.retry_seconds)
                continue
            for message in got.get("Messages", []):
                name = review_name_of(message.get("Body", ""))
                if name is not None:
                    self.on_event(name)
                # Handled or not ours: either way polling is the source of truth, so the
                # message is deleted rather than redelivered forever.
                sqs.delete_message(QueueUrl=self.queue_url,
                                   ReceiptHandle=message["ReceiptHandle"])
