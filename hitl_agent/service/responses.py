"""Rendering results and errors the way botocore parses them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

from .errors import AwsError

REST_JSON = "application/json"
AMZ_JSON = "application/x-amz-json-1.1"


def aws_json(data: Any, content_type: str = REST_JSON, status: int = 200) -> Response:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    try:
        body = text.encode()
    except UnicodeEncodeError:  # a lone surrogate echoed from the request: escape it instead
        body = json.dumps(data, separators=(",", ":")).encode()
    return Response(
        body,
        status_code=status,
        media_type=content_type,
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )


def aws_error(exc: AwsError, content_type: str = REST_JSON) -> Response:
    """Status, ``x-amzn-ErrorType`` and ``{"__type", "message", "Message"}``, as botocore reads."""
    body: dict[str, Any] = {"__type": exc.code, "message": exc.message, "Message": exc.message}
    if exc.field:
        body["field"] = exc.field
    response = aws_json(body, content_type, exc.status)
    response.headers["x-amzn-ErrorType"] = exc.code
    return response
