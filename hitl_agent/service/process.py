"""Run the review service as a child process on loopback (the demo, scripts, tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from hitl_agent.credentials import read_credentials
from hitl_agent.data_folder import DataFolder

from ..errors import InvalidStateError, ServiceError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll ``url`` until it answers 200 (True), the process exits (:class:`InvalidStateError`,
    a ``RuntimeError``) or the time runs out (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InvalidStateError(
                f"the process serving {url} exited with {process.returncode}",
                url=url, returncode=process.returncode)
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


class ServiceProcess:
    """``python -m hitl_agent serve`` on a free port; a context manager that stops it."""

    def __init__(self, data: Path, *extra_args: str, host: str = "127.0.0.1",
                 port: int | None = None, env: Mapping[str, str] | None = None) -> None:
        self.data = data
        self.host = host
        self.port = port or free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.extra_args = extra_args
        self.env = dict(env or {})
        self.log_file = data / "service.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line of the service process."""
        return [sys.executable, "-m", "hitl_agent", "serve", "--host", self.host, "--port",
                str(self.port), "--data", str(self.data), *self.extra_args]

    def start(self, timeout: float = 60.0, *, wait: bool = True) -> ServiceProcess:
        """Start the process (``env`` on top of this one's environment) and, unless ``wait`` is
        False, wait until it answers its health check."""
        self.data.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **self.env} if self.env else None,
        )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the service answers its health check (:class:`InvalidStateError`, a
        ``RuntimeError``, when it exits first or the time runs out)."""
        if self.process is None:
            raise ServiceError("start the review service before waiting for it")
        try:
            ready = wait_for_http(f"{self.url}/hitl/health", self.process, timeout)
        except InvalidStateError as exc:
            raise InvalidStateError(f"review service exited; see {self.log_file}",
                                    log=str(self.log_file)) from exc
        if not ready:
            self.stop()
            raise InvalidStateError(f"review service did not start within {timeout:g} s",
                                    log=str(self.log_file))

    @property
    def credentials_file(self) -> Path:
        """The AWS shared credentials file the service wrote its local admin key to."""
        return DataFolder(self.data).credentials

    @property
    def credentials(self) -> dict[str, str]:
        """``aws_access_key_id`` and ``aws_secret_access_key`` for ``boto3.client(...)``."""
        creds = read_credentials(self.credentials_file)
        if creds is None:
            raise InvalidStateError(f"no credentials in {self.credentials_file}: has the service "
                                    "started?", path=str(self.credentials_file))
        return creds

    def client(self, service: str, region_name: str = "us-east-1", **kwargs: Any) -> Any:
        """A boto3 client of this service, signing with the local admin key."""
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=region_name,
                            **{**self.credentials, **kwargs})

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """``kill -9``: no shutdown hook runs (what a crash leaves behind)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
