"""Amazon Textract ``AnalyzeDocument`` (forms) as a review-loop model: A2I's built-in task type
``AWS/Textract/AnalyzeDocument/Forms/V1``.

The input is a document in S3 (``"s3://bucket/key"`` or ``{"S3Object": {...}}``). The
:class:`~hitl_agent.types.Prediction`:

- ``output``: ``{"fields": {key text: value text}}``, one entry per KEY block (a key found twice
  gets `` (2)``, `` (3)``… appended); an empty ``fields`` when the response has no key-value sets;
- ``metadata["confidence"]``: the least confident key-value block (``Confidence`` / 100; 0.0 when
  there is no key at all, so a threshold policy sends empty extractions to people);
  ``metadata["confidences"]``: each field's; ``metadata["field_confidence"]`` likewise;
- ``metadata["ai_service_request"]``/``["ai_service_response"]``: the request and response in
  A2I's lowerCamel payload casing (what the built-in input shape and the activation conditions
  read); ``metadata["a2i_request_source"]``: ``AWS/Textract/AnalyzeDocument/Forms/V1``;
- on AWS (``human_loop=AwsHumanLoop(...)``): ``metadata["human_loop"]`` with AWS's
  ``HumanLoopActivationOutput``.

Route it with :class:`hitl_agent.policy.BuiltinLoopPolicy` (A2I's activation conditions)
or any threshold policy over :class:`~hitl_agent.uncertainty.ServiceConfidenceScorer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hitl_agent.models.aws import (
    AwsHumanLoop,
    BuiltinTaskAdapter,
    aws_client,
    lower_camel,
    s3_document,
)
from hitl_agent.policy.activation import TEXTRACT_SOURCE
from hitl_agent.types import Prediction

__all__ = ["REQUEST_SOURCE", "FormField", "TextractForms", "form_fields", "forms_prediction",
           "fields_dict"]

REQUEST_SOURCE = TEXTRACT_SOURCE


def _get(obj: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """A key in PascalCase (the API) or lowerCamel (A2I payloads)."""
    if name in obj:
        return obj[name]
    return obj.get(name[:1].lower() + name[1:], default)


@dataclass(frozen=True)
class FormField:
    """One key-value pair of a form: texts, block ids and confidences (0-100, as Textract)."""

    key: str
    value: str
    key_id: str | None
    value_id: str | None
    confidence: float | None
    value_confidence: float | None


def _related(block: Mapping[str, Any], kind: str) -> list[str]:
    return [str(i) for rel in _get(block, "Relationships", []) or []
            if _get(rel, "Type") == kind for i in _get(rel, "Ids", []) or []]


def block_text(block: Mapping[str, Any] | None, by_id: Mapping[str, Mapping[str, Any]]) -> str:
    """The text of a KEY/VALUE block: its own ``Text`` if it has one (A2I's answer blocks may),
    else its child WORD blocks joined by spaces; a selected check box reads ``SELECTED``."""
    if block is None:
        return ""
    own = _get(block, "Text")
    if isinstance(own, str):
        return own
    parts = []
    for child_id in _related(block, "CHILD"):
        child = by_id.get(child_id)
        if child is None:
            continue
        kind = _get(child, "BlockType")
        if kind == "WORD":
            parts.append(str(_get(child, "Text", "")))
        elif kind == "SELECTION_ELEMENT":
            parts.append(str(_get(child, "SelectionStatus", "")))
    return " ".join(p for p in parts if p)


def form_fields(blocks: Iterable[Mapping[str, Any]]) -> list[FormField]:
    """Every KEY of a Textract response (or of A2I's answer blocks) with its value."""
    listed = [b for b in blocks if isinstance(b, Mapping)]
    by_id = {str(_get(b, "Id")): b for b in listed if _get(b, "Id") is not None}
    fields = []
    for block in listed:
        if _get(block, "BlockType") != "KEY_VALUE_SET" or "KEY" not in (
                _get(block, "EntityTypes", []) or []):
            continue
        value_ids = _related(block, "VALUE")
        value = by_id.get(value_ids[0]) if value_ids else None
        confidence = _get(block, "Confidence")
        value_confidence = _get(value, "Confidence") if value is not None else None
        fields.append(FormField(
            key=" ".join(block_text(block, by_id).split()),
            value=" ".join(block_text(value, by_id).split()),
            key_id=str(_get(block, "Id")) if _get(block, "Id") is not None else None,
            value_id=value_ids[0] if value_ids else None,
            confidence=float(confidence) if isinstance(confidence, int | float) else None,
            value_confidence=(float(value_confidence)
                              if isinstance(value_confidence, int | float) else None),
        ))
    return fields


def field_names(fields: Sequence[FormField]) -> list[str]:
    """The output name of each field: its key text, `` (2)``… appended to repeats."""
    seen: dict[str, int] = {}
    names = []
    for f in fields:
        seen[f.key] = seen.get(f.key, 0) + 1
        names.append(f.key if seen[f.key] == 1 else f"{f.key} ({seen[f.key]})")
    return names


def fields_dict(fields: Sequence[FormField]) -> dict[str, str]:
    return {name: f.value for name, f in zip(field_names(fields), fields, strict=True)}


def forms_prediction(
    request: Mapping[str, Any],
    response: Mapping[str, Any],
    *,
    model_id: str = "textract:analyze-document",
    latency_ms: float | None = None,
    human_loop: Mapping[str, Any] | None = None,
) -> Prediction:
    """The Prediction for one AnalyzeDocument request and its response (PascalCase, as boto3)."""
    fields = form_fields(response.get("Blocks") or [])
    names = field_names(fields)
    per_field = {name: (f.confidence if f.confidence is not None else 0.0) / 100.0
                 for name, f in zip(names, fields, strict=True)}
    metadata: dict[str, Any] = {
        "a2i_request_source": REQUEST_SOURCE,
        "ai_service_request": lower_camel(request),
        "ai_service_response": lower_camel(response),
        "confidence": min(per_field.values(), default=0.0),
        "confidences": per_field,
        "field_confidence": per_field,
        "pages": (response.get("DocumentMetadata") or {}).get("Pages"),
    }
    if human_loop is not None:
        metadata["human_loop"] = dict(human_loop)
    return Prediction(
        output={"fields": fields_dict(fields)},
        model_id=model_id,
        model_version=response.get("AnalyzeDocumentModelVersion"),
        latency_ms=latency_ms,
        metadata=metadata,
    )


class TextractForms(BuiltinTaskAdapter):
    """A :class:`~hitl_agent.models.base.ModelAdapter` over Textract ``AnalyzeDocument``.

    - ``client``: a boto3 ``textract`` client (default: one with standard retries);
    - ``feature_types``: ``("FORMS",)`` by default (A2I's built-in type reviews forms);
    - ``human_loop``: on AWS, an :class:`AwsHumanLoop` so that Textract evaluates the flow's
      activation conditions and starts the loop itself, as A2I does.
    """

    def __init__(
        self,
        client: Any = None,
        *,
        feature_types: Sequence[str] = ("FORMS",),
        human_loop: AwsHumanLoop | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        model_id: str = "textract:analyze-document",
    ) -> None:
        self.client = aws_client("textract", client, region_name=region_name,
                                 endpoint_url=endpoint_url)
        self.feature_types = list(feature_types)
        self.human_loop = human_loop
        self.model_id = model_id
        self.operation = "analyze_document"
        self.document_key = "Document"

    def request_for(self, input: Any) -> dict[str, Any]:
        request: dict[str, Any] = {"Document": s3_document(input),
                                   "FeatureTypes": list(self.feature_types)}
        if self.human_loop is not None:
            request["HumanLoopConfig"] = self.human_loop.config_for(input)
        return request

    def to_prediction(self, request: Mapping[str, Any], response: Mapping[str, Any], *,
                      latency_ms: float, human_loop: dict[str, Any] | None) -> Prediction:
        return forms_prediction(request, response, model_id=self.model_id,
                                latency_ms=latency_ms, human_loop=human_loop)
