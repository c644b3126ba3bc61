"""The worker portal, served by ``hitl-agent serve`` under ``/portal`` (``app.py`` mounts
``router``).

GET  /portal                          → the task queue
GET  /portal/login, POST /portal/login  sign in with name and password
POST /portal/logout                   sign out
GET  /portal/tasks                    the queue: first 50 tasks of the view (sort, flow, due), count
POST /portal/work                     "Start working": claim the view's first task, open it
POST /portal/tasks/{loop}/start       claim the task, then show it
GET  /portal/tasks/{loop}             the task page: header, timer, release/decline, the frame
GET  /portal/tasks/{loop}/frame       the rendered template (sandboxed, see below)
POST /portal/tasks/{loop}/answer      {"answerContent": {...}, "queue": "sort=…"} with X-CSRF-Token
                                      → {"next": url}: the next task of the view, already claimed
                                      (a last answer's output.json is written after the reply)
POST /portal/tasks/{loop}/release     give the assignment back (``next=1``: open the next task)
POST /portal/tasks/{loop}/decline     give it back and hide the task
GET  /portal/history                  the worker's own answers
GET  /portal/team                     the team view, for admins (``team_view.py``)
GET  /portal/files?bucket&key&expires&sig   a file a template shows (grant_read_access)
GET  /portal/static/{file}            crowd-elements.js, the portal's script and style

Security. Sessions and CSRF: ``portal_auth.py``. The portal's own pages forbid inline script
(``script-src 'self'``). A2I templates carry inline scripts of their own, so the template runs in
an ``<iframe sandbox="allow-scripts allow-forms">`` whose document is also served with a CSP
``sandbox`` directive: it has an opaque origin even when opened directly, so a template (or anything
that slipped through it) cannot read the portal's cookies, CSRF token or pages, nor call the portal
as the worker. Its scripts may be inline or from the portal itself (``crowd-elements.js``
replaces ``https://assets.crowd.aws/crowd-html-elements.js``); nothing else loads scripts. The frame
hands the answer to the page with ``postMessage`` (``portal-frame.js``); the page checks the
message comes from its own frame and POSTs it with the CSRF token (``portal.js``). Model output is
escaped by the Liquid renderer before any of this.
Files for ``grant_read_access`` and the static assets: ``portal_assets.py``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from . import portal_auth as auth
from . import portal_pages as pages
from . import portal_queue as queue_view
from .errors import AwsError, ResourceNotFoundException, ValidationException
from .liquid import TemplateError, UrlSigner, render_template
from .portal_accounts import accounts
from .services import ReviewServices
from .signing import LocalUrlSigner, S3Presigner
from .tasks import TaskDetail
from .team_stats import is_admin
from .workforce import WorkerInfo

log = logging.getLogger(__name__)
router = APIRouter(prefix="/portal")

QUEUE_LIMIT = 50
MAX_FORM_BYTES = 64 * 1024
MAX_ANSWER_BYTES = 4 * 1024 * 1024
CROWD_JS = "/portal/static/crowd-elements.js"
_RE_AWS_SCRIPT = re.compile(
    r"""(<script\b[^>]*?\bsrc\s*=\s*["']?)(?:https?:)?//assets\.crowd\.aws/crowd-html-elements\.js""",
    re.IGNORECASE,
)

SHELL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class PreviewHook(Protocol):
    """Set as ``app.state.portal_preview`` by ``hitl-agent templates preview``: answers are shown,
    not stored."""

    def record(self, worker: WorkerInfo, loop_name: str, answer: dict[str, Any]) -> str:
        """Keep the answer; return the same-origin URL of the page that shows it."""
        ...


@dataclass(frozen=True)
class Viewer:
    worker: WorkerInfo
    session: auth.PortalSession
    csrf: str


# --- plumbing ----------------------------------------------------------------------------------


def _services(request: Request) -> ReviewServices:
    services: ReviewServices = request.app.state.services
    return services


def portal_keys(request: Request) -> auth.PortalKeys:
    keys: auth.PortalKeys | None = getattr(request.app.state, "portal_keys", None)
    if keys is None:
        keys = auth.load_keys(_services(request).settings.data_dir)
        request.app.state.portal_keys = keys
    return keys


def files_root(request: Request) -> Path:
    root: Path | None = getattr(request.app.state, "portal_files_root", None)
    return root or _services(request).settings.data_dir / "files"


def _signer(request: Request) -> UrlSigner:
    settings = _services(request).settings
    if settings.s3_endpoint_url:
        presigner: S3Presigner | None = getattr(request.app.state, "portal_presigner", None)
        if presigner is None:
            presigner = S3Presigner(
                endpoint_url=settings.s3_endpoint_url,
                region_name=settings.s3_region or settings.region,
                aws_access_key_id=settings.aws_access_key_id,
                aws_secret_access_key=settings.aws_secret_access_key,
            )
            request.app.state.portal_presigner = presigner
        return presigner
    return LocalUrlSigner(portal_keys(request).files, base_url="/portal/files")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _frame_csp(request: Request) -> str:
    own = f"'self' {_origin(str(request.base_url))}"
    s3 = _services(request).settings.s3_endpoint_url
    files = f"{own} {_origin(s3)}" if s3 else own
    return (
        "sandbox allow-scripts allow-forms; default-src 'none'; "
        f"script-src {own} 'unsafe-inline'; style-src {own} 'unsafe-inline'; "
        f"img-src {files} data: blob: https:; media-src {files} data: blob: https:; "
        f"font-src {own} data:; connect-src {files}; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'self'"
    )


def _secure_headers(response: Response, csp: str, *, frame: bool = False) -> Response:
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer" if frame else "same-origin"
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if frame else "DENY"
    response.headers["Cache-Control"] = "no-store"
    if not frame:
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    return response


def html_response(body: str, status: int = 200) -> Response:
    return _secure_headers(Response(body, status, media_type="text/html; charset=utf-8"), SHELL_CSP)


def _json(content: dict[str, Any], status: int = 200) -> Response:
    response = JSONResponse(content, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return _redirect(f"/portal/login?next={quote(target, safe='')}")


def _safe_next(value: str | None) -> str:
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


async def current_viewer(request: Request) -> Viewer | None:
    keys = portal_keys(request)
    session = auth.decode_session(keys, request.cookies.get(auth.SESSION_COOKIE))
    if session is None:
        return None
    try:
        worker = await run_in_threadpool(_services(request).workforce.get_worker, session.name)
    except ResourceNotFoundException:
        return None
    if worker.worker_id != session.worker_id or not await run_in_threadpool(
        accounts(request).session_is_live, session.sid, worker.name
    ):
        return None
    return Viewer(worker, session, auth.csrf_token(keys, session))


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items() if len(v) == 1}


async def _form_post(request: Request) -> tuple[Viewer | None, dict[str, str], Response | None]:
    """The viewer and form of a CSRF-checked form POST, or the response that refuses it."""
    viewer = await current_viewer(request)
    if viewer is None:
        return None, {}, _to_login(request)
    form = await _form(request)
    if auth.cross_site(request) or not auth.check_csrf(
        portal_keys(request), viewer.session, form.get("csrf")
    ):
        return viewer, form, _error(viewer, 403, "Request refused", _CSRF_MESSAGE)
    return viewer, form, None


_CSRF_MESSAGE = (
    "The form's security token is missing or out of date. Go back, reload the page and try again."
)


def _error(
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


def _task_error(viewer: Viewer, exc: AwsError) -> Response:
    if exc.status == 404:
        return _error(viewer, 404, "Task not found", "There is no such task for you.")
    if exc.status == 409:
        return _error(viewer, 409, "Task not available", exc.message)
    return _error(viewer, exc.status, "Request refused", exc.message)


def _template_detail(err: TemplateError) -> str:
    lines = [str(err)]
    if err.source_line:
        lines.append(f"  {err.line} | {err.source_line.rstrip()}")
    return "\n".join(lines)


def render_task(request: Request, task: TaskDetail) -> str:
    """The task's template rendered with its input, the AWS crowd script pointed at ours."""
    if not task.uiTemplate:
        raise TemplateError("the task has no worker task template", code="TemplateRenderError")
    source = _RE_AWS_SCRIPT.sub(lambda m: m.group(1) + CROWD_JS, task.uiTemplate)
    input_content = task.input if isinstance(task.input, dict) else {"value": task.input}
    rendered = render_template(source, input_content, url_signer=_signer(request))
    return _RE_AWS_SCRIPT.sub(lambda m: m.group(1) + CROWD_JS, rendered)


# --- sign-in -----------------------------------------------------------------------------------


def _login_response(
    request: Request, next_url: str, *, error: str | None = None, name: str = "", status: int = 200
) -> Response:
    keys = portal_keys(request)
    nonce = auth.secrets.token_urlsafe(18)
    response = html_response(
        pages.login_page(
            token=auth.login_token(keys, nonce), next_url=next_url, error=error, name=name
        ),
        status,
    )
    secure = auth.is_https(request, _services(request).settings.public_url)
    auth.set_cookie(
        response,
        auth.LOGIN_COOKIE,
        nonce,
        max_age=auth.LOGIN_TTL_S,
        path="/portal/login",
        secure=secure,
    )
    return response


@router.get("")
async def home() -> Response:
    return _redirect("/portal/tasks")


@router.get("/login")
async def login_form(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    if await current_viewer(request) is not None:
        return _redirect(next_url)
    return _login_response(request, next_url)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    next_url = _safe_next(form.get("next"))
    name = form.get("name", "").strip()
    keys = portal_keys(request)
    if auth.cross_site(request) or not auth.check_login_token(
        keys, request.cookies.get(auth.LOGIN_COOKIE), form.get("csrf")
    ):
        return _login_response(
            request, next_url, error="The sign-in form expired; please try again.", status=403
        )
    worker = None
    address = request.client.host if request.client else "?"
    wait_s = await run_in_threadpool(accounts(request).locked_for_s, name, address)
    if wait_s:
        return _login_response(
            request, next_url, name=name, status=429,
            error=f"Too many failed sign-ins. Try again in {-(-wait_s // 60)} minutes, "
            "or ask an administrator to unlock the account.",
        )
    if name and form.get("password"):
        worker = await run_in_threadpool(
            _services(request).workforce.authenticate_password, name, form["password"]
        )
        if worker is not None and await run_in_threadpool(
            accounts(request).is_disabled, worker.name
        ):
            worker = None
        await run_in_threadpool(
            accounts(request).record_signin, name, address, ok=worker is not None
        )
    if worker is None:
        log.info("portal sign-in refused for %r", name[:128])
        return _login_response(
            request, next_url, error="Wrong name or password.", name=name, status=401
        )
    response = _redirect(next_url)
    secure = auth.is_https(request, _services(request).settings.public_url)
    session = auth.new_session(worker.name, worker.worker_id)
    await run_in_threadpool(accounts(request).open_session, session.sid, worker.name)
    auth.set_cookie(
        response,
        auth.SESSION_COOKIE,
        auth.encode_session(keys, session),
        max_age=auth.SESSION_TTL_S,
        path="/portal",
        secure=secure,
    )
    response.delete_cookie(auth.LOGIN_COOKIE, path="/portal/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    viewer, _form_data, refused = await _form_post(request)
    if viewer is None:
        return _redirect("/portal/login")
    if refused is not None:
        return refused
    await run_in_threadpool(accounts(request).close_session, viewer.session.sid)
    response = _redirect("/portal/login")
    response.delete_cookie(auth.SESSION_COOKIE, path="/portal")
    return response


# --- queue, task, history ----------------------------------------------------------------------


@router.get("/tasks")
async def queue(request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return _to_login(request)
    try:
        view = queue_view.parse_view(request.query_params)
    except AwsError as exc:
        return _error(viewer, 400, "Request refused", exc.message)
    board = _services(request).tasks
    rows, total, flows = await run_in_threadpool(
        queue_view.list_queue, board, viewer.worker, view, limit=QUEUE_LIMIT
    )
    done = request.query_params.get("done")
    notice = "Your answer was recorded." if done else None
    if request.query_params.get("empty"):
        notice = "There is no task left in this view."
    return html_response(
        pages.queue_page(
            viewer.worker.name,
            viewer.csrf,
            rows,
            total,
            view=view,
            flows=flows,
            notice=notice,
            now_us=board.clock(),
            admin=is_admin(viewer.worker),
        )
    )


@router.post("/work")
async def start_working(request: Request) -> Response:
    """ "Start working": claim the first task of the view and open it (submit-and-next follows)."""
    viewer, form, refused = await _form_post(request)
    if refused is not None or viewer is None:
        return refused or _to_login(request)
    try:
        view = queue_view.parse_view(form)
    except AwsError as exc:
        return _error(viewer, 400, "Request refused", exc.message)
    name = await run_in_threadpool(
        queue_view.claim_next, _services(request).tasks, viewer.worker, view
    )
    if name is None:
        return _redirect(queue_view.queue_url(view, empty="1"))
    return _redirect(queue_view.task_url(name, view))


@router.post("/tasks/{name}/start")
async def start(name: str, request: Request) -> Response:
    viewer, _form_data, refused = await _form_post(request)
    if refused is not None or viewer is None:
        return refused or _to_login(request)
    try:
        view = queue_view.parse_view(request.query_params)
        await run_in_threadpool(_services(request).tasks.claim, viewer.worker, name)
    except AwsError as exc:
        return _task_error(viewer, exc)
    return _redirect(queue_view.task_url(name, view))


@router.get("/tasks/{name}")
async def task(name: str, request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return _to_login(request)
    try:
        detail = await run_in_threadpool(_services(request).tasks.get_task, viewer.worker, name)
    except AwsError as exc:
        return _task_error(viewer, exc)
    if detail.claimedByMe:
        try:
            await run_in_threadpool(render_task, request, detail)
        except TemplateError as err:
            log.error("the template of task %s cannot be rendered: %s", name, err)
            return _error(
                viewer,
                500,
                "This task cannot be shown",
                "Its task template has an error, so the page cannot be rendered. Release the "
                "task and tell the person who set it up; the details below help them fix it.",
                _template_detail(err),
                release_loop=name,
            )
    try:
        view = queue_view.parse_view(request.query_params)
    except AwsError as exc:
        return _error(viewer, 400, "Request refused", exc.message)
    return html_response(
        pages.task_page(
            viewer.worker.name,
            viewer.csrf,
            detail,
            view=view,
            now_us=_services(request).tasks.clock(),
            admin=is_admin(viewer.worker),
        )
    )


def _frame_response(request: Request, body: str, status: int = 200) -> Response:
    response = Response(body, status, media_type="text/html; charset=utf-8")
    return _secure_headers(response, _frame_csp(request), frame=True)


@router.get("/tasks/{name}/frame")
async def frame(name: str, request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return _frame_response(
            request, pages.frame_error_document("Signed out", "Sign in again.", None), 401
        )
    try:
        detail = await run_in_threadpool(_services(request).tasks.get_task, viewer.worker, name)
    except AwsError as exc:
        doc = pages.frame_error_document("Task not available", exc.message, None)
        return _frame_response(request, doc, exc.status)
    if not detail.claimedByMe:
        doc = pages.frame_error_document("Task not started", "Start the task first.", None)
        return _frame_response(request, doc, 409)
    try:
        rendered = await run_in_threadpool(render_task, request, detail)
    except TemplateError as err:
        log.error("the template of task %s cannot be rendered: %s", name, err)
        doc = pages.frame_error_document(
            "This task cannot be shown", "Its template has an error.", _template_detail(err)
        )
        return _frame_response(request, doc, 500)
    return _frame_response(request, pages.frame_document(rendered))


def _json_error(status: int, code: str, message: str) -> Response:
    return _json({"__type": code, "message": message}, status)


@router.post("/tasks/{name}/answer")
async def answer(name: str, request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return _json_error(401, "UnauthorizedException", "Sign in first")
    if auth.cross_site(request) or not auth.check_csrf(
        portal_keys(request), viewer.session, request.headers.get("x-csrf-token")
    ):
        return _json_error(403, "AccessDeniedException", "Missing or invalid X-CSRF-Token")
    raw = await request.body()
    if len(raw) > MAX_ANSWER_BYTES:
        return _json_error(400, "ValidationException", "The answer is too large")
    try:
        body = json.loads(raw)
    except ValueError:
        return _json_error(400, "ValidationException", "The body must be JSON")
    content = body.get("answerContent") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return _json_error(400, "ValidationException", "answerContent must be a JSON object")
    preview: PreviewHook | None = getattr(request.app.state, "portal_preview", None)
    board = _services(request).tasks
    try:
        queue_query = body.get("queue", "")
        if not isinstance(queue_query, str):
            raise ValidationException("queue must be a query string", field="queue")
        view = queue_view.view_from_query(queue_query.lstrip("?"))
        if preview is not None:
            return _json({"next": preview.record(viewer.worker, name, content)})
        result = await run_in_threadpool(board.submit, viewer.worker, name, content, complete=False)
    except AwsError as exc:
        return _json_error(exc.status, exc.code, exc.message)
    following = await run_in_threadpool(
        queue_view.claim_next, board, viewer.worker, view, after=name
    )
    target = (
        queue_view.task_url(following, view) if following else queue_view.queue_url(view, done=name)
    )
    response = _json({**result.to_dict(), "next": target})
    if result.humanLoopStatus == "InProgress" and result.answerCount >= result.taskCount:
        # the answer is committed; the reviewer need not wait for output.json to be written
        response.background = BackgroundTask(_services(request).lifecycle.complete, name)
    return response


async def _release(name: str, request: Request, *, decline: bool) -> Response:
    """Give the task back; with ``next=1`` (the ``s`` key) open the next task of the view."""
    viewer, form, refused = await _form_post(request)
    if refused is not None or viewer is None:
        return refused or _to_login(request)
    board = _services(request).tasks
    try:
        view = queue_view.parse_view(form)
        await run_in_threadpool(board.release, viewer.worker, name, decline=decline)
    except AwsError as exc:
        return _task_error(viewer, exc)
    if form.get("next") == "1":
        following = await run_in_threadpool(
            queue_view.claim_next, board, viewer.worker, view, after=name
        )
        if following is not None:
            return _redirect(queue_view.task_url(following, view))
        return _redirect(queue_view.queue_url(view, empty="1"))
    return _redirect(queue_view.queue_url(view))


@router.post("/tasks/{name}/release")
async def release(name: str, request: Request) -> Response:
    return await _release(name, request, decline=False)


@router.post("/tasks/{name}/decline")
async def decline(name: str, request: Request) -> Response:
    return await _release(name, request, decline=True)


# --- the routes of sibling modules --------------------------------------------------------------

from .portal_assets import assets_router  # noqa: E402 - they import the helpers above
from .portal_history import history_router  # noqa: E402
from .team_view import team_router  # noqa: E402

router.include_router(assets_router)
router.include_router(history_router)
router.include_router(team_router)
