"""``hitl-agent memory``: rebuild, search, forget and inspect the correction index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from hitl_agent.cli.common import (
    EXIT_BAD_INPUT,
    JsonFlag,
    LedgerOption,
    OptionalDataOption,
    console,
    exit_for,
    fail,
    ledger_location,
    print_json,
)
from hitl_agent.data_folder import DataFolder
from hitl_agent.errors import HitlError
from hitl_agent.memory.correction_memory import CorrectionMemory
from hitl_agent.memory.index import ChromaIndex

memory_app = typer.Typer(
    name="memory",
    help="The correction memory: a chromadb index over the ledger's corrections.",
    no_args_is_help=True,
)

ChromaUrlOption = Annotated[
    str | None,
    typer.Option("--chroma-url", envvar="HITL_CHROMA_URL",
                 help="A Chroma server (http://host:port) instead of DATA/memory/."),
]


def open_memory(data: Any, chroma_url: str | None, *, ledger: str | None = None,
                check_index: bool = True) -> CorrectionMemory:
    """The ledger of ``--ledger`` or ``DATA/ledger.db``; the index of ``--chroma-url``, else
    ``DATA/memory/`` (with ``--ledger`` alone: ``memory/`` beside a SQLite ledger)."""
    try:
        location = ledger_location(data, ledger)
    except HitlError as exc:
        exit_for(exc)
    if ledger is None and not Path(location).exists():
        fail(f"no ledger at {location} (is --data right?)", code=EXIT_BAD_INPUT)
    if chroma_url:
        index: ChromaIndex | None = ChromaIndex(url=chroma_url)
    elif ledger is None:
        index = ChromaIndex(DataFolder.resolve(data).memory)
    else:
        index = None
    return CorrectionMemory(location, index=index, check_index=check_index)


def _parse_where(pairs: list[str]) -> dict[str, Any]:
    where: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--where {pair!r}: expected key=value", code=EXIT_BAD_INPUT)
        where[key.strip()] = value
    return where


def _show(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@memory_app.command()
def rebuild(data: OptionalDataOption = None, ledger: LedgerOption = None,
            chroma_url: ChromaUrlOption = None, json_out: JsonFlag = False) -> None:
    """Recreate the index from the ledger alone (forgotten corrections left out). Repairs a
    missing or corrupt index, and one built with another embedding model."""
    try:
        with open_memory(data, chroma_url, ledger=ledger, check_index=False) as memory:
            if json_out or not console.is_terminal:
                report = memory.rebuild()
            else:
                with Progress(TextColumn("rebuilding"), BarColumn(),
                              TextColumn("{task.completed}"), console=console,
                              transient=True) as bar:
                    job = bar.add_task("rebuild", total=None)
                    report = memory.rebuild(progress=lambda n: bar.update(job, completed=n))
    except HitlError as exc:
        exit_for(exc)
    if json_out:
        print_json({"corrections": report.corrections, "tasks": report.tasks,
                    "seconds": round(report.seconds, 3), "embedding": report.embedding})
        return
    console.print(f"indexed [bold]{report.corrections}[/] corrections "
                  f"({', '.join(f'{t}: {n}' for t, n in report.tasks.items()) or 'none'}) "
                  f"with {report.embedding} in {report.seconds:.1f}s")


@memory_app.command()
def search(
    text: Annotated[str, typer.Argument(help="The text (or a JSON input) to look for.")],
    data: OptionalDataOption = None,
    ledger: LedgerOption = None,
    k: Annotated[int, typer.Option("--k", min=1, help="How many corrections.")] = 5,
    task: Annotated[str | None, typer.Option("--task", help="Only this task.")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="Metadata filter key=value (repeatable), e.g. action=edit.")] = None,
    chroma_url: ChromaUrlOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Show the corrections nearest to TEXT."""
    query: Any = text
    if text[:1] in "{[":
        try:
            query = json.loads(text)
        except json.JSONDecodeError:
            query = text
    try:
        with open_memory(data, chroma_url, ledger=ledger) as memory:
            hits = memory.search(query, task=task, k=k, where=_parse_where(where or []))
    except HitlError as exc:
        exit_for(exc)
    if json_out:
        print_json([h.to_dict() for h in hits])
        return
    table = Table(title=f"{len(hits)} nearest corrections")
    for column in ("similarity", "task", "action", "input", "model", "human", "id"):
        table.add_column(column, overflow="fold" if column == "id" else "ellipsis")
    for h in hits:
        c = h.correction
        table.add_row(f"{c.similarity:.3f}" if c.similarity is not None else "", h.task,
                      c.action, _show(c.input), _show(c.model_output, 20),
                      _show(c.final_output, 20), c.correction_id)
    console.print(table)


@memory_app.command()
def forget(
    ids: Annotated[list[str] | None, typer.Argument(
        help="Correction ids (as `memory search` shows them).", show_default=False)] = None,
    data: OptionalDataOption = None,
    ledger: LedgerOption = None,
    id_options: Annotated[list[str] | None, typer.Option(
        "--id", help="A correction id (repeatable; same as the arguments).")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="key=value over the ledger's corrections (repeatable, all must match): "
        "a field (thread_id=t1), a dotted path (input.user_id=42), or reviewer=WORKER.")] = None,
    chroma_url: ChromaUrlOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Remove corrections from the index and mark them in the ledger, so that no query and no
    export uses them again."""
    ids = [*(ids or []), *(id_options or [])]
    if not ids and not where:
        fail("give correction ids and/or --where key=value", code=EXIT_BAD_INPUT)
    try:
        with open_memory(data, chroma_url, ledger=ledger) as memory:
            report = memory.forget(ids, where=_parse_where(where or []))
    except HitlError as exc:
        exit_for(exc)
    if json_out:
        print_json({"forgotten": report.forgotten, "newly_marked": report.newly_marked,
                    "not_found": report.not_found})
    else:
        console.print(f"forgot [bold]{len(report.forgotten)}[/] corrections "
                      f"({report.newly_marked} newly marked in the ledger)")
        if report.not_found:
            console.print(f"[yellow]not in the ledger:[/] {', '.join(report.not_found)}")
    if not report.forgotten:
        raise typer.Exit(1)


@memory_app.command()
def stats(data: OptionalDataOption = None, ledger: LedgerOption = None,
          chroma_url: ChromaUrlOption = None, json_out: JsonFlag = False) -> None:
    """Documents per task, the embedding model, and whether the index matches the ledger."""
    try:
        with open_memory(data, chroma_url, ledger=ledger) as memory:
            info = memory.stats()
    except HitlError as exc:
        exit_for(exc)
    if json_out:
        print_json(info)
        return
    table = Table(title=f"correction index at {info['index']}")
    for column in ("task", "documents", "embedding", "dimension"):
        table.add_column(column)
    for task, t in info["tasks"].items():
        table.add_row(task, str(t["documents"]), str(t["embedding"]), str(t["dimension"]))
    console.print(table)
    state = "[green]in sync[/]" if info["in_sync"] else (
        "[yellow]out of sync: run `hitl-agent memory rebuild`[/]")
    console.print(f"{info['documents']} documents, {info['ledger_corrections']} corrections in "
                  f"the ledger: {state}")
