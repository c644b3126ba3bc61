"""Every command whose extra is not installed ends with the MissingExtra message naming the extra
and exit code 3 (README: "Exit codes"), never a traceback.

Each extra's modules are hidden in a fresh interpreter (``sys.modules[name] = None`` makes their
import fail as it does when the package is absent); one interpreter per extra runs its commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hitl_agent._extras import EXTRAS, MODULE_EXTRAS

RUNNER = """
import json, sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
from typer.testing import CliRunner
from hitl_agent.cli.main import app
results = []
for args in json.loads(sys.argv[2]):
    r = CliRunner().invoke(app, args)
    results.append({"args": args, "code": r.exit_code, "output": r.output,
                    "exception": None if r.exception is None or isinstance(r.exception, SystemExit)
                    else repr(r.exception)})
print(json.dumps(results))
"""

SERVICE = "http://127.0.0.1:9"  # nothing listens: the extra is missed before any call
COMMANDS: dict[str, list[list[str]]] = {
    "service": [
        ["serve"],
        ["workers", "add", "bob", "--team", "t"], ["workers", "list"],
        ["workers", "stats"], ["workers", "gold", "list", "flow"],
        ["workforce", "show"],
        ["keys", "list"], ["keys", "create"],
        ["templates", "check", "classification"], ["templates", "render", "classification"],
        ["setup", "f", "--template", "classification", "--team", "t", "--output", "out",
         "--endpoint", SERVICE],
    ],
    "memory": [
        ["demo", "--rounds", "1", "--items", "20"],
        ["memory", "stats"], ["memory", "search", "text"], ["memory", "rebuild"],
        ["memory", "forget", "c-1"],
    ],
    "eval": [["eval", "smoke", "--report", "report"]],
    "pii": [["export", "--format", "csv", "--out", "o", "--redact", "presidio"]],
    "postgres": [["ledger", "revision", "--ledger", "postgresql+psycopg://u@127.0.0.1:9/db"]],
    "sagemaker": [["retrain", "jumpstart", "--dataset", "s3://b/p", "--role-arn", "r",
                   "--model-id", "m", "--dry-run"]],
}


def _run(hidden: list[str], commands: list[list[str]], cwd: Path) -> list[dict[str, object]]:
    (cwd / ".hitl").mkdir()
    (cwd / ".hitl" / "ledger.db").touch()  # memory commands look for a ledger first
    out = subprocess.run([sys.executable, "-c", RUNNER, ",".join(hidden), json.dumps(commands)],
                         cwd=cwd, capture_output=True, text=True, timeout=240,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})
    assert out.returncode == 0, out.stderr[-3000:]
    results: list[dict[str, object]] = json.loads(out.stdout.splitlines()[-1])
    return results


@pytest.mark.parametrize("extra", sorted(COMMANDS))
def test_each_command_names_its_missing_extra(extra: str, tmp_path: Path) -> None:
    hidden = [module for module, owner in MODULE_EXTRAS.items() if owner == extra]
    for result in _run(hidden, COMMANDS[extra], tmp_path):
        shown = " ".join(str(result["output"]).split())
        assert result["exception"] is None, result
        assert result["code"] == 3, result
        assert f"'{extra}' extra" in shown or f"hitl-agent[{extra}]" in shown, result
        assert "Traceback" not in shown, result


def test_help_works_without_any_extra(tmp_path: Path) -> None:
    groups = [["--help"], ["workers", "--help"], ["memory", "--help"], ["templates", "--help"],
              ["keys", "--help"], ["workforce", "--help"], ["export", "--help"]]
    for result in _run(sorted(MODULE_EXTRAS), groups, tmp_path):
        assert result["code"] == 0 and result["exception"] is None, result


def test_every_module_names_a_known_extra() -> None:
    assert set(MODULE_EXTRAS.values()) <= set(EXTRAS)
