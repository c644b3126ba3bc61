"""``create_app(settings)``: the FastAPI application of the A2I-compatible review service."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from . import control_api, worker_api
from .edge import Edge, EdgeMiddleware
from .errors import (
    AwsError,
    InternalServerException,
    UnknownOperationException,
    ValidationException,
)
from .output_roots import remove_stale_temp_files
from .responses import AMZ_JSON, REST_JSON, aws_error
from .services import ReviewServices, build_services
from .settings import ServiceSettings

log = logging.getLogger(__name__)
PLUGINS = ("hitl_agent.service.portal", "hitl_agent.service.portal_oidc")


def _content_type(request: Request) -> str:
    return AMZ_JSON if request.url.path == "/" else REST_JSON


def _plugin_routers() -> list[Any]:
    """Routers of optional sibling modules (the worker portal), mounted when they exist.

    A module ``hitl_agent.service.portal`` that defines ``router`` (a FastAPI ``APIRouter``) is
    included without this file having to change.
    """
    routers = []
    for module in PLUGINS:
        if importlib.util.find_spec(module) is not None:
            router = getattr(importlib.import_module(module), "router", None)
            if router is not None:
                routers.append(router)
    return routers


def create_app(
    settings: ServiceSettings | None = None, *, services: ReviewServices | None = None
) -> FastAPI:
    """Build the app over ``settings`` (or over ready ``services``); background threads run while
    the app is served (its lifespan)."""
    services = services or build_services(settings or ServiceSettings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        removed = remove_stale_temp_files(services.settings)
        if removed:
            log.warning("removed %d temp file(s) left by an earlier crash", removed)
        if services.settings.background:
            services.start_background()
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="hitl-agent review service (Amazon A2I compatible)",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    app.state.edge = edge = Edge(services)
    app.add_middleware(EdgeMiddleware, edge=edge)
    # (the runtime API is answered by the edge: runtime_api.py)
    app.include_router(control_api.router)
    app.include_router(worker_api.router)
    for router in _plugin_routers():
        app.include_router(router)

    @app.exception_handler(AwsError)
    async def _aws_error(request: Request, exc: AwsError) -> Response:
        return aws_error(exc, _content_type(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            err: AwsError = ValidationException(
                f"Method {request.method} is not allowed on {request.url.path}", field="method"
            )
        elif exc.status_code == 404:
            err = UnknownOperationException(
                f"No operation at {request.method} {request.url.path}", field="path"
            )
        else:
            err = ValidationException(str(exc.detail), field="request")
        return aws_error(err, _content_type(request))

    @app.exception_handler(RequestValidationError)
    async def _request_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
        err = ValidationException(
            f"{field or 'request'}: {first.get('msg', 'invalid')}", field=field or "request"
        )
        return aws_error(err, _content_type(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return aws_error(InternalServerException("Internal server error"), _content_type(request))

    return app
