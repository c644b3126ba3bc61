"""Which tool calls people see: a call is reviewed when it is risky or the model is unsure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hitl_agent.errors import ConfigError
from hitl_agent.policy.threshold import ThresholdPolicy
from hitl_agent.types import Prediction, RoutingDecision, Uncertainty

__all__ = ["ToolRiskPolicy"]


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
