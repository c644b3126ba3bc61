"""``hitl-agent``: one CLI with a sub-command per job."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from hitl_agent._extras import missing_extra
from hitl_agent.cli.common import EXIT_NOT_READY, fail
from hitl_agent.cli.demo import demo
from hitl_agent.cli.eval import eval_command
from hitl_agent.cli.export import export_command
from hitl_agent.cli.keys import app as keys_app
from hitl_agent.cli.ledger import ledger_app
from hitl_agent.cli.memory import memory_app
from hitl_agent.cli.retrain import retrain_app
from hitl_agent.cli.serve import serve
from hitl_agent.cli.service_db import service_db_app
from hitl_agent.cli.setup import setup
from hitl_agent.cli.tasks import app as tasks_app
from hitl_agent.cli.templates import app as templates_app
from hitl_agent.cli.worker import worker
from hitl_agent.cli.workers import app as workers_app
from hitl_agent.cli.workforce import app as workforce_app


class _RootGroup(TyperGroup):
    """Every command: an extra that is not installed ends in its message and exit code 3, not a
    traceback, whichever module found it missing."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except Exception as exc:  # noqa: BLE001 - the CLI's edge: only a missing extra is handled
            missing = missing_extra(exc)
            if missing is None:
                raise
            fail(str(missing), code=EXIT_NOT_READY)


app = typer.Typer(
    name="hitl-agent",
    cls=_RootGroup,
    help="People in the loop of LLM and ML applications, and their corrections turned into "
    "better models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from hitl_agent import __version__

        typer.echo(f"hitl-agent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    """hitl-agent: every command that reads or writes data takes --data DIR (default
    $HITL_DATA or .hitl/). Exit codes: 0 done, 1 failed, 2 bad usage or input, 3 environment
    not ready (a port in use, an extra not installed)."""


app.command()(demo)
app.command("serve")(serve)
app.command()(worker)
app.command()(setup)
app.add_typer(workers_app, name="workers")
app.add_typer(workforce_app, name="workforce")
app.add_typer(keys_app, name="keys")
app.add_typer(tasks_app, name="tasks")
app.add_typer(templates_app, name="templates")
app.add_typer(memory_app, name="memory")
app.add_typer(ledger_app, name="ledger")
app.add_typer(service_db_app, name="service-db")
app.command("export")(export_command)
app.add_typer(retrain_app, name="retrain")
app.command(name="eval")(eval_command)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
