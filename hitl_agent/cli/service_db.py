"""``hitl-agent service-db``: the review service database's schema (Alembic revisions), as
``hitl-agent ledger`` does for the ledger."""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from hitl_agent.cli.common import JsonFlag, console, exit_for, print_json
from hitl_agent.cli.schema_report import show_revision, upgrade_and_report
from hitl_agent.cli.serve import DatabaseOption, DataOption
from hitl_agent.errors import ConfigError, HitlError

service_db_app = typer.Typer(
    name="service-db",
    help="The review service database's schema: show and upgrade it (the service upgrades it "
    "on start too).",
    no_args_is_help=True,
)


def _url(data: Path, database: str | None) -> str:
    from hitl_agent.service.settings import ServiceSettings

    return ServiceSettings(data_dir=data, database_url=database).resolved_database_url()


@service_db_app.command("upgrade")
def upgrade_command(*, data: DataOption, database: DatabaseOption = None,
                    as_json: JsonFlag = False) -> None:
    """Upgrade the service database to this version's newest revision (in one transaction;
    a database an older release made is adopted in place)."""
    from hitl_agent.service.schema import upgrade_service_db
    from hitl_agent.storage.engine import make_engine

    upgrade_and_report(
        "service database",
        lambda: upgrade_service_db(make_engine(_url(data, database), what="database_url")),
        as_json=as_json)


@service_db_app.command("revision")
def revision_command(*, data: DataOption, database: DatabaseOption = None,
                     as_json: JsonFlag = False) -> None:
    """Show the service database's schema revision and the newest this version knows."""
    from hitl_agent.service.schema import SERVICE_MIGRATIONS
    from hitl_agent.storage.engine import make_engine

    show_revision("service database",
                  lambda: make_engine(_url(data, database), what="database_url"),
                  SERVICE_MIGRATIONS, as_json=as_json)


@service_db_app.command("new-revision")
def new_revision_command(
    message: Annotated[str, typer.Argument(help="What the revision changes (its file name).")],
    empty: Annotated[bool, typer.Option(
        "--empty", help="An empty revision instead of one compared from the models.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """For developers of hitl-agent: write the next revision into the package's migrations
    folder, compared from the models (autogenerate) against a database at the newest revision.
    Review it, then set HEAD in hitl_agent/service/schema.py to its id."""
    try:
        path, rev_id = new_revision(message, autogenerate=not empty)
    except HitlError as exc:
        exit_for(exc)
    if as_json:
        print_json({"revision": rev_id, "path": str(path)})
    else:
        console.print(f"wrote {path}\nreview it, then set HEAD = {rev_id!r} in "
                      "hitl_agent/service/schema.py")


def new_revision(message: str, *, autogenerate: bool = True) -> tuple[Path, str]:
    """Write revision ``NNNN_<slug>`` after the head; return its file and id."""
    from alembic import command

    from hitl_agent.service.schema import SERVICE_MIGRATIONS, upgrade_service_db
    from hitl_agent.storage.engine import make_engine
    from hitl_agent.storage.migrate import alembic_config, script_head

    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40]
    head = script_head(SERVICE_MIGRATIONS) or "0000"
    if not slug:
        raise ConfigError("the message must hold letters or digits", field="message")
    rev_id = f"{int(head[:4]) + 1:04d}_{slug}"
    with tempfile.TemporaryDirectory(prefix="hitl-service-db-") as tmp:
        engine = make_engine(Path(tmp) / "head.db", what="database_url")
        upgrade_service_db(engine)
        with engine.begin() as conn:
            config = alembic_config(SERVICE_MIGRATIONS, conn)
            config.set_main_option("file_template", "%%(rev)s")
            config.cmd_opts = argparse.Namespace(quiet=True)  # its progress would break --json
            script = command.revision(config, message=message, autogenerate=autogenerate,
                                      rev_id=rev_id)
        engine.dispose()
    if script is None or isinstance(script, list):  # pragma: no cover - one head, one script
        raise ConfigError("alembic wrote no single revision", field="message")
    return Path(script.path), rev_id
