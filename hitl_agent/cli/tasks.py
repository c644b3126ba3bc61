"""``hitl-agent tasks``: a worker's tasks over the service's worker API (talks HTTP)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="List, claim and answer review tasks as a worker.", no_args_is_help=True)

DEFAULT_ENDPOINT = "http://127.0.0.1:8765"
EndpointOption = Annotated[
    str, typer.Option("--endpoint", envvar="HITL_ENDPOINT", help="The review service's URL.")
]
TokenOption = Annotated[
    str, typer.Option("--token", envvar="HITL_TOKEN", help="The worker's bearer token.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
LoopArg = Annotated[str, typer.Argument(help="The human loop's name.")]


def _call(
    method: str, endpoint: str, path: str, token: str, body: dict[str, Any] | None = None
) -> Any:
    import httpx

    try:
        resp = httpx.request(
            method,
            endpoint.rstrip("/") + path,
            json=body,
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach the review service at {endpoint}: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        data = resp.json()
    except ValueError:
        data = {"message": resp.text}
    if resp.status_code >= 300:
        code = data.get("__type", f"HTTP {resp.status_code}") if isinstance(data, dict) else ""
        message = data.get("message", "") if isinstance(data, dict) else resp.text
        typer.echo(f"error: {code}: {message}", err=True)
        raise typer.Exit(2 if resp.status_code == 400 else 1)
    return data


def _path(name: str, action: str = "") -> str:
    from urllib.parse import quote

    return f"/worker-api/tasks/{quote(name, safe='')}" + (f"/{action}" if action else "")


@app.command("list")
def list_(
    token: TokenOption, endpoint: EndpointOption = DEFAULT_ENDPOINT, as_json: JsonOption = False
) -> None:
    """List the tasks available to you."""
    tasks = _call("GET", endpoint, "/worker-api/tasks", token)["tasks"]
    if as_json:
        typer.echo(json.dumps(tasks))
        return
    table = Table("loop", "title", "answers", "claimed", "created")
    for t in tasks:
        table.add_row(
            t["humanLoopName"],
            t["taskTitle"] or "",
            f"{t['answerCount']}/{t['taskCount']}",
            t["claimExpiresAt"] or "",
            t["creationTime"],
        )
    Console().print(table)


@app.command("show")
def show(
    loop: LoopArg,
    token: TokenOption,
    endpoint: EndpointOption = DEFAULT_ENDPOINT,
    as_json: JsonOption = False,
    peek: Annotated[
        bool, typer.Option("--peek", help="Only look: do not accept (claim) the task.")
    ] = False,
) -> None:
    """Show one task with its input, accepting it (A2I's acceptanceTime starts now; the answer's
    timeSpentInSeconds counts from here)."""
    if not peek:
        _call("POST", endpoint, _path(loop, "claim"), token)
    task = _call("GET", endpoint, _path(loop), token)
    if as_json:
        typer.echo(json.dumps(task))
    else:
        typer.echo(f"{task['humanLoopName']}: {task['taskTitle'] or ''}")
        typer.echo(json.dumps(task["input"], indent=2, ensure_ascii=False))


@app.command("claim")
def claim(
    loop: LoopArg,
    token: TokenOption,
    endpoint: EndpointOption = DEFAULT_ENDPOINT,
    as_json: JsonOption = False,
) -> None:
    """Claim a task; the claim lasts the flow's TaskTimeLimitInSeconds."""
    got = _call("POST", endpoint, _path(loop, "claim"), token)
    typer.echo(json.dumps(got) if as_json else f"claimed {loop} until {got['expiresAt']}")


@app.command("release")
def release(
    loop: LoopArg,
    token: TokenOption,
    endpoint: EndpointOption = DEFAULT_ENDPOINT,
    decline: Annotated[bool, typer.Option(help="Also stop offering you this task.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Give a claimed task back."""
    _call("POST", endpoint, _path(loop, "decline" if decline else "release"), token)
    typer.echo(json.dumps({"released": loop}) if as_json else f"released {loop}")


@app.command("answer")
def answer(
    loop: LoopArg,
    answer_json: Annotated[
        str, typer.Option("--answer", help='answerContent as JSON, e.g. \'{"c": {"label": "x"}}\'')
    ],
    token: TokenOption,
    endpoint: EndpointOption = DEFAULT_ENDPOINT,
    as_json: JsonOption = False,
) -> None:
    """Submit your answer to a task. Its time spent counts from when you accepted it (``show`` or
    ``claim``); answering a task you never accepted records no time spent."""
    try:
        content = json.loads(answer_json)
    except ValueError as exc:
        typer.echo(f"error: --answer is not valid JSON: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not isinstance(content, dict):
        typer.echo("error: --answer must be a JSON object", err=True)
        raise typer.Exit(2)
    result = _call("POST", endpoint, _path(loop, "answer"), token, {"answerContent": content})
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(
            f"answered {loop}: {result['answerCount']}/{result['taskCount']} answers, "
            f"loop {result['humanLoopStatus']}"
        )
