"""``kill -9`` and restart: every acknowledged write is still there and the service carries on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hitl_agent.service.services import build_services
from hitl_agent.service.settings import ServiceSettings
from tests.helpers.service import WorkerClient, create_flow, start_loop, wait_status


def test_kill_9_and_restart_keeps_everything(start_service: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_service(data=data)
    sm, rt = first.client("sagemaker"), first.client("sagemaker-a2i-runtime")
    ui = sm.create_human_task_ui(HumanTaskUiName="ui", UiTemplate={"Content": "<p>x</p>"})
    flow = create_flow(sm, output=str(tmp_path / "o"), task_ui=ui["HumanTaskUiArn"], team="t",
                       title="t", description="d", task_count=3)
    loops = [start_loop(rt, flow, name=f"loop-{i}") for i in range(8)]
    rt.stop_human_loop(HumanLoopName=loops[-1])
    local = build_services(ServiceSettings(data_dir=data, background=False))
    tokens = [local.workforce.add_worker(n, teams=["t"])[1] for n in ("ann", "ben", "cy")]
    local.store.dispose()
    ann, ben = (WorkerClient(first.url, n, t) for n, t in zip(("ann", "ben"), tokens, strict=False))
    for loop in loops[:-1]:
        assert ann.answer(loop, {"v": f"ann-{loop}"}).status_code == 200
        assert ben.answer(loop, {"v": f"ben-{loop}"}).status_code == 200
    assert ann.claim(loops[0]).status_code == 409  # answered already
    first.kill()  # SIGKILL right after the last acknowledged answer

    second = start_service(data=data)
    rt2, sm2 = second.client("sagemaker-a2i-runtime"), second.client("sagemaker")
    flow_name = flow.rsplit("/", 1)[1]
    assert sm2.describe_flow_definition(FlowDefinitionName=flow_name)["FlowDefinitionArn"] == flow
    assert sm2.describe_human_task_ui(HumanTaskUiName="ui")["HumanTaskUiArn"]
    statuses = {
        s["HumanLoopName"]: s["HumanLoopStatus"]
        for p in rt2.get_paginator("list_human_loops").paginate(FlowDefinitionArn=flow)
        for s in p["HumanLoopSummaries"]
    }
    assert statuses == {**{loop: "InProgress" for loop in loops[:-1]}, loops[-1]: "Stopped"}
    cy = WorkerClient(second.url, "cy", tokens[2])  # tokens survive the restart
    offered = {t["humanLoopName"]: t["answerCount"] for t in cy.tasks()}
    assert offered == {loop: 2 for loop in loops[:-1]}  # no acknowledged answer was lost
    for loop in loops[:-1]:
        assert cy.answer(loop, {"v": f"cy-{loop}"}).status_code == 200
    for loop in loops[:-1]:
        uri = wait_status(rt2, loop, "Completed")["HumanLoopOutput"]["OutputS3Uri"]
        doc = json.loads(Path(uri).read_text())
        assert [a["answerContent"]["v"] for a in doc["humanAnswers"]] == [
            f"ann-{loop}",
            f"ben-{loop}",
            f"cy-{loop}",
        ]
    events = second.http().get("/hitl/events", params={"limit": 100}).json()["events"]
    assert sorted(e["event"]["detail"]["humanLoopStatus"] for e in events) == (
        ["Completed"] * 7 + ["Stopped"]
    )
