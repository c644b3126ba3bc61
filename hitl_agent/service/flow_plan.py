"""A flow definition's plan: what it puts into each of its loops, worked out once per flow (the
runtime's StartHumanLoop, :mod:`.runtime`)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .errors import ValidationException
from .output import output_uri
from .settings import ServiceSettings

_STAMP = "%Y/%m/%d/%H/%M/%S"
_SAMPLE_STAMP = "/1970/01/01/00/00/00/"


def _output_parts(output_path: str, flow_name: str, settings: ServiceSettings) -> tuple[str, str]:
    """Split :func:`.output.output_uri` around the parts that change per loop."""
    sample = output_uri(output_path, flow_name, 0, "-", settings.data_dir)
    head, _, tail = sample.partition(_SAMPLE_STAMP + "-/")
    return head, tail


@dataclass(frozen=True)
class FlowPlan:
    """What a flow definition puts into each of its loops, worked out once per flow (a flow
    definition cannot change: a new one under the same name has another config text)."""

    name: str
    arn: str
    output_path: str
    output_parts: tuple[str, str]  # output_uri's text before and after "/{stamp}/{loop}/"
    request_source: str | None
    lifetime_us: int
    task_count: int
    task_time_limit_s: int
    workteam_name: str | None
    human_task_ui_arn: str | None
    task_title: str | None
    task_description: str | None
    task_keywords: str | None
    servable: dict[str, str | None]  # the parameters of _SELECT_SERVABLE
    human_loop_config: str | None = None  # the flow's, as stored (start_sql.PlannedInsert)

    @classmethod
    def build(cls, flow: Any, settings: ServiceSettings) -> FlowPlan:
        cfg: dict[str, Any] = json.loads(flow.human_loop_config or "{}")
        ui_arn, team_arn = cfg.get("HumanTaskUiArn"), cfg.get("WorkteamArn")
        lifetime = int(
            cfg.get("TaskAvailabilityLifetimeInSeconds") or settings.default_task_availability_s
        )
        return cls(
            name=flow.name,
            arn=flow.arn,
            output_path=flow.output_path,
            output_parts=_output_parts(flow.output_path, flow.name, settings),
            request_source=flow.request_source,
            lifetime_us=lifetime * 1_000_000,
            task_count=int(cfg.get("TaskCount") or 1),
            task_time_limit_s=int(
                cfg.get("TaskTimeLimitInSeconds") or settings.default_task_time_limit_s
            ),
            workteam_name=team_arn.rsplit("/", 1)[-1] if team_arn else None,
            human_task_ui_arn=ui_arn,
            task_title=cfg.get("TaskTitle"),
            task_description=cfg.get("TaskDescription"),
            task_keywords=json.dumps(cfg["TaskKeywords"]) if cfg.get("TaskKeywords") else None,
            servable={
                "ui_name": str(ui_arn).rsplit("/", 1)[-1] if ui_arn else None,
                "ui_arn": ui_arn,
                "team_name": str(team_arn).rsplit("/", 1)[-1] if team_arn else None,
                "team_arn": team_arn,
            },
            human_loop_config=flow.human_loop_config,
        )

    def output_uri(self, created_us: int, loop_name: str) -> str:
        """:func:`.output.output_uri` of a loop of this flow (its folder resolved once)."""
        head, tail = self.output_parts
        stamp = time.strftime(_STAMP, time.gmtime(created_us // 1_000_000))
        return f"{head}/{stamp}/{loop_name}/{tail}"

    def unservable(self, found: Any) -> ValidationException | None:
        """A loop is started only when its workers can be shown it: the flow's task UI and work
        team still exist (either may have been deleted since the flow was created); ``found``
        holds their ids (``ui``, ``team``: None when missing)."""
        ui_arn, team_arn = self.servable["ui_arn"], self.servable["team_arn"]
        if ui_arn and found.ui is None:
            return ValidationException(
                f"FlowDefinitionArn: the flow definition's HumanTaskUi '{ui_arn}' was deleted; "
                "no worker could be shown this human loop",
                field="FlowDefinitionArn",
            )
        if team_arn and found.team is None:
            return ValidationException(
                f"FlowDefinitionArn: the flow definition's work team '{team_arn}' was deleted; "
                "no worker could answer this human loop",
                field="FlowDefinitionArn",
            )
        return None
