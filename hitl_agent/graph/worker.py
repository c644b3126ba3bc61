"""Deprecated: the worker and its receivers are :mod:`hitl_agent.receivers`, graph loading is
:mod:`hitl_agent.cli.graph_loader` (these aliases go in the next release)."""

from hitl_agent._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "EVENT_DETAIL_TYPE": "hitl_agent.receivers.base",
    "ReviewWorker": "hitl_agent.receivers.polling",
    "WebhookReceiver": "hitl_agent.receivers.webhook",
    "load_graph": "hitl_agent.cli.graph_loader",
    "review_name_of": "hitl_agent.receivers.base",
})
