"""``hitl-agent workers``: add, list and remove the review service's workers, their quality figures
(``workers stats``) and the gold items that measure them (``workers gold``); touches storage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from hitl_agent.cli.serve import DatabaseOption, DataOption

if TYPE_CHECKING:
    from hitl_agent.service.services import ReviewServices
    from hitl_agent.service.workforce import Workforce

app = typer.Typer(help="Manage the review service's workers and their teams.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@contextmanager
def _workforce(data: Path, database: str | None) -> Iterator[Workforce]:
    with _services(data, database) as services:
        yield services.workforce


@contextmanager
def _services(data: Path, database: str | None) -> Iterator[ReviewServices]:
    from pydantic import ValidationError

    from hitl_agent.errors import ConfigError, HitlError
    from hitl_agent.service.errors import AwsError
    from hitl_agent.service.services import build_services
    from hitl_agent.service.settings import ServiceSettings

    services = None
    try:
        settings = ServiceSettings(data_dir=data, database_url=database, background=False)
        services = build_services(settings)
        yield services
    except AwsError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2 if exc.status == 400 else 1) from exc
    except (ConfigError, ValidationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except HitlError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        if services is not None:
            services.store.dispose()


@app.command("add")
def add(
    *,
    name: Annotated[str, typer.Argument(help="The worker's sign-in name.")],
    team: Annotated[
        list[str] | None, typer.Option("--team", help="Work team to join (repeatable).")
    ] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Also set a portal password (prompted).")
    ] = False,
    data: DataOption,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a worker and print their bearer token (shown once)."""
    secret = None
    if password:
        secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _workforce(data, database) as wf:
        info, token = wf.add_worker(name, teams=team or [], password=secret)
    if as_json:
        typer.echo(json.dumps({**info.to_dict(), "token": token}))
    else:
        typer.echo(token)
        typer.echo(
            f"worker {info.name} ({info.worker_id}) added to {', '.join(info.teams) or 'no team'}; "
            "the token above is shown only once",
            err=True,
        )


