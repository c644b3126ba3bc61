"""Rendering results and errors the way botocore parses them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response
from starlette.types import Send

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


async def send_json(send: Send, data: dict[str, str]) -> None:
    """:func:`aws_json`'s 200 answer (the same headers; text past ASCII escaped), sent as ASGI
    messages: the runtime API's hot path, where a ``Response`` object costs more than sending."""
    body = json.dumps(data, separators=(",", ":")).encode()
    headers = [
        (b"x-amzn-requestid", str(uuid.uuid4()).encode()),
        (b"content-length", str(len(body)).encode()),
        (b"content-type", REST_JSON.encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def aws_error(exc: AwsError, content_type: str = REST_JSON) -> Response:
    """Status, ``x-amzn-ErrorType`` and ``{"__type", "message", "Message"}``, as botocore reads."""
    body: dict[str, Any] = {"__type": exc.code, "message": exc.message, "Message": exc.message}
    if exc.field:
        body["field"] = exc.field
    response = aws_json(body, content_type, exc.status)
    response.headers["x-amzn-ErrorType"] = exc.code
    return response
