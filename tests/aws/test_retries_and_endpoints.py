"""Throttling and service errors are retried with botocore's standard retry mode — tested over
real HTTP, since botocore's Stubber answers before the retry handler runs — and what still fails
is a failed item in the ledger that a later run finishes. SageMaker endpoints against moto's
server (``invoke_endpoint``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.retries.standard import ExponentialBackoff
from langgraph.checkpoint.memory import InMemorySaver

from hitl_agent import ThresholdPolicy, build_review_graph
from hitl_agent.errors import ModelError
from hitl_agent.models.aws import RETRY_CONFIG
from hitl_agent.models.sagemaker import JsonClassifierHandler, JsonTextHandler, SageMakerEndpoint
from hitl_agent.models.tabular import CsvRowHandler
from hitl_agent.models.textract import TextractForms
from hitl_agent.review.in_process import InProcessReviews
from hitl_agent.uncertainty.service_confidence import ServiceConfidenceScorer
from tests.helpers.aws_responses import CREDS, INTAKE, textract_form
from tests.helpers.servers import moto_server


class FlakyTextract:
    """A local endpoint speaking Textract's JSON 1.1 protocol that fails with the queued errors
    (HTTP status, ``__type``) before it answers."""

    def __init__(self) -> None:
        self.errors: list[tuple[int, str]] = []
        self.attempts: list[str] = []
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's API
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                flaky.attempts.append(self.headers.get("amz-sdk-request", ""))
                if flaky.errors:
                    status, kind = flaky.errors.pop(0)
                    body = json.dumps({"__type": kind, "message": "Rate exceeded"}).encode()
                else:
                    status, body = 200, json.dumps(textract_form(INTAKE)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self) -> Any:
        return boto3.client("textract", endpoint_url=self.url, config=RETRY_CONFIG, **CREDS)


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyTextract]:
    # botocore's real standard-mode retries, with the throttling backoff scale cut from 1 s to
    # 10 ms so the test does not sleep for seconds
    monkeypatch.setitem(ExponentialBackoff._DEFAULT_BACKOFF_CONFIG, "throttling_base_scale", 0.01)
    server = FlakyTextract()
    yield server
    server.server.shutdown()


def test_throttling_and_5xx_are_retried(flaky: FlakyTextract) -> None:
    flaky.errors = [(400, "ThrottlingException"), (400, "ProvisionedThroughputExceededException"),
                    (500, "InternalServerError")]
    p = TextractForms(flaky.client()).predict("s3://intake-forms/form-1.png")
    assert p.output["fields"]["Full Name:"] == "Jane Doe"
    tried = [next(p.strip() for p in a.split(";") if p.strip().startswith("attempt="))
             for a in flaky.attempts]
    assert tried == ["attempt=1", "attempt=2", "attempt=3", "attempt=4"]


def test_exhausted_retries_fail_the_item_in_the_ledger_never_lose_it(
        flaky: FlakyTextract, tmp_path: Path) -> None:
    flaky.errors = [(400, "ThrottlingException")] * 5
    graph: Any = build_review_graph(
        model=TextractForms(flaky.client()), scorer=ServiceConfidenceScorer(),
        policy=ThresholdPolicy(0.5), reviews=InProcessReviews(lambda r: None,
                                                              answers_synchronously=False),
        ledger=tmp_path / "ledger.db", checkpointer=InMemorySaver(), task="forms")
    config: Any = {"configurable": {"thread_id": "form-9"}}
    with pytest.raises(ModelError) as failed:
        graph.invoke({"input": "s3://intake-forms/form-9.png"}, config)
    assert failed.value.context["code"] == "ThrottlingException"
    assert failed.value.context["retries"] == 4
    assert len(flaky.attempts) == 5
    item = graph.hitl_parts.ledger.get_item("form-9")
    assert item is not None and item.status == "failed"
    assert "ThrottlingException" in (item.error or "")
    assert item.input == "s3://intake-forms/form-9.png"

    # the service recovers: the same item runs again from the ledger's input and finishes
    out = graph.invoke({"input": item.input}, config)
    assert out["output"]["fields"]["Phone Number:"] == "555-0100"


def test_deterministic_errors_are_not_retried(flaky: FlakyTextract) -> None:
    flaky.errors = [(400, "InvalidS3ObjectException")]
    with pytest.raises(ModelError, match="InvalidS3ObjectException"):
        TextractForms(flaky.client()).predict("s3://intake-forms/missing.png")
    assert len(flaky.attempts) == 1


# --- SageMaker endpoints on moto's server ------------------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


def queue_results(moto_url: str, *results: dict[str, str]) -> None:
    """moto answers invoke_endpoint from this queue (one per distinct request)."""
    r = httpx.post(f"{moto_url}/moto-api/static/sagemaker/endpoint-results",
                   json={"account_id": "123456789012", "region": "us-east-1",
                         "results": list(results)})
    assert r.status_code == 201, r.text


def test_sagemaker_endpoints_on_moto(moto_url: str) -> None:
    runtime = boto3.client("sagemaker-runtime", endpoint_url=moto_url, config=RETRY_CONFIG,
                           **{**CREDS, "aws_access_key_id": "123456789012"})
    queue_results(
        moto_url,
        {"Body": json.dumps({"predictions": [{"probabilities": [0.1, 0.7, 0.2]}]}),
         "ContentType": "application/json", "InvokedProductionVariant": "blue"},
        {"Body": "0.91", "ContentType": "text/csv", "InvokedProductionVariant": "AllTraffic"},
        {"Body": json.dumps([{"generated_text": " Paris", "details": {"tokens": [
            {"text": " Paris", "logprob": -0.05}]}}]), "ContentType": "application/json",
         "InvokedProductionVariant": "AllTraffic"},
    )
    clf = SageMakerEndpoint("intent-clf", client=runtime,
                            handler=JsonClassifierHandler(["billing", "outage", "other"]))
    p = clf.predict("my internet is down")
    assert (p.output, p.metadata["variant"]) == ("outage", "blue")
    churn = SageMakerEndpoint("churn-xgb", client=runtime,
                              handler=CsvRowHandler(["tenure", "calls"], ["stays", "churns"]))
    q = churn.predict({"tenure": 3, "calls": 7})
    assert q.output == "churns" and q.probabilities == {"stays": 1 - 0.91, "churns": 0.91}
    llm = SageMakerEndpoint("qa-llm", client=runtime, handler=JsonTextHandler())
    r = llm.predict("Capital of France?")
    assert (r.output, r.token_logprobs) == ("Paris", [-0.05])
