"""What wakes waiting graphs when their reviews end: the polling worker and the event receivers
(the review service's webhook, an SQS queue fed by EventBridge), outside the graph itself."""

from typing import TYPE_CHECKING

from hitl_agent._lazy import lazy_exports

_EXPORTS = {
    "EVENT_DETAIL_TYPE": "hitl_agent.receivers.base",
    "ReviewWorker": "hitl_agent.receivers.polling",
    "SqsReceiver": "hitl_agent.receivers.sqs",
    "WebhookReceiver": "hitl_agent.receivers.webhook",
    "review_name_of": "hitl_agent.receivers.base",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - the names' real types, for type checkers and IDEs
    from hitl_agent.receivers.base import EVENT_DETAIL_TYPE as EVENT_DETAIL_TYPE
    from hitl_agent.receivers.base import review_name_of as review_name_of
    from hitl_agent.receivers.polling import ReviewWorker as ReviewWorker
    from hitl_agent.receivers.sqs import SqsReceiver as SqsReceiver
    from hitl_agent.receivers.webhook import WebhookReceiver as WebhookReceiver
