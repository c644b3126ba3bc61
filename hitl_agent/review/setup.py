"""Create what a human loop needs (work team, task UI, flow definition) with boto3's SageMaker
client: on AWS, or on the project's review service (``endpoint_url``). Idempotent: what exists
with the same name is reused."""

from __future__ import annotations

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
    ui_arn = _ensure(
        lambda: sagemaker.create_human_task_ui(HumanTaskUiName=f"{name}-ui",
                                               UiTemplate={"Content": source})["HumanTaskUiArn"],
        lambda: sagemaker.describe_human_task_ui(HumanTaskUiName=f"{name}-ui")["HumanTaskUiArn"],
    )
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
        lambda: sagemaker.describe_flow_definition(FlowDefinitionName=name)[
            "FlowDefinitionArn"],
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


def _ensure(create: Any, describe: Any) -> str:
    try:
        return str(create())
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ResourceInUse", "ResourceInUseException", "ValidationException"):
            try:
                return str(describe())
            except ClientError:
                pass
        message = exc.response.get("Error", {}).get("Message", str(exc))
        raise ReviewError(f"setup failed: {code}: {message}", code=code) from exc
