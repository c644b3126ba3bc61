"""``answer`` once through the live review service: the graph starts a human loop over the A2I
API, a reviewer answers it through the worker API (the ``text-correction`` template's answer
shape), the resumer reads ``output.json`` and resumes the graph, the correction is in the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from hitl_agent import Resumer
from hitl_agent.review.a2i import A2IReviews
from tests.helpers.graphs import cfg, load_graph_module, resume_until_done
from tests.helpers.paths import REPO
from tests.helpers.service import ROLE, ServiceProcess, WorkerClient, ensure_team

pytestmark = pytest.mark.slow


def test_answer_through_the_review_service(tmp_path: Path, saver: InMemorySaver) -> None:
    from hitl_agent.service.services import build_services
    from hitl_agent.service.settings import ServiceSettings

    service = ServiceProcess(tmp_path / "svc", "--sweep-interval", "0.5").start()
    try:
        sagemaker = service.client("sagemaker")
        ui = sagemaker.create_human_task_ui(HumanTaskUiName="text-correction", UiTemplate={
            "Content": (REPO / "templates" / "text-correction.liquid.html").read_text()})
        flow = sagemaker.create_flow_definition(
            FlowDefinitionName="answers", RoleArn=ROLE,
            HumanLoopConfig={"WorkteamArn": ensure_team(sagemaker, "experts"),
                             "HumanTaskUiArn": ui["HumanTaskUiArn"], "TaskTitle": "Fix answer",
                             "TaskDescription": "Correct the model's answer", "TaskCount": 1},
            OutputConfig={"S3OutputPath": str(tmp_path / "outputs")})["FlowDefinitionArn"]
        local = build_services(ServiceSettings(data_dir=service.data, background=False))
        info, token = local.workforce.add_worker("ada", teams=["experts"])
        local.store.dispose()
        worker = WorkerClient(service.url, info.name, token)

        reviews = A2IReviews(flow, runtime_client=service.client("sagemaker-a2i-runtime"))
        answer = load_graph_module("answer")
        graph = answer.build(checkpointer=saver, ledger=tmp_path / "ledger.db",
                             reviews=reviews, memory=None)
        out = graph.invoke({"input": "What is the tallest mountain in Africa?"}, cfg("q1"))
        [intr] = out["__interrupt__"]
        loop = intr.value["review_id"]

        assert loop in worker.task_names()
        fixed = "Kilimanjaro (5,895 m) is the tallest mountain in Africa."
        done = worker.answer(loop, {"corrected_text": fixed, "unusable": {"on": False},
                                    "comment": ""})
        assert done.status_code == 200, done.text

        resume_until_done(graph)
        final = graph.get_state(cfg("q1")).values
        assert (final["output"], final["output_source"]) == (fixed, "human")
        [row] = list(Resumer.for_graph(graph).ledger.iter_corrections())
        c = row.correction
        assert (c.action, c.source, c.final_output) == ("edit", "service", fixed)
        assert c.answers[0].worker_id is not None
    finally:
        service.stop()
