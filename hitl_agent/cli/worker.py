"""``hitl-agent worker``: resume waiting graphs when their reviews end."""

from __future__ import annotations

from typing import Annotated

import typer

from hitl_agent.cli.common import console, exit_for, fail, print_json
from hitl_agent.errors import HitlError


def worker(
    graph: Annotated[str, typer.Option(help="The graph to resume: 'file.py:name' or "
                                       "'module:name' (a graph built by build_review_graph, "
                                       "or a function returning one).")],
    poll_interval: Annotated[float, typer.Option(help="Seconds between polls and sweeps.")] = 5.0,
    webhook: Annotated[str | None, typer.Option(help="HOST:PORT to receive the review "
                                                "service's status-change events on.")] = None,
    sqs_queue_url: Annotated[str | None, typer.Option(help="SQS queue fed by the EventBridge "
                                                      "rule for A2I status changes (AWS).")] = None,
    once: Annotated[bool, typer.Option(help="One pass (recover, sweep, poll), then exit.")] = False,
    max_seconds: Annotated[float | None, typer.Option(help="Stop after this long.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Resume graphs whose reviews ended (polling, webhook, SQS); time out overdue reviews."""
    from hitl_agent.cli.graph_loader import load_graph
    from hitl_agent.graph.resumer import Resumer
    from hitl_agent.receivers.polling import ReviewWorker

    try:
        compiled = load_graph(graph)
        resumer = Resumer.for_graph(compiled)
        hook = None
        if webhook:
            host, _, port = webhook.rpartition(":")
            if not host or not port.isdigit():
                fail("--webhook must be HOST:PORT", code=2)
            hook = (host, int(port))
        if once:
            resumer.recover_stalled()
            report = resumer.run_once()
        else:
            runner = ReviewWorker(resumer, poll_interval=poll_interval, webhook=hook,
                                  sqs_queue_url=sqs_queue_url)
            console.print(f"worker: resuming {graph} (poll every {poll_interval:g}s"
                          + (f", webhook on {webhook}" if webhook else "")
                          + (", SQS" if sqs_queue_url else "") + ")", highlight=False)
            resumer.recover_stalled()
            try:
                report = runner.run(max_seconds=max_seconds)
            except KeyboardInterrupt:
                report = runner.report
    except HitlError as exc:
        exit_for(exc)
    summary = {"resumed": len(report.resumed), "timed_out": len(report.timed_out),
               "failed": len(report.failed), "still_pending": report.still_pending}
    if json_out:
        print_json(summary)
    else:
        console.print(summary)
