"""Fixtures of the worker-portal tests: a live service process, real boto3 clients, a browser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hitl_agent.service.services import build_services
from hitl_agent.service.settings import ServiceSettings
from tests.helpers.paths import child_env
from tests.helpers.portal import Portal
from tests.helpers.service import ServiceProcess


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    proc = ServiceProcess(
        tmp_path_factory.mktemp("portal"), "--sweep-interval", "0.5", "--trust-proxy-tls"
    ).start()
    local = build_services(ServiceSettings(data_dir=proc.data, background=False))
    try:
        yield Portal(proc, local)
    finally:
        local.store.dispose()
        proc.stop()


@pytest.fixture(scope="session")
def make_worker(portal: Portal) -> Callable[..., str]:
    return portal.worker


@pytest.fixture
def preview() -> Iterator[Callable[..., tuple[subprocess.Popen[str], str]]]:
    """Start ``hitl-agent templates preview FILE --input … --no-open``; returns it and its link."""
    started: list[subprocess.Popen[str]] = []

    def start(
        template: str, tmp: Path, task_input: dict[str, Any], *args: str
    ) -> tuple[subprocess.Popen[str], str]:
        (tmp / "input.json").write_text(json.dumps(task_input))
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.helpers.run_cli",
                "preview",
                template,
                "--input",
                str(tmp / "input.json"),
                "--no-open",
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        started.append(proc)
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        seen = []
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"(http://127\.0\.0\.1:\d+/portal/preview/start\?key=\S+)", line)
            if match:
                return proc, match.group(1)
        raise AssertionError(f"no preview link: {''.join(seen)}")

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
