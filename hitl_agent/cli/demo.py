"""``hitl-agent demo``: the whole feedback loop, in rounds, on the embedded defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hitl_agent import data_folder
from hitl_agent.cli.common import DataOption, console, exit_for
from hitl_agent.demo.figures import TERMS
from hitl_agent.errors import HitlError

if TYPE_CHECKING:
    from hitl_agent.demo.figures import DemoResult

def demo(
    data: DataOption,
    rounds: Annotated[int, typer.Option(help="Rounds of the loop.")] = 5,
    items: Annotated[int, typer.Option(help="Digits per round.")] = 240,
    seed: Annotated[int, typer.Option(help="Seed of the stream and the simulated people.")] = 0,
    alpha: Annotated[float, typer.Option(help="Target error of accepted items.")] = 0.05,
    delta: Annotated[float, typer.Option(help="Allowed chance of missing the target.")] = 0.1,
    start_threshold: Annotated[float, typer.Option(
        help="First round's threshold (a guess, before any verdict).")] = 0.9,
    audit_rate: Annotated[float, typer.Option(
        help="Share of items people check whatever the confidence.")] = 0.08,
    reviewer_error_rate: Annotated[float, typer.Option(
        help="How often a simulated person answers wrongly.")] = 0.0,
    review: Annotated[str, typer.Option(help="in-process, or service (a real review service "
                                        "process and boto3)")] = "in-process",
    json_path: Annotated[Path | None, typer.Option("--json", help="Write every figure as JSON "
                                                   "to this file.")] = None,
    report: Annotated[Path | None, typer.Option(
        help="The HTML report. Default: DATA/report.html.")] = None,
) -> None:
    """Run the feedback loop in rounds on scikit-learn's digits with simulated people: predict,
    score, escalate the unsure, learn from the answers (memory, threshold, model, dataset)."""
    from hitl_agent.demo import DemoConfig, run_demo, write_report
    if review not in ("in-process", "service"):
        raise typer.BadParameter("must be 'in-process' or 'service'", param_hint="--review")
    mode: Literal["in-process", "service"] = "service" if review == "service" else "in-process"
    cfg = DemoConfig(data=data, rounds=rounds, items=items, seed=seed, alpha=alpha, delta=delta,
                     start_threshold=start_threshold, audit_rate=audit_rate,
                     reviewer_error_rate=reviewer_error_rate, review=mode)
    try:
        cfg.validate()
        with Progress(TextColumn("[bold]round {task.fields[round]}"), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task("items", total=items, round=1)

            def progress(number: int, done: int) -> None:
                bar.update(task, completed=done, round=number)

            review_mode = None
            if mode == "service":
                from hitl_agent.demo.service import service_reviews

                review_mode = service_reviews
            result = run_demo(cfg, mode=review_mode, progress=progress)
    except HitlError as exc:
        exit_for(exc)
    report_path = write_report(result, report or data / "report.html")
    # Ten columns: wider than the 80 a pipe gets by default.
    Console(file=console.file, width=max(console.width, 104)).print(_table(result))
    _explain(result, report_path, json_path)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result.as_json(), indent=2) + "\n")


def _table(result: DemoResult) -> Table:
    table = Table(title="hitl-agent demo: the feedback loop on digits, round by round",
                  padding=(0, 1), collapse_padding=True)
    for column in ("round", "items", "reviewed\nper 100", "from\nmemory", "accepted\nerror",
                   "final\naccuracy", "model", "threshold\n(guarantee)", "index\nsize",
                   "rows\nexported"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in result.rounds:
        threshold = "" if r.threshold is None else f"{r.threshold:.2f}"
        table.add_row(
            str(r.round), str(r.items), f"{r.reviewed_per_100:.1f}", str(r.from_memory),
            f"{100 * r.accepted_error:.1f}%", f"{100 * r.final_accuracy:.1f}%",
            f"{r.model_version} {100 * r.model_accuracy:.0f}%",
            f"{threshold} ({r.guarantee})", str(r.index_size), str(r.rows_exported))
    return table


def _explain(result: DemoResult, report: Path, json_path: Path | None) -> None:
    first, last = result.rounds[0], result.rounds[-1]
    console.print(
        f"Reviews per 100 went from {first.reviewed_per_100:.1f} to {last.reviewed_per_100:.1f} "
        f"({100 * result.review_reduction:.0f}% of round 1) while accepted error went from "
        f"{100 * first.accepted_error:.1f}% to {100 * last.accepted_error:.1f}%; the model "
        f"after the last round ({result.final_model_version}) scores "
        f"{100 * result.final_model_accuracy:.1f}% on {result.held_out_items} held-out digits. "
        f"{result.seconds:.1f}s.\n")
    console.print("[bold]What the columns mean[/]")
    for term, meaning in TERMS:
        console.print(f"  [bold]{term}[/]: {meaning}")
    folder = data_folder.DataFolder(Path(result.data))
    data = folder.root
    console.print("\n[bold]Where everything is[/]")
    where = [
        (report, "the picture of the loop (reviews per 100 and accuracy over the rounds)"),
        (folder.ledger, "the ledger: every item, review and correction"),
        (folder.memory, "the chromadb correction index"),
        (folder.checkpoints, "LangGraph checkpoints"),
        (folder.exports, "one Ground Truth manifest dataset per round, with manifest.json"),
    ]
    if json_path is not None:
        where.append((json_path, "every figure, as JSON"))
    if folder.service_db.exists():
        where.append((folder.service_db, "the review service's database (`hitl-agent serve "
                      f"--data {data}` serves it)"))
        where.append((folder.output, "the human loops' output.json files"))
    for path, what in where:
        console.print(f"  {path}  [dim]{what}[/]")
    d = f" --data {data}" if str(data) != data_folder.DEFAULT_DIR else ""
    console.print("\n[bold]Try next[/]")
    console.print(f"  hitl-agent memory stats{d}            [dim]the index, in sync with the "
                  "ledger[/]")
    console.print(f"  hitl-agent export{d} --format csv --out corrections   [dim]every "
                  "correction as a dataset[/]")
    console.print(f"  hitl-agent serve{d}                   [dim]the review service and its "
                  "worker portal at http://127.0.0.1:8765/portal[/]")
