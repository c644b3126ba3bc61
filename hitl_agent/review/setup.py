"""Create what a human loop needs (work team, task UI, flow definition) with boto3's SageMaker
client: on AWS, or on the project's review service (``endpoint_url``).

Idempotent: what exists under the same name is reused when it is what was asked for. "Exists" is
SageMaker's ``ResourceInUse`` answer to a create (the only error its model declares for a taken
name; a ``ValidationException`` is a refused request and is raised as one). A task UI with another
template, or a flow definition with another output path, task UI or work team, raises
:class:`~hitl_agent.errors.ConfigError` naming the field: a flow is never silently kept writing
somewhere else than asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from hitl_agent.errors import ConfigError, ReviewError

# The service accepts any role; on AWS it must be a real IAM role A2I can assume.
PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/hitl-agent-local"


@dataclass(frozen=True)
class ReviewFlow:
    flow_definition_arn: str
    human_task_ui_arn: str
    workteam_arn: str
    output_path: str


def create_review_flow(
    sagemaker: Any,
    *,
    name: str,
    template: str | Path,
    output_path: str,
    workteam_arn: str | None = None,
    team: str | None = None,
    role_arn: str = PLACEHOLDER_ROLE,
    task_count: int = 1,
    title: str = "Review a model output",
    description: str = "Check the model's answer and correct it if it is wrong.",
    keywords: tuple[str, ...] = ("review",),
    task_time_limit_s: int = 3600,
    availability_lifetime_s: int = 864000,
) -> ReviewFlow:
    """Create (or find) the task UI, the work team (service only) and the flow definition.

    On AWS pass ``workteam_arn`` (a private work team of an existing workforce) and a real
    ``role_arn``; on the service ``team`` creates a work team of that name.
    """
    source = Path(template).read_text(encoding="utf-8") if Path(str(template)).is_file() \
        else str(template)
    if "<" not in source:
        raise ConfigError(f"template {template!s} is neither a file nor template text",
                          field="template")
    if not 1 <= task_count <= 3:
        raise ConfigError("task_count must be 1-3 (A2I's limit)", field="task_count")
    if workteam_arn is None:
        if team is None:
            raise ConfigError("pass workteam_arn (AWS) or team (the review service)",
                              field="workteam_arn")
        workteam_arn = _ensure_workteam(sagemaker, team)
    ui_name = f"{name}-ui"

    def existing_ui() -> str:
        ui = sagemaker.describe_human_task_ui(HumanTaskUiName=ui_name)
        found = ui.get("UiTemplate", {}).get("ContentSha256")
        wanted = hashlib.sha256(source.encode("utf-8")).hexdigest()
        if found and len(found) == 64 and found.lower() != wanted:  # a hex digest to compare
            raise ConfigError(
                f"task UI {ui_name} exists with another template (sha256 {found}, not {wanted}):"
                f" delete it or choose another name", field="template", existing=found)
        return str(ui["HumanTaskUiArn"])

    ui_arn = _ensure(
        lambda: sagemaker.create_human_task_ui(HumanTaskUiName=ui_name,
                                               UiTemplate={"Content": source})["HumanTaskUiArn"],
        existing_ui,
    )
    team_field = "team" if team is not None else "workteam_arn"

    def existing_flow() -> str:
        flow = sagemaker.describe_flow_definition(FlowDefinitionName=name)
        loop = flow.get("HumanLoopConfig", {})
        for field, found, wanted in (
            ("output_path", flow.get("OutputConfig", {}).get("S3OutputPath"), output_path),
            ("template", loop.get("HumanTaskUiArn"), ui_arn),
            (team_field, loop.get("WorkteamArn"), workteam_arn),
        ):
            if str(found or "").rstrip("/") != str(wanted).rstrip("/"):
                raise ConfigError(
                    f"flow definition {name} exists with {field} {found!r}, not {wanted!r}: "
                    f"delete it or choose another name", field=field, existing=found)
        return str(flow["FlowDefinitionArn"])

    flow_arn = _ensure(
        lambda: sagemaker.create_flow_definition(
            FlowDefinitionName=name,
            HumanLoopConfig={
                "WorkteamArn": workteam_arn,
                "HumanTaskUiArn": ui_arn,
                "TaskTitle": title,
                "TaskDescription": description,
                "TaskCount": task_count,
                "TaskAvailabilityLifetimeInSeconds": availability_lifetime_s,
                "TaskTimeLimitInSeconds": task_time_limit_s,
                "TaskKeywords": list(keywords),
            },
            OutputConfig={"S3OutputPath": output_path},
            RoleArn=role_arn,
        )["FlowDefinitionArn"],
        existing_flow,
    )
    return ReviewFlow(flow_arn, ui_arn, workteam_arn, output_path)


def _ensure_workteam(sagemaker: Any, team: str) -> str:
    def create() -> str:
        return str(sagemaker.create_workteam(
            WorkteamName=team,
            MemberDefinitions=[{"OidcMemberDefinition": {"Groups": [team]}}],
            Description=f"reviewers of team {team}",
        )["WorkteamArn"])

    return _ensure(create, lambda: sagemaker.describe_workteam(WorkteamName=team)["Workteam"][
        "WorkteamArn"])


EXISTS_CODES = frozenset({"ResourceInUse", "ResourceInUseException"})
"""What SageMaker answers a create whose name is taken (``ResourceInUse`` in botocore's model)."""


def _ensure(create: Callable[[], Any], existing: Callable[[], str]) -> str:
    """``create()``'s ARN; when the name is taken, ``existing()`` (which checks that what exists
    is what was asked for). Any other refusal raises :class:`ReviewError` with its code."""
    try:
        return str(create())
    except ClientError as exc:
        if _code(exc) not in EXISTS_CODES:
            raise _setup_error(exc) from exc
    try:
        return existing()
    except ClientError as exc:
        raise _setup_error(exc) from exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _setup_error(exc: ClientError) -> ReviewError:
    code = _code(exc)
    message = exc.response.get("Error", {}).get("Message", str(exc))
    return ReviewError(f"setup failed: {code}: {message}", code=code)
