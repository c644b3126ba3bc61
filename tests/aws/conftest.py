"""Fixtures of the AWS adapter tests: boto3 clients that never reach AWS (botocore's Stubber
validates every request and response against the service model), the project's review service
as a real process, moto's server, and a throttling HTTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from hitl_agent.service.services import build_services
from hitl_agent.service.settings import ServiceSettings
from tests.helpers.aws_responses import CREDS
from tests.helpers.service import ServiceProcess, WorkerClient, new_worker


@pytest.fixture
def client() -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(service, **CREDS)

    return make


@pytest.fixture(scope="session")
def review_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One review-service process for the end-to-end tests of this folder."""
    proc = ServiceProcess(tmp_path_factory.mktemp("aws-svc"), "--sweep-interval", "0.3").start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def add_worker(review_service: Any) -> Iterator[Callable[..., Any]]:
    local = build_services(ServiceSettings(data_dir=review_service.data, background=False))

    def add(team: str) -> WorkerClient:
        return new_worker(local, review_service.url, team)

    yield add
    local.store.dispose()
