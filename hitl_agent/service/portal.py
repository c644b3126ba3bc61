"""The worker portal, served by ``hitl-agent serve`` under ``/portal`` (``app.py`` mounts
``router``).

GET  /portal                          → the task queue
GET  /portal/login, POST /portal/login  sign in with name and password
POST /portal/logout                   sign out
GET  /portal/tasks                    the queue: first 50 tasks of the view (sort, flow, due), count
POST /portal/work                     "Start working": claim the view's first task, open it
POST /portal/tasks/{loop}/start       claim the task, then show it
GET  /portal/tasks/{loop}…            the task page, its frame, the answer, release, decline:
                                      ``portal_tasks.py`` (submit-and-next swaps in place)
GET  /portal/history                  the worker's own answers
GET  /portal/team                     the team view, for admins (``team_view.py``)
GET  /portal/files?bucket&key&expires&sig   a file a template shows (grant_read_access)
GET  /portal/static/{file}?v=hash     crowd-elements.js, the portal's script and style (immutable)
GET  /portal/oidc/…                   sign-in through the workforce's OIDC provider (portal_oidc.py)

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
Files for ``grant_read_access`` and the static assets: ``portal_assets.py``. What every router
shares (the viewer, responses, forms, sessions): ``portal_web.py``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from hitl_agent._lazy import lazy_exports

from . import portal_auth as auth
from . import portal_pages as pages
from . import portal_queue as queue_view
from .errors import AwsError
from .portal_accounts import accounts
from .portal_assets import assets_router
from .portal_history import history_router
from .portal_tasks import tasks_router
from .portal_web import (
    current_viewer,
    error_response,
    form_post,
    html_response,
    open_session,
    portal_keys,
    read_form,
    redirect,
    safe_next,
    services_of,
    task_error,
    to_login,
)
from .team_stats import is_admin
from .team_view import team_router
from .workforces import OidcSettings

_safe_next = safe_next  # (its tests' name)
log = logging.getLogger(__name__)
router = APIRouter(prefix="/portal")

QUEUE_LIMIT = 50

# names that moved to portal_web.py and portal_tasks.py; the old path warns for one release
_WEB, _TASKS = "hitl_agent.service.portal_web", "hitl_agent.service.portal_tasks"
__getattr__, __dir__ = lazy_exports(
    globals(),
    deprecated={
        **dict.fromkeys(
            ("Viewer", "current_viewer", "html_response", "files_root", "portal_keys"), _WEB
        ),
        **dict.fromkeys(("SHELL_CSP", "MAX_FORM_BYTES"), _WEB),
        **dict.fromkeys(("render_task", "PreviewHook", "MAX_ANSWER_BYTES"), _TASKS),
        **dict.fromkeys(("history", "HISTORY_LIMIT"), "hitl_agent.service.portal_history"),
        **dict.fromkeys(("files", "static"), "hitl_agent.service.portal_assets"),
        "STATIC_DIR": "hitl_agent.service.portal_static",
    },
)


# --- sign-in -----------------------------------------------------------------------------------


def provider_name(oidc: OidcSettings) -> str:
    """How the sign-in page names the workforce's identity provider: its issuer's host."""
    return urlsplit(oidc.issuer).hostname or oidc.issuer


async def _login_response(
    request: Request, next_url: str, *, error: str | None = None, name: str = "", status: int = 200
) -> Response:
    keys = portal_keys(request)
    nonce = auth.secrets.token_urlsafe(18)
    oidc = await run_in_threadpool(services_of(request).control.workforces.oidc)
    response = html_response(
        pages.login_page(
            token=auth.login_token(keys, nonce),
            next_url=next_url,
            error=error,
            name=name,
            provider=provider_name(oidc) if oidc else None,
        ),
        status,
    )
    secure = auth.is_https(request, services_of(request).settings.public_url)
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
    return redirect("/portal/tasks")


@router.get("/login")
async def login_form(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if await current_viewer(request) is not None:
        return redirect(next_url)
    return await _login_response(request, next_url)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    next_url = safe_next(form.get("next"))
    name = form.get("name", "").strip()
    keys = portal_keys(request)
    if auth.cross_site(request) or not auth.check_login_token(
        keys, request.cookies.get(auth.LOGIN_COOKIE), form.get("csrf")
    ):
        return await _login_response(
            request, next_url, error="The sign-in form expired; please try again.", status=403
        )
    worker = None
    address = request.client.host if request.client else "?"
    wait_s = await run_in_threadpool(accounts(request).locked_for_s, name, address)
    if wait_s:
        return await _login_response(
            request,
            next_url,
            name=name,
            status=429,
            error=f"Too many failed sign-ins. Try again in {-(-wait_s // 60)} minutes, "
            "or ask an administrator to unlock the account.",
        )
    if name and form.get("password"):
        worker = await run_in_threadpool(
            services_of(request).workforce.authenticate_password, name, form["password"]
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
        return await _login_response(
            request, next_url, error="Wrong name or password.", name=name, status=401
        )
    response = await open_session(request, redirect(next_url), worker)
    response.delete_cookie(auth.LOGIN_COOKIE, path="/portal/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    viewer, _form_data, refused = await form_post(request)
    if viewer is None:
        return redirect("/portal/login")
    if refused is not None:
        return refused
    await run_in_threadpool(accounts(request).close_session, viewer.session.sid)
    response = redirect("/portal/login")
    response.delete_cookie(auth.SESSION_COOKIE, path="/portal")
    return response


# --- queue, task, history ----------------------------------------------------------------------


@router.get("/tasks")
async def queue(request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return to_login(request)
    try:
        view = queue_view.parse_view(request.query_params)
    except AwsError as exc:
        return error_response(viewer, 400, "Request refused", exc.message)
    board = services_of(request).tasks
    try:
        page = await run_in_threadpool(
            queue_view.list_queue, board, viewer.worker, view, limit=QUEUE_LIMIT,
            after=request.query_params.get("after") or None,
        )
    except AwsError as exc:
        return error_response(viewer, 400, "Request refused", exc.message)
    done = request.query_params.get("done")
    notice = "Your answer was recorded." if done else None
    if request.query_params.get("empty"):
        notice = "There is no task left in this view."
    return html_response(
        pages.queue_page(
            viewer.worker.name,
            viewer.csrf,
            page,
            view=view,
            notice=notice,
            now_us=board.clock(),
            admin=is_admin(viewer.worker),
        )
    )


@router.post("/work")
async def start_working(request: Request) -> Response:
    """ "Start working": claim the first task of the view and open it (submit-and-next follows)."""
    viewer, form, refused = await form_post(request)
    if refused is not None or viewer is None:
        return refused or to_login(request)
    try:
        view = queue_view.parse_view(form)
    except AwsError as exc:
        return error_response(viewer, 400, "Request refused", exc.message)
    name = await run_in_threadpool(
        queue_view.claim_next, services_of(request).tasks, viewer.worker, view
    )
    if name is None:
        return redirect(queue_view.queue_url(view, empty="1"))
    return redirect(queue_view.task_url(name, view))


@router.post("/tasks/{name}/start")
async def start(name: str, request: Request) -> Response:
    viewer, _form_data, refused = await form_post(request)
    if refused is not None or viewer is None:
        return refused or to_login(request)
    try:
        view = queue_view.parse_view(request.query_params)
        await run_in_threadpool(services_of(request).tasks.claim, viewer.worker, name)
    except AwsError as exc:
        return task_error(viewer, exc)
    return redirect(queue_view.task_url(name, view))


# --- the routes of sibling modules --------------------------------------------------------------

router.include_router(tasks_router)
router.include_router(assets_router)
router.include_router(history_router)
router.include_router(team_router)
