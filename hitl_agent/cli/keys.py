"""``hitl-agent keys``: the access keys boto3 signs its calls to the review service with."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hitl_agent.cli.serve import DatabaseOption, DataOption

if TYPE_CHECKING:
    from hitl_agent.service.access_keys import KeyStore

app = typer.Typer(help="Create, list and revoke the review service's access keys.",
                  no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@contextmanager
def _keys(data: Path, database: str | None) -> Iterator[KeyStore]:
    from hitl_agent.cli.workers import _workforce  # the same service layer and error handling
    from hitl_agent.service.access_keys import KeyStore, load_service_secret

    with _workforce(data, database) as wf:
        try:
            yield KeyStore(wf.store, load_service_secret(data))
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc


@app.command("create")
def create(
    *,
    scope: Annotated[str, typer.Option(help="runtime (A2I runtime API only) or admin "
                                       "(also the control plane and /hitl/events).")] = "runtime",
    description: Annotated[str, typer.Option(help="What the key is for.")] = "",
    profile: Annotated[str | None, typer.Option(
        help="Also write the key as this profile into --credentials-file.")] = None,
    credentials_file: Annotated[Path, typer.Option(
        help="AWS shared credentials file for --profile.")] = Path("~/.aws/credentials"),
    data: DataOption,
    database: DatabaseOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a key; its secret is printed once and never stored."""
    from hitl_agent.service.access_keys import write_credentials

    with _keys(data, database) as keys:
        info, secret = keys.create(scope, description)
    if profile:
        write_credentials(credentials_file.expanduser(), info.access_key_id, secret, profile)
    if json_out:
        typer.echo(json.dumps({**info.to_dict(), "SecretAccessKey": secret}))
        return
    typer.echo(f"AWS_ACCESS_KEY_ID={info.access_key_id}")
    typer.echo(f"AWS_SECRET_ACCESS_KEY={secret}")
    typer.echo(f"# scope: {info.scope}. The secret is shown only now"
               + (f"; written as profile [{profile}] to {credentials_file}" if profile else "")
               + ".", err=True)


@app.command("list")
def list_keys(*, data: DataOption, database: DatabaseOption = None,
              json_out: JsonOption = False) -> None:
    """List keys (never their secrets)."""
    with _keys(data, database) as keys:
        rows = [k.to_dict() for k in keys.list()]
    if json_out:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo(f"{row['AccessKeyId']}  {row['Scope']:<8} {row['Status']:<8} "
                   f"{row['CreateDate']}  {row['Description']}")


@app.command("revoke")
def revoke(*, access_key_id: Annotated[str, typer.Argument(help="The key to revoke.")],
           data: DataOption, database: DatabaseOption = None) -> None:
    """Revoke a key: calls signed with it are refused (UnrecognizedClientException)."""
    with _keys(data, database) as keys:
        info = keys.revoke(access_key_id)
    typer.echo(f"revoked {info.access_key_id}")
