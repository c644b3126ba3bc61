"""Throughput of the review service against moto, the usual local AWS emulator, in one run.

Started for the run: the service as ``python -m hitl_agent serve`` on SQLite (WAL, every start
committed before the reply) and on PostgreSQL (a throwaway server started as the tests start
one but with ``fsync`` on: every start on disk before the reply; ``--postgres-no-fsync`` for
the service's own cost; or ``--postgres-url``), both verifying every SigV4 signature (the
default); a second SQLite service with ``--no-auth`` (the cost of verification); and
``python -m moto.server`` (in memory), the anchor.

1. **One client** (one boto3 client, sequential calls): ``StartHumanLoop`` and
   ``DescribeHumanLoop`` per second and their p50/p99 latency on each service, ``CreateModel`` on
   moto, run in alternating blocks so that every target meets the same machine load.
2. **Concurrent clients** (``--clients``, default 8 processes, one boto3 client each, all calling
   at once): ``StartHumanLoop`` per second (calls / wall time) and p50/p99 latency on SQLite and
   PostgreSQL, ``CreateModel`` on moto; again in alternating blocks.

Prints one JSON object: every figure, and the ratios to moto measured in the same run (target: a
StartHumanLoop rate at least twice moto's CreateModel rate).

    python benchmarks/service_throughput.py [--n 600] [--clients 8] [--concurrent-n 1600]
        [--postgres-url URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ROLE = "arn:aws:iam::000000000000:role/bench"
PAYLOAD = json.dumps({"text": "benchmark input " * 8, "labels": ["a", "b", "c"]})
TARGET_RATIO = 2.0
ROOT = Path(__file__).resolve().parent.parent


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


def prepare(url: str, creds: dict[str, str] | None, data: Path) -> str:
    """A flow definition (with its task UI and work team) on the service at ``url``."""
    sm = client("sagemaker", url, creds)
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
    return str(flow)


# --- the calls -------------------------------------------------------------------------------
# A target is a plain dict (it crosses to the client processes): kind, url, creds, flow.


def make_call(target: dict[str, Any]) -> Callable[[str], None]:
    """One call of the target's operation; the argument names the loop (or model)."""
    if target["kind"] == "moto":
        sm = client("sagemaker", target["url"])

        def create_model(name: str) -> None:
            sm.create_model(
                ModelName=name,
                ExecutionRoleArn=ROLE,
                PrimaryContainer={"Image": "123.dkr.ecr/x:latest"},
            )

        return create_model
    rt = client("sagemaker-a2i-runtime", target["url"], target["creds"])
    if target["kind"] == "describe":

        def describe(name: str) -> None:
            rt.describe_human_loop(HumanLoopName=name)

        return describe

    def start(name: str) -> None:
        rt.start_human_loop(
            HumanLoopName=name,
            FlowDefinitionArn=target["flow"],
            HumanLoopInput={"InputContent": PAYLOAD},
        )

    return start


def timed(call: Callable[[str], None], names: list[str]) -> tuple[float, float, list[float]]:
    """Run ``call`` over ``names``: (start, end, latency of each call), in seconds."""
    latencies = []
    begin = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        call(name)
        latencies.append(time.perf_counter() - t)
    return begin, time.perf_counter(), latencies


def summary(calls: int, seconds: float, latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "per_s": round(calls / seconds, 1),
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p99_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
    }


def _client_process(inbox: Any, outbox: Any) -> None:
    """A concurrent client: runs the blocks it is sent, with one boto3 client per target."""
    calls: dict[str, Callable[[str], None]] = {}
    for key, target, names in iter(inbox.get, None):
        try:
            if key not in calls:
                calls[key] = make_call(target)
            outbox.put(timed(calls[key], names))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops
            outbox.put(f"{key}: {type(exc).__name__}: {exc}")


