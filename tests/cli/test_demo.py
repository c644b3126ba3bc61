"""`hitl-agent demo`: the README's main job, the feedback loop in rounds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hitl_agent.cli.main import app
from hitl_agent.memory.correction_memory import CorrectionMemory
from hitl_agent.memory.ledger import Ledger


def test_default_run_shows_the_loop_improve(tmp_path: Path) -> None:
    """The default run, through the console script: each round needs fewer reviews than the one
    before, the last at most a third of the first round's at the same or better accepted error
    (the threshold certified from the second round on), and everything it says it wrote
    is there (index in sync with the ledger, exports with manifests, the report)."""
    data, out = tmp_path / "data", tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "-m", "hitl_agent.cli.main", "demo", "--data", str(data),
         "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for words in ("What the columns mean", "Where everything is", "Try next",
                  "reviewed per 100", "rows exported"):
        assert words in result.stdout
    figures = json.loads(out.read_text())
    first, last = figures["rounds"][0], figures["rounds"][-1]
    assert len(figures["rounds"]) == 5 and figures["items"] == 5 * 240
    assert last["reviewed_per_100"] <= first["reviewed_per_100"] / 3
    per_100 = [r["reviewed_per_100"] for r in figures["rounds"]]
    assert per_100 == sorted(per_100, reverse=True)  # fewer reviews round over round
    assert last["accepted_error"] <= first["accepted_error"]
    # The threshold was recalibrated with its guarantee, and the model got better.
    assert all(r["guarantee"] == "≤5%" for r in figures["rounds"][1:])
    assert figures["next_threshold"]["certified"]
    assert figures["next_threshold"]["risk_bound"] <= 0.05
    assert figures["final_model_accuracy"] > first["model_accuracy"]
    # Repeated inputs were answered from the correction memory.
    assert sum(r["from_memory"] for r in figures["rounds"]) > 0
    # The index holds every correction of the ledger: in sync, as `memory stats` reports.
    with CorrectionMemory(data / "ledger.db") as memory:
        stats = memory.stats()
    assert stats["in_sync"] and stats["documents"] == last["index_size"]
    exported = sum(r["rows_exported"] for r in figures["rounds"])
    manifests = sorted((data / "exports").glob("round-*/manifest.json"))
    assert manifests and exported > 0
    rows = sum(json.loads(m.read_text())["counts"]["rows_train"]
               + json.loads(m.read_text())["counts"]["rows_validation"] for m in manifests)
    assert rows == exported
    report = (data / "report.html").read_text()
    assert "Reviews per 100 items" in report and "<svg" in report


def test_rerun_on_the_same_folder_starts_nothing_new(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["demo", "--rounds", "2", "--items", "60", "--seed", "5"]
    paths = [tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"]
    for data, path in (("d1", paths[0]), ("d2", paths[1]), ("d1", paths[2])):
        result = runner.invoke(app, [*args, "--data", str(tmp_path / data), "--json", str(path)])
        assert result.exit_code == 0, result.output
    figures = [json.loads(p.read_text()) for p in paths]
    keys = ["items", "reviewed", "from_memory", "accepted_wrong", "final_right", "rows_exported"]
    rounds = [[{k: r[k] for k in keys} for r in f["rounds"]] for f in figures]
    assert rounds[0] == rounds[1]  # reproducible for a seed
    assert rounds[0] == rounds[2]  # a re-run answers from the ledger
    ledger = Ledger(tmp_path / "d1" / "ledger.db")
    corrections = sum(1 for _ in ledger.iter_corrections())
    assert corrections == figures[0]["reviewed"]  # no review was started twice


def test_demo_bad_input_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--items", "5000", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "items" in result.output
