"""Human reviews through Amazon A2I's API: real A2I, or the project's A2I-compatible service.

The same class talks to both; only ``endpoint_url`` differs. Loop names are the graph's review
ids (deterministic, A2I-valid, at most 63 characters), so a retried start finds the running loop:
A2I answers a same-name same-input start with the existing loop and a different input with
``ConflictException``; a finished loop's name gives ``ValidationException``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from hitl_agent._boto import RETRY_CONFIG
from hitl_agent.canonical import canonical_json
from hitl_agent.errors import ReviewError, ReviewNotFound
from hitl_agent.review.base import ReviewStatus
from hitl_agent.review.consensus import OUTPUT_KEY, combine_answers
from hitl_agent.s3_uri import parse_s3_url
from hitl_agent.types import HumanAnswer, ReviewOutcome, ReviewRequest

_STATUS = {
    "InProgress": "pending",
    "Stopping": "pending",
    "Completed": "completed",
    "Failed": "failed",
    "Stopped": "stopped",
}

TaskInputBuilder = Callable[[ReviewRequest], dict[str, Any]]


def default_task_input(request: ReviewRequest) -> dict[str, Any]:
    """The task input the project's templates read: the ReviewRequest as JSON."""
    return json.loads(request.model_dump_json())


class A2IReviews:
    """A :class:`~hitl_agent.review.base.ReviewBackend` over ``sagemaker-a2i-runtime``.

    - ``content_classifiers``: A2I's DataAttributes; only for a public (Mechanical Turk)
      workforce, declare data free of PII and adult content.
    - ``task_input``: builds ``InputContent`` from a request (default: the request's JSON).
    """

    name = "a2i"
    answers_synchronously = False

    def __init__(
        self,
        flow_definition_arn: str,
        runtime_client: Any | None = None,
        s3_client: Any | None = None,
        endpoint_url: str | None = None,
        *,
        region_name: str | None = None,
        content_classifiers: Sequence[str] = (),
        task_input: TaskInputBuilder = default_task_input,
        s3_endpoint_url: str | None = None,
        name: str | None = None,
    ) -> None:
        self.flow_definition_arn = flow_definition_arn
        self.name = name or self.name  # default: the class's (a subclass names its own)
        if runtime_client is None and endpoint_url:
            # the review service: boto3's chain, else the key `serve` wrote to the data folder
            from hitl_agent.credentials import service_credentials

            keys = service_credentials()
        else:
            keys = {}
        self.runtime = runtime_client or boto3.client(
            "sagemaker-a2i-runtime", endpoint_url=endpoint_url, region_name=region_name,
            config=RETRY_CONFIG, **keys)
        self._s3 = s3_client
        self._s3_endpoint_url = s3_endpoint_url
        self._region_name = region_name
        self.content_classifiers = list(content_classifiers)
        self.task_input = task_input
        self._completed: dict[str, dict[str, Any]] = {}

    # -- ReviewBackend -----------------------------------------------------------------------

    def start(self, request: ReviewRequest) -> str:
        # ASCII-escaped: the form loops already started were sent with (the service keys a
        # same-name restart on the content's SHA-256), see hitl_agent.canonical.
        content = canonical_json(self.task_input(request), ensure_ascii=True)
        kwargs: dict[str, Any] = {
            "HumanLoopName": request.review_id,
            "FlowDefinitionArn": self.flow_definition_arn,
            "HumanLoopInput": {"InputContent": content},
        }
        if self.content_classifiers:
            kwargs["DataAttributes"] = {"ContentClassifiers": self.content_classifiers}
        try:
            self.runtime.start_human_loop(**kwargs)
        except ClientError as exc:
            code = _code(exc)
            if code == "ValidationException" and self._exists(request.review_id):
                return request.review_id  # the loop exists and already finished: same review
            if code == "ConflictException":
                raise ReviewError(
                    f"human loop {request.review_id!r} exists with different input "
                    "(a review id reused for another item?)",
                    review_id=request.review_id, field="HumanLoopName",
                ) from exc
            raise self._error("StartHumanLoop", request.review_id, exc) from exc
        except BotoCoreError as exc:
            raise ReviewError(f"StartHumanLoop failed: {exc}", review_id=request.review_id) \
                from exc
        return request.review_id

    def status(self, review_id: str) -> ReviewStatus:
        try:
            loop = self.runtime.describe_human_loop(HumanLoopName=review_id)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return ReviewStatus(review_id, "missing")
            raise self._error("DescribeHumanLoop", review_id, exc) from exc
        if loop["HumanLoopStatus"] == "Completed":
            # The resumer asks for the result right after a completed status: keep the answer
            # so that it costs no second DescribeHumanLoop (a finished loop no longer changes).
            self._completed[review_id] = loop
        state = _STATUS.get(loop["HumanLoopStatus"], "pending")
        if state == "failed" and loop.get("FailureCode") == "Expired":
            return ReviewStatus(review_id, "expired", loop.get("FailureReason"))
        return ReviewStatus(review_id, state, loop.get("FailureReason"))  # type: ignore[arg-type]

    def result(self, review_id: str) -> ReviewOutcome | None:
        try:
            loop = self._completed.pop(review_id, None) or self.runtime.describe_human_loop(
                HumanLoopName=review_id)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                raise ReviewNotFound(f"no human loop {review_id!r}", review_id=review_id) \
                    from exc
            raise self._error("DescribeHumanLoop", review_id, exc) from exc
        if loop["HumanLoopStatus"] != "Completed":
            return None
        uri = loop["HumanLoopOutput"]["OutputS3Uri"]
        outcome = self.parse(self.read_output(uri))
        return outcome.model_copy(update={"review_id": review_id,
                                          "source": self._source()})

    def parse(self, output_json: Mapping[str, Any]) -> ReviewOutcome:
        """Turn a loop's ``output.json`` into an outcome (built-in task types override it)."""
        return parse_output(output_json)

    def stop(self, review_id: str) -> None:
        try:
            self.runtime.stop_human_loop(HumanLoopName=review_id)
        except ClientError as exc:
            if _code(exc) in ("ResourceNotFoundException", "ValidationException"):
                return  # gone, or already finished
            raise self._error("StopHumanLoop", review_id, exc) from exc

    # -- output ------------------------------------------------------------------------------

    def read_output(self, uri: str) -> dict[str, Any]:
        """Read an ``output.json`` from S3 (through boto3) or from disk (path or file://)."""
        parsed = urlparse(uri)
        location = parse_s3_url(uri, endpoint_url=self._s3_endpoint_url)
        try:
            if location is not None:
                body = self.s3.get_object(Bucket=location.bucket, Key=location.key)["Body"].read()
                document = json.loads(body)
            else:
                path = Path(unquote(parsed.path) if parsed.scheme == "file" else uri)
                document = json.loads(path.read_text(encoding="utf-8"))
        except (ClientError, BotoCoreError, OSError, json.JSONDecodeError) as exc:
            raise ReviewError(f"output {uri} cannot be read: {exc}", uri=uri) from exc
        if not isinstance(document, dict):
            raise ReviewError(f"output {uri} is not a JSON object", uri=uri)
        return document

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = boto3.client("s3", endpoint_url=self._s3_endpoint_url,
                                    region_name=self._region_name, config=RETRY_CONFIG)
        return self._s3

    # -- internals ---------------------------------------------------------------------------

    def _exists(self, review_id: str) -> bool:
        try:
            self.runtime.describe_human_loop(HumanLoopName=review_id)
        except ClientError:
            return False
        return True

    def _source(self) -> Any:
        host = urlparse(str(self.runtime.meta.endpoint_url)).hostname or ""
        return "a2i" if host.endswith("amazonaws.com") else "service"

    @staticmethod
    def _error(operation: str, review_id: str, exc: ClientError) -> ReviewError:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        return ReviewError(f"{operation} failed for {review_id!r}: {_code(exc)}: {message}",
                           review_id=review_id, code=_code(exc))


