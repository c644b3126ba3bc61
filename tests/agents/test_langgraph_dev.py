"""The ready graphs under ``langgraph dev``: a thread runs to its interrupt, the server restarts,
the thread is resumed by interrupt id through the ledger's compare-and-set; the review service is
mounted in the same server (``http.app``)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from hitl_agent.service.process import free_port, wait_for_http
from tests.helpers.paths import REPO

pytestmark = pytest.mark.slow

LANGGRAPH = Path(sys.executable).with_name("langgraph")
if not LANGGRAPH.exists() or shutil.which(str(LANGGRAPH)) is None:
    pytest.skip("langgraph-cli is not installed (pip install 'langgraph-cli[inmem]')",
                allow_module_level=True)
pytest.importorskip("langgraph_api", reason="langgraph dev needs langgraph-cli[inmem]")


class DevServer:
    """``langgraph dev`` on loopback in ``workdir`` (its in-memory runtime persists there)."""

    def __init__(self, workdir: Path, config: Path, env: dict[str, str]) -> None:
        self.workdir, self.config, self.env = workdir, config, env
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 120) -> DevServer:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = open(self.workdir / f"dev-{port}.log", "wb")  # noqa: SIM115
        self.log_path = Path(log.name)
        self.proc = subprocess.Popen(
            [str(LANGGRAPH), "dev", "--no-browser", "--no-reload",
             "--host", "127.0.0.1", "--port", str(port), "--config", str(self.config)],
            cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            ready = wait_for_http(f"{self.url}/ok", self.proc, timeout)
        except RuntimeError as exc:
            raise RuntimeError(f"langgraph dev exited:\n{self.log_path.read_text()[-3000:]}") \
                from exc
        if not ready:
            self.stop()
            raise RuntimeError(
                f"langgraph dev did not start:\n{self.log_path.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def test_thread_survives_a_dev_server_restart(tmp_path: Path) -> None:
    from langgraph.pregel.remote import RemoteGraph
    from langgraph_sdk import get_sync_client

    from hitl_agent import InProcessReviews, Ledger, Resumer, ReviewOutcome

    spec = json.loads((REPO / "langgraph.json").read_text())
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({
        **spec,
        "dependencies": [str(REPO)],
        "graphs": {"classify": str(REPO / "graphs" / "classify.py") + ":make_graph"},
        "http": {"app": str(REPO / "graphs" / "service_app.py") + ":app"},
    }))
    data = tmp_path / "data"
    env = {**os.environ, "HITL_DATA": str(data), "HITL_REVIEWS": "in_process",
           "LANGSMITH_TRACING": "false", "LANGCHAIN_TRACING_V2": "false",
           "LANGGRAPH_NO_TELEMETRY": "true", "PYTHONPATH": str(REPO)}
    server = DevServer(tmp_path, config, env).start()
    try:
        assert httpx.get(f"{server.url}/hitl/health", timeout=5).status_code == 200
        client = get_sync_client(url=server.url)
        thread = client.threads.create()
        out = client.runs.wait(thread["thread_id"], "classify",
                               input={"input": "Why was I charged after the crash?"})
        assert isinstance(out, dict) and out.get("__interrupt__")
        waiting: Any = client.threads.get_state(thread["thread_id"])
        [interrupt] = waiting["interrupts"]
        review_id = interrupt["value"]["review_id"]
    finally:
        server.stop()

    server.start()  # a new process, a new port, the same runtime folder
    try:
        client = get_sync_client(url=server.url)
        state = client.threads.get_state(thread["thread_id"])
        assert [i["id"] for i in state["interrupts"]] == [interrupt["id"]]
        # A person answers in the in-process backend; the resumer decides the review once in the
        # ledger and resumes the served thread by interrupt id.
        reviews = InProcessReviews(path=data / "classify.reviews.db")
        reviews.answer(review_id, ReviewOutcome(action="edit", final_output="technical"))
        ledger = Ledger(data / "ledger.db")
        remote = RemoteGraph("classify", url=server.url)
        report = Resumer(remote, ledger, [reviews]).run_once()  # type: ignore[arg-type]
        assert report.resumed == [review_id]
        finished: Any = client.threads.get_state(thread["thread_id"])
        values = finished["values"]
        assert (values["output"], values["output_source"]) == ("technical", "human")
        [row] = list(ledger.iter_corrections())
        assert row.correction.final_output == "technical"
        again = Resumer(remote, ledger, [reviews])  # type: ignore[arg-type]
        assert again.run_once().resumed == []  # nothing twice
    finally:
        server.stop()


def served_config(tmp_path: Path) -> Path:
    """The repository's langgraph.json with absolute paths (every graph, the review service)."""
    spec = json.loads((REPO / "langgraph.json").read_text())
    graphs = {name: str(REPO / target.split(":")[0]) + ":" + target.split(":")[1]
              for name, target in spec["graphs"].items()}
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({
        **spec, "dependencies": [str(REPO)], "graphs": graphs,
        "http": {"app": str(REPO / "graphs" / "service_app.py") + ":app"}}))
    return config


