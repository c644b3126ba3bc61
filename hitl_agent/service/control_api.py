"""The SageMaker control-plane endpoint (JSON 1.1).

``POST /`` with ``X-Amz-Target: SageMaker.<Op>``, plus the URL that serves a task UI's template
(DescribeHumanTaskUi's ``UiTemplate.Url``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from .control_plane import ControlPlaneBackend
from .errors import ResourceNotFoundException, UnknownOperation
from .responses import AMZ_JSON, aws_json
from .validation import parse_json_object

router = APIRouter()
PREFIX = "SageMaker."


@router.post("/")
async def sagemaker(request: Request) -> Response:
    target = request.headers.get("x-amz-target", "")
    if not target.startswith(PREFIX):
        raise UnknownOperation(
            f"Missing or unknown X-Amz-Target {target!r}: expected SageMaker.<Operation>",
            field="X-Amz-Target",
        )
    body = parse_json_object(await request.body())
    control: ControlPlaneBackend = request.app.state.services.control
    operation = target[len(PREFIX) :]
    result = await run_in_threadpool(
        control.dispatch, operation, body, base_url=str(request.base_url)
    )
    template = result.get("UiTemplate") if operation == "DescribeHumanTaskUi" else None
    if isinstance(template, dict) and template.get("Url"):
        # Like A2I's presigned S3 URL: fetchable without a signature for an hour.
        template["Url"] = request.app.state.edge.sign_template_url(
            template["Url"], str(result.get("HumanTaskUiName", ""))
        )
    return aws_json(result, AMZ_JSON)


@router.get("/hitl/human-task-uis/{name}/template")
async def task_ui_template(name: str, request: Request) -> Response:
    control: ControlPlaneBackend = request.app.state.services.control
    ui = await run_in_threadpool(control.task_ui, name)
    if ui is None:
        raise ResourceNotFoundException(f"HumanTaskUi '{name}' does not exist", field="name")
    return Response(
        ui.content, media_type="text/plain; charset=utf-8", headers={"x-amz-meta-sha256": ui.sha256}
    )
