"""The worker resumes waiting graphs on the service's webhook and on SQS (EventBridge) events."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from hitl_agent import InProcessReviews, Resumer
from hitl_agent.cli.graph_loader import load_graph
from hitl_agent.errors import ConfigError
from hitl_agent.receivers import ReviewWorker, review_name_of
from tests.helpers.graphs import cfg, gold_reviewer, make_graph
from tests.helpers.wait import wait_until


def event(name: str, status: str = "Completed") -> dict[str, Any]:
    return {
        "version": "0", "source": "aws.sagemaker",
        "detail-type": "SageMaker A2I HumanLoop Status Change",
        "detail": {"humanLoopName": name, "humanLoopStatus": status,
                   "flowDefinitionArn": "arn:aws:sagemaker:us-east-1:123456789012:"
                                        "flow-definition/x"},
    }


def start_worker(worker: ReviewWorker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, kwargs={"max_seconds": 60}, daemon=True)
    thread.start()
    return thread


def test_webhook_event_resumes_at_once(tmp_path: Path) -> None:
    graph = make_graph(tmp_path, InProcessReviews(gold_reviewer(), answers_synchronously=False))
    worker = ReviewWorker(Resumer.for_graph(graph), poll_interval=3600,
                          webhook=("127.0.0.1", 0))
    thread = start_worker(worker)
    try:
        out = graph.invoke({"input": "maybe win"}, cfg("w1"))
        name = out["__interrupt__"][0].value["review_id"]
        assert worker.webhook is not None
        req = urllib.request.Request(f"http://127.0.0.1:{worker.webhook.port}/events",
                                     data=json.dumps(event(name)).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 202
        wait_until(lambda: graph.get_state(cfg("w1")).values.get("output") == "ham")
        bad = urllib.request.Request(f"http://127.0.0.1:{worker.webhook.port}/events",
                                     data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(bad, timeout=5)
        assert err.value.code == 400
    finally:
        worker.stop()
        thread.join(timeout=10)
    assert worker.report.resumed


def test_sqs_eventbridge_events_resume(tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        sqs = boto3.client("sqs", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="y")
        queue_url = sqs.create_queue(QueueName="a2i-events")["QueueUrl"]
        graph = make_graph(tmp_path,
                           InProcessReviews(gold_reviewer(), answers_synchronously=False))
        worker = ReviewWorker(Resumer.for_graph(graph), poll_interval=3600,
                              sqs_queue_url=queue_url, sqs_client=sqs)
        thread = start_worker(worker)
        try:
            out = graph.invoke({"input": "maybe win"}, cfg("q1"))
            name = out["__interrupt__"][0].value["review_id"]
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event(name)))
            wait_until(lambda: graph.get_state(cfg("q1")).values.get("output") == "ham")
            wait_until(lambda: "Messages" not in sqs.receive_message(
                QueueUrl=queue_url, WaitTimeSeconds=0, VisibilityTimeout=0))
        finally:
            worker.stop()
            thread.join(timeout=30)
    finally:
        server.stop()


def test_event_parsing_and_graph_loading(tmp_path: Path) -> None:
    assert review_name_of(json.dumps(event("abc"))) == "abc"
    assert review_name_of({"Message": json.dumps(event("via-sns"))}) == "via-sns"
    assert review_name_of("not json") is None
    graph_file = tmp_path / "my_graph.py"
    graph_file.write_text(
        "from pathlib import Path\nfrom tests.helpers.graphs import make_graph\n"
        f"graph = make_graph(Path({str(tmp_path)!r}))\n")
    assert hasattr(load_graph(f"{graph_file}:graph"), "get_state")
    for bad in ("nocolon", f"{tmp_path}/missing.py:graph", f"{graph_file}:nope",
                "no.such.module:graph"):
        with pytest.raises(ConfigError):
            load_graph(bad)


def test_webhook_refuses_other_paths_and_oversized_bodies() -> None:
    from hitl_agent.receivers import WebhookReceiver
    from hitl_agent.receivers.webhook import MAX_BODY_BYTES

    names: list[str] = []
    receiver = WebhookReceiver("127.0.0.1", 0, names.append)
    receiver.start()
    try:
        base = f"http://127.0.0.1:{receiver.port}"

        def post(path: str, body: bytes) -> int:
            req = urllib.request.Request(base + path, data=body, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    return int(resp.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        assert post("/other", json.dumps(event("x")).encode()) == 404
        assert post("/events", b"x" * (MAX_BODY_BYTES + 1)) == 413
        assert names == []
        assert post("/events", json.dumps(event("ok")).encode()) == 202
        assert names == ["ok"]
    finally:
        receiver.stop()
