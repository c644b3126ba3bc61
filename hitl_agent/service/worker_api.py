"""The worker API (JSON, ``Authorization: Bearer <token>``) over the task board, and the event log.

GET  /worker-api/me                         the signed-in worker
GET  /worker-api/tasks?limit=N&nextToken=T  tasks available to the worker's teams, oldest first;
                                            a page, and its "nextToken" when more follow
GET  /worker-api/tasks/{loop}               one task with its input and template
POST /worker-api/tasks/{loop}/claim         hold an assignment (expires after the time limit)
POST /worker-api/tasks/{loop}/release       give it back
POST /worker-api/tasks/{loop}/decline       give it back and hide the task
POST /worker-api/tasks/{loop}/answer        {"answerContent": {...}}
GET  /hitl/events?after=SEQ&limit=N         the status-change event log, for pollers
POST /hitl/events/replay?after=SEQ          queue those events to the webhooks again
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from .errors import Unauthorized, ValidationException
from .portal_accounts import accounts
from .responses import aws_json
from .services import ReviewServices
from .validation import Fields, parse_json_object
from .workforce import WorkerInfo

router = APIRouter()


def _services(request: Request) -> ReviewServices:
    services: ReviewServices = request.app.state.services
    return services


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing bearer token", field="Authorization")
    return token.strip()


async def _worker(request: Request) -> WorkerInfo:
    token = _bearer(request)
    worker = await run_in_threadpool(_services(request).workforce.authenticate_token, token)
    if worker is None:
        raise Unauthorized("Invalid bearer token", field="Authorization")
    if await run_in_threadpool(accounts(request).is_disabled, worker.name):
        raise Unauthorized(f"Worker '{worker.name}' is disabled", field="Authorization")
    return worker


def _admin(request: Request) -> None:
    """With auth on, the edge has checked an admin SigV4 signature; ``admin_token`` is only the
    bearer ``/hitl/events`` needs when the service runs ``--no-auth``."""
    settings = _services(request).settings
    expected = settings.admin_token
    if settings.auth:
        return
    if expected is not None and _bearer(request) != expected:
        raise Unauthorized("Invalid admin token", field="Authorization")


@router.get("/worker-api/me")
async def me(request: Request) -> Response:
    return aws_json((await _worker(request)).to_dict())


@router.get("/worker-api/tasks")
async def list_tasks(request: Request) -> Response:
    worker = await _worker(request)
    f = Fields(dict(request.query_params))
    limit = f.integer("limit", minimum=1, maximum=1000) or 100
    token = f.string("nextToken", min_len=1, max_len=1024)
    page = await run_in_threadpool(
        _services(request).tasks.page_tasks, worker, limit=limit, token=token
    )
    body: dict[str, Any] = {"tasks": [t.to_dict() for t in page.tasks]}
    if page.next_token is not None:
        body["nextToken"] = page.next_token
    return aws_json(body)


@router.get("/worker-api/tasks/{name}")
async def get_task(name: str, request: Request) -> Response:
    worker = await _worker(request)
    task = await run_in_threadpool(_services(request).tasks.get_task, worker, name)
    return aws_json(task.to_dict())


@router.post("/worker-api/tasks/{name}/claim")
async def claim(name: str, request: Request) -> Response:
    worker = await _worker(request)
    got = await run_in_threadpool(_services(request).tasks.claim, worker, name)
    return aws_json(got.to_dict())


@router.post("/worker-api/tasks/{name}/release")
async def release(name: str, request: Request) -> Response:
    worker = await _worker(request)
    await run_in_threadpool(_services(request).tasks.release, worker, name)
    return aws_json({})


@router.post("/worker-api/tasks/{name}/decline")
async def decline(name: str, request: Request) -> Response:
    worker = await _worker(request)
    await run_in_threadpool(_services(request).tasks.release, worker, name, decline=True)
    return aws_json({})


@router.post("/worker-api/tasks/{name}/answer")
async def answer(name: str, request: Request) -> Response:
    worker = await _worker(request)
    body = parse_json_object(await request.body())
    content: Any = body.get("answerContent")
    if content is None:
        raise ValidationException("answerContent is required", field="answerContent")
    result = await run_in_threadpool(_services(request).tasks.submit, worker, name, content)
    return aws_json(result.to_dict())


@router.get("/hitl/events")
async def list_events(request: Request) -> Response:
    _admin(request)
    f = Fields(dict(request.query_params))
    after = f.integer("after", minimum=0) or 0
    limit = f.integer("limit", minimum=1, maximum=1000) or 100
    events = await run_in_threadpool(_services(request).events.list_after, after, limit)
    return aws_json({"events": events, "last": events[-1]["seq"] if events else after})


@router.post("/hitl/events/replay")
async def replay_events(request: Request) -> Response:
    _admin(request)
    after = Fields(dict(request.query_params)).integer("after", minimum=0) or 0
    services = _services(request)
    count = await run_in_threadpool(services.events.replay, after)
    services.sender.wake.set()
    return aws_json({"queued": count})


@router.get("/hitl/health")
async def health() -> Response:
    return aws_json({"status": "ok"})
