"""Helpers of the worker-portal tests: the Portal under test (a uniquely named module: test files
import from it, never from ``conftest``, whose name several test folders share)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx

TESTS = Path(__file__).resolve().parents[1]
for sub in ("service", "templates"):
    if str(TESTS / sub) not in sys.path:
        sys.path.insert(0, str(TESTS / sub))

from a2i_service_helpers import (  # noqa: E402
    ROLE,
    ServiceProcess,
    ensure_team,
    unique,
    wait_status,
)

from hitl_agent.service.services import ReviewServices  # noqa: E402

PASSWORD = "correct-horse-1"
_RE_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_RE_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


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
        ui = self.sagemaker.create_human_task_ui(
            HumanTaskUiName=unique("ui"), UiTemplate={"Content": template}
        )["HumanTaskUiArn"]
        config: dict[str, Any] = {
            "WorkteamArn": ensure_team(self.sagemaker, team),
            "HumanTaskUiArn": ui,
            "TaskTitle": title,
            "TaskDescription": f"{title}: check the model's answer",
            "TaskCount": task_count,
        }
        if keywords:
            config["TaskKeywords"] = keywords
        return str(
            self.sagemaker.create_flow_definition(
                FlowDefinitionName=unique("fd"),
                RoleArn=ROLE,
                HumanLoopConfig=config,
                OutputConfig={"S3OutputPath": str(self.data / "outputs")},
            )["FlowDefinitionArn"]
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
        client = httpx.Client(base_url=self.url)
        form = client.get("/portal/login")
        token = _RE_CSRF_FIELD.search(form.text)
        assert token is not None, form.text
        r = client.post(
            "/portal/login",
            data={"csrf": token.group(1), "name": name, "password": PASSWORD},
        )
        assert r.status_code == 303, r.text
        page = client.get("/portal/tasks")
        csrf = _RE_CSRF_META.search(page.text)
        assert csrf is not None, page.text
        return client, csrf.group(1)
