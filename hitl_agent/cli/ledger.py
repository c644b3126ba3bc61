"""``hitl-agent ledger``: the ledger's schema (Alembic revisions)."""

from __future__ import annotations

from typing import Annotated

import typer

from hitl_agent.cli.common import DataOption, JsonFlag
from hitl_agent.cli.schema_report import show_revision, upgrade_and_report
from hitl_agent.data_folder import DataFolder
from hitl_agent.memory.ledger import LEDGER_MIGRATIONS, upgrade_ledger
from hitl_agent.storage.engine import make_engine

ledger_app = typer.Typer(name="ledger", help="The ledger's schema: show and upgrade it.",
                         no_args_is_help=True)

LedgerOption = Annotated[
    str | None,
    typer.Option("--ledger", envvar="HITL_LEDGER",
                 help="A ledger URL or SQLite path instead of DATA/ledger.db."),
]


@ledger_app.command("upgrade")
def upgrade_command(data: DataOption, ledger: LedgerOption = None,
                    as_json: JsonFlag = False) -> None:
    """Upgrade the ledger's schema to this version's newest revision (in one transaction)."""
    upgrade_and_report(
        "ledger", lambda: upgrade_ledger(make_engine(ledger or DataFolder(data).ledger,
                                                     what="ledger")), as_json=as_json)


@ledger_app.command("revision")
def revision_command(data: DataOption, ledger: LedgerOption = None,
                     as_json: JsonFlag = False) -> None:
    """Show the ledger's schema revision and the newest this version knows."""
    show_revision("ledger", lambda: make_engine(ledger or DataFolder(data).ledger, what="ledger"),
                  LEDGER_MIGRATIONS, as_json=as_json)