def test_every_graph_is_served_without_allow_blocking(tmp_path: Path) -> None:
    """No --allow-blocking; every graph shows its schemas; two inputs on one thread are both
    reviewed, one answered with LangChain decisions, one with an Agent Inbox response; the log
    has no deserialisation warning."""
    from langgraph_sdk import get_sync_client

    from hitl_agent import Ledger

    data = tmp_path / "data"
    env = {**os.environ, "HITL_DATA": str(data), "HITL_REVIEWS": "in_process",
           "LANGSMITH_TRACING": "false", "LANGCHAIN_TRACING_V2": "false",
           "LANGGRAPH_NO_TELEMETRY": "true", "PYTHONPATH": str(REPO)}
    server = DevServer(tmp_path, served_config(tmp_path), env).start()
    try:
        client = get_sync_client(url=server.url)
        served = {a["graph_id"]: a for a in client.assistants.search()}
        assert set(served) == {"classify", "answer", "extract", "tool_approval"}
        for graph_id, assistant in served.items():
            schemas = client.assistants.get_schemas(assistant["assistant_id"])
            assert schemas["input_schema"]["properties"], graph_id
            assert schemas["output_schema"]["properties"], graph_id
            settings = schemas.get("context_schema") or schemas.get("config_schema") or {}
            assert settings.get("properties"), (graph_id, schemas.get("context_schema"))
        classify = client.assistants.get_schemas(served["classify"]["assistant_id"])
        assert {"input", "item_id"} <= set(classify["input_schema"]["properties"])
        assert "review_timeout_seconds" in classify["context_schema"]["properties"]

        thread = client.threads.create()["thread_id"]
        first: dict[str, Any] = cast(dict[str, Any], client.runs.wait(
            thread, "classify", input={"input": "Why was I charged after the crash?"}))
        [ask] = first["__interrupt__"]
        assert ask["value"]["action_requests"][0]["name"] == "classification"
        assert ask["value"]["review_configs"][0]["allowed_decisions"] == [
            "approve", "edit", "reject", "respond"]
        assert ask["value"]["labels"] == ["billing", "technical", "other"]
        done: dict[str, Any] = cast(dict[str, Any], client.runs.wait(
            thread, "classify", command={"resume": {"decisions": [
                {"type": "edit", "edited_action": {"name": "classification",
                                                   "args": {"output": "technical"}}}]}}))
        assert (done["output"], done["output_source"]) == ("technical", "human")

        second: dict[str, Any] = cast(dict[str, Any], client.runs.wait(
            thread, "classify", input={"input": "The invoice page shows an error"}))
        [ask2] = second["__interrupt__"]
        assert ask2["value"]["review_id"] != ask["value"]["review_id"]
        assert ask2["value"]["action_request"]["action"] == "classification"
        done2: dict[str, Any] = cast(dict[str, Any], client.runs.wait(
            thread, "classify", command={"resume": [
                {"type": "edit", "args": {"action": "classification",
                                          "args": {"output": "billing"}}}]}))
        assert (done2["output"], done2["output_source"]) == ("billing", "human")
        assert done2["item"] == f"{thread}#2"
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert "BlockingError" not in log
    assert "unregistered" not in log.lower() and "deserializ" not in log.lower()
    ledger = Ledger(data / "ledger.db")
    finals = {c.correction.thread_id: c.correction.final_output
              for c in ledger.iter_corrections()}
    assert finals == {thread: "technical", f"{thread}#2": "billing"}