@app.command("list")
def list_(
    *,
    data: DataOption,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the workers."""
    with _workforce(data, database) as wf:
        workers = wf.list_workers()
    if as_json:
        typer.echo(json.dumps([w.to_dict() for w in workers]))
        return
    table = Table("name", "workerId", "teams", "password", "created")
    for w in workers:
        table.add_row(
            w.name,
            w.worker_id,
            ", ".join(w.teams),
            "yes" if w.has_password else "",
            w.to_dict()["createdAt"],
        )
    Console().print(table)


@app.command("remove")
def remove(
    *,
    name: Annotated[str, typer.Argument(help="The worker to remove.")],
    data: DataOption,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove a worker (their submitted answers stay)."""
    with _workforce(data, database) as wf:
        wf.remove_worker(name)
    typer.echo(json.dumps({"removed": name}) if as_json else f"removed {name}")


@app.command("rotate-token")
def rotate_token(
    *,
    name: Annotated[str, typer.Argument(help="The worker whose token to replace.")],
    data: DataOption,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replace a worker's token and print the new one."""
    with _workforce(data, database) as wf:
        token = wf.rotate_token(name)
    typer.echo(json.dumps({"name": name, "token": token}) if as_json else token)


def _set_disabled(name: str, data: Path, database: str | None, *, disabled: bool) -> None:
    from hitl_agent.service.portal_accounts import PortalAccounts

    with _workforce(data, database) as wf:
        wf.get_worker(name)
        accounts = PortalAccounts(wf.store)
        accounts.disable(name) if disabled else accounts.enable(name)
    typer.echo(f"{'disabled' if disabled else 'enabled'} {name}")


@app.command("disable")
def disable(
    *,
    name: Annotated[str, typer.Argument(help="The worker to disable.")],
    data: DataOption,
    database: DatabaseOption = None,
) -> None:
    """Disable a worker: their portal sessions end and their token stops working."""
    _set_disabled(name, data, database, disabled=True)


@app.command("enable")
def enable(
    *,
    name: Annotated[str, typer.Argument(help="The worker to enable again.")],
    data: DataOption,
    database: DatabaseOption = None,
) -> None:
    """Enable a disabled worker (they sign in again)."""
    _set_disabled(name, data, database, disabled=False)


@app.command("unlock")
def unlock(
    *,
    name: Annotated[str | None, typer.Argument(help="The account to unlock.")] = None,
    address: Annotated[
        str | None, typer.Option(help="Also (or only) unlock this client address.")
    ] = None,
    data: DataOption,
    database: DatabaseOption = None,
) -> None:
    """Lift a sign-in lockout (too many failed sign-ins) of an account and/or an address."""
    from hitl_agent.service.portal_accounts import PortalAccounts

    if not name and not address:
        typer.echo("error: name an account or --address", err=True)
        raise typer.Exit(2)
    with _workforce(data, database) as wf:
        PortalAccounts(wf.store).unlock(name=name, address=address)
    typer.echo(f"unlocked {name or ''}{' ' if name and address else ''}{address or ''}")


@app.command("stats")
def stats(
    *,
    data: DataOption,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Backlog, tasks at risk, answers per hour, estimated accuracy and agreement (the team view's
    figures)."""
    from hitl_agent.service.team_stats import backlog_text, team_stats

    with _services(data, database) as services:
        figures = team_stats(services)
    if as_json:
        typer.echo(json.dumps(figures))
        return
    flows = Table("flow", "open", "answers needed", "at risk", "answers/h", "method", "alpha")
    for f in figures["flows"]:
        alpha = "" if f["alpha"] is None else f"{f['alpha']:.2f}"
        flows.add_row(
            f["flow"],
            *backlog_text(f),
            str(f["atRisk"]),
            str(f["answersPerHour"]),
            f["method"],
            alpha,
        )
    people = Table("reviewer", "answers 24 h", "gold accuracy", "Dawid-Skene accuracy", "flagged")
    for r in figures["reviewers"]:
        people.add_row(
            r["name"],
            str(r["answers24h"]),
            _estimate(r["gold"]),
            _estimate(r["dawidSkene"]),
            "yes" if r["flagged"] else "",
        )
    console = Console()
    console.print(flows)
    console.print(people)


def _estimate(est: dict[str, float] | None) -> str:
    if not est or est.get("accuracy") is None:
        return ""
    return f"{est['accuracy']:.0%} ({est['low']:.0%}-{est['high']:.0%}, n={int(est['answers'])})"


gold_app = typer.Typer(
    help="Gold items: items with a known answer, mixed into a flow's queues to score reviewers "
    "(rate: the flow definition's hitl:gold-rate tag).",
    no_args_is_help=True,
)
app.add_typer(gold_app, name="gold")


@gold_app.command("add")
def gold_add(
    *,
    flow: Annotated[str, typer.Argument(help="The flow definition's name.")],
    file: Annotated[
        Path,
        typer.Argument(
            help='JSON Lines (or a JSON list) of {"input": {...task input...}, "answer": "label"}.'
        ),
    ],
    data: DataOption,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add gold items to a flow."""
    try:
        text = file.read_text(encoding="utf-8")
        stripped = text.lstrip()
        items = (
            json.loads(text)
            if stripped.startswith("[")
            else [json.loads(line) for line in text.splitlines() if line.strip()]
        )
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    with _services(data, database) as services:
        count = services.gold.add_items(flow, items)
    if as_json:
        typer.echo(json.dumps({"flow": flow, "added": len(items), "goldItems": count}))
    else:
        typer.echo(f"added {len(items)} gold items to {flow} ({count} in all)")


@gold_app.command("list")
def gold_list(
    *,
    flow: Annotated[str, typer.Argument(help="The flow definition's name.")],
    data: DataOption,
    database: DatabaseOption = None,
) -> None:
    """Print a flow's gold items as JSON Lines."""
    with _services(data, database) as services:
        items = services.gold.list_items(flow)
    for item in items:
        typer.echo(json.dumps(item))
