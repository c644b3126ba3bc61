"""Throughput of the review service against moto, the usual local AWS emulator.

Runs, in one go and with the same single boto3 client loop for each:

* boto3 ``StartHumanLoop`` and ``DescribeHumanLoop`` per second against the service (SQLite in
  WAL mode, every start committed before the reply), started as ``python -m hitl_agent serve``;
* boto3 ``CreateModel`` per second against ``python -m moto.server`` (in memory);
* the same Start/Describe calls against a second service process started with ``--no-auth``:
  the signed service verifies every SigV4 signature, the other skips it, so the gap is the cost
  of verification (target: under 15%).

Prints one JSON object with the figures and the ratios (service / moto, signed / unsigned).

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


def client(service: str, url: str, creds: dict[str, str] | None = None) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}),
        **(creds or CREDS),
    )


def service_credentials(data: Path) -> dict[str, str]:
    """The admin key ``serve`` wrote to ``<data>/credentials``."""
    import configparser

    parser = configparser.RawConfigParser()
    parser.read(data / "credentials")
    return {k: parser.get("default", k) for k in ("aws_access_key_id", "aws_secret_access_key")}


def prepare(url: str, creds: dict[str, str] | None, data: Path) -> tuple[Any, str]:
    """A runtime client and a flow definition on the service at ``url``."""
    sm, rt = client("sagemaker", url, creds), client("sagemaker-a2i-runtime", url, creds)
    ui = sm.create_human_task_ui(HumanTaskUiName="bench", UiTemplate={"Content": "x"})
    flow = sm.create_flow_definition(
        FlowDefinitionName="bench",
        RoleArn=ROLE,
        OutputConfig={"S3OutputPath": str(data / "output")},
        HumanLoopConfig={
            "WorkteamArn": sm.create_workteam(  # flows name existing work teams
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
    return rt, str(flow)


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
    data, open_data = (Path(tempfile.mkdtemp(prefix=f"hitl-bench-{k}-")) for k in ("a", "b"))
    ours_port, open_port, moto_port = free_port(), free_port(), free_port()

    def service(port: int, folder: Path, *extra: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hitl_agent",
                "serve",
                "--port",
                str(port),
                "--data",
                str(folder),
                *extra,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    ours = service(ours_port, data)
    unsigned = service(open_port, open_data, "--no-auth")
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    procs = (ours, unsigned, moto)
    try:
        ours_url, moto_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{moto_port}"
        open_url = f"http://127.0.0.1:{open_port}"
        wait_http(f"{ours_url}/hitl/health", ours)
        wait_http(f"{open_url}/hitl/health", unsigned)
        wait_http(moto_url, moto)
        rt, flow = prepare(ours_url, service_credentials(data), data)
        open_rt, open_flow = prepare(open_url, None, open_data)
        payload = json.dumps({"text": "benchmark input " * 8, "labels": ["a", "b", "c"]})
        block = args.n // args.rounds

        def starter(runtime: Any, arn: str) -> Any:
            def start(i: int) -> None:
                runtime.start_human_loop(
                    HumanLoopName=f"loop-{i + 1}",
                    FlowDefinitionArn=arn,
                    HumanLoopInput={"InputContent": payload},
                )

            return start

        def describer(runtime: Any) -> Any:
            def describe(i: int) -> None:
                runtime.describe_human_loop(HumanLoopName=f"loop-{1_000_001 + i % block}")

            return describe

        moto_sm = client("sagemaker", moto_url)

        def create_model(i: int) -> None:
            moto_sm.create_model(
                ModelName=f"model-{i + 1}",
                ExecutionRoleArn=ROLE,
                PrimaryContainer={"Image": "123.dkr.ecr/x:latest"},
            )

        start, open_start = starter(rt, flow), starter(open_rt, open_flow)
        for i in range(block):  # loops to describe in the first round
            start(1_000_000 + i)
            open_start(1_000_000 + i)
        rates = interleaved_rates(
            args.n,
            args.rounds,
            {
                "start": start,
                "start_unsigned": open_start,
                "describe": describer(rt),
                "describe_unsigned": describer(open_rt),
                "create_model": create_model,
            },
        )
        start_rate, describe_rate = rates["start"], rates["describe"]
        moto_rate = rates["create_model"]

        def cost(signed: float, plain: float) -> float:
            return round(100 * (1 - signed / plain), 1)

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
                    "signed_vs_unsigned": {
                        "signed": "SigV4 verified on every call (default)",
                        "unsigned": "the same service with --no-auth",
                        "start_human_loop_per_s": [
                            round(start_rate, 1),
                            round(rates["start_unsigned"], 1),
                        ],
                        "describe_human_loop_per_s": [
                            round(describe_rate, 1),
                            round(rates["describe_unsigned"], 1),
                        ],
                        "verification_cost_start_pct": cost(start_rate, rates["start_unsigned"]),
                        "verification_cost_describe_pct": cost(
                            describe_rate, rates["describe_unsigned"]
                        ),
                        "target_pct": 15,
                    },
                    "moto": {"storage": "in memory", "create_model_per_s": round(moto_rate, 1)},
                    "ratio_start_vs_moto": round(start_rate / moto_rate, 2),
                    "ratio_describe_vs_moto": round(describe_rate / moto_rate, 2),
                },
                indent=2,
            )
        )
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
