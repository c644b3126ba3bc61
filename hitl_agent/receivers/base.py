"""What every receiver shares: reading the review an A2I status-change event names, and the
shape of a receiver (started and stopped by the worker, handing review names to ``on_event``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

EVENT_DETAIL_TYPE = "SageMaker A2I HumanLoop Status Change"

OnEvent = Callable[[str], None]
"""Called with the name of a human loop (a review id) whose status changed."""


class Receiver(Protocol):
    """Receives status-change events from somewhere and hands each review's name on."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def review_name_of(event: Any) -> str | None:
    """The human loop an EventBridge A2I status-change event (or its SQS body) names."""
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except json.JSONDecodeError:
            return None
    if not isinstance(event, dict):
        return None
    if "Message" in event and isinstance(event["Message"], str):  # through SNS
        return review_name_of(event["Message"])
    if event.get("detail-type", EVENT_DETAIL_TYPE) != EVENT_DETAIL_TYPE:
        return None  # another kind of event on the same bus or queue
    detail = event.get("detail")
    if isinstance(detail, dict):
        name = detail.get("humanLoopName")
        return str(name) if name else None
    return None
