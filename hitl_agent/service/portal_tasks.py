"""The task routes of the worker portal (mounted by ``portal.py``; security model there).

GET  /portal/tasks/{loop}             the task page: header, timer, release/decline, the frame
GET  /portal/tasks/{loop}/frame       the rendered template, sandboxed (``?upcoming=1``: a task
                                      of the reviewer's queue not claimed yet, rendered ahead)
GET  /portal/tasks/{loop}/upcoming    {"name": …}: the task that follows ``loop`` in the view
POST /portal/tasks/{loop}/answer      {"answerContent": {...}, "queue": "sort=…", "upcoming": …}
                                      with X-CSRF-Token → {"next": url, "name", "header", "title"}
POST /portal/tasks/{loop}/release     give the assignment back (``next=1``: open the next task)
POST /portal/tasks/{loop}/decline     give it back and hide the task

Submit-and-next without a page load: while the reviewer works on a task, the page asks which task
comes next (``upcoming``) and loads its frame out of sight; the answer names that task, the
service claims it (or the next free one when another reviewer took it) and returns its header,
and the page swaps header and frame in place (``portal.js``). Only tasks the reviewer could claim
now are rendered ahead; the time spent on a task still starts at its claim.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from . import portal_auth as auth
from . import portal_pages as pages
from . import portal_queue as queue_view
from .errors import AwsError, ValidationException
from .liquid import TemplateError, UrlSigner, render_template
from .models import HumanLoop
from .portal_static import static_url
from .portal_web import (
    current_viewer,
    error_response,
    form_post,
    html_response,
    json_error,
    json_response,
    portal_keys,
    read_json_object,
    redirect,
    secure_headers,
    services_of,
    task_error,
    to_login,
)
from .signing import LocalUrlSigner, S3Presigner
from .task_scan import available
from .tasks import TaskBoard, TaskDetail
from .team_stats import is_admin
from .validation import NAME
from .workforce import WorkerInfo

log = logging.getLogger(__name__)
tasks_router = APIRouter()

MAX_ANSWER_BYTES = 4 * 1024 * 1024
LOOP_NAME = re.compile(rf"{NAME}")
_RE_AWS_SCRIPT = re.compile(
    r"""(<script\b[^>]*?\bsrc\s*=\s*["']?)(?:https?:)?//assets\.crowd\.aws/crowd-html-elements\.js""",
    re.IGNORECASE,
)


class PreviewHook(Protocol):
    """Set as ``app.state.portal_preview`` by ``hitl-agent templates preview``: answers are shown,
    not stored."""

    def record(self, worker: WorkerInfo, loop_name: str, answer: dict[str, Any]) -> str:
        """Keep the answer; return the same-origin URL of the page that shows it."""
        ...


# --- rendering the template ---------------------------------------------------------------------


def _signer(request: Request) -> UrlSigner:
    settings = services_of(request).settings
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


def render_task(request: Request, task: TaskDetail) -> str:
    """The task's template rendered with its input, the AWS crowd script pointed at ours."""
    if not task.uiTemplate:
        raise TemplateError("the task has no worker task template", code="TemplateRenderError")
    crowd_js = static_url("crowd-elements.js")
    source = _RE_AWS_SCRIPT.sub(lambda m: m.group(1) + crowd_js, task.uiTemplate)
    input_content = task.input if isinstance(task.input, dict) else {"value": task.input}
    rendered = render_template(source, input_content, url_signer=_signer(request))
    return _RE_AWS_SCRIPT.sub(lambda m: m.group(1) + crowd_js, rendered)


def _template_detail(err: TemplateError) -> str:
    lines = [str(err)]
    if err.source_line:
        lines.append(f"  {err.line} | {err.source_line.rstrip()}")
    return "\n".join(lines)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _frame_csp(request: Request) -> str:
    own = f"'self' {_origin(str(request.base_url))}"
    s3 = services_of(request).settings.s3_endpoint_url
    files = f"{own} {_origin(s3)}" if s3 else own
    return (
        "sandbox allow-scripts allow-forms; default-src 'none'; "
        f"script-src {own} 'unsafe-inline'; style-src {own} 'unsafe-inline'; "
        f"img-src {files} data: blob: https:; media-src {files} data: blob: https:; "
        f"font-src {own} data:; connect-src {files}; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'self'"
    )


def _frame_response(request: Request, body: str, status: int = 200) -> Response:
    response = Response(body, status, media_type="text/html; charset=utf-8")
    return secure_headers(response, _frame_csp(request), frame=True)


# --- what comes next ----------------------------------------------------------------------------


def upcoming_task(
    board: TaskBoard, worker: WorkerInfo, view: queue_view.QueueView, after: str
) -> str | None:
    """The task ``claim_next(after=...)`` would take now, without claiming it."""
    if not worker.teams:
        return None
    now = board.clock()
    with board.store.read() as s:
        pks = queue_view.queue_ids(worker, view, queue_view.NEXT_CANDIDATES, s, now)
        rows = s.execute(select(HumanLoop.id, HumanLoop.name).where(HumanLoop.id.in_(pks)))
        names = {pk: name for pk, name in rows}
    order = [names[pk] for pk in pks if pk in names]
    if after in order:
        at = order.index(after)
        order = order[at + 1 :] + order[:at]
    return order[0] if order else None


def can_claim(board: TaskBoard, worker: WorkerInfo, name: str) -> bool:
    """True when ``worker`` could claim the loop ``name`` now (it is in its queue)."""
    if not worker.teams:
        return False
    stmt = select(HumanLoop.id).where(
        HumanLoop.name == name,
        available(worker, board.clock()),
    )
    with board.store.read() as s:
        return s.scalar(stmt) is not None


def claim_following(
    board: TaskBoard, worker: WorkerInfo, view: queue_view.QueueView, after: str, wanted: Any
) -> str | None:
    """Claim the task the page rendered ahead (``wanted``) or else the view's next one."""
    if isinstance(wanted, str) and wanted != after and LOOP_NAME.fullmatch(wanted):
        try:
            board.claim(worker, wanted)
            return wanted
        except AwsError:  # taken meanwhile, or gone: the queue's order decides
            pass
    return queue_view.claim_next(board, worker, view, after=after)


# --- routes -------------------------------------------------------------------------------------


@tasks_router.get("/tasks/{name}")
async def task(name: str, request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return to_login(request)
    try:
        detail = await run_in_threadpool(services_of(request).tasks.get_task, viewer.worker, name)
    except AwsError as exc:
        return task_error(viewer, exc)
    if detail.claimedByMe:
        try:
            await run_in_threadpool(render_task, request, detail)
        except TemplateError as err:
            log.error("the template of task %s cannot be rendered: %s", name, err)
            return error_response(
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
        return error_response(viewer, 400, "Request refused", exc.message)
    return html_response(
        pages.task_page(
            viewer.worker.name,
            viewer.csrf,
            detail,
            view=view,
            now_us=services_of(request).tasks.clock(),
            admin=is_admin(viewer.worker),
        )
    )


@tasks_router.get("/tasks/{name}/frame")
async def frame(name: str, request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return _frame_response(
            request, pages.frame_error_document("Signed out", "Sign in again.", None), 401
        )
    board = services_of(request).tasks
    try:
        detail = await run_in_threadpool(board.get_task, viewer.worker, name)
    except AwsError as exc:
        doc = pages.frame_error_document("Task not available", exc.message, None)
        return _frame_response(request, doc, exc.status)
    ahead = request.query_params.get("upcoming") == "1"
    if not detail.claimedByMe and not (
        ahead and await run_in_threadpool(can_claim, board, viewer.worker, name)
    ):
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


@tasks_router.get("/tasks/{name}/upcoming")
async def upcoming(name: str, request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return json_error(401, "UnauthorizedException", "Sign in first")
    try:
        view = queue_view.parse_view(request.query_params)
    except AwsError as exc:
        return json_error(exc.status, exc.code, exc.message)
    found = await run_in_threadpool(
        upcoming_task, services_of(request).tasks, viewer.worker, view, name
    )
    return json_response({"name": found})


async def _answer_body(request: Request) -> dict[str, Any]:
    body = await read_json_object(request, MAX_ANSWER_BYTES)
    if not isinstance(body.get("answerContent"), dict):
        raise ValidationException("answerContent must be a JSON object", field="answerContent")
    if not isinstance(body.get("queue", ""), str):
        raise ValidationException("queue must be a query string", field="queue")
    return body


@tasks_router.post("/tasks/{name}/answer")
async def answer(name: str, request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return json_error(401, "UnauthorizedException", "Sign in first")
    if auth.cross_site(request) or not auth.check_csrf(
        portal_keys(request), viewer.session, request.headers.get("x-csrf-token")
    ):
        return json_error(403, "AccessDeniedException", "Missing or invalid X-CSRF-Token")
    preview: PreviewHook | None = getattr(request.app.state, "portal_preview", None)
    board = services_of(request).tasks
    try:
        body = await _answer_body(request)
        view = queue_view.view_from_query(body.get("queue", "").lstrip("?"))
        if preview is not None:
            return json_response(
                {"next": preview.record(viewer.worker, name, body["answerContent"])}
            )
        result = await run_in_threadpool(
            board.submit, viewer.worker, name, body["answerContent"], complete=False
        )
    except AwsError as exc:
        return json_error(exc.status, exc.code, exc.message)
    following = await run_in_threadpool(
        claim_following, board, viewer.worker, view, name, body.get("upcoming")
    )
    reply: dict[str, Any] = {**result.to_dict(), "next": queue_view.queue_url(view, done=name)}
    if following is not None:
        try:
            detail = await run_in_threadpool(board.get_task, viewer.worker, following)
        except AwsError:
            detail = None
        reply["next"] = queue_view.task_url(following, view)
        if detail is not None:
            reply["name"] = following
            reply["title"] = detail.taskTitle or "Task"
            reply["header"] = pages.task_header(
                viewer.csrf, detail, view=view, now_us=board.clock()
            )
    response = json_response(reply)
    if result.humanLoopStatus == "InProgress" and result.answerCount >= result.taskCount:
        # the answer is committed; the reviewer need not wait for output.json to be written
        response.background = BackgroundTask(services_of(request).lifecycle.complete, name)
    return response


async def _release(name: str, request: Request, *, decline: bool) -> Response:
    """Give the task back; with ``next=1`` (the ``s`` key) open the next task of the view."""
    viewer, form, refused = await form_post(request)
    if refused is not None or viewer is None:
        return refused or to_login(request)
    board = services_of(request).tasks
    try:
        view = queue_view.parse_view(form)
        await run_in_threadpool(board.release, viewer.worker, name, decline=decline)
    except AwsError as exc:
        return task_error(viewer, exc)
    if form.get("next") == "1":
        following = await run_in_threadpool(
            queue_view.claim_next, board, viewer.worker, view, after=name
        )
        if following is not None:
            return redirect(queue_view.task_url(following, view))
        return redirect(queue_view.queue_url(view, empty="1"))
    return redirect(queue_view.queue_url(view))


@tasks_router.post("/tasks/{name}/release")
async def release(name: str, request: Request) -> Response:
    return await _release(name, request, decline=False)


@tasks_router.post("/tasks/{name}/decline")
async def decline(name: str, request: Request) -> Response:
    return await _release(name, request, decline=True)
