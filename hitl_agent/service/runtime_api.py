"""Routes of the sagemaker-a2i-runtime API (rest-json). Path and method only; the backend decides.

The runtime API is the service's hot path (every StartHumanLoop of every client), so it is not
routed through FastAPI: the edge (``edge.py``) has read, authenticated and checked the request and
decoded its JSON body once, and hands it to :func:`handle`, which dispatches on five routes and
renders the answer or the AWS error itself. The routes and their errors are FastAPI's:

- ``POST /human-loops`` StartHumanLoop, ``GET /human-loops`` ListHumanLoops,
  ``POST /human-loops/stop`` StopHumanLoop, ``GET``/``DELETE /human-loops/{name}``
  DescribeHumanLoop / DeleteHumanLoop (``GET``/``DELETE /human-loops/stop`` describe and delete a
  loop named "stop"); ``HEAD`` is answered as ``GET``;
- another method on one of those paths is a ValidationException naming ``method`` (405 before);
  any other path is an UnknownOperationException naming ``path``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from .errors import (
    AwsError,
    InternalServerException,
    UnknownOperationException,
    ValidationException,
)
from .responses import REST_JSON, aws_error, aws_json, send_json
from .runtime import RuntimeBackend
from .validation import parse_json_object

log = logging.getLogger(__name__)

PREFIX = "/human-loops"
_LOOP = PREFIX + "/"


def _operation(
    runtime: RuntimeBackend, method: str, path: str
) -> tuple[Callable[[Any], dict[str, Any]], str] | None:
    """The backend method for a route and what it takes (``body``, ``query`` or a loop name);
    None for a path that is not the runtime API's. A known path with another method raises."""
    if method == "HEAD":
        method = "GET"
    if path == PREFIX:
        if method == "POST":
            return runtime.start_human_loop, "body"
        if method == "GET":
            return runtime.list_human_loops, "query"
    elif path == _LOOP + "stop" and method == "POST":
        return runtime.stop_human_loop, "body"
    elif path.startswith(_LOOP) and len(path) > len(_LOOP) and "/" not in path[len(_LOOP) :]:
        if method == "GET":
            return runtime.describe_human_loop, "name"
        if method == "DELETE":
            return runtime.delete_human_loop, "name"
    else:
        return None
    raise ValidationException(f"Method {method} is not allowed on {path}", field="method")


async def handle(
    runtime: RuntimeBackend,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    raw: bytes,
    body: dict[str, Any] | None,
) -> None:
    """Answer one runtime API request (``body``: the edge's decoding of ``raw``, if it did)."""
    method, path = scope["method"], scope["path"]
    started: dict[str, Any] | None = None  # StartHumanLoop's answer, sent without a Response
    try:
        found = _operation(runtime, method, path)
        if found is None:
            raise UnknownOperationException(f"No operation at {method} {path}", field="path")
        call, takes = found
        runtime.throttle()
        if takes == "body":
            arg: Any = body if body is not None else parse_json_object(raw)
        elif takes == "query":
            query = scope.get("query_string", b"").decode("latin-1")
            arg = dict(parse_qsl(query, keep_blank_values=True))
        else:
            arg = path[len(_LOOP) :]
        if call == runtime.start_human_loop:  # the hot path: on the event loop when it can be
            request = runtime.check_start(arg)
            result, tried = runtime.start_now(request), False  # SQLite
            if result is None:
                result, tried = await runtime.start_async(request)  # Postgres
            if result is None:
                result = await run_in_threadpool(runtime.start_checked, request, planned=not tried)
            started = result
        else:
            response = aws_json(await run_in_threadpool(call, arg))
    except AwsError as exc:
        response = aws_error(exc, REST_JSON)
    except Exception:  # noqa: BLE001 - answered as AWS does, logged with its traceback
        log.exception("unexpected error on %s %s", method, path)
        response = aws_error(InternalServerException("Internal server error"), REST_JSON)
    if started is not None:
        await send_json(send, started)
        return
    await response(scope, receive, send)
