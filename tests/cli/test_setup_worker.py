"""`hitl-agent setup` against a live review service, and `hitl-agent worker --once`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hitl_agent.cli.main import app
from hitl_agent.service.process import ServiceProcess


def test_setup_creates_flow_on_the_service_idempotently(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    # serve's --output-root is taken relative to the working directory, as --output is.
    (tmp_path / "shared").mkdir()
    with ServiceProcess(tmp_path / "service", "--output-root", "service/output",
                        "--output-root", "shared") as service:
        keys = service.credentials  # the admin key `serve` wrote; boto3 reads it from the env
        env = {"AWS_ACCESS_KEY_ID": keys["aws_access_key_id"],
               "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"]}

        def setup(name: str, output: str) -> Result:
            return runner.invoke(app, ["setup", name, "--template", "classification", "--team",
                                       "reviewers", "--output", output, "--endpoint",
                                       service.url, "--json"], env=env)

        first = setup("spam-review", "service/output")
        assert first.exit_code == 0, first.output
        arns = json.loads(first.output)
        assert arns["S3OutputPath"] == str(tmp_path / "service" / "output")
        again = setup("spam-review", "service/output")
        assert again.exit_code == 0 and json.loads(again.output) == arns
        sm = service.client("sagemaker")
        flow = sm.describe_flow_definition(FlowDefinitionName="spam-review")
        assert flow["FlowDefinitionArn"] == arns["FlowDefinitionArn"]
        assert flow["HumanLoopConfig"]["HumanTaskUiArn"] == arns["HumanTaskUiArn"]
        assert flow["OutputConfig"]["S3OutputPath"] == str(tmp_path / "service" / "output")
        ui = sm.describe_human_task_ui(HumanTaskUiName="spam-review-ui")
        assert ui["HumanTaskUiStatus"] == "Active"

        shared = setup("shared-review", "shared/reviews")
        assert shared.exit_code == 0, shared.output
        assert json.loads(shared.output)["S3OutputPath"] == str(tmp_path / "shared" / "reviews")

        # A folder outside the roots: refused, naming the roots and how to allow it.
        refused = setup("elsewhere-review", "elsewhere")
        assert refused.exit_code == 2, refused.output
        message = " ".join(refused.output.split())
        assert str(tmp_path / "elsewhere") in message
        assert str(tmp_path / "shared") in message  # the roots the service has
        assert f"--output-root {tmp_path / 'elsewhere'}" in message
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


def test_serve_with_a_relative_data_folder_allows_its_output_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --data .hitl`: the default output root is ./.hitl/output (not .hitl/.hitl/output),
    so the README's `setup --output .hitl/output` is allowed."""
    from hitl_agent.service.output_roots import output_roots, refusal
    from hitl_agent.service.settings import ServiceSettings

    monkeypatch.chdir(tmp_path)
    settings = ServiceSettings(data_dir=Path(".hitl"))
    assert output_roots(settings) == [tmp_path / ".hitl" / "output"]
    assert refusal(str(tmp_path / ".hitl" / "output"), settings) is None
    assert refusal(str(tmp_path / "elsewhere"), settings) is not None
