"""Throughput of the review service against moto, the usual local AWS emulator.

Runs, in one go and with the same single boto3 client loop for each:

* boto3 ``StartHumanLoop`` and ``DescribeHumanLoop`` per second against the service (SQLite in
  WAL mode, every start committed before the reply), started as ``python -m hitl_agent.service``;
* boto3 ``CreateModel`` per second against ``python -m moto.server`` (in memory).

Prints one JSON object with the figures and the ratios (service / moto). Target: ≥ 1.

    python benchmarks/service_throughput.py [--n 500]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ROLE = "arn:aws:iam::000000000000:role/bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}),
        **CREDS,
    )


def interleaved_rates(n: int, rounds: int, calls: dict[str, Any]) -> dict[str, float]:
    """Calls per second of each operation, run in alternating blocks so that every operation
    meets the same machine load (the benchmark host may be shared)."""
    for call in calls.values():
        call(-1)  # warm the connection
    spent = dict.fromkeys(calls, 0.0)
    done = dict.fromkeys(calls, 0)
    block = max(1, n // rounds)
    for r in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            for i in range(r * block, (r + 1) * block):
                call(i)
            spent[name] += time.perf_counter() - start
            done[name] += block
    return {name: done[name] / spent[name] for name in calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="calls per operation")
    parser.add_argument("--rounds", type=int, default=6, help="alternating blocks")
    args = parser.parse_args()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    data = Path(tempfile.mkdtemp(prefix="hitl-bench-"))
    ours_port, moto_port = free_port(), free_port()
    ours = subprocess.Popen(
        [sys.executable, "-m", "hitl_agent.service", "--port", str(ours_port), "--data", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ours_url, moto_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{moto_port}"
        wait_http(f"{ours_url}/hitl/health", ours)
        wait_http(moto_url, moto)
        sm, rt = client("sagemaker", ours_url), client("sagemaker-a2i-runtime", ours_url)
        ui = sm.create_human_task_ui(HumanTaskUiName="bench", UiTemplate={"Content": "x"})
        flow = sm.create_flow_definition(
            FlowDefinitionName="bench",
            RoleArn=ROLE,
            OutputConfig={"S3OutputPath": str(data / "out")},
            HumanLoopConfig={
                "WorkteamArn": sm.create_workteam(
                    WorkteamName="b",
                    MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["b"]}}],
                    Description="bench",
                )["WorkteamArn"],
                "HumanTaskUiArn": ui["HumanTaskUiArn"],
                "TaskTitle": "t",
                "TaskDescription": "d",
                "TaskCount": 1,
            },
        )["FlowDefinitionArn"]
        payload = json.dumps({"text": "benchmark input " * 8, "labels": ["a", "b", "c"]})

        def start(i: int) -> None:
            rt.start_human_loop(
                HumanLoopName=f"loop-{i + 1}",
                FlowDefinitionArn=flow,
                HumanLoopInput={"InputContent": payload},
            )

        def describe(i: int) -> None:
            rt.describe_human_loop(HumanLoopName=f"loop-{1_000_001 + i % (args.n // args.rounds)}")

        moto_sm = client("sagemaker", moto_url)

        def create_model(i: int) -> None:
            moto_sm.create_model(
                ModelName=f"model-{i + 1}",
                ExecutionRoleArn=ROLE,
                PrimaryContainer={"Image": "123.dkr.ecr/x:latest"},
            )

        for i in range(args.n // args.rounds):  # loops to describe in the first round
            start(1_000_000 + i)
        rates = interleaved_rates(
            args.n,
            args.rounds,
            {"start": start, "describe": describe, "create_model": create_model},
        )
        start_rate, describe_rate = rates["start"], rates["describe"]
        moto_rate = rates["create_model"]
        print(
            json.dumps(
                {
                    "calls_per_operation": args.n,
                    "client": "one boto3 client, sequential calls, interleaved blocks",
                    "service": {
                        "storage": "SQLite WAL, synchronous=NORMAL, committed before each reply",
                        "start_human_loop_per_s": round(start_rate, 1),
                        "describe_human_loop_per_s": round(describe_rate, 1),
                    },
                    "moto": {"storage": "in memory", "create_model_per_s": round(moto_rate, 1)},
                    "ratio_start_vs_moto": round(start_rate / moto_rate, 2),
                    "ratio_describe_vs_moto": round(describe_rate / moto_rate, 2),
                },
                indent=2,
            )
        )
    finally:
        for proc in (ours, moto):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
