"""Confidence = what an AWS AI service (Textract, Rekognition, Comprehend, ...) said about its
own answer, as the model adapters of :mod:`hitl_agent.models` put it in a prediction."""

from __future__ import annotations

from hitl_agent.errors import ValidationError
from hitl_agent.types import Prediction, Uncertainty

__all__ = ["ServiceConfidenceScorer"]


class ServiceConfidenceScorer:
    """Confidence = the AI service's own confidence, as the adapter put it in
    ``prediction.metadata["confidence"]`` (in [0, 1]); the per-part confidences
    (``metadata["confidences"]``: form fields, labels, entities, words) are the components.

    Every adapter of this package sets both, even for a response with nothing in it (no form
    fields, no labels), so this scorer never refuses a prediction of theirs.
    """

    name = "service_confidence"

    def __init__(self, default: float | None = None) -> None:
        self.default = default

    def __call__(self, prediction: Prediction) -> Uncertainty:
        value = prediction.metadata.get("confidence", self.default)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValidationError(
                "ServiceConfidenceScorer needs prediction.metadata['confidence']",
                field="metadata.confidence", rule="required by ServiceConfidenceScorer",
            )
        parts = prediction.metadata.get("confidences") or {}
        components = {str(k): float(v) for k, v in parts.items()
                      if isinstance(v, int | float) and not isinstance(v, bool)}
        confidence = min(1.0, max(0.0, float(value)))
        return Uncertainty(confidence=confidence, scorer=self.name, components=components)
