"""Two service processes on one real PostgreSQL database: no answer lost or counted twice."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hitl_agent.service.services import build_services
from hitl_agent.service.settings import ServiceSettings
from tests.helpers.service import ServiceProcess, WorkerClient, create_flow

pytestmark = pytest.mark.postgres

LOOPS, WORKERS, TASK_COUNT = 16, 5, 3


def test_two_processes_share_one_database(postgres_server: Any, tmp_path: Path) -> None:
    url = postgres_server.create_database()
    procs = [
        ServiceProcess(
            tmp_path / f"p{i}",
            "--database",
            url,
            "--sweep-interval",
            "0.3",
            env={"HITL_SERVICE_SECRET": "one secret for both processes"},  # keys, tokens
        )
        for i in range(2)
    ]
    try:
        for p in procs:
            p.start(wait=False)
        for p in procs:
            p.wait_ready()
        _exercise(procs, url, tmp_path)
    finally:
        for p in procs:
            p.stop()


def _exercise(procs: list[ServiceProcess], url: str, tmp_path: Path) -> None:
    a, b = procs
    sm_a, sm_b = a.client("sagemaker"), b.client("sagemaker")
    rts = [p.client("sagemaker-a2i-runtime") for p in procs]
    ui = sm_a.create_human_task_ui(HumanTaskUiName="ui", UiTemplate={"Content": "x"})
    flow = create_flow(  # created through B, used through A: one database
        sm_b, output=str(tmp_path / "o"), task_ui=ui["HumanTaskUiArn"], team="t", title="t",
        description="d", task_count=TASK_COUNT,
    )

    # the same start through both processes at once: one loop, one ARN
    def start(i: int) -> str:
        return str(
            rts[i % 2].start_human_loop(
                HumanLoopName=f"loop-{i // 2}",
                FlowDefinitionArn=flow,
                HumanLoopInput={"InputContent": json.dumps({"i": i // 2})},
            )["HumanLoopArn"]
        )

    with ThreadPoolExecutor(8) as pool:
        arns = list(pool.map(start, range(2 * LOOPS)))
    assert all(arns[2 * k] == arns[2 * k + 1] for k in range(LOOPS))
    loops = [f"loop-{k}" for k in range(LOOPS)]

    local = build_services(ServiceSettings(database_url=url, data_dir=tmp_path, background=False))
    tokens = [local.workforce.add_worker(f"w{i}", teams=["t"])[1] for i in range(WORKERS)]
    local.store.dispose()
    clients = {
        (i, j): WorkerClient(procs[j].url, f"w{i}", tokens[i])
        for i in range(WORKERS)
        for j in range(2)
    }

    # every worker answers every loop through BOTH processes at once, in random order
    jobs = [(i, j, loop) for i in range(WORKERS) for j in range(2) for loop in loops]
    random.Random(7).shuffle(jobs)

    def answer(job: tuple[int, int, str]) -> tuple[int, str, int]:
        i, j, loop = job
        r = clients[(i, j)].answer(loop, {"by": f"w{i}", "via": j})
        assert r.status_code in (200, 409), r.text
        return i, loop, r.status_code

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(answer, jobs))
    accepted = [(i, loop) for i, loop, status in results if status == 200]
    assert len(accepted) == len(set(accepted))  # nobody answered a loop twice
    per_loop = {loop: sum(1 for _, lp in accepted if lp == loop) for loop in loops}
    assert per_loop == {loop: TASK_COUNT for loop in loops}  # none lost, none extra

    for loop in loops:
        got = rts[0].describe_human_loop(HumanLoopName=loop)
        assert got["HumanLoopStatus"] == "Completed"
        doc = json.loads(Path(got["HumanLoopOutput"]["OutputS3Uri"]).read_text())
        by = sorted(a["answerContent"]["by"] for a in doc["humanAnswers"])
        assert by == sorted(f"w{i}" for i, lp in accepted if lp == loop)
        assert len({a["workerId"] for a in doc["humanAnswers"]}) == TASK_COUNT
    events = b.http().get("/hitl/events", params={"limit": 1000}).json()["events"]
    completed = [e["event"]["detail"]["humanLoopName"] for e in events]
    assert sorted(completed) == sorted(loops)  # exactly one event per loop, from either process
