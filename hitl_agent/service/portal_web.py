"""The plumbing every portal router shares: who is signed in, the portal's keys, the responses
(with the portal's security headers), form reading with the CSRF check, and opening a session.

The routers (``portal.py``, ``portal_tasks.py``, ``portal_assets.py``, ``portal_history.py``,
``team_view.py``, ``portal_oidc.py``, ``portal_preview.py``) import from here; nothing here
imports a router.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from . import portal_auth as auth
from . import portal_pages as pages
from .errors import AwsError, ResourceNotFoundException, ValidationException
from .portal_accounts import accounts
from .services import ReviewServices
from .workforce import WorkerInfo

MAX_FORM_BYTES = 64 * 1024

SHELL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CSRF_MESSAGE = (
    "The form's security token is missing or out of date. Go back, reload the page and try again."
)


@dataclass(frozen=True)
class Viewer:
    worker: WorkerInfo
    session: auth.PortalSession
    csrf: str


def services_of(request: Request) -> ReviewServices:
    services: ReviewServices = request.app.state.services
    return services


def portal_keys(request: Request) -> auth.PortalKeys:
    keys: auth.PortalKeys | None = getattr(request.app.state, "portal_keys", None)
    if keys is None:
        keys = auth.load_keys(services_of(request).settings.data_dir)
        request.app.state.portal_keys = keys
    return keys


def files_root(request: Request) -> Path:
    root: Path | None = getattr(request.app.state, "portal_files_root", None)
    return root or services_of(request).settings.data_dir / "files"


# --- responses ---------------------------------------------------------------------------------


def secure_headers(response: Response, csp: str, *, frame: bool = False) -> Response:
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer" if frame else "same-origin"
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if frame else "DENY"
    response.headers["Cache-Control"] = "no-store"
    if not frame:
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    return response


def html_response(body: str, status: int = 200) -> Response:
    return secure_headers(Response(body, status, media_type="text/html; charset=utf-8"), SHELL_CSP)


def json_response(content: dict[str, Any], status: int = 200) -> Response:
    response = JSONResponse(content, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def json_error(status: int, code: str, message: str) -> Response:
    return json_response({"__type": code, "message": message}, status)


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/portal/login?next={quote(target, safe='')}")


def error_response(
    viewer: Viewer | None,
    status: int,
    title: str,
    message: str,
    detail: str | None = None,
    *,
    release_loop: str | None = None,
) -> Response:
    return html_response(
        pages.error_page(
            status,
            title,
            message,
            detail=detail,
            worker=viewer.worker.name if viewer else None,
            csrf=viewer.csrf if viewer else None,
            release_loop=release_loop,
        ),
        status,
    )


def task_error(viewer: Viewer, exc: AwsError) -> Response:
    if exc.status == 404:
        return error_response(viewer, 404, "Task not found", "There is no such task for you.")
    if exc.status == 409:
        return error_response(viewer, 409, "Task not available", exc.message)
    return error_response(viewer, exc.status, "Request refused", exc.message)


def safe_next(value: str | None) -> str:
    """Only a path inside the portal (no scheme, host, ``//`` or backslash) is followed."""
    if (
        value
        and value.startswith("/portal")
        and not value.startswith("//")
        and "\\" not in value
        and not any(ord(c) < 32 for c in value)
        and not value.startswith("/portal/login")
    ):
        return value
    return "/portal/tasks"


# --- who is signed in --------------------------------------------------------------------------


async def current_viewer(request: Request) -> Viewer | None:
    keys = portal_keys(request)
    session = auth.decode_session(keys, request.cookies.get(auth.SESSION_COOKIE))
    if session is None:
        return None
    try:
        worker = await run_in_threadpool(services_of(request).workforce.get_worker, session.name)
    except ResourceNotFoundException:
        return None
    if worker.worker_id != session.worker_id or not await run_in_threadpool(
        accounts(request).session_is_live, session.sid, worker.name
    ):
        return None
    return Viewer(worker, session, auth.csrf_token(keys, session))


async def open_session(request: Request, response: Response, worker: WorkerInfo) -> Response:
    """Sign ``worker`` in: a new session, recorded as live, set as the session cookie."""
    session = auth.new_session(worker.name, worker.worker_id)
    await run_in_threadpool(accounts(request).open_session, session.sid, worker.name)
    auth.set_cookie(
        response,
        auth.SESSION_COOKIE,
        auth.encode_session(portal_keys(request), session),
        max_age=auth.SESSION_TTL_S,
        path="/portal",
        secure=auth.is_https(request, services_of(request).settings.public_url),
    )
    return response


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The request's body, a JSON object of at most ``limit`` bytes (else ValidationException)."""
    raw = await request.body()
    if len(raw) > limit:
        raise ValidationException(f"the body must be at most {limit} bytes", field="body")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ValidationException("the body must be JSON", field="body") from exc
    if not isinstance(body, dict):
        raise ValidationException("the body must be a JSON object", field="body")
    return body


async def read_form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items() if len(v) == 1}


async def form_post(request: Request) -> tuple[Viewer | None, dict[str, str], Response | None]:
    """The viewer and form of a CSRF-checked form POST, or the response that refuses it."""
    viewer = await current_viewer(request)
    if viewer is None:
        return None, {}, to_login(request)
    form = await read_form(request)
    if auth.cross_site(request) or not auth.check_csrf(
        portal_keys(request), viewer.session, form.get("csrf")
    ):
        return viewer, form, error_response(viewer, 403, "Request refused", CSRF_MESSAGE)
    return viewer, form, None
