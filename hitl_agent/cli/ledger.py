"""``hitl-agent ledger``: the ledger's schema (Alembic revisions)."""

from __future__ import annotations

from typing import Annotated

import typer

from hitl_agent.cli.common import DataOption, JsonFlag, console, exit_for, print_json
from hitl_agent.data_folder import DataFolder
from hitl_agent.errors import HitlError
from hitl_agent.memory.ledger import LEDGER_MIGRATIONS, upgrade_ledger
from hitl_agent.storage.engine import make_engine
from hitl_agent.storage.migrate import current_revision

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
    try:
        engine = make_engine(ledger or DataFolder(data).ledger, what="ledger")
        report = upgrade_ledger(engine)
    except HitlError as exc:
        exit_for(exc)
    if as_json:
        print_json({"before": report.before, "after": report.after, "changed": report.changed})
    elif report.changed:
        console.print(f"ledger upgraded: {report.before or 'new'} → {report.after}")
    else:
        console.print(f"ledger already at {report.after}")


@ledger_app.command("revision")
def revision_command(data: DataOption, ledger: LedgerOption = None,
                     as_json: JsonFlag = False) -> None:
    """Show the ledger's schema revision and the newest this version knows."""
    try:
        engine = make_engine(ledger or DataFolder(data).ledger, what="ledger")
        with engine.connect() as conn:
            found = current_revision(conn, LEDGER_MIGRATIONS.version_table)
    except HitlError as exc:
        exit_for(exc)
    value = {"revision": found, "head": LEDGER_MIGRATIONS.head,
             "up_to_date": found == LEDGER_MIGRATIONS.head}
    if as_json:
        print_json(value)
    else:
        console.print(f"ledger at {found or 'no revision'}; newest {LEDGER_MIGRATIONS.head}")
