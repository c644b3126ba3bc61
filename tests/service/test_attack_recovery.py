"""Issue 14, bullet 6: nothing stuck.

A loop whose output cannot be written ends ``Failed`` with a reason (Describe and Delete keep
answering; no 500 forever), also for a loop stored before the edge refused its input; temp files a
crash left behind are removed when the service starts (``test_attack_edge``'s output-root test).
"""

from __future__ import annotations

import json
from typing import Any

from tests.helpers.service import create_flow, start_loop, unique, wait_status


def _flow(sm: Any, output: str, team: str) -> str:
    return create_flow(sm, output=output, template="x", team=team, title="t", description="d")


def test_unwritable_output_fails_the_loop_with_a_reason(
    service: Any, runtime: Any, sagemaker: Any, make_worker: Any, local: Any
) -> None:
    team = unique("team")
    out = service.data / "output" / unique("blocked")
    flow = _flow(sagemaker, str(out), team)
    out.mkdir(parents=True)
    (out / flow.rsplit("/", 1)[1]).write_text("a file where the flow's folder must go")
    loop = start_loop(runtime, flow)
    worker = make_worker(team)
    assert worker.answer(loop, {"ok": True}).status_code == 200  # the answer is acknowledged
    got = wait_status(runtime, loop, "Failed")
    assert got["FailureCode"] == "InternalError"
    assert "cannot be written" in got["FailureReason"], got
    assert (
        runtime.delete_human_loop(HumanLoopName=loop)["ResponseMetadata"]["HTTPStatusCode"] == 200
    )

    # a loop stored before the edge checked its text (written through the service layer)
    flow_ok = _flow(sagemaker, str(service.data / "output"), team)
    poisoned = unique("old")
    local.runtime.start_human_loop(
        {
            "HumanLoopName": poisoned,
            "FlowDefinitionArn": flow_ok,
            "HumanLoopInput": {"InputContent": json.dumps({"x": "\ud800"})},
        }
    )
    assert make_worker(team).answer(poisoned, {"ok": True}).status_code == 200
    got = wait_status(runtime, poisoned, "Failed")
    assert got["FailureReason"], got
    assert runtime.delete_human_loop(HumanLoopName=poisoned)
