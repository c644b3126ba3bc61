"""``hitl-agent templates``: render and check worker task templates offline, as A2I would.

``render FILE --input INPUT.json`` prints the HTML (or the Liquid errors with their line numbers,
exit code 2); warnings about undefined variables and unknown crowd elements go to stderr.
``check FILE --input INPUT.json`` prints only the report (``--json`` for scripts).

FILE is a path, or the name of a template shipped with hitl-agent (``classification``,
``text-correction``, ``extraction``, ``comparison``, ``tool-approval``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hitl_agent.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, err_console, print_json
from hitl_agent.resources import templates_dir

if TYPE_CHECKING:
    from hitl_agent.service.liquid import TemplateIssue, TemplateReport

app = typer.Typer(
    name="templates",
    help="Render and check A2I worker task templates (Liquid + crowd elements) offline.",
    no_args_is_help=True,
)

FileArg = Annotated[
    str,
    typer.Argument(
        help="Template file, or the name of a shipped template (e.g. classification).",
        show_default=False,
    ),
]
InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-i",
        help="JSON file with the task input (what the template sees as task.input); "
        "'-' reads stdin. Default: {}.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit 1 when there are warnings.")]


def _bad(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


def resolve_template(file: str) -> Path:
    """A path as given, or a shipped template by name (with or without ``.liquid.html``)."""
    path = Path(file)
    if path.is_file():
        return path
    try:
        shipped = templates_dir()
    except FileNotFoundError:
        shipped = None
    # Shipped names may name a sub-folder (``aws/textract-forms``) but never leave the folder.
    if shipped is not None and ".." not in Path(file).parts and not Path(file).is_absolute():
        for candidate in (shipped / file, shipped / f"{file}.liquid.html"):
            if candidate.is_file():
                return candidate
    raise _bad(f"no template file {file!r}")


def _load_input(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _bad(f"cannot read the input {str(path)!r}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"the input {str(path)!r} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _bad(f"the input {str(path)!r} must be a JSON object (it becomes task.input)")
    return data


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(f"cannot read the template {str(path)!r}: {exc}") from exc


def _issue_line(where: Path, issue: TemplateIssue, *, prefix: str) -> str:
    at = f"{where}:{issue.line}" if issue.line is not None else str(where)
    return f"{at}: {prefix}: {issue.message}"


def _say(text: str) -> None:
    err_console.print(text, highlight=False, markup=False, soft_wrap=True)


def _print_issues(path: Path, report: TemplateReport, source: str) -> None:
    lines = source.splitlines()
    for error in report.errors:
        _say(_issue_line(path, error, prefix="error"))
        if error.line is not None and 0 < error.line <= len(lines):
            _say(f"  {error.line} | {lines[error.line - 1].rstrip()}")
    for warning in report.warnings:
        _say(_issue_line(path, warning, prefix="warning"))


@app.command()
def render(file: FileArg, input: InputOption = None) -> None:  # noqa: A002
    """Print the rendered HTML; Liquid errors (with line numbers) exit 2."""
    path = resolve_template(file)
    source = _read(path)
    from hitl_agent.service.liquid import check_template

    report = check_template(source, _load_input(input))
    _print_issues(path, report, source)
    if not report.ok or report.html is None:
        raise typer.Exit(EXIT_BAD_INPUT)
    sys.stdout.write(report.html)
    if not report.html.endswith("\n"):
        sys.stdout.write("\n")


@app.command()
def check(
    file: FileArg,
    input: InputOption = None,  # noqa: A002
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Report errors and warnings without printing the HTML (exit 2 on errors)."""
    path = resolve_template(file)
    source = _read(path)
    from hitl_agent.service.liquid import check_template

    report = check_template(source, _load_input(input))
    if json_output:
        print_json({"template": str(path), **report.to_dict()})
    else:
        _print_issues(path, report, source)
        if report.ok:
            summary = f"{path}: renders" + (
                f" with {len(report.warnings)} warning(s)" if report.warnings else " cleanly"
            )
            _say(summary)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)
    if strict and report.warnings:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def preview(
    file: FileArg,
    input: InputOption = None,  # noqa: A002
    port: Annotated[
        int, typer.Option(help="Port on 127.0.0.1 (default: a free one).", show_default=False)
    ] = 0,
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Print the link; do not open a browser.")
    ] = False,
    once: Annotated[
        bool, typer.Option("--once", help="Exit after the first submitted answer.")
    ] = False,
    files: Annotated[
        Path | None,
        typer.Option(
            help="Folder that stands in for S3: grant_read_access serves s3://BUCKET/KEY "
            "from FILES/BUCKET/KEY.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Open the template in the worker portal to click through; each submitted answer prints the
    output.json A2I would store (on stdout, as JSON) instead of storing it."""
    path = resolve_template(file)
    source = _read(path)
    task_input = _load_input(input)
    from hitl_agent.service.liquid import check_template

    report = check_template(source, task_input)
    _print_issues(path, report, source)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)
    from hitl_agent.service.portal_preview import run_preview

    def on_answer(document: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    run_preview(
        source,
        task_input,
        port=port,
        open_browser=not no_open,
        once=once,
        files=files,
        on_url=lambda url: _say(f"Preview of {path}: {url} (Ctrl-C to stop)"),
        on_answer=on_answer,
    )