class Clients:
    """``n`` client processes that call one target at once, block by block."""

    def __init__(self, n: int) -> None:
        ctx = mp.get_context("spawn")
        self.outbox = ctx.Queue()
        self.inboxes = [ctx.Queue() for _ in range(n)]
        self.procs = [
            ctx.Process(target=_client_process, args=(q, self.outbox), daemon=True)
            for q in self.inboxes
        ]
        for p in self.procs:
            p.start()

    def block(
        self, key: str, target: dict[str, Any], names: Callable[[int], list[str]]
    ) -> tuple[int, float, list[float]]:
        """Every client runs its ``names(i)`` at once: (calls, wall seconds, latencies)."""
        for i, q in enumerate(self.inboxes):
            q.put((key, target, names(i)))
        results = [self.outbox.get(timeout=600) for _ in self.inboxes]
        failed = [r for r in results if isinstance(r, str)]
        if failed:
            raise RuntimeError(f"a client failed: {failed[0]}")
        latencies = [x for r in results for x in r[2]]
        wall = max(r[1] for r in results) - min(r[0] for r in results)
        return len(latencies), wall, latencies

    def close(self) -> None:
        for q in self.inboxes:
            q.put(None)
        for p in self.procs:
            p.join(timeout=10)


# --- the processes -----------------------------------------------------------------------------


