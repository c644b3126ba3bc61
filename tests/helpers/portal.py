"""Helpers of the worker-portal tests: the Portal under test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from hitl_agent.service.services import ReviewServices

from .service import (
    PORTAL_PASSWORD,
    ServiceProcess,
    create_flow,
    portal_sign_in,
    unique,
    wait_status,
)

PASSWORD = PORTAL_PASSWORD


class Portal:
    """The service under test, its boto3 clients and the service layer over its database."""

    def __init__(self, proc: ServiceProcess, local: ReviewServices) -> None:
        self.proc, self.local = proc, local
        self.url = proc.url
        self.data = proc.data
        self.runtime = proc.client("sagemaker-a2i-runtime")
        self.sagemaker = proc.client("sagemaker")

    def flow(
        self,
        template: str,
        *,
        team: str = "team-a",
        title: str = "Review",
        task_count: int = 1,
        keywords: list[str] | None = None,
    ) -> str:
        return create_flow(
            self.sagemaker, output=str(self.data / "outputs"), template=template, team=team,
            title=title, description=f"{title}: check the model's answer",
            task_count=task_count, loop_config={"TaskKeywords": keywords} if keywords else None,
        )

    def start(self, flow_arn: str, content: dict[str, Any]) -> str:
        name = unique("loop")
        self.runtime.start_human_loop(
            HumanLoopName=name,
            FlowDefinitionArn=flow_arn,
            HumanLoopInput={"InputContent": json.dumps(content)},
        )
        return name

    def output(self, loop: str) -> dict[str, Any]:
        """The loop's output.json, once it has completed."""
        got = wait_status(self.runtime, loop, "Completed")
        path = Path(got["HumanLoopOutput"]["OutputS3Uri"])
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def worker(self, *teams: str) -> str:
        info, _token = self.local.workforce.add_worker(
            unique("w"), teams=list(teams), password=PASSWORD
        )
        return info.name

    def http(self, name: str) -> tuple[httpx.Client, str]:
        """An HTTP client signed in as ``name`` (cookies kept) and its CSRF token."""
        client, answer, csrf = portal_sign_in(self.url, name, PASSWORD)
        assert answer.status_code == 303, answer.text
        assert csrf is not None, "no CSRF token on the task list"
        return client, csrf
