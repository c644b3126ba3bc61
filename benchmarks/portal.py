"""Worker-portal page times with a queue of many open tasks (target: p95 < 200 ms).

Builds a data folder with ``--tasks`` open human loops for one team (inserted in bulk through the
service's storage layer, each row as ``StartHumanLoop`` writes it), a flow with the shipped
classification template and a worker with a password; starts ``python -m hitl_agent.service`` on
it; signs in with httpx; then times, over ``--n`` sequential requests each:

* the queue page (``GET /portal/tasks``: the first 50 tasks and the count of all);
* the task page (``GET /portal/tasks/{loop}``: the shell, which also renders the template once to
  catch template errors);
* the task frame (``GET /portal/tasks/{loop}/frame``: the rendered template).

Prints one JSON object with p50/p95/mean in milliseconds.

    python benchmarks/portal.py [--tasks 10000] [--n 200]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
TEAM = "bench"
PASSWORD = "bench-password-1"
TARGET_MS = 200.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def populate(data: Path, tasks: int) -> str:
    """Create the flow, the worker and ``tasks`` open loops; return the first loop's name."""
    from hitl_agent.service.clock import now_us
    from hitl_agent.service.models import HumanLoop
    from hitl_agent.service.output import output_uri
    from hitl_agent.service.services import build_services
    from hitl_agent.service.settings import ServiceSettings

    services = build_services(ServiceSettings(data_dir=data, background=False))
    template = (REPO / "templates" / "classification.liquid.html").read_text()
    sample = (REPO / "templates" / "samples" / "classification.json").read_text()
    ui = services.control.create_human_task_ui(
        {"HumanTaskUiName": "bench-ui", "UiTemplate": {"Content": template}}
    )["HumanTaskUiArn"]
    settings = services.settings
    flow_arn = services.control.create_flow_definition(
        {
            "FlowDefinitionName": "bench",
            "RoleArn": "arn:aws:iam::000000000000:role/bench",
            "HumanLoopConfig": {
                "WorkteamArn": services.workforce.ensure_team(TEAM),
                "HumanTaskUiArn": ui,
                "TaskTitle": "Classify the ticket",
                "TaskDescription": "Check the model's label",
                "TaskCount": 1,
                "TaskKeywords": ["support", "triage"],
            },
            "OutputConfig": {"S3OutputPath": str(data / "outputs")},
        }
    )["FlowDefinitionArn"]
    services.workforce.add_worker("bench-worker", teams=[TEAM], password=PASSWORD)
    digest = hashlib.sha256(sample.encode()).hexdigest()
    start = now_us() // 1000 * 1000
    rows: list[dict[str, Any]] = []
    for i in range(tasks):
        created = start + i * 1000
        name = f"bench-{i:06d}"
        rows.append(
            dict(
                name=name,
                arn=settings.arn("human-loop", name),
                flow_definition_name="bench",
                flow_definition_arn=flow_arn,
                input_content=sample,
                input_sha256=digest,
                content_classifiers=None,
                status="InProgress",
                created_us=created,
                updated_us=created,
                expires_us=created + 864_000 * 1_000_000,
                output_uri=output_uri(str(data / "outputs"), "bench", created, name, data),
                output_pending=0,
                task_count=1,
                task_time_limit_s=3600,
                workteam_name=TEAM,
                human_task_ui_arn=ui,
                task_title="Classify the ticket",
                task_description="Check the model's label",
                task_keywords=json.dumps(["support", "triage"]),
                request_source=None,
            )
        )
    with services.store.write() as s:
        for at in range(0, len(rows), 1000):
            s.execute(insert(HumanLoop), rows[at : at + 1000])
    services.close()
    return "bench-000000"


def timings(client: httpx.Client, path: str, n: int) -> dict[str, float]:
    for _ in range(3):  # warm-up
        assert client.get(path).status_code == 200, path
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
        "max_ms": round(samples[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=200, help="requests per page")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hitl-portal-bench-") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        loop = populate(data, args.tasks)
        populate_s = time.perf_counter() - t0
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hitl_agent.service",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data",
                str(data),
                "--sweep-interval",
                "600",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/hitl/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the service did not start")
                time.sleep(0.1)
            with httpx.Client(base_url=url, timeout=30) as client:
                form = client.get("/portal/login").text
                token = re.search(r'name="csrf" value="([^"]+)"', form)
                assert token is not None
                r = client.post(
                    "/portal/login",
                    data={"csrf": token.group(1), "name": "bench-worker", "password": PASSWORD},
                )
                assert r.status_code == 303, r.text
                queue_html = client.get("/portal/tasks").text
                total = re.search(r'data-total="(\d+)"', queue_html)
                csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', queue_html)
                assert total is not None and csrf is not None
                r = client.post(f"/portal/tasks/{loop}/start", data={"csrf": csrf.group(1)})
                assert r.status_code == 303, r.text
                result = {
                    "benchmark": "portal",
                    "open_tasks": args.tasks,
                    "queue_shows": queue_html.count("<li class=\"task-row\" data-loop="),
                    "queue_count": int(total.group(1)),
                    "requests_per_page": args.n,
                    "populate_s": round(populate_s, 2),
                    "queue_page": timings(client, "/portal/tasks", args.n),
                    "task_page": timings(client, f"/portal/tasks/{loop}", args.n),
                    "task_frame": timings(client, f"/portal/tasks/{loop}/frame", args.n),
                    "target_p95_ms": TARGET_MS,
                }
                result["meets_target"] = all(
                    result[k]["p95_ms"] < TARGET_MS
                    for k in ("queue_page", "task_page", "task_frame")
                )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
