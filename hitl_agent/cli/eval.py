"""``hitl-agent eval SUITE``: run an offline evaluation suite through the review graph."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hitl_agent.cli.common import DataOption, console, describe, err_console, exit_code, fail
from hitl_agent.errors import EvalError, HitlError


def eval_command(
    suite: Annotated[str, typer.Argument(help="A suite file (YAML), or the name of a shipped "
                                         "suite: smoke, digits, breast-cancer, gsm8k-replay, "
                                         "factual-claims-replay.")],
    data: DataOption,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write every figure as JSON "
                                                   "to this file ('-' for stdout).")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write report.md, "
                                                "report.html and results.json to this "
                                                "folder.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Items run concurrently (threads).")] = 1,
    fresh: Annotated[bool, typer.Option("--fresh", help="Forget an interrupted run of this "
                                        "suite and start over.")] = False,
) -> None:
    """Replay a labelled data set through the review graph with simulated reviewers, and report
    automation, accepted error, cost, score quality and calibration per policy.

    Runs are kept in DATA/evals/SUITE, so an interrupted eval continues where it stopped.
    """
    from hitl_agent.evals import load_suite, run_suite, summarise, write_report
    from hitl_agent.evals.runner import Progress as RunProgress

    if report is not None:
        from hitl_agent._extras import require

        require("matplotlib", "eval")  # before the run, not after it (MissingExtra: exit 3)
    try:
        spec = load_suite(suite)
        work = data / "evals" / spec.name
        if fresh and work.exists():
            shutil.rmtree(work)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True) as bar:
            tasks: dict[str, Any] = {}

            def progress(p: RunProgress) -> None:
                if p.run not in tasks:
                    tasks[p.run] = bar.add_task(p.run, total=p.total)
                bar.update(tasks[p.run], completed=p.done)

            ev = run_suite(spec, work_dir=work, workers=workers, progress=progress)
        results = summarise(ev)
        written = write_report(results, report) if report is not None else None
    except HitlError as exc:
        fail(describe(exc), code=exit_code(exc, bad_input=(EvalError,)))
    if json_path is not None:
        text = json.dumps(results, indent=2) + "\n"
        if str(json_path) == "-":
            sys.stdout.write(text)
            return
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text, encoding="utf-8")
    console.print(summary_table(results))
    for line in summary_lines(results):
        console.print(line, highlight=False)
    if written is not None:
        console.print(f"report: {written['html']} (and report.md, results.json)")
    if json_path is not None:
        console.print(f"figures written to {json_path}")


def _pct(x: Any, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def summary_table(results: dict[str, Any]) -> Table:
    table = Table(title=f"eval {results['suite']['name']}: {results['suite']['stream']} items "
                  "per run", caption="auto = accepted without review; acc. err = error among "
                  "them; missed = share of model errors accepted")
    table.add_column("run", ratio=1)
    for col in ("auto", "acc. err", "final acc", "rev/100", "cost", "missed"):
        table.add_column(col, justify="right", no_wrap=True)
    for name, p in results["policies"].items():
        table.add_row(name, _pct(p["automation"]["value"]),
                      _pct(p["accepted_error"]["value"], 2),
                      _pct(p["final_accuracy"]["value"], 2),
                      f"{p['reviews_per_100']['value']:.1f}",
                      f"{p['cost']['value']:,.2f}", _pct(p["missed_error_share"]["value"]))
    return table


def summary_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, s in results["scores"]["by_scorer"].items():
        auroc = s.get("auroc")
        lines.append(f"score {name}: AUROC {auroc:.3f}, AURC {s['aurc']:.4f}, "
                     f"ECE {s['ece']:.3f}" if auroc is not None else f"score {name}: n/a")
    for name, p in results["policies"].items():
        w, err = p.get("windows"), p["accepted_error"]
        if w and w["reviews_per_100"]:
            ratio = w["last_over_first"]
            low = "n/a" if err["low"] is None else f"{_pct(err['low'], 2)}, {_pct(err['high'], 2)}"
            lines.append(
                f"policy {name}: reviews/100 by window "
                f"{' '.join(f'{v:.0f}' for v in w['reviews_per_100'])} (last/first "
                f"{'n/a' if ratio is None else f'{ratio:.2f}'}"
                + (f", after {w['calibration_reviews']} calibration reviews"
                   if w["calibration_reviews"] else "")
                + f"); accepted error {_pct(err['value'], 2)} [{low}]")
    f = results.get("feedback_loop")
    if f:
        for key in ("feedback_on", "feedback_off"):
            side = f.get(key)
            if side:
                curve = " ".join(f"{v:.0f}" for v in side["reviews_per_100"])
                ratio = side["last_over_first"]
                lines.append(
                    f"{key.replace('_', ' ')}: reviews/100 first {side['first_window']:.1f} → "
                    f"last {side['last_window']:.1f} (ratio "
                    f"{'n/a' if ratio is None else f'{ratio:.2f}'}), final accuracy "
                    f"{_pct(side['final_accuracy'], 2)}; curve: {curve}")
        if f.get("last_window_on_over_off") is not None:
            lines.append(f"last window on/off: {f['last_window_on_over_off']:.2f}; both ≥ 99% "
                         f"final accuracy: {f['both_at_least_99']}")
    t = results["timing"]
    lines.append(f"{t['items_streamed']} items through the graph at "
                 f"{t['items_per_second']:.1f} items/s; total {t['seconds']:.1f} s")
    lines += [f"note: {n}" for n in results.get("notes", [])]
    return lines
