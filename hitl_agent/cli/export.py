"""``hitl-agent export``: the ledger's corrections as a training dataset (optionally to S3).

Register with ``app.command("export")(export_command)``. Exit codes: 0 done, 1 the export failed
(a row broke the format's rules with --on-invalid fail, too few examples, S3 refused), 2 bad
usage or input (options, paths, an unreadable --since manifest, a missing ledger).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from rich.table import Table

from hitl_agent._lazy import lazy_exports
from hitl_agent.cli.common import EXIT_BAD_INPUT, describe, exit_code, fail, ledger_location
from hitl_agent.errors import ConfigError, HitlError
from hitl_agent.export.formats import FORMATS
from hitl_agent.export.manifest import load_manifest
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.pipeline import ExportResult, export_dataset
from hitl_agent.export.redact import Redactor, presidio_redactor, regex_redactor
from hitl_agent.export.s3 import upload_export
from hitl_agent.s3_uri import parse_s3_prefix


def make_redactor(name: str) -> Redactor | None:
    if name == "none":
        return None
    if name == "regex":
        return regex_redactor()
    if name == "presidio":
        return presidio_redactor()
    raise ConfigError(f"--redact must be none, regex or presidio, not {name!r}", field="redact")


def export_command(
    format: Annotated[str, typer.Option("--format", "-f",
                                        help=f"One of: {', '.join(FORMATS)}.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the dataset into.")],
    data: Annotated[Path | None, typer.Option(
        help="Data folder holding ledger.db (default $HITL_DATA or .hitl/).")] = None,
    ledger: Annotated[str | None, typer.Option(
        help="Ledger database URL or SQLite path, instead of --data.")] = None,
    since: Annotated[Path | None, typer.Option(
        help="An earlier export's manifest.json (or folder): export only what is new.")] = None,
    task: Annotated[str | None, typer.Option(help="Only corrections of this task.")] = None,
    min_agreement: Annotated[float | None, typer.Option(
        help="Drop reviews whose reviewers agreed less than this (0-1).")] = None,
    val_fraction: Annotated[float, typer.Option(help="Share of groups for validation.")] = 0.1,
    on_invalid: Annotated[str, typer.Option(
        help="fail: stop at the first row that breaks the format; skip: report and leave it out."
    )] = "fail",
    s3: Annotated[str | None, typer.Option(help="Upload the files to s3://bucket/prefix.")] = None,
    system: Annotated[str | None, typer.Option(
        help="System prompt for chat formats (default: the one the model was run with, as the "
             "ledger recorded it).")] = None,
    prompt_template: Annotated[str | None, typer.Option(
        help="User prompt template; {input} is replaced by the item's input.")] = None,
    include_accepts: Annotated[bool, typer.Option(
        "--include-accepts/--exclude-accepts",
        help="Keep escalated reviews the reviewer accepted unchanged.")] = True,
    include_audited: Annotated[bool, typer.Option(
        "--include-audited/--exclude-audited",
        help="Keep accepts of items reviewed only as a random audit sample.")] = False,
    dedup: Annotated[bool, typer.Option("--dedup/--no-dedup")] = True,
    near_dup: Annotated[bool, typer.Option("--near-dup/--no-near-dup")] = True,
    keep_draft: Annotated[bool, typer.Option(
        help="openai-chat: keep the model's corrected draft in context with weight 0; trl-sft: "
             "in the prompt of prompt-completion rows.")] = False,
    label_attribute: Annotated[str, typer.Option(
        help="ground-truth-manifest: the label attribute name.")] = "label",
    redact: Annotated[str, typer.Option(help="PII redaction: none, regex or presidio.")] = "none",
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Export human corrections as a dataset the training services accept as it is."""
    try:
        options = ExportOptions(
            format=format, task=task, min_agreement=min_agreement, val_fraction=val_fraction,
            on_invalid=on_invalid,  # type: ignore[arg-type]
            include_accepts=include_accepts, include_audited_accepts=include_audited,
            dedup=dedup, near_dup=near_dup, system=system, prompt_template=prompt_template,
            keep_draft=keep_draft, label_attribute=label_attribute,
        )
        if options.format not in FORMATS:
            raise ConfigError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}",
                              field="format")
        if s3 is not None:
            parse_s3_prefix(s3, field="s3")
        source = ledger_location(data, ledger)
        redactor = make_redactor(redact)
    except PydanticValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(errors, code=EXIT_BAD_INPUT)
    except (HitlError, ImportError) as exc:  # ImportError: the pii extra, for --redact presidio
        fail(describe(exc), code=exit_code(exc, bad_input=(HitlError,)))

    console = Console()
    show = console.is_terminal and not json_output
    try:
        if show:
            with console.status("exporting…") as status:
                result = export_dataset(
                    source, out, options, since=since, redact=redactor,
                    progress=lambda n: status.update(f"exporting… {n:,} corrections read"),
                )
        else:
            result = export_dataset(source, out, options, since=since, redact=redactor)
        uploaded = []
        if s3 is not None:
            uploaded = upload_export(out, s3)
            result = ExportResult(result.out, load_manifest(out))
    except HitlError as exc:
        fail(describe(exc), code=exit_code(exc))

    if json_output:
        payload: dict[str, Any] = {
            "out": str(result.out),
            "uploaded": uploaded,
            "manifest": json.loads(result.manifest.model_dump_json()),
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        _print_summary(console, result, uploaded)


def _print_summary(console: Console, result: ExportResult, uploaded: list[str]) -> None:
    m = result.manifest
    table = Table(title=f"{m.format} export → {result.out}", show_header=True)
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("sha256")
    for f in m.files:
        table.add_row(f.path, "" if f.rows is None else str(f.rows), f.sha256[:16] + "…")
    console.print(table)
    kept = ", ".join(f"{k}={v}" for k, v in m.counts.items() if v)
    console.print(f"ledger seq ({m.after_seq}, {m.up_to_seq}]: {kept}", highlight=False)
    for w in m.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    for r in m.invalid[:10]:
        console.print(f"[yellow]skipped[/yellow] {r.correction_id}: {r.rule}: {r.message}")
    if uploaded:
        console.print(f"uploaded {len(uploaded)} files to {m.s3_uri}")


__getattr__, __dir__ = lazy_exports(
    globals(), deprecated={"DEFAULT_DATA": "hitl_agent.data_folder:DEFAULT_DIR"})
