"""What ``hitl-agent ledger`` and ``hitl-agent service-db`` print about a schema: one upgrade
report and one revision line for every database that migrates through Alembic."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from hitl_agent.cli.common import console, exit_for, print_json
from hitl_agent.errors import HitlError
from hitl_agent.storage.migrate import Migrations, UpgradeReport, current_revision


def upgrade_and_report(what: str, upgrade: Callable[[], UpgradeReport], *,
                       as_json: bool) -> None:
    """Run ``upgrade`` and say what it did to ``what`` (e.g. "ledger")."""
    try:
        report = upgrade()
    except HitlError as exc:
        exit_for(exc)
    if as_json:
        print_json({"before": report.before, "after": report.after, "changed": report.changed})
    elif report.changed:
        console.print(f"{what} upgraded: {report.before or 'new'} → {report.after}")
    else:
        console.print(f"{what} already at {report.after}")


def show_revision(what: str, engine: Callable[[], Engine], migrations: Migrations, *,
                  as_json: bool) -> None:
    """Print ``what``'s schema revision beside the newest this version knows."""
    try:
        with engine().connect() as conn:
            found = current_revision(conn, migrations.version_table)
    except HitlError as exc:
        exit_for(exc)
    if as_json:
        print_json({"revision": found, "head": migrations.head,
                    "up_to_date": found == migrations.head})
    else:
        console.print(f"{what} at {found or 'no revision'}; newest {migrations.head}")
