"""What every command shares: the version, the data folder, exit codes, ports, extras."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hitl_agent import __version__
from hitl_agent.cli.main import app
from hitl_agent.data_folder import DataFolder, checkpoints_beside
from hitl_agent.errors import MissingExtra


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"hitl-agent {__version__}"


def test_data_folder_layout_is_shared(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HITL_DATA", str(tmp_path / "d"))
    folder = DataFolder.resolve()
    assert folder.ledger == tmp_path / "d" / "ledger.db"
    assert checkpoints_beside(folder.ledger) == folder.checkpoints
    assert checkpoints_beside(tmp_path / "hitl.db") == tmp_path / "hitl.checkpoints.db"
    assert DataFolder.resolve(tmp_path / "x").memory == tmp_path / "x" / "memory"


def test_library_and_cli_see_the_same_ledger_index_and_checkpoints(tmp_path: Path) -> None:
    """A graph built on DIR/ledger.db with a CorrectionMemory on it, then the CLI on --data DIR:
    same checkpoints file, same index, in sync; forget takes ids as arguments."""
    from hitl_agent import (
        InProcessReviews,
        MaxProbabilityScorer,
        ThresholdPolicy,
        build_review_graph,
    )
    from hitl_agent.memory import CorrectionMemory

    data = tmp_path / "data"
    memory = CorrectionMemory(data / "ledger.db")
    graph = build_review_graph(
        model=lambda text: {"output": "spam", "probabilities": {"spam": 0.6, "ham": 0.4}},
        scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
        reviews=InProcessReviews(lambda request: {"action": "edit", "final_output": "ham"}),
        ledger=memory.ledger, memory=memory, task="spam", labels=["spam", "ham"],
    )
    for i, text in enumerate(["lunch at noon?", "win a prize", "meeting moved"]):
        graph.invoke({"input": text}, {"configurable": {"thread_id": f"m-{i}"}})
    memory.close()
    assert (data / "checkpoints.db").exists()
    runner = CliRunner()
    by_data = runner.invoke(app, ["memory", "stats", "--data", str(data), "--json"])
    by_ledger = runner.invoke(app, ["memory", "stats", "--ledger", str(data / "ledger.db"),
                                    "--json"])
    assert by_data.exit_code == 0 and by_ledger.exit_code == 0, by_data.output + by_ledger.output
    stats = json.loads(by_data.stdout)
    assert stats["in_sync"] and stats["documents"] == 3
    assert json.loads(by_ledger.stdout)["documents"] == 3
    hits = json.loads(runner.invoke(app, ["memory", "search", "win a prize", "--data", str(data),
                                          "--json"]).stdout)
    forgot = runner.invoke(app, ["memory", "forget", hits[0]["correction_id"], "--data",
                                 str(data), "--json"])
    assert forgot.exit_code == 0, forgot.output
    assert json.loads(forgot.stdout)["forgotten"] == [hits[0]["correction_id"]]
    both = runner.invoke(app, ["memory", "stats", "--data", str(data), "--ledger", "x.db"])
    assert both.exit_code == 2 and "not both" in both.output
    missing = runner.invoke(app, ["memory", "stats", "--data", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no ledger" in missing.output


def test_serve_on_a_busy_port_fails_before_claiming_to_serve(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "hitl_agent.cli.main", "serve", "--port", str(port),
             "--data", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert "review service on" not in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr


def test_a_missing_extra_names_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hitl_agent.memory import ChromaIndex

    monkeypatch.setitem(sys.modules, "chromadb", None)  # `import chromadb` fails, as uninstalled
    with pytest.raises(MissingExtra, match=r"pip install 'hitl-agent\[memory\]'") as caught:
        ChromaIndex(tmp_path / "memory")
    assert isinstance(caught.value, ImportError)


# Run with the extras' packages made unimportable: what `pip install hitl-agent` alone gives.
CORE_ONLY = """
import sys
BLOCKED = {"chromadb", "wordllama", "fastapi", "uvicorn", "liquid", "bcrypt", "matplotlib",
           "starlette"}

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocker())
"""


def test_the_core_works_without_extras_and_names_them(tmp_path: Path) -> None:
    script = CORE_ONLY + """
from hitl_agent import (InProcessReviews, MaxProbabilityScorer, ThresholdPolicy,
                        build_review_graph)
graph = build_review_graph(
    model=lambda text: {"output": "a", "probabilities": {"a": 0.5, "b": 0.5}},
    scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
    reviews=InProcessReviews(lambda request: {"action": "edit", "final_output": "b"}),
    ledger=sys.argv[1] + "/ledger.db", labels=["a", "b"])
print(graph.invoke({"input": "x"}, {"configurable": {"thread_id": "t"}})["output"])
from hitl_agent.cli.main import app
app(sys.argv[2:])
"""
    data = str(tmp_path / "d")
    for args, code, extra in ((["memory", "stats", "--data", data], 3, "memory"),
                              (["serve", "--data", data], 3, "service"),
                              (["--version"], 0, None)):
        result = subprocess.run([sys.executable, "-c", script, data, *args], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == code, result.stderr[-2000:]
        assert result.stdout.startswith("b\n")
        if extra is not None:
            assert f"hitl-agent[{extra}]" in result.stderr