def parse_output(output_json: Mapping[str, Any]) -> ReviewOutcome:
    """Turn A2I's ``output.json`` into a :class:`ReviewOutcome`.

    Tolerates the older format without ``acceptanceTime``/``timeSpentInSeconds`` and the outputs
    of built-in task types (Textract, Rekognition), whose answer is the corrected output itself.
    The model output the answers are compared with is read from ``inputContent.model_output``
    (the project's task input) when present.
    """
    raw_answers = output_json.get("humanAnswers")
    if not isinstance(raw_answers, list) or not raw_answers:
        raise ReviewError("output.json has no humanAnswers", field="humanAnswers")
    answers = []
    for i, raw in enumerate(raw_answers):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("answerContent"), Mapping):
            raise ReviewError(f"humanAnswers[{i}] has no answerContent object",
                              field=f"humanAnswers[{i}].answerContent")
        answers.append(HumanAnswer(
            answer_content=dict(raw["answerContent"]),
            worker_id=raw.get("workerId"),
            acceptance_time=_time(raw.get("acceptanceTime")),
            submission_time=_time(raw.get("submissionTime")),
            time_spent_seconds=raw.get("timeSpentInSeconds"),
            worker_metadata=raw.get("workerMetadata"),
        ))
    input_content = task_input_of(output_json)
    model_output = input_content.get("model_output") if isinstance(input_content, Mapping) \
        else None
    tier = input_content.get("tier", 0) if isinstance(input_content, Mapping) else 0
    return combine_answers(answers, model_output, source="a2i",
                           review_id=output_json.get("humanLoopName"),
                           tier=tier if isinstance(tier, int) else 0,
                           aggregation=output_json.get(OUTPUT_KEY))


BUILTIN_INPUT_KEYS = ("aiServiceRequest", "aiServiceResponse",
                      "humanTaskActivationConditionResults", "selectedAiServiceResponse",
                      "humanLoopContext")


def task_input_of(output_json: Mapping[str, Any]) -> dict[str, Any]:
    """The task input an ``output.json`` holds, in either layout AWS writes.

    Custom task types (and AWS's documentation of built-in ones) nest it under
    ``inputContent`` (an object, or a JSON string in older files); AWS's real built-in outputs
    put ``aiServiceRequest``, ``aiServiceResponse``, ``humanTaskActivationConditionResults`` and
    ``selectedAiServiceResponse`` at the top level. Both give the same dict; with both present,
    ``inputContent``'s members win and the top-level ones fill in what it lacks.
    """
    content: Any = output_json.get("inputContent")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except json.JSONDecodeError:
            content = None
    found = dict(content) if isinstance(content, Mapping) else {}
    for key in BUILTIN_INPUT_KEYS:
        if key in output_json and key not in found:
            found[key] = output_json[key]
    return found


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
