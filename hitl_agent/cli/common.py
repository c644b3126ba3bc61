"""What every command shares: the data folder, JSON output, and exit codes that mean something.

Exit codes (every command): 0 done; 1 failed (the work could not be done: a service refused,
a job failed, nothing matched); 2 bad usage or input (an option, a path, a file or a value that
cannot be used as given); 3 the environment is not ready (a port already in use, an extra not
installed).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from hitl_agent._extras import missing_extra
from hitl_agent._lazy import lazy_exports
from hitl_agent.data_folder import DataFolder, data_dir
from hitl_agent.errors import ConfigError, HitlError, MissingExtra, ValidationError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_READY = 3

EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_FAILED: "failed: the work could not be done",
    EXIT_BAD_INPUT: "bad usage or input",
    EXIT_NOT_READY: "environment not ready: a port in use, an extra not installed",
}

console = Console()
err_console = Console(stderr=True)


def default_data_dir() -> Path:
    return data_dir()


DataOption = Annotated[
    Path,
    typer.Option("--data", help="Data folder (ledger, checkpoints, memory, service). "
                 "Default: $HITL_DATA or .hitl/", default_factory=default_data_dir,
                 show_default=False),
]
OptionalDataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Data folder (ledger, checkpoints, memory, service). "
                 "Default: $HITL_DATA or .hitl/", show_default=False),
]
LedgerOption = Annotated[
    str | None,
    typer.Option("--ledger", help="Ledger database URL or SQLite path, instead of "
                 "DATA/ledger.db.", show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

def ledger_location(data: Path | None, ledger: str | None) -> str:
    """``--ledger`` as given, else ``DATA/ledger.db`` (DATA: --data, $HITL_DATA or .hitl/)."""
    if ledger is not None and data is not None:
        raise ConfigError("give --data or --ledger, not both", field="ledger")
    if ledger is not None:
        return ledger
    return str(DataFolder.resolve(data).ledger)


def check_port_free(host: str, port: int) -> None:
    """Exit 3 before anything claims to serve when ``host:port`` is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another server "
                 "running there? pick another --port)", code=EXIT_NOT_READY)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def fail(message: str, *, code: int = EXIT_FAILED) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                      soft_wrap=True)
    raise typer.Exit(code)


def exit_code(exc: Exception, *, bad_input: tuple[type[Exception], ...] = ()) -> int:
    """3 when an extra is missing (``exc`` or its cause), 2 for bad input (a
    :class:`ValidationError`, a :class:`ConfigError`, or one of ``bad_input``), 1 otherwise."""
    if missing_extra(exc) is not None:
        return EXIT_NOT_READY
    if isinstance(exc, (ValidationError, ConfigError, *bad_input)):
        return EXIT_BAD_INPUT
    return EXIT_FAILED


def describe(exc: Exception) -> str:
    """The error's message, with a library error's context (``field=...``) after it."""
    if isinstance(exc, MissingExtra) or not isinstance(exc, HitlError):
        return str(exc)
    detail = ", ".join(f"{k}={v}" for k, v in exc.context.items() if v is not None)
    return f"{exc}" + (f" ({detail})" if detail else "")


def exit_for(exc: Exception) -> NoReturn:
    """Print a library error with its context and exit with :func:`exit_code`."""
    fail(describe(exc), code=exit_code(exc))


__getattr__, __dir__ = lazy_exports(
    globals(), deprecated={"DataPaths": "hitl_agent.data_folder:DataFolder"})
