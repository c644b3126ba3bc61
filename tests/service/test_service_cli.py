"""``workers``, ``tasks`` and ``serve`` commands: exit codes and output, with a real service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from hitl_agent.cli.serve import serve
from hitl_agent.cli.tasks import app as tasks_app
from hitl_agent.cli.workers import app as workers_app
from tests.helpers.paths import child_env
from tests.helpers.service import start_loop

runner = CliRunner()


def test_workers_add_list_remove(tmp_path: Path) -> None:
    data = str(tmp_path / "hitl")
    added = runner.invoke(
        workers_app, ["add", "ada", "--team", "t1", "--team", "t2", "--data", data, "--json"]
    )
    assert added.exit_code == 0, added.output
    info = json.loads(added.stdout)
    assert info["name"] == "ada" and info["teams"] == ["t1", "t2"]
    assert info["token"].startswith("hitl_")
    plain = runner.invoke(workers_app, ["add", "bo", "--team", "t1", "--data", data])
    assert plain.exit_code == 0 and plain.stdout.strip().startswith("hitl_")
    listed = runner.invoke(workers_app, ["list", "--data", data, "--json"])
    assert [w["name"] for w in json.loads(listed.stdout)] == ["ada", "bo"]
    assert "token" not in listed.stdout
    table = runner.invoke(workers_app, ["list", "--data", data])
    assert table.exit_code == 0 and "ada" in table.stdout
    dup = runner.invoke(workers_app, ["add", "ada", "--data", data])
    assert dup.exit_code == 1 and "already exists" in dup.output
    bad = runner.invoke(workers_app, ["add", "no spaces", "--data", data])
    assert bad.exit_code == 2
    removed = runner.invoke(workers_app, ["remove", "bo", "--data", data])
    assert removed.exit_code == 0
    assert runner.invoke(workers_app, ["remove", "bo", "--data", data]).exit_code == 1
    with_pw = runner.invoke(
        workers_app,
        ["add", "cy", "--password", "--data", data],
        input="long enough pw\nlong enough pw\n",
    )
    assert with_pw.exit_code == 0, with_pw.output
    rows = json.loads(runner.invoke(workers_app, ["list", "--data", data, "--json"]).stdout)
    assert {w["name"]: w["hasPassword"] for w in rows} == {"ada": False, "cy": True}


def test_tasks_list_claim_answer(service: Any, runtime: Any, make_flow: Any, local: Any) -> None:
    _, token = local.workforce.add_worker("cli-worker", teams=["team-cli"])
    name = start_loop(runtime, make_flow(team="team-cli"), {"text": "from the CLI"})
    common = ["--token", token, "--endpoint", service.url]
    listed = runner.invoke(tasks_app, ["list", *common, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [t["humanLoopName"] for t in json.loads(listed.stdout)] == [name]
    assert name in runner.invoke(tasks_app, ["list", *common]).stdout
    shown = runner.invoke(tasks_app, ["show", name, *common, "--json"])
    assert json.loads(shown.stdout)["input"] == {"text": "from the CLI"}
    claimed = runner.invoke(tasks_app, ["claim", name, *common, "--json"])
    assert claimed.exit_code == 0 and json.loads(claimed.stdout)["expiresAt"]
    assert runner.invoke(tasks_app, ["release", name, *common]).exit_code == 0
    bad_json = runner.invoke(tasks_app, ["answer", name, "--answer", "{nope", *common])
    assert bad_json.exit_code == 2 and "not valid JSON" in bad_json.output
    done = runner.invoke(
        tasks_app, ["answer", name, "--answer", '{"category": {"label": "a"}}', *common, "--json"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["humanLoopStatus"] == "Completed"
    again = runner.invoke(tasks_app, ["answer", name, "--answer", "{}", *common])
    assert again.exit_code == 1 and "ConflictException" in again.output
    missing = runner.invoke(tasks_app, ["claim", "no-such-loop", *common])
    assert missing.exit_code == 1
    denied = runner.invoke(tasks_app, ["list", "--token", "wrong", "--endpoint", service.url])
    assert denied.exit_code == 1 and "UnauthorizedException" in denied.output
    down = runner.invoke(tasks_app, ["list", "--token", token, "--endpoint", "http://127.0.0.1:9"])
    assert down.exit_code == 1 and "cannot reach" in down.output


def test_serve_rejects_bad_settings(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(serve)
    result = runner.invoke(app, ["--data", str(tmp_path), "--database", "mysql://x/y"])
    assert result.exit_code == 2 and "unsupported database" in result.output
    result = runner.invoke(app, ["--data", str(tmp_path), "--webhook", "ftp://x"])
    assert result.exit_code == 2


def test_service_imports_nothing_of_the_graph() -> None:
    """The service is A2I: it must start without LangGraph or the review graph."""
    import subprocess
    import sys

    code = (
        "import sys; from tests.helpers import run_service; run_service.bare_package(); "
        "import hitl_agent.service.app, hitl_agent.cli.serve, hitl_agent.cli.workers, "
        "hitl_agent.cli.tasks; "
        "bad = sorted(m for m in sys.modules if m.startswith(('hitl_agent.graph', 'langgraph'))); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=child_env())
    assert done.returncode == 0, done.stdout + done.stderr
