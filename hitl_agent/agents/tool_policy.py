"""The Prediction a tool-approval policy sees for one tool call of the model's message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, ToolCall

from hitl_agent._lazy import lazy_exports
from hitl_agent.models.chat import extract_logprobs
from hitl_agent.review.inbox import tool_call_output
from hitl_agent.types import Prediction

__all__ = ["call_prediction"]

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "ToolCallConfidence": "hitl_agent.uncertainty.tool_call",
    "ToolRiskPolicy": "hitl_agent.policy.tool_risk",
})


def call_prediction(message: AIMessage | None, tool_call: ToolCall) -> Prediction:
    """The Prediction a policy sees for one tool call of ``message``."""
    metadata: dict[str, Any] = {}
    logprobs: list[float] | None = None
    top: list[dict[str, float]] | None = None
    model_id = "agent"
    if message is not None:
        logprobs, top = extract_logprobs(message.response_metadata or {})
        for source in (tool_call, message.response_metadata or {}, message.additional_kwargs):
            value = source.get("confidence") if isinstance(source, Mapping) else None
            if isinstance(value, int | float):
                metadata["confidence"] = float(value)
                break
        name = (message.response_metadata or {}).get("model_name")
        if isinstance(name, str) and name:
            model_id = name
    return Prediction(output=tool_call_output(tool_call["name"], tool_call["args"]),
                      token_logprobs=logprobs, top_logprobs=top, model_id=model_id,
                      metadata=metadata)
