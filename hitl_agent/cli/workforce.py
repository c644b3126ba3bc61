"""``hitl-agent workforce``: the review service's private workforce and its OpenID Connect
provider (the CLI face of ``CreateWorkforce``/``UpdateWorkforce``; touches storage)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hitl_agent.cli.serve import DatabaseOption, DataOption

if TYPE_CHECKING:
    from hitl_agent.service.workforces import WorkforceBackend

app = typer.Typer(help="Configure the workforce's OpenID Connect sign-in.", no_args_is_help=True)
NameOption = Annotated[str, typer.Option("--name", help="The workforce's name.")]


@contextmanager
def _workforces(data: Path, database: str | None) -> Iterator[WorkforceBackend]:
    from hitl_agent.service.errors import AwsError
    from hitl_agent.service.services import build_services
    from hitl_agent.service.settings import ServiceSettings

    services = build_services(ServiceSettings(data_dir=data, database_url=database,
                                              background=False))
    try:
        yield services.control.workforces
    except AwsError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2 if exc.status == 400 else 1) from exc
    finally:
        services.store.dispose()


def _discover(issuer: str) -> dict[str, Any]:
    import httpx

    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        resp = httpx.get(url, timeout=10)
        meta: dict[str, Any] = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        typer.echo(f"error: cannot read {url}: {exc}", err=True)
        raise typer.Exit(1) from exc
    if resp.status_code != 200 or meta.get("issuer") != issuer:
        typer.echo(f"error: {url} does not describe the issuer {issuer}", err=True)
        raise typer.Exit(1)
    return meta


@app.command("configure-oidc")
def configure_oidc(
    *,
    issuer: Annotated[str, typer.Option("--issuer", help="The provider's issuer URL.")],
    client_id: Annotated[str, typer.Option("--client-id")],
    client_secret: Annotated[
        str, typer.Option("--client-secret", envvar="HITL_OIDC_CLIENT_SECRET",
                          prompt=True, hide_input=True)
    ],
    scope: Annotated[str, typer.Option(help="Scopes; the ID token must carry 'groups'.")] = (
        "openid profile groups"
    ),
    name: NameOption = "default",
    data: DataOption,
    database: DatabaseOption = None,
) -> None:
    """Create the workforce, or update it, with the provider's endpoints from its discovery
    document. Register ``{public URL}/portal/oidc/callback`` as the redirect URI there."""
    meta = _discover(issuer)
    oidc = {
        "ClientId": client_id,
        "ClientSecret": client_secret,
        "Issuer": issuer,
        "AuthorizationEndpoint": meta.get("authorization_endpoint", ""),
        "TokenEndpoint": meta.get("token_endpoint", ""),
        "UserInfoEndpoint": meta.get("userinfo_endpoint", ""),
        "LogoutEndpoint": meta.get("end_session_endpoint") or issuer,
        "JwksUri": meta.get("jwks_uri", ""),
        "Scope": scope,
    }
    with _workforces(data, database) as workforces:
        from hitl_agent.service.errors import ResourceNotFound

        try:
            workforces.describe_workforce({"WorkforceName": name})
            got = workforces.update_workforce({"WorkforceName": name, "OidcConfig": oidc})
        except ResourceNotFound:
            workforces.create_workforce({"WorkforceName": name, "OidcConfig": oidc})
            got = workforces.describe_workforce({"WorkforceName": name})
    typer.echo(json.dumps(got["Workforce"], default=str, indent=2))


@app.command("show")
def show(
    *,
    name: NameOption = "default", data: DataOption,
    database: DatabaseOption = None,
) -> None:
    """Print the workforce (its OpenID Connect settings without the client secret)."""
    with _workforces(data, database) as workforces:
        got = workforces.describe_workforce({"WorkforceName": name})
    typer.echo(json.dumps(got["Workforce"], default=str, indent=2))
