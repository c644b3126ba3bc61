"""``hitl-agent memory``: exit codes and output, through typer's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hitl_agent.cli.memory import memory_app
from hitl_agent.memory.ledger import Ledger
from tests.helpers.memory import correction

runner = CliRunner()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    ledger = Ledger(tmp_path / "ledger.db")
    for c in (correction(1, "The soup was cold and bland", "positive", "negative"),
              correction(2, "Lovely staff, fast service", "negative", "positive"),
              correction(3, {"user_id": 7, "text": "cold soup again"}, "positive", "negative")):
        ledger.record_correction(c)
    ledger.close()
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(memory_app, list(args))
    return result.exit_code, result.output


def test_rebuild_search_forget_stats(data: Path) -> None:
    code, out = run("rebuild", "--data", str(data), "--json")
    assert code == 0, out
    assert json.loads(out)["corrections"] == 3

    code, out = run("search", "cold soup", "--k", "2", "--data", str(data), "--json")
    assert code == 0, out
    hits = json.loads(out)
    assert len(hits) == 2 and {h["correction_id"] for h in hits} <= {"c1", "c2", "c3"}
    assert hits[0]["task"] == "sentiment" and "similarity" in hits[0]

    code, out = run("search", "cold soup", "--data", str(data), "--task", "sentiment",
                    "--where", "action=edit")
    assert code == 0 and "nearest corrections" in out and "c1" in out

    code, out = run("forget", "--id", "c1", "--where", "input.user_id=7", "--data", str(data),
                    "--json")
    assert code == 0, out
    assert json.loads(out)["forgotten"] == ["c1", "c3"]
    code, out = run("search", "cold soup", "--data", str(data), "--json")
    assert [h["correction_id"] for h in json.loads(out)] == ["c2"]

    code, out = run("stats", "--data", str(data), "--json")
    assert code == 0
    info = json.loads(out)
    assert info["documents"] == 1 and info["in_sync"] is True
    code, out = run("stats", "--data", str(data))
    assert code == 0 and "in sync" in out


def test_rebuild_after_the_index_folder_is_deleted(data: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HITL_DATA", str(data))  # the default --data
    assert run("rebuild")[0] == 0
    shutil.rmtree(data / "memory")
    code, out = run("search", "cold soup", "--json")
    assert code == 0 and json.loads(out) == []
    assert run("rebuild")[0] == 0
    code, out = run("search", "cold soup", "--json")
    assert len(json.loads(out)) == 3


def test_bad_usage_exits_2_and_failures_1(data: Path, tmp_path: Path) -> None:
    assert run("forget", "--data", str(data))[0] == 2
    assert run("forget", "--where", "nonsense", "--data", str(data))[0] == 2
    code, out = run("forget", "--where", "usr=1", "--data", str(data))
    assert code == 2 and "not a correction field" in out
    assert run("search", "x", "--data", str(tmp_path / "nowhere"))[0] == 2
    assert run("forget", "--id", "no-such-id", "--data", str(data))[0] == 1
    assert run("stats", "--data", str(data), "--chroma-url", "http://127.0.0.1:9")[0] == 1
