"""`hitl-agent setup` against a live review service, and `hitl-agent worker --once`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hitl_agent.cli.main import app
from hitl_agent.service.process import ServiceProcess


def test_setup_creates_flow_on_the_service_idempotently(tmp_path: Path) -> None:
    runner = CliRunner()
    with ServiceProcess(tmp_path / "service") as service:
        args = ["setup", "spam-review", "--template", "classification", "--team", "reviewers",
                "--output", str(service.data / "output"), "--endpoint", service.url, "--json"]
        keys = service.credentials  # the admin key `serve` wrote; boto3 reads it from the env
        env = {"AWS_ACCESS_KEY_ID": keys["aws_access_key_id"],
               "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"]}
        first = runner.invoke(app, args, env=env)
        assert first.exit_code == 0, first.output
        arns = json.loads(first.output)
        again = runner.invoke(app, args, env=env)
        assert again.exit_code == 0 and json.loads(again.output) == arns
        sm = service.client("sagemaker")
        flow = sm.describe_flow_definition(FlowDefinitionName="spam-review")
        assert flow["FlowDefinitionArn"] == arns["FlowDefinitionArn"]
        assert flow["HumanLoopConfig"]["HumanTaskUiArn"] == arns["HumanTaskUiArn"]
        ui = sm.describe_human_task_ui(HumanTaskUiName="spam-review-ui")
        assert ui["HumanTaskUiStatus"] == "Active"
    bad = runner.invoke(app, ["setup", "x", "--template", "no-such-template", "--output", "o"])
    assert bad.exit_code == 2


def test_worker_once_resumes_waiting_graphs(tmp_path: Path) -> None:
    graph_file = tmp_path / "my_graph.py"
    graph_file.write_text(
        "from pathlib import Path\n"
        "from tests.helpers.graphs import make_graph, gold_reviewer\n"
        "from hitl_agent import InProcessReviews\n"
        f"reviews = InProcessReviews(gold_reviewer(), answers_synchronously=False,\n"
        f"                           path=Path({str(tmp_path / 'reviews.db')!r}))\n"
        f"graph = make_graph(Path({str(tmp_path)!r}), reviews)\n"
    )
    import importlib.util

    spec = importlib.util.spec_from_file_location("my_graph_for_test", graph_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.graph.invoke({"input": "maybe win"}, {"configurable": {"thread_id": "w-1"}})
    assert "__interrupt__" in out

    result = CliRunner().invoke(app, ["worker", "--graph", f"{graph_file}:graph", "--once",
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["resumed"] == 1
    state = module.graph.get_state({"configurable": {"thread_id": "w-1"}})
    assert state.values["output"] == "ham"
