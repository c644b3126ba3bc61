"""``hitl-agent export`` through typer's CliRunner: output and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hitl_agent.cli.export import export_command
from hitl_agent.cli.retrain import retrain_app
from hitl_agent.memory.ledger import Ledger
from tests.helpers.exports import make_correction

app = typer.Typer()


@app.callback()
def _main() -> None:
    """hitl-agent (as cli/main.py mounts these commands)."""


app.command("export")(export_command)
app.add_typer(retrain_app, name="retrain")
runner = CliRunner()


def test_export_json_output(fill: Callable[..., Ledger], tmp_path: Path) -> None:
    ledger = fill(30)
    result = runner.invoke(app, ["export", "--format", "openai-chat", "--out", str(tmp_path / "o"),
                                 "--ledger", ledger.url, "--val-fraction", "0.2", "--json",
                                 "--system", "Be brief."])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    m = payload["manifest"]
    assert m["format"] == "openai-chat" and m["up_to_seq"] == 30
    assert m["counts"]["rows_train"] + m["counts"]["rows_validation"] == 30
    assert m["options"]["system"] == "Be brief."
    first = json.loads((tmp_path / "o" / "train.jsonl").read_text().splitlines()[0])
    assert first["messages"][0] == {"role": "system", "content": "Be brief."}


def test_export_reads_data_folder(fill: Callable[..., Ledger], ledger: Ledger,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(12)
    monkeypatch.setenv("HITL_DATA", str(tmp_path))  # the fixture's ledger is tmp_path/ledger.db
    result = runner.invoke(app, ["export", "-f", "csv", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "csv export" in result.stdout
    result = runner.invoke(app, ["export", "-f", "csv", "-o", str(tmp_path / "p"),
                                 "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output


def test_since_option(fill: Callable[..., Ledger], tmp_path: Path) -> None:
    ledger = fill(15)
    args = ["export", "-f", "csv", "--ledger", ledger.url, "--json"]
    assert runner.invoke(app, [*args, "-o", str(tmp_path / "v1")]).exit_code == 0
    fill(15, start=15)
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "v2"), "--since",
                                 str(tmp_path / "v1" / "manifest.json")])
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)["manifest"]
    assert (m["after_seq"], m["up_to_seq"], m["counts"]["read"]) == (15, 30, 15)


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "nope"],
        ["--format", "csv", "--val-fraction", "1.5"],
        ["--format", "csv", "--on-invalid", "ignore"],
        ["--format", "csv", "--min-agreement", "2"],
        ["--format", "csv", "--s3", "http://bucket"],
        ["--format", "csv", "--prompt-template", "no placeholder"],
        ["--format", "csv", "--redact", "magic"],
        ["--format", "csv", "--since", "/nonexistent/manifest.json"],
        ["--format", "csv", "--data", "/tmp", "--ledger", "x.db"],
    ],
)
def test_bad_usage_exits_2(args: list[str], fill: Callable[..., Ledger], tmp_path: Path) -> None:
    ledger = fill(12)
    extra = [] if "--data" in args else ["--ledger", ledger.url]
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "o"), *extra, *args])
    assert result.exit_code == 2, result.output
    assert result.stderr


def test_missing_ledger_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "-f", "csv", "-o", str(tmp_path / "o"),
                                 "--data", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "no ledger" in result.stderr
    assert not (tmp_path / "nothing").exists()


def test_failed_export_exits_1(fill: Callable[..., Ledger], ledger: Ledger,
                               tmp_path: Path) -> None:
    fill(12)
    ledger.record_correction(make_correction(50, final_output="  "))
    out = tmp_path / "o"
    result = runner.invoke(app, ["export", "-f", "vertex", "-o", str(out), "--ledger", ledger.url])
    assert result.exit_code == 1
    assert "c50" in result.stderr and "vertex.non_empty_text" in result.stderr
    assert not out.exists()  # the folder the export made is gone with its files
    result = runner.invoke(app, ["export", "-f", "vertex", "-o", str(out), "--ledger", ledger.url,
                                 "--on-invalid", "skip"])
    assert result.exit_code == 0
    assert "skipped c50" in result.stdout


def test_too_few_examples_exits_1(fill: Callable[..., Ledger], tmp_path: Path) -> None:
    ledger = fill(5)
    result = runner.invoke(app, ["export", "-f", "openai-preference", "-o", str(tmp_path / "o"),
                                 "--ledger", ledger.url])
    assert result.exit_code == 1
    assert "needs at least 10" in result.stderr