@contextmanager
def running(cmd: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def postgres(url: str | None, enabled: bool, *,
             durable: bool = True) -> Iterator[tuple[str | None, str]]:
    """A Postgres URL and how it was had (None when there is none)."""
    if url or not enabled:
        yield url, "--postgres-url" if url else "skipped (--no-postgres)"
        return
    sys.path.insert(0, str(ROOT))  # the tests' helper: a throwaway server on 127.0.0.1
    from tests.helpers.postgres import PostgresServer, find_pg_bin

    bin_dir = find_pg_bin()
    if bin_dir is None:
        yield None, "skipped: no PostgreSQL binaries (apt-get install postgresql)"
        return
    server = PostgresServer(bin_dir, durable=durable)
    try:
        server.start()
        yield (
            server.create_database("bench"),
            f"PostgreSQL from {bin_dir}, "
            + ("fsync=on, synchronous_commit=on: every start on disk before the reply"
               if durable else "fsync=off (--postgres-no-fsync: the service's cost alone)"),
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="calls per operation, one client")
    parser.add_argument("--rounds", type=int, default=6, help="alternating blocks")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (0: none)")
    parser.add_argument(
        "--concurrent-n", type=int, default=1600, help="calls per target, concurrent clients"
    )
    parser.add_argument("--postgres-url", help="a PostgreSQL database to use (else one is started)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite and moto only")
    parser.add_argument("--postgres-no-fsync", action="store_true",
                        help="run the started PostgreSQL with fsync=off (not durable)")
    args = parser.parse_args()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    folders = {k: Path(tempfile.mkdtemp(prefix=f"hitl-bench-{k}-")) for k in ("sq", "open", "pg")}
    ports = {k: free_port() for k in ("sq", "open", "pg", "moto")}

    def serve(key: str, *extra: str) -> list[str]:
        return [
            sys.executable, "-m", "hitl_agent", "serve", "--port", str(ports[key]),
            "--data", str(folders[key]), *extra,
        ]  # fmt: skip

    with ExitStack() as stack:
        pg_url, pg_note = stack.enter_context(postgres(
            args.postgres_url, not args.no_postgres, durable=not args.postgres_no_fsync))
        moto_cmd = [
            sys.executable,
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            str(ports["moto"]),
        ]
        procs = {
            "sq": stack.enter_context(running(serve("sq"), env)),
            "open": stack.enter_context(running(serve("open", "--no-auth"), env)),
            "moto": stack.enter_context(running(moto_cmd, env)),
        }
        if pg_url:
            procs["pg"] = stack.enter_context(running(serve("pg", "--database", pg_url), env))
        url = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
        for key, proc in procs.items():
            wait_http(url[key] if key == "moto" else f"{url[key]}/hitl/health", proc)
        services = {"sqlite": "sq", "sqlite_unsigned": "open"}
        if pg_url:
            services["postgres"] = "pg"
        targets: dict[str, dict[str, Any]] = {"moto": {"kind": "moto", "url": url["moto"]}}
        for name, key in services.items():
            creds = None if key == "open" else service_credentials(folders[key])
            flow = prepare(url[key], creds, folders[key])
            base = {"url": url[key], "creds": creds, "flow": flow}
            targets[f"{name}_start"] = {**base, "kind": "start"}
            targets[f"{name}_describe"] = {**base, "kind": "describe"}
        report = {
            "command": "python benchmarks/service_throughput.py " + " ".join(sys.argv[1:]),
            "services": {
                "sqlite": "SQLite WAL, synchronous=NORMAL, committed before each reply",
                "postgres": pg_note,
                "auth": "SigV4 verified on every call (default); sqlite_unsigned: --no-auth",
                "moto": "python -m moto.server, in memory (the anchor)",
            },
            "target_ratio_vs_moto": TARGET_RATIO,
            "one_client": one_client(args, targets),
        }
        if args.clients > 0:
            report["concurrent"] = concurrent(args, targets, services)
    print(json.dumps(report, indent=2))


def one_client(args: argparse.Namespace, targets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every operation from one client, sequential calls, in alternating blocks."""
    block = max(1, args.n // args.rounds)
    calls = {key: make_call(t) for key, t in targets.items()}
    for key in targets:  # loops to describe; a warm connection for each target
        if key.endswith("_start"):
            for i in range(block):
                calls[key](f"d-{i}")
    for key in targets:
        if not key.endswith("_describe"):
            calls[key]("warm")
    spent = dict.fromkeys(targets, 0.0)
    latencies: dict[str, list[float]] = {key: [] for key in targets}
    for r in range(args.rounds):
        for key in targets:
            names = [f"d-{i}" if key.endswith("_describe") else f"s-{r}-{i}" for i in range(block)]
            begin, end, lat = timed(calls[key], names)
            spent[key] += end - begin
            latencies[key] += lat
    out: dict[str, Any] = {
        "client": "one boto3 client, sequential calls, interleaved blocks",
        "calls_per_operation": block * args.rounds,
    }
    for key in targets:
        out[key] = summary(len(latencies[key]), spent[key], latencies[key])
    moto = out["moto"]["per_s"]
    out["ratios_vs_moto_create_model"] = {
        key: round(out[key]["per_s"] / moto, 2) for key in targets if key != "moto"
    }
    out["verification_cost_pct"] = {
        op: round(
            100 * (1 - out[f"sqlite_{op}"]["per_s"] / out[f"sqlite_unsigned_{op}"]["per_s"]), 1
        )
        for op in ("start", "describe")
    }
    return out


def concurrent(
    args: argparse.Namespace, targets: dict[str, dict[str, Any]], services: dict[str, str]
) -> dict[str, Any]:
    """StartHumanLoop (and moto's CreateModel) from ``--clients`` processes at once."""
    keys = ["moto", *(f"{s}_start" for s in services if s != "sqlite_unsigned")]
    n = args.clients
    per_client = max(1, args.concurrent_n // (n * args.rounds))
    pool = Clients(n)
    try:
        for key in keys:  # warm: every client's connection and botocore models
            pool.block(key, targets[key], lambda c, key=key: [f"w{c}-{key[:2]}"])
        spent = dict.fromkeys(keys, 0.0)
        done = dict.fromkeys(keys, 0)
        latencies: dict[str, list[float]] = {key: [] for key in keys}
        for r in range(args.rounds):
            for key in keys:
                calls, wall, lat = pool.block(
                    key, targets[key], lambda c, r=r: [f"c{c}-{r}-{i}" for i in range(per_client)]
                )
                spent[key] += wall
                done[key] += calls
                latencies[key] += lat
    finally:
        pool.close()
    out: dict[str, Any] = {
        "clients": f"{n} processes, one boto3 client each, calling at once; interleaved blocks",
        "calls_per_target": per_client * n * args.rounds,
    }
    for key in keys:
        out[key] = summary(done[key], spent[key], latencies[key])
    moto = out["moto"]["per_s"]
    out["ratios_vs_moto_create_model"] = {
        key: round(out[key]["per_s"] / moto, 2) for key in keys if key != "moto"
    }
    return out


if __name__ == "__main__":
    main()
