"""``hitl-agent serve``: run the A2I-compatible review service."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Annotated

import typer

from hitl_agent.cli.common import DataOption as DataOption  # --data, else $HITL_DATA, else .hitl
from hitl_agent.cli.common import check_port_free

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="HITL_DATABASE_URL",
        help="Database URL (postgresql+psycopg://…); default SQLite in --data.",
    ),
]


def serve(
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    data: DataOption,
    database: DatabaseOption = None,
    strict_names: Annotated[
        bool, typer.Option(help="Enforce A2I's documented lowercase HumanLoopName pattern.")
    ] = False,
    s3_endpoint_url: Annotated[
        str | None,
        typer.Option(envvar="HITL_S3_ENDPOINT_URL", help="S3 endpoint for s3:// outputs."),
    ] = None,
    webhook: Annotated[
        list[str] | None,
        typer.Option(help="URL to POST status-change events to (repeatable)."),
    ] = None,
    public_url: Annotated[
        str | None, typer.Option(help="Base URL clients reach the service at.")
    ] = None,
    max_task_count: Annotated[
        int, typer.Option(help="Largest TaskCount a flow definition may ask for (A2I: 3).")
    ] = 3,
    sweep_interval: Annotated[float, typer.Option(help="Seconds between expiry sweeps.")] = 5.0,
    max_active_loops: Annotated[
        int | None, typer.Option(help="Active-loop quota (ServiceQuotaExceededException past it).")
    ] = None,
    throttle_rps: Annotated[
        float | None,
        typer.Option(help="Runtime API requests per second per process (ThrottlingException)."),
    ] = None,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar="HITL_ADMIN_TOKEN", help="With --no-auth: a bearer token /hitl/events needs."
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    no_auth: Annotated[
        bool,
        typer.Option("--no-auth", help="Accept unsigned calls (refused unless bound to loopback)."),
    ] = False,
    local_key: Annotated[
        bool,
        typer.Option(help="Write a working admin key to DATA/credentials (AWS credentials file)."),
    ] = True,
    output_root: Annotated[
        list[Path] | None,
        typer.Option(help="Folder local outputs may go under, relative to the working directory "
                     "(repeatable; default DATA/output)."),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="TLS certificate (PEM) to serve https.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    trust_proxy_tls: Annotated[
        bool,
        typer.Option(help="Believe X-Forwarded-Proto/-For from --forwarded-allow-ips (TLS proxy)."),
    ] = False,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Addresses of the proxy --trust-proxy-tls believes (comma list).")
    ] = "127.0.0.1",
    header_timeout: Annotated[
        float, typer.Option(help="Seconds a client has to send a request's headers.")
    ] = 10.0,
    max_connections_per_client: Annotated[
        int, typer.Option(help="Open connections one client address may hold.")
    ] = 64,
) -> None:
    """Serve the A2I runtime API, the SageMaker control-plane subset and the worker API."""
    from pydantic import ValidationError

    from hitl_agent._extras import require
    from hitl_agent.errors import HitlError, MissingExtra

    try:
        uvicorn = require("uvicorn", "service")
        from hitl_agent.service.app import create_app
        from hitl_agent.service.connections import guarded_protocol, is_loopback
        from hitl_agent.service.settings import ServiceSettings
    except MissingExtra as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(3) from exc

    if no_auth and not is_loopback(host):
        typer.echo(f"error: --no-auth is refused on a non-loopback address ({host})", err=True)
        raise typer.Exit(2)
    if (tls_cert is None) != (tls_key is None):
        typer.echo("error: --tls-cert and --tls-key go together", err=True)
        raise typer.Exit(2)
    try:
        settings = ServiceSettings(
            data_dir=data,
            database_url=database,
            strict_names=strict_names,
            s3_endpoint_url=s3_endpoint_url,
            webhook_urls=webhook or [],
            public_url=public_url,
            max_task_count=max_task_count,
            sweep_interval_s=sweep_interval,
            admin_token=admin_token,
            max_active_loops=max_active_loops,
            throttle_rps=throttle_rps,
            auth=not no_auth,
            output_roots=[root.expanduser().resolve() for root in output_root or []],
            tls=tls_cert is not None,
            trust_proxy_tls=trust_proxy_tls,
            header_timeout_s=header_timeout,
            max_connections_per_client=max_connections_per_client,
        )
        app = create_app(settings)
        if local_key and settings.auth:
            from hitl_agent.service.access_keys import ensure_local_admin_key

            credentials = ensure_local_admin_key(app.state.edge.keys, data)
            typer.echo(f"admin credentials: AWS_SHARED_CREDENTIALS_FILE={credentials}", err=True)
    except (ValidationError, HitlError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    check_port_free(host, port)
    if database and settings.auth and not os.environ.get("HITL_SERVICE_SECRET"):
        typer.echo(
            "note: several processes on one database must share one $HITL_SERVICE_SECRET "
            "(keys and page tokens are derived from it); this one uses DATA/service.secret",
            err=True,
        )
    scheme = "https" if tls_cert else "http"
    auth_note = "SigV4 auth ON" if settings.auth else "auth OFF (--no-auth)"
    typer.echo(
        f"hitl-agent review service on {scheme}://{host}:{port} (data: {data}; {auth_note})",
        err=True,
    )
    # Everything built so far (modules, botocore's models, the app) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks ~170k objects
    # (~100 ms, one every few thousand requests: ~30 us a request, and the p99). The garbage
    # of startup is collected first, not kept for ever.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        http=guarded_protocol(settings),  # type: ignore[arg-type]
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        proxy_headers=trust_proxy_tls,
        forwarded_allow_ips=forwarded_allow_ips if trust_proxy_tls else None,
        timeout_keep_alive=5,
    )
