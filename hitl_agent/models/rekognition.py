"""Amazon Rekognition ``DetectModerationLabels`` as a review-loop model: A2I's built-in task type
``AWS/Rekognition/DetectModerationLabels/Image/V3``.

The input is an image in S3 (``"s3://bucket/key"`` or ``{"S3Object": {...}}``). The
:class:`~hitl_agent.types.Prediction`:

- ``output``: ``{"moderationLabels": [{"name", "parentName"}, ...]}`` sorted by name (the shape
  of A2I's answer, so the reviewer's labels compare with the model's directly); an empty list
  when Rekognition found nothing;
- ``probabilities``: a binary view ``{"unsafe": p, "safe": 1 - p}`` with ``p`` the most confident
  label's ``Confidence`` / 100 (0 without labels), so the classifier scorers (max probability,
  margin, entropy) apply: a label at 55 % is uncertain, one at 99 % or none at all is not;
- ``metadata["confidence"]``/``["confidences"]``: that same certainty and each label's
  confidence; ``metadata["ai_service_request"]``/``["ai_service_response"]`` in A2I's lowerCamel
  casing; ``metadata["human_loop"]`` on AWS (``HumanLoopActivationOutput``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hitl_agent.models.aws import (
    AwsHumanLoop,
    BuiltinTaskAdapter,
    aws_client,
    lower_camel,
    s3_document,
)
from hitl_agent.policy.activation import REKOGNITION_SOURCE
from hitl_agent.types import Prediction

__all__ = ["REQUEST_SOURCE", "RekognitionModeration", "moderation_labels",
           "moderation_prediction"]

REQUEST_SOURCE = REKOGNITION_SOURCE


def _get(obj: Mapping[str, Any], name: str, default: Any = None) -> Any:
    if name in obj:
        return obj[name]
    return obj.get(name[:1].lower() + name[1:], default)


def moderation_labels(labels: Iterable[Any]) -> list[dict[str, str]]:
    """Labels (API, A2I payload or answer casing) as sorted unique ``{"name", "parentName"}``."""
    out = {}
    for label in labels:
        if isinstance(label, Mapping):
            name = str(_get(label, "Name", "") or "")
            parent = str(_get(label, "ParentName", "") or "")
        elif isinstance(label, str):
            name, parent = label, ""
        else:
            continue
        if name:
            out[(name, parent)] = {"name": name, "parentName": parent}
    return [out[k] for k in sorted(out)]


def moderation_prediction(
    request: Mapping[str, Any],
    response: Mapping[str, Any],
    *,
    model_id: str = "rekognition:detect-moderation-labels",
    latency_ms: float | None = None,
    human_loop: Mapping[str, Any] | None = None,
) -> Prediction:
    """The Prediction for one DetectModerationLabels request and its response (PascalCase)."""
    raw = [label for label in response.get("ModerationLabels") or [] if isinstance(label, Mapping)]
    per_label: dict[str, float] = {}
    for label in raw:
        name = str(label.get("Name", ""))
        per_label[name] = max(per_label.get(name, 0.0), float(label.get("Confidence", 0.0)) / 100)
    p_unsafe = max(per_label.values(), default=0.0)
    metadata: dict[str, Any] = {
        "a2i_request_source": REQUEST_SOURCE,
        "ai_service_request": lower_camel(request),
        "ai_service_response": lower_camel(response),
        "confidence": max(p_unsafe, 1.0 - p_unsafe),
        "confidences": per_label,
    }
    if human_loop is not None:
        metadata["human_loop"] = dict(human_loop)
    return Prediction(
        output={"moderationLabels": moderation_labels(raw)},
        probabilities={"unsafe": p_unsafe, "safe": 1.0 - p_unsafe},
        model_id=model_id,
        model_version=response.get("ModerationModelVersion"),
        latency_ms=latency_ms,
        metadata=metadata,
    )


class RekognitionModeration(BuiltinTaskAdapter):
    """A :class:`~hitl_agent.models.base.ModelAdapter` over Rekognition
    ``DetectModerationLabels``.

    - ``client``: a boto3 ``rekognition`` client (default: one with standard retries);
    - ``min_confidence``: Rekognition's ``MinConfidence`` (its default is 50);
    - ``human_loop``: on AWS, an :class:`AwsHumanLoop` so that Rekognition evaluates the flow's
      activation conditions and starts the loop itself, as A2I does.
    """

    def __init__(
        self,
        client: Any = None,
        *,
        min_confidence: float | None = None,
        human_loop: AwsHumanLoop | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        model_id: str = "rekognition:detect-moderation-labels",
    ) -> None:
        self.client = aws_client("rekognition", client, region_name=region_name,
                                 endpoint_url=endpoint_url)
        self.min_confidence = min_confidence
        self.human_loop = human_loop
        self.model_id = model_id
        self.operation = "detect_moderation_labels"
        self.document_key = "Image"

    def request_for(self, input: Any) -> dict[str, Any]:
        request: dict[str, Any] = {"Image": s3_document(input)}
        if self.min_confidence is not None:
            request["MinConfidence"] = float(self.min_confidence)
        if self.human_loop is not None:
            request["HumanLoopConfig"] = self.human_loop.config_for(input)
        return request

    def to_prediction(self, request: Mapping[str, Any], response: Mapping[str, Any], *,
                      latency_ms: float, human_loop: dict[str, Any] | None) -> Prediction:
        return moderation_prediction(request, response, model_id=self.model_id,
                                     latency_ms=latency_ms, human_loop=human_loop)
