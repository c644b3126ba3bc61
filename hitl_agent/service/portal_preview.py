"""``hitl-agent templates preview``: one template, one input, in the real portal, nothing stored.

:func:`run_preview` builds a throwaway review service in a temporary data folder (a task UI with
the template, a flow definition, a human loop with the input, a worker of team ``preview``), serves
it on 127.0.0.1 and prints a sign-in link that holds a random key. Submitting the task shows (and
hands to ``on_answer``) the ``output.json`` A2I would store for that answer, instead of storing it;
the task stays open, so it can be tried again.
"""

from __future__ import annotations

import hmac
import json
import secrets
import socket
import tempfile
import threading
import webbrowser
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from . import portal_pages as pages
from .clock import iso_ms, now_us
from .output import build_output
from .portal_web import current_viewer, html_response, open_session
from .process import free_port
from .services import ReviewServices, build_services
from .settings import ServiceSettings
from .workforce import WorkerInfo

TEAM = "preview"
LOOP = "preview"
ROLE = "arn:aws:iam::000000000000:role/hitl-preview"


class Preview:
    """The preview's state; set as ``app.state.portal_preview``
    (see ``portal_tasks.PreviewHook``)."""

    def __init__(
        self,
        services: ReviewServices,
        worker: WorkerInfo,
        *,
        once: bool,
        on_answer: Callable[[dict[str, Any]], None],
    ) -> None:
        self.services, self.worker, self.once, self.on_answer = services, worker, once, on_answer
        self.key = secrets.token_urlsafe(24)
        self.documents: list[dict[str, Any]] = []
        self.claimed_us = now_us()
        self.stop: Callable[[], None] = lambda: None

    @property
    def start_path(self) -> str:
        return f"/portal/preview/start?key={quote(self.key)}"

    def record(self, worker: WorkerInfo, loop_name: str, answer: dict[str, Any]) -> str:
        detail = self.services.tasks.get_task(worker, loop_name)
        now = now_us()
        document = build_output(
            flow_definition_arn=detail.flowDefinitionArn,
            loop_name=loop_name,
            input_content=json.dumps(detail.input),
            answers=[
                {
                    "acceptanceTime": iso_ms(self.claimed_us),
                    "answerContent": answer,
                    "submissionTime": iso_ms(now),
                    "timeSpentInSeconds": round((now - self.claimed_us) / 1_000_000, 3),
                    "workerId": worker.worker_id,
                    "workerMetadata": worker.metadata(self.services.workforce.issuer),
                }
            ],
            request_source=None,
        )
        self.documents.append(document)
        self.on_answer(document)
        return f"/portal/preview/answer/{len(self.documents)}"


def _preview(request: Request) -> Preview:
    preview: Preview = request.app.state.portal_preview
    return preview


preview_router = APIRouter(prefix="/portal/preview")


@preview_router.get("/start")
async def start(request: Request) -> Response:
    """Sign the preview worker in (the link's key is the credential) and open the task."""
    preview = _preview(request)
    key = request.query_params.get("key", "")
    if not hmac.compare_digest(key.encode(), preview.key.encode()):
        return html_response(
            pages.error_page(403, "Wrong link", "Use the link the command printed."), 403
        )
    claim = await run_in_threadpool(preview.services.tasks.claim, preview.worker, LOOP)
    accepted = datetime.fromisoformat(claim.acceptanceTime.replace("Z", "+00:00"))
    preview.claimed_us = int(accepted.timestamp() * 1_000_000)
    response = RedirectResponse(f"/portal/tasks/{LOOP}", status_code=303)
    return await open_session(request, response, preview.worker)


@preview_router.get("/answer/{number}")
async def answer(number: int, request: Request) -> Response:
    preview = _preview(request)
    viewer = await current_viewer(request)
    if viewer is None or not 1 <= number <= len(preview.documents):
        return html_response(pages.error_page(404, "No such answer", "Submit the task first."), 404)
    page = pages.preview_answer_page(
        viewer.worker.name, viewer.csrf, preview.documents[number - 1], preview.start_path
    )
    if preview.once:
        threading.Timer(1.0, preview.stop).start()
    return html_response(page)


def build_preview(
    source: str,
    task_input: dict[str, Any],
    data_dir: Path,
    *,
    once: bool = False,
    files: Path | None = None,
    on_answer: Callable[[dict[str, Any]], None] = lambda _doc: None,
) -> tuple[FastAPI, Preview]:
    """The preview app over a fresh data folder, with its task ready."""
    from .app import create_app

    services = build_services(ServiceSettings(data_dir=data_dir, background=False))
    control = services.control
    ui = control.create_human_task_ui(
        {"HumanTaskUiName": "preview", "UiTemplate": {"Content": source}}
    )["HumanTaskUiArn"]
    flow = control.create_flow_definition(
        {
            "FlowDefinitionName": "preview",
            "RoleArn": ROLE,
            "HumanLoopConfig": {
                "WorkteamArn": services.workforce.ensure_team(TEAM),
                "HumanTaskUiArn": ui,
                "TaskTitle": "Template preview",
                "TaskDescription": "Nothing you submit here is stored.",
                "TaskCount": 1,
            },
            "OutputConfig": {"S3OutputPath": str(data_dir / "output")},
        }
    )["FlowDefinitionArn"]
    services.runtime.start_human_loop(
        {
            "HumanLoopName": LOOP,
            "FlowDefinitionArn": flow,
            "HumanLoopInput": {"InputContent": json.dumps(task_input)},
        }
    )
    worker, _token = services.workforce.add_worker("preview", teams=[TEAM])
    app = create_app(services=services)
    preview = Preview(services, worker, once=once, on_answer=on_answer)
    app.state.portal_preview = preview
    if files is not None:
        app.state.portal_files_root = files
    app.include_router(preview_router)
    return app, preview


def run_preview(
    source: str,
    task_input: dict[str, Any],
    *,
    port: int = 0,
    open_browser: bool = True,
    once: bool = False,
    files: Path | None = None,
    on_url: Callable[[str], None] = print,
    on_answer: Callable[[dict[str, Any]], None] = lambda _doc: None,
) -> None:
    """Serve the preview on 127.0.0.1 until interrupted (or after the first answer, ``once``)."""
    import uvicorn

    host = "127.0.0.1"
    port = port or free_port(host)
    with tempfile.TemporaryDirectory(prefix="hitl-preview-") as tmp:
        app, preview = build_preview(
            source, task_input, Path(tmp), once=once, files=files, on_answer=on_answer
        )
        url = f"http://{host}:{port}{preview.start_path}"

        class _Server(uvicorn.Server):
            async def startup(self, sockets: list[socket.socket] | None = None) -> None:
                await super().startup(sockets)
                on_url(url)
                if open_browser:
                    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

        server = _Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))

        def stop() -> None:
            server.should_exit = True

        preview.stop = stop
        server.run()
