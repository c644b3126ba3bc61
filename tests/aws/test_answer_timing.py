"""Answer metadata is real on every way of answering: the CLI's ``tasks show`` accepts the task,
so the answer's acceptanceTime, submissionTime and timeSpentInSeconds describe the work."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hitl_agent.cli.tasks import app as tasks_app
from tests.helpers.service import (
    ROLE,
    TEMPLATE,
    InProcessService,
    ensure_team,
    new_worker,
    unique,
    wait_status,
)

pytestmark = pytest.mark.slow


def test_cli_answer_records_the_time_spent(start_clocked_service: Any) -> None:
    review_service: InProcessService = start_clocked_service()
    sm = review_service.client("sagemaker")
    rt = review_service.client("sagemaker-a2i-runtime")
    ui = sm.create_human_task_ui(HumanTaskUiName=unique("ui"), UiTemplate={"Content": TEMPLATE})
    flow = sm.create_flow_definition(
        FlowDefinitionName=unique("fd"), RoleArn=ROLE,
        OutputConfig={"S3OutputPath": str(review_service.data / "outputs")},
        HumanLoopConfig={"WorkteamArn": ensure_team(sm, "cli-timing"),
                         "HumanTaskUiArn": ui["HumanTaskUiArn"], "TaskTitle": "t",
                         "TaskDescription": "d", "TaskCount": 1})["FlowDefinitionArn"]
    loop = unique("loop")
    rt.start_human_loop(HumanLoopName=loop, FlowDefinitionArn=flow,
                        HumanLoopInput={"InputContent": json.dumps({"text": "x"})})
    worker = new_worker(review_service.services, review_service.url, "cli-timing")
    common = ["--token", worker.token, "--endpoint", review_service.url]
    runner = CliRunner()
    peeked = runner.invoke(tasks_app, ["show", loop, *common, "--peek", "--json"])
    assert peeked.exit_code == 0 and json.loads(peeked.stdout)["claimedByMe"] is False
    shown = runner.invoke(tasks_app, ["show", loop, *common, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["claimedByMe"] is True
    review_service.clock.advance(0.3)  # the reviewer reads the task
    done = runner.invoke(tasks_app, ["answer", loop, "--answer",
                                     '{"category": {"label": "a"}}', *common])
    assert done.exit_code == 0, done.output
    uri = wait_status(rt, loop, "Completed")["HumanLoopOutput"]["OutputS3Uri"]
    answer = json.loads(Path(uri).read_text())["humanAnswers"][0]
    accepted = datetime.fromisoformat(answer["acceptanceTime"].replace("Z", "+00:00"))
    submitted = datetime.fromisoformat(answer["submissionTime"].replace("Z", "+00:00"))
    assert answer["timeSpentInSeconds"] >= 0.3
    assert abs((submitted - accepted).total_seconds() - answer["timeSpentInSeconds"]) < 0.01
    identity = answer["workerMetadata"]["identityData"]
    assert identity["identityProviderType"] == "Oidc" and identity["sub"]
