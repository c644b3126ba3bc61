"""Every command whose extra is not installed ends with the MissingExtra message naming the extra
and exit code 3 (README: "Exit codes"), never a traceback.

Every extra's modules are hidden in one fresh interpreter (``sys.modules[name] = None`` makes
their import fail as it does when the package is absent: a core-only install), which runs every
command below; each must name the extra it needs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# The top-level modules pyproject's extras bring: none of them is importable in a core install.
HIDDEN = ["authlib", "bcrypt", "chromadb", "fastapi", "langchain", "langchain_aws",
          "langgraph_api", "langgraph_cli", "liquid", "matplotlib", "playwright",
          "presidio_analyzer", "presidio_anonymizer", "psycopg", "sagemaker", "starlette",
          "uvicorn", "wordllama"]

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
        ["keys", "list"], ["keys", "create"], ["service-db", "revision"],
        ["service-db", "upgrade"],
        ["templates", "check", "classification"], ["templates", "render", "classification"],
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


# A client of the service needs only boto3 (core): without keys it says where keys come from.
SETUP = ["setup", "f", "--template", "classification", "--team", "t", "--output", "out",
         "--endpoint", SERVICE]

HELP = [["--help"], ["workers", "--help"], ["memory", "--help"], ["templates", "--help"],
        ["keys", "--help"], ["workforce", "--help"], ["export", "--help"],
        ["service-db", "--help"]]


@pytest.fixture(scope="module")
def core_only(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Every command of COMMANDS and HELP, run once with no extra installed: args -> result."""
    cwd = tmp_path_factory.mktemp("core-only")
    (cwd / ".hitl").mkdir()
    (cwd / ".hitl" / "ledger.db").touch()  # memory commands look for a ledger first
    commands = [args for group in COMMANDS.values() for args in group] + HELP + [SETUP]
    out = subprocess.run([sys.executable, "-c", RUNNER, ",".join(HIDDEN),
                          json.dumps(commands)],
                         cwd=cwd, capture_output=True, text=True, timeout=240,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads(out.stdout.splitlines()[-1])
    return {" ".join(r["args"]): r for r in results}


@pytest.mark.parametrize(("extra", "args"), [(extra, args) for extra, group in COMMANDS.items()
                                             for args in group], ids=" ".join)
def test_each_command_names_its_missing_extra(extra: str, args: list[str],
                                              core_only: dict[str, dict[str, object]]) -> None:
    result = core_only[" ".join(args)]
    shown = " ".join(str(result["output"]).split())
    assert result["exception"] is None, result
    assert result["code"] == 3, result
    assert f"'{extra}' extra" in shown or f"hitl-agent[{extra}]" in shown, result
    assert "Traceback" not in shown, result


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_help_works_without_any_extra(args: list[str],
                                      core_only: dict[str, dict[str, object]]) -> None:
    result = core_only[" ".join(args)]
    assert result["code"] == 0 and result["exception"] is None, result


def test_setup_without_keys_says_where_keys_come_from(
        core_only: dict[str, dict[str, object]]) -> None:
    result = core_only[" ".join(SETUP)]
    shown = " ".join(str(result["output"]).split())
    assert result["exception"] is None, result
    assert result["code"] == 3, result
    assert "no credentials" in shown and "hitl-agent serve" in shown, result
