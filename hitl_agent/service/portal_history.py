"""``GET /portal/history``: the worker's own answers, newest first."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from . import portal_pages as pages
from .clock import iso_ms
from .models import Answer, HumanLoop
from .portal_web import current_viewer, html_response, services_of, to_login
from .services import ReviewServices
from .workforce import WorkerInfo

history_router = APIRouter()
HISTORY_LIMIT = 50


def _history(services: ReviewServices, worker: WorkerInfo) -> tuple[list[pages.HistoryRow], int]:
    stmt = (
        select(Answer, HumanLoop.name, HumanLoop.task_title, HumanLoop.status)
        .join(HumanLoop, HumanLoop.id == Answer.loop_pk)
        .where(Answer.worker_pk == worker.pk)
        .order_by(Answer.submission_us.desc(), Answer.id.desc())
        .limit(HISTORY_LIMIT)
    )
    with services.store.read() as s:
        rows = [
            pages.HistoryRow(
                loop_name=loop_name,
                title=title,
                status=status,
                submitted=iso_ms(a.submission_us),
                time_spent_s=a.time_spent_s,
                answer=json.loads(a.answer_content),
            )
            for a, loop_name, title, status in s.execute(stmt)
        ]
        total = len(rows)
        if total >= HISTORY_LIMIT:
            count = select(func.count(Answer.id)).where(Answer.worker_pk == worker.pk)
            total = int(s.scalar(count) or 0)
    return rows, total


@history_router.get("/history")
async def history(request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return to_login(request)
    rows, total = await run_in_threadpool(_history, services_of(request), viewer.worker)
    return html_response(pages.history_page(viewer.worker.name, viewer.csrf, rows, total))
