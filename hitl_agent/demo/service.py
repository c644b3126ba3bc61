"""The demo's review mode through a real review-service process and real boto3 calls.

Unsure items become A2I human loops on the project's review service (started here on
127.0.0.1); a simulated worker answers them through the service's worker API, output.json files
land in the data folder, and the loop resumes the graphs from the service's status.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import httpx

from hitl_agent._boto import RETRY_CONFIG
from hitl_agent.data_folder import DataFolder
from hitl_agent.demo.config import DemoConfig
from hitl_agent.demo.loop import ReviewSession
from hitl_agent.demo.stream import DemoStream
from hitl_agent.resources import templates_dir
from hitl_agent.review.a2i import A2IReviews
from hitl_agent.review.setup import create_review_flow
from hitl_agent.service.process import ServiceProcess

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


@contextmanager
def service_reviews(cfg: DemoConfig, stream: DemoStream, folder: DataFolder
                    ) -> Iterator[ReviewSession]:
    """A review-service process on 127.0.0.1, a flow created through boto3, and a simulated
    worker answering through the worker API while the loop runs."""
    service_dir = folder.service
    with ServiceProcess(service_dir) as service:
        sagemaker: Any = boto3.client("sagemaker", endpoint_url=service.url,
                                      config=RETRY_CONFIG, **CREDENTIALS,
                                      **service.credentials)
        flow = create_review_flow(
            sagemaker, name="digits-review",
            template=templates_dir() / "classification.liquid.html",
            output_path=str(folder.output.resolve()), team=TEAM,
            title="Which digit is this?")
        token = _add_worker(service.url, service_dir)
        runtime = boto3.client("sagemaker-a2i-runtime", endpoint_url=service.url,
                               config=RETRY_CONFIG, **CREDENTIALS, **service.credentials)
        reviewer = WorkerApiReviewer(service.url, token, stream.gold, stream.labels,
                                     cfg.reviewer_error_rate, cfg.seed)
        reviewer_thread = threading.Thread(target=reviewer.run, daemon=True)
        reviewer_thread.start()

        def extra() -> dict[str, Any]:
            return {"review_backend": "service", "service_url": service.url,
                    "output_files": sum(1 for _ in folder.output.rglob("output.json"))}

        try:
            yield ReviewSession(
                A2IReviews(flow.flow_definition_arn, runtime_client=runtime, name="service"),
                template="classification", extra=extra)
        finally:
            reviewer.stop.set()
            reviewer_thread.join(timeout=10)


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
