"""The demo through a real review-service process and real boto3 calls.

The same digits stream as :mod:`hitl_agent.demo`, but unsure items become A2I human loops on the
project's review service (started here on 127.0.0.1); simulated workers answer them through the
service's worker API, output.json files land in the data folder, and the worker loop resumes the
graphs from the service's status.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import httpx

from hitl_agent._boto import RETRY_CONFIG
from hitl_agent.demo import (
    DemoConfig,
    DemoResult,
    prepare_stream,
    retrain_on_corrections,
    summarise,
)
from hitl_agent.graph.build import build_review_graph
from hitl_agent.graph.resumer import Resumer
from hitl_agent.memory.ledger import Ledger
from hitl_agent.models.sklearn import SklearnClassifier
from hitl_agent.policy.threshold import ThresholdPolicy
from hitl_agent.resources import templates_dir
from hitl_agent.review.a2i import A2IReviews
from hitl_agent.review.setup import create_review_flow
from hitl_agent.service.process import ServiceProcess
from hitl_agent.uncertainty.scorers import MaxProbabilityScorer

TEAM = "demo-reviewers"
CREDENTIALS = {"region_name": "us-east-1"}  # keys: the service's local admin key


class WorkerApiReviewer:
    """A simulated person answering through the worker API, as the portal would."""

    def __init__(self, url: str, token: str, gold: dict[str, str], labels: list[str],
                 error_rate: float, seed: int) -> None:
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                   timeout=30.0)
        self.gold, self.labels, self.error_rate = gold, labels, error_rate
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.answered = 0

    def run(self) -> None:
        while not self.stop.is_set():
            tasks = self.client.get("/worker-api/tasks").json()["tasks"]
            if not tasks:
                self.stop.wait(0.1)
                continue
            for task in tasks:
                name = task["humanLoopName"]
                if self.client.post(f"/worker-api/tasks/{name}/claim").status_code != 200:
                    continue
                request = self.client.get(f"/worker-api/tasks/{name}").json()["input"]
                truth = self.gold[request.get("item_id") or request["thread_id"]]
                label = truth
                if self.rng.random() < self.error_rate:
                    label = self.rng.choice([x for x in self.labels if x != truth])
                self.client.post(f"/worker-api/tasks/{name}/answer",
                                 json={"answerContent": {"label": {"label": label}}})
                self.answered += 1


def run_demo_with_service(
    cfg: DemoConfig, *, progress: Callable[[int], None] | None = None
) -> DemoResult:
    stream = prepare_stream(cfg, "demo-svc")
    split, estimator, labels = stream.split, stream.estimator, stream.labels
    thread_ids, gold = stream.thread_ids, stream.gold
    run = stream.run
    service_dir = cfg.data / "service"
    with ServiceProcess(service_dir) as service:
        sagemaker: Any = boto3.client("sagemaker", endpoint_url=service.url,
                                      config=RETRY_CONFIG, **CREDENTIALS,
                                      **service.credentials)
        flow = create_review_flow(
            sagemaker, name="digits-review",
            template=templates_dir() / "classification.liquid.html",
            output_path=str((service_dir / "output").resolve()), team=TEAM,
            title="Which digit is this?")
        token = _add_worker(service.url, service_dir)
        runtime = boto3.client("sagemaker-a2i-runtime", endpoint_url=service.url,
                               config=RETRY_CONFIG, **CREDENTIALS, **service.credentials)
        reviews = A2IReviews(flow.flow_definition_arn, runtime_client=runtime, name="service")
        ledger = Ledger(cfg.data / "ledger.db")
        graph = build_review_graph(
            model=SklearnClassifier(estimator, model_id="digits-logreg", model_version=run),
            scorer=MaxProbabilityScorer(),
            policy=ThresholdPolicy(cfg.threshold, audit_rate=cfg.audit_rate, seed=str(cfg.seed)),
            reviews=reviews, ledger=ledger, checkpointer=cfg.data / "checkpoints.db",
            labels=labels, task="digits", template="classification",
        )
        reviewer = WorkerApiReviewer(service.url, token, gold, labels, cfg.reviewer_error_rate,
                                     cfg.seed)
        reviewer_thread = threading.Thread(target=reviewer.run, daemon=True)
        reviewer_thread.start()
        resumer = Resumer.for_graph(graph)
        start = time.perf_counter()
        try:
            for i, tid in enumerate(thread_ids):
                graph.invoke({"input": split["x_stream"][i].tolist()},
                             {"configurable": {"thread_id": tid}})
                if progress is not None:
                    progress(1)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                report = resumer.run_once()
                if report.still_pending == 0 and not ledger.pending_reviews():
                    break
                time.sleep(0.2)
        finally:
            reviewer.stop.set()
            reviewer_thread.join(timeout=10)
        seconds = time.perf_counter() - start
    result = summarise(ledger, thread_ids, gold, seconds)
    result.extra.update(retrain_on_corrections(estimator, split, ledger, thread_ids))
    result.extra["review_backend"] = "service"
    result.extra["output_files"] = sum(1 for _ in (service_dir / "output").rglob("output.json"))
    return result


def _add_worker(url: str, service_dir: Any) -> str:
    """A worker of the demo team, through the service's own workforce store."""
    from hitl_agent.service.services import build_services
    from hitl_agent.service.settings import ServiceSettings

    services = build_services(ServiceSettings(data_dir=service_dir))
    existing = {w.name: w for w in services.workforce.list_workers()}
    if "demo-sim" in existing:
        return services.workforce.rotate_token("demo-sim")
    _, token = services.workforce.add_worker("demo-sim", teams=[TEAM])
    return token
