"""`hitl-agent demo --review service`: the same loop through a real service process and boto3."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hitl_agent.cli.main import app


def test_demo_through_the_review_service(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(app, ["demo", "--review", "service", "--rounds", "2",
                                      "--items", "40", "--seed", "1", "--data",
                                      str(tmp_path / "data"), "--json", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures["review_backend"] == "service"
    assert figures["reviewed"] > 0
    # Every reviewed item became an A2I human loop whose output.json the service wrote, and
    # whose answer came back through boto3 into the graph.
    assert figures["output_files"] == figures["reviewed"]
    # People fixed the unsure items: the loop beats the first model alone.
    assert figures["rounds"][0]["final_accuracy"] > figures["rounds"][0]["model_accuracy"]
    [doc_path, *_] = (tmp_path / "data" / "output").rglob("output.json")
    doc = json.loads(doc_path.read_text())
    assert doc["humanAnswers"][0]["workerId"]
    assert "label" in doc["humanAnswers"][0]["answerContent"]["label"]
