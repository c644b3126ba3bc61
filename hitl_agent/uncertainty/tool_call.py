"""Confidence of a tool call: the model's stated confidence, else its token logprobs."""

from __future__ import annotations

import math

from hitl_agent.errors import ConfigError
from hitl_agent.types import Prediction, Uncertainty

__all__ = ["ToolCallConfidence"]


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
