"""The service's edge: one ASGI middleware every request passes before any route.

In order, for each request:

1. **Body size.** ``Content-Length`` past ``max_body_bytes`` is a 413 before anything is read; a
   body that grows past it while being read is cut off with the same 413.
2. **Authentication** (the AWS surfaces): the A2I runtime API (``/human-loops…``: a ``runtime``
   or ``admin`` key), the SageMaker control plane (``POST /``), ``/hitl/events…``, task UI
   template URLs and any other ``/hitl/…`` path (``admin``) need a valid SigV4 signature
   (:mod:`.sigv4`). A template URL may instead carry the short-lived signature that
   DescribeHumanTaskUi puts on it. ``/hitl/health``, the worker API (bearer tokens) and the
   portal (sessions) authenticate their own way.
3. **Content types**: a JSON body must come as ``application/json`` (A2I's rest-json) or
   ``application/x-amz-json-1.1`` (SageMaker), as botocore sends; a ``text/plain`` "simple
   request" a web page can send without CORS is a 415.
4. **Portal requests that change state** must not come from another site: ``Origin`` (when sent)
   must be the portal's own, and ``Sec-Fetch-Site`` (when sent) ``same-origin`` or ``none``.
5. **Shape**: the JSON (depth, lone surrogates) and the members of A2I and SageMaker calls are
   checked against botocore's models (:mod:`.model_rules`); an output path outside the output
   roots is refused at CreateFlowDefinition (:mod:`.output_roots`).

Failures are AWS errors (``x-amzn-ErrorType``, ``{"__type", "message"}``) rendered the same way
the routes render theirs; nothing past the edge runs. A runtime API request that passed is
answered by :func:`.runtime_api.handle` with the body decoded here (no FastAPI routing: the hot
path); every other request goes on to the app's routes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hitl_agent.errors import (
    AuthError,
    AwsError,
    CrossSiteRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationException,
)

from . import runtime_api
from .access_keys import KeyStore, derive_key, load_service_secret
from .model_rules import ModelChecker, operation, runtime_operation, warm_models
from .output_roots import refusal
from .responses import AMZ_JSON, REST_JSON, aws_error
from .services import ReviewServices
from .sigv4 import SigV4Verifier, access_denied
from .validation import invalid, parse_json_object

OPEN_PATHS = frozenset({"/hitl/health"})
TEMPLATE_URL_TTL_S = 3600
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _surface(path: str, method: str = "POST") -> str:
    if path == "/":
        return "control" if method == "POST" else "other"
    if path == "/human-loops" or path.startswith("/human-loops/"):
        return "runtime"
    if path in OPEN_PATHS:
        return "open"
    if path.startswith("/worker-api/"):
        return "worker"
    if path == "/portal" or path.startswith("/portal/"):
        return "portal"
    if path.startswith("/hitl/human-task-uis/") and path.endswith("/template"):
        return "template"
    if path.startswith("/hitl/"):
        return "admin"  # /hitl/events…, and anything else of ours: no probing unsigned
    # Not ours: the routes of an app this one is mounted in (the LangGraph server's API when
    # langgraph.json serves the review service), which authenticate their own way.
    return "other"


class Edge:
    """Everything the middleware needs, built once per app."""

    def __init__(self, services: ReviewServices) -> None:
        self.services = services
        settings = services.settings
        self.settings = settings
        secret = load_service_secret(settings.data_dir)
        self.keys = KeyStore(services.store, secret)
        self.verifier = SigV4Verifier(self.keys)
        self.checker = ModelChecker(
            lenient_loop_names=not settings.strict_names, max_task_count=settings.max_task_count
        )
        control = services.control  # botocore's models and patterns, loaded before any request
        warm_models([*control.operations, *control.addressed])
        self._template_key = derive_key(secret, "template-url")

    # --- template URLs ---------------------------------------------------------------------
    def _template_sig(self, name: str, expires: int) -> str:
        mac = hmac.new(self._template_key, f"{name}\n{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def sign_template_url(self, url: str, name: str) -> str:
        expires = int(time.time()) + TEMPLATE_URL_TTL_S
        query = urlencode({"expires": expires, "sig": self._template_sig(name, expires)})
        return f"{url}?{query}"

    def template_url_ok(self, path: str, query: str) -> bool:
        params = dict(parse_qsl(query))
        name = path[len("/hitl/human-task-uis/") : -len("/template")]
        try:
            expires = int(params.get("expires", ""))
        except ValueError:
            return False
        sig = params.get("sig", "")
        return expires > time.time() and hmac.compare_digest(
            sig.encode(), self._template_sig(name, expires).encode()
        )

    # --- checks ----------------------------------------------------------------------------
    def authenticate(self, scope: Scope, surface: str, body: bytes) -> None:
        if not self.settings.auth or surface in ("open", "worker", "portal", "other"):
            return
        query = scope.get("query_string", b"").decode("latin-1")
        if surface == "template" and "sig=" in query and self.template_url_ok(scope["path"], query):
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        info = self.verifier.verify(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1"),
            query=query,
            headers=headers,
            body=body,
            scheme="https" if scope.get("scheme") == "https" else "http",
        )
        if surface != "runtime" and info.scope != "admin":
            action = _header(scope, b"x-amz-target").removeprefix("SageMaker.") or scope["path"]
            raise access_denied(info, self.settings.account_id, action)

    def check_content_type(self, scope: Scope, surface: str, body: bytes) -> None:
        if not body or surface not in ("control", "runtime", "admin"):  # worker: bearer-only
            return
        ctype = _header(scope, b"content-type").split(";", 1)[0].strip().lower()
        wanted = AMZ_JSON if surface == "control" else REST_JSON
        if ctype != wanted:
            raise UnsupportedMediaType(
                f"Unsupported Media Type: this API takes Content-Type: {wanted}, not "
                f"{ctype or 'none'!r}",
                field="Content-Type",
            )

    def check_same_site(self, scope: Scope) -> None:
        fetch_site = _header(scope, b"sec-fetch-site")
        if fetch_site and fetch_site not in ("same-origin", "none"):
            raise CrossSiteRequest(
                f"Refused: a {fetch_site} request may not change anything here", field="Origin"
            )
        origin = _header(scope, b"origin")
        if origin:
            host = _header(scope, b"host")
            own = {f"http://{host}", f"https://{host}"}
            if self.settings.public_url:
                parts = urlsplit(self.settings.public_url)
                own.add(f"{parts.scheme}://{parts.netloc}")
            if origin not in own:
                raise CrossSiteRequest(
                    f"Refused: Origin {origin[:100]!r} is not this portal", field="Origin"
                )

    def check_shape(self, scope: Scope, surface: str, body: bytes) -> dict[str, Any] | None:
        """Check the request's members against the operation's model; returns the JSON body
        when it was decoded (once: the runtime API takes it from here)."""
        method = scope["method"]
        if surface == "control" and method == "POST":
            target = _header(scope, b"x-amz-target")
            op = (
                operation("sagemaker", target[len("SageMaker.") :])
                if target.startswith("SageMaker.")
                else None
            )
            if op is None:
                return None  # the route answers UnknownOperationException
            data = parse_json_object(body)
            self.checker.check_body(op, data)
            if op.name == "CreateFlowDefinition":
                self._check_output(data)
            return data
        if surface == "runtime":
            op = runtime_operation(method, scope["path"])
            if op is None:
                return None
            if method == "GET":
                query = dict(
                    parse_qsl(
                        scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
                    )
                )
                self.checker.check_query(op, query)
                return None
            data = parse_json_object(body)
            self.checker.check_body(op, data)
            return data
        return None

    def _check_output(self, data: dict[str, Any]) -> None:
        output = data.get("OutputConfig")
        path = output.get("S3OutputPath") if isinstance(output, dict) else None
        if isinstance(path, str):
            reason = refusal(path, self.settings)
            if reason is not None:
                raise invalid("OutputConfig.S3OutputPath", path, reason)


HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _with_hsts(send: Send) -> Send:
    """Add HSTS to every response sent over TLS (directly or through a trusted proxy)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), HSTS]
        await send(message)

    return sending


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class EdgeMiddleware:
    """The ASGI middleware running :class:`Edge`'s checks (see the module docstring)."""

    def __init__(self, app: ASGIApp, edge: Edge) -> None:
        self.app, self.edge = app, edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        surface = _surface(scope["path"], scope["method"])
        edge = self.edge
        if scope.get("scheme") == "https":
            send = _with_hsts(send)
        try:
            body = await self._read_body(scope, receive)
            edge.authenticate(scope, surface, body)
            if surface == "portal" and scope["method"] in STATE_CHANGING:
                edge.check_same_site(scope)
            edge.check_content_type(scope, surface, body)
            data = edge.check_shape(scope, surface, body)
        except AwsError as exc:
            if isinstance(exc, AuthError) and surface == "control":
                exc.status = 400  # JSON 1.1 services answer auth errors with 400
            ctype = AMZ_JSON if surface == "control" else REST_JSON
            await aws_error(exc, ctype)(scope, receive, send)
            return
        replayed = False
        if surface == "runtime":  # the hot path: no FastAPI routing (runtime_api.py)
            await runtime_api.handle(
                edge.services.runtime, scope, receive, send, raw=body, body=data
            )
            return

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.edge.settings.max_body_bytes
        length = _header(scope, b"content-length")
        if length:
            if not length.isdigit():
                raise ValidationException("Content-Length is not a number", field="Content-Length")
            if int(length) > limit:
                raise PayloadTooLarge(
                    f"The request body is {length} bytes; this service reads at most {limit}",
                    field="body",
                )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(
                    f"The request body is larger than {limit} bytes, the most this service reads",
                    field="body",
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
