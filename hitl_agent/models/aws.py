"""What the AWS AI-service adapters share: clients with botocore's standard retries, one way to
call an operation and turn its failures into :class:`~hitl_agent.errors.ModelError`, S3 document
references and A2I's lowerCamel payload casing. (The scorer of the services' own confidences
is :class:`hitl_agent.uncertainty.ServiceConfidenceScorer`.)

Every adapter builds its boto3 client with :data:`RETRY_CONFIG` unless given one: throttling
(``ThrottlingException``, ``ProvisionedThroughputExceededException``, HTTP 429) and transient
service errors (5xx) are retried with botocore's *standard* retry mode (exponential backoff with
jitter); what still fails raises ``ModelError`` carrying the operation, the error code and the
number of retries, and the graph's ``predict`` node records the item as ``failed`` in the ledger
with its input, so nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hitl_agent._boto import RETRY_CONFIG
from hitl_agent._lazy import lazy_exports
from hitl_agent.canonical import canonical_json
from hitl_agent.errors import ModelError
from hitl_agent.s3_uri import parse_s3_url, s3_uri
from hitl_agent.types import Prediction

__all__ = [
    "RETRY_CONFIG",
    "AwsHumanLoop",
    "aws_client",
    "call_aws",
    "lower_camel",
    "s3_document",
]

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "ServiceConfidenceScorer": "hitl_agent.uncertainty.service_confidence",
    "parse_s3_uri": "hitl_agent.s3_uri:parse_s3_url",  # the package's one S3 parser
})


def aws_client(
    service: str,
    client: Any = None,
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    config: Config | None = None,
) -> Any:
    """``client`` when given, else a boto3 client for ``service`` with standard retries."""
    if client is not None:
        return client
    return boto3.client(service, region_name=region_name, endpoint_url=endpoint_url,
                        config=config or RETRY_CONFIG)


def call_aws(client: Any, operation: str, **params: Any) -> dict[str, Any]:
    """Call ``client.<operation>(**params)``; failures (after botocore's retries) raise
    :class:`ModelError` with ``operation``, ``code`` and ``retries`` in its context."""
    method = getattr(client, operation)
    try:
        response: dict[str, Any] = method(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        retries = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        code = str(error.get("Code", ""))
        raise ModelError(
            f"{operation} failed after {retries} retries: {code}: {error.get('Message', exc)}",
            operation=operation, code=code, retries=retries,
        ) from exc
    except BotoCoreError as exc:
        raise ModelError(f"{operation} failed: {exc}", operation=operation) from exc
    return response


def lower_camel(value: Any) -> Any:
    """A service response in A2I's payload casing: every key's first letter lowered, recursively
    (``BlockType`` → ``blockType``, ``BoundingBox`` → ``boundingBox``); values unchanged. Bytes
    (an inline document) are left out: A2I payloads are JSON."""
    if isinstance(value, Mapping):
        return {
            (k[:1].lower() + k[1:] if isinstance(k, str) else k): lower_camel(v)
            for k, v in value.items()
            if k != "ResponseMetadata" and not isinstance(v, bytes | bytearray)
        }
    if isinstance(value, list | tuple):
        return [lower_camel(v) for v in value]
    return value


def s3_document(input: Any, *, field_name: str = "input") -> dict[str, Any]:
    """An AWS ``Document``/``Image`` parameter from an input: ``"s3://bucket/key"``, a mapping
    with ``S3Object`` (``Bucket``, ``Name``, optional ``Version``), or a mapping with ``Bytes``."""
    if isinstance(input, str):
        location = parse_s3_url(input)
        if location is None:
            raise ModelError(f"{field_name} must be an s3:// URI or an S3Object mapping, "
                             f"got {input[:100]!r}", field=field_name)
        return {"S3Object": {"Bucket": location.bucket, "Name": location.key}}
    if isinstance(input, Mapping):
        if "S3Object" in input:
            obj = input["S3Object"]
            if not isinstance(obj, Mapping) or not obj.get("Bucket") or not obj.get("Name"):
                raise ModelError("S3Object needs Bucket and Name", field=f"{field_name}.S3Object")
            return {"S3Object": {k: obj[k] for k in ("Bucket", "Name", "Version") if k in obj}}
        if "Bytes" in input:
            return {"Bytes": input["Bytes"]}
    raise ModelError(f"{field_name} must be an s3:// URI or a mapping with S3Object or Bytes",
                     field=field_name)


def document_uri(document: Mapping[str, Any]) -> str | None:
    """``s3://bucket/key`` of a ``Document``/``Image`` parameter, if it names an S3 object."""
    obj = document.get("S3Object")
    if isinstance(obj, Mapping) and obj.get("Bucket") and obj.get("Name"):
        return s3_uri(str(obj["Bucket"]), str(obj["Name"]))
    return None


def default_loop_name(flow_definition_arn: str, input: Any) -> str:
    """A deterministic, A2I-valid human loop name for one input of one flow definition."""
    # ASCII-escaped: the names of loops already started stay the same (hitl_agent.canonical).
    text = canonical_json(input, ensure_ascii=True)
    digest = hashlib.sha256(f"{flow_definition_arn}\x1f{text}".encode()).hexdigest()
    return f"hitl-{digest[:40]}"


@dataclass(frozen=True)
class AwsHumanLoop:
    """A built-in task type's human loop started *by the AI service on AWS*.

    The adapter passes ``HumanLoopConfig`` (this flow definition, a loop name, the data
    attributes) to ``AnalyzeDocument``/``DetectModerationLabels``; AWS evaluates the flow's
    activation conditions and starts the loop; the adapter reads ``HumanLoopActivationOutput``.
    ``loop_name(input)`` names the loop (default: a digest of the flow and the input, so the same
    document sent again names the same loop; pass your own to review one document twice).

    With the project's review service leave it out: the conditions are evaluated locally by
    :class:`hitl_agent.policy.BuiltinLoopPolicy` and the loop is started by the graph.
    """

    flow_definition_arn: str
    content_classifiers: Sequence[str] = ()
    loop_name: Callable[[Any], str] | None = None

    def name_for(self, input: Any) -> str:
        if self.loop_name is not None:
            return self.loop_name(input)
        return default_loop_name(self.flow_definition_arn, input)

    def config_for(self, input: Any) -> dict[str, Any]:
        config: dict[str, Any] = {"HumanLoopName": self.name_for(input),
                                  "FlowDefinitionArn": self.flow_definition_arn}
        if self.content_classifiers:
            config["DataAttributes"] = {"ContentClassifiers": list(self.content_classifiers)}
        return config


def activation_metadata(
    config: Mapping[str, Any], response: Mapping[str, Any]
) -> dict[str, Any]:
    """``prediction.metadata["human_loop"]`` from AWS's ``HumanLoopActivationOutput``."""
    output = response.get("HumanLoopActivationOutput") or {}
    raw = output.get("HumanLoopActivationConditionsEvaluationResults")
    try:
        results = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        results = None
    return {
        "evaluated_by": "aws",
        "HumanLoopName": config["HumanLoopName"],
        "FlowDefinitionArn": config["FlowDefinitionArn"],
        "HumanLoopArn": output.get("HumanLoopArn"),
        "HumanLoopActivationReasons": list(output.get("HumanLoopActivationReasons") or []),
        "humanTaskActivationConditionResults": results,
    }


class BuiltinTaskAdapter:
    """What the adapters of A2I's built-in task types share: call the AWS operation (with the
    flow's ``HumanLoopConfig`` on AWS), read ``HumanLoopActivationOutput``, and turn the response
    into a Prediction. Subclasses name the operation, the document key and the conversion."""

    client: Any
    model_id: str
    operation: str
    document_key: str

    def request_for(self, input: Any) -> dict[str, Any]:
        raise NotImplementedError

    def to_prediction(self, request: Mapping[str, Any], response: Mapping[str, Any], *,
                      latency_ms: float, human_loop: dict[str, Any] | None) -> Prediction:
        raise NotImplementedError

    def predict(self, input: Any, *, examples: Sequence[Any] = ()) -> Prediction:
        import time

        request = self.request_for(input)
        start = time.perf_counter()
        response = call_aws(self.client, self.operation, **request)
        latency = (time.perf_counter() - start) * 1000.0
        loop = (activation_metadata(request["HumanLoopConfig"], response)
                if "HumanLoopConfig" in request else None)
        prediction = self.to_prediction(request, response, latency_ms=latency, human_loop=loop)
        uri = document_uri(request[self.document_key])
        if uri is not None:
            prediction.metadata["document_uri"] = uri
        return prediction
