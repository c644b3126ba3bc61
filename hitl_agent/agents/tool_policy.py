"""Which tool calls people see: a risk-and-confidence policy over a call, and the call's
confidence read from the model's message (stated confidence or token logprobs)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from langchain_core.messages import AIMessage, ToolCall

from hitl_agent.errors import ConfigError
from hitl_agent.models.chat import extract_logprobs
from hitl_agent.policy.threshold import ThresholdPolicy
from hitl_agent.review.inbox import tool_call_output
from hitl_agent.types import Prediction, RoutingDecision, Uncertainty

__all__ = ["ToolCallConfidence", "ToolRiskPolicy", "call_prediction"]


# -- policy and confidence -----------------------------------------------------------------------


class ToolRiskPolicy:
    """Review a tool call when it is risky or the model is unsure.

    - a call to a tool in ``safe_tools`` is never reviewed;
    - a call to a tool in ``risky_tools``, or one for which ``risky(name, args)`` is true, is
      always reviewed (reason ``rule``, propensity 1);
    - any other call is reviewed when the confidence is below ``threshold``, plus a random
      ``audit_rate`` share of the rest (a :class:`ThresholdPolicy`, deterministic per call).
    """

    def __init__(
        self,
        threshold: float = 0.8,
        *,
        risky_tools: Iterable[str] = (),
        safe_tools: Iterable[str] = (),
        risky: Callable[[str, Mapping[str, Any]], bool] | None = None,
        audit_rate: float = 0.0,
        seed: str = "",
        policy_id: str | None = None,
    ) -> None:
        self.threshold = threshold
        self.risky_tools = frozenset(risky_tools)
        self.safe_tools = frozenset(safe_tools)
        self.risky = risky
        self.audit_rate = audit_rate
        self.seed = seed
        overlap = self.risky_tools & self.safe_tools
        if overlap:
            raise ConfigError(f"tools both risky and safe: {sorted(overlap)}", field="safe_tools")
        self.policy_id = policy_id or (
            f"tool-risk(t={threshold:g},risky={','.join(sorted(self.risky_tools)) or '-'})")
        self._threshold = ThresholdPolicy(threshold, audit_rate=audit_rate, seed=seed,
                                          policy_id=self.policy_id)

    def decide(self, item_id: str, uncertainty: Uncertainty,
               prediction: Prediction) -> RoutingDecision:
        Routing = RoutingDecision

        output = prediction.output if isinstance(prediction.output, Mapping) else {}
        name = str(output.get("tool", ""))
        args = output.get("arguments") or {}
        if name in self.safe_tools:
            return Routing(action="accept", reason="rule", propensity=1.0,
                           policy_id=self.policy_id, details={"rule": "safe_tool"})
        if name in self.risky_tools or (self.risky is not None and self.risky(name, args)):
            return Routing(action="escalate", reason="rule", propensity=1.0,
                           policy_id=self.policy_id, threshold=self.threshold,
                           details={"rule": "risky_tool" if name in self.risky_tools
                                    else "risky_call", "confidence": uncertainty.confidence})
        return self._threshold.decide(item_id, uncertainty, prediction)


class ToolCallConfidence:
    """Confidence of a tool call: the model's stated confidence, else its token logprobs.

    Reads ``Prediction.metadata["confidence"]`` (copied from the model message's
    ``response_metadata`` or ``additional_kwargs`` key ``confidence``, or the tool call's own
    ``confidence`` key), then the geometric mean token probability ``exp(mean logprob)``. With
    neither, the confidence is ``unknown`` (default 0: an unscored call counts as unsure).
    """

    name = "tool_call_confidence"

    def __init__(self, unknown: float = 0.0) -> None:
        if not 0.0 <= unknown <= 1.0:
            raise ConfigError("unknown must lie in [0, 1]", field="unknown")
        self.unknown = unknown

    def __call__(self, prediction: Prediction) -> Uncertainty:
        stated = prediction.metadata.get("confidence")
        if isinstance(stated, int | float) and 0.0 <= float(stated) <= 1.0:
            return Uncertainty(confidence=float(stated), scorer=self.name,
                               components={"stated": float(stated)})
        if prediction.token_logprobs:
            mean = sum(prediction.token_logprobs) / len(prediction.token_logprobs)
            conf = min(1.0, max(0.0, math.exp(mean)))
            return Uncertainty(confidence=conf, scorer=self.name,
                               components={"mean_logprob": mean})
        return Uncertainty(confidence=self.unknown, scorer=self.name,
                           components={"unknown": 1.0})


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
