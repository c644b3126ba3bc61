"""A2I's ``output.json``: where it goes, what it holds, and writing it to S3 or to disk."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import InvalidArgumentError
from hitl_agent.s3_uri import parse_s3_url

from .clock import to_datetime
from .settings import ServiceSettings


def output_uri(
    output_path: str, flow_name: str, created_us: int, loop_name: str, data_dir: Path
) -> str:
    """``{S3OutputPath}/{flow}/{YYYY/MM/DD/hh/mm/ss of creation, UTC}/{loop}/output.json``.

    A relative local path is taken relative to the data folder, and returned absolute.
    """
    base = output_path.rstrip("/")
    if "://" not in base:
        path = Path(base or ".")
        base = str(path if path.is_absolute() else (data_dir / path).resolve())
    stamp = to_datetime(created_us).strftime("%Y/%m/%d/%H/%M/%S")
    return f"{base}/{flow_name}/{stamp}/{loop_name}/output.json"


__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "split_s3": "hitl_agent.s3_uri:parse_s3_url",  # the package's one S3 parser
})


def is_s3(uri: str) -> bool:
    return uri.startswith(("s3://", "https://", "http://"))


def local_path(uri: str) -> Path:
    return Path(urlparse(uri).path) if uri.startswith("file://") else Path(uri)


BUILTIN_INPUT_KEYS = (
    "aiServiceRequest",
    "aiServiceResponse",
    "humanTaskActivationConditionResults",
    "selectedAiServiceResponse",
)


def build_output(
    *,
    flow_definition_arn: str,
    loop_name: str,
    input_content: str,
    answers: list[dict[str, Any]],
    request_source: str | None,
) -> dict[str, Any]:
    """The ``output.json`` of a loop, keys in the order AWS writes them (sorted).

    Custom task types nest the loop's input under ``inputContent``. Built-in task types
    (``awsManagedHumanLoopRequestSource``) put the AI service's request and response, the
    activation results and the selected response at the top level, as AWS's real Textract and
    Rekognition outputs do (``aiServiceRequest``, ``aiServiceResponse``,
    ``humanTaskActivationConditionResults``, ``selectedAiServiceResponse``).
    """
    content = json.loads(input_content)
    doc: dict[str, Any] = {
        "flowDefinitionArn": flow_definition_arn,
        "humanAnswers": answers,
        "humanLoopName": loop_name,
    }
    if request_source and isinstance(content, dict) and "aiServiceResponse" in content:
        doc["awsManagedHumanLoopRequestSource"] = request_source
        reserved = set(doc)
        doc.update({k: v for k, v in content.items() if k not in reserved})
    else:
        doc["inputContent"] = content
        if request_source:
            doc["awsManagedHumanLoopRequestSource"] = request_source
    return dict(sorted(doc.items()))


class OutputWriter:
    """Writes documents to ``s3://`` (through boto3) or to a local path (atomically, fsynced)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._s3: Any = None
        self._lock = threading.Lock()

    def _client(self) -> Any:
        with self._lock:
            if self._s3 is None:
                import boto3

                s = self.settings
                self._s3 = boto3.client(
                    "s3",
                    endpoint_url=s.s3_endpoint_url,
                    region_name=s.s3_region or s.region,
                    aws_access_key_id=s.aws_access_key_id,
                    aws_secret_access_key=s.aws_secret_access_key,
                )
            return self._s3

    def write(self, uri: str, document: dict[str, Any]) -> None:
        body = json.dumps(document, ensure_ascii=False).encode()
        if is_s3(uri):
            location = parse_s3_url(uri, endpoint_url=self.settings.s3_endpoint_url)
            if location is None:
                raise InvalidArgumentError(f"{uri} names no S3 object", field="S3OutputPath")
            bucket, key = location
            self._client().put_object(
                Bucket=bucket, Key=key, Body=body, ContentType="application/json"
            )
            return
        path = local_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".output-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
