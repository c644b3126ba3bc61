"""Fixtures for the review-service tests: real service processes, real boto3 clients.

A session-scoped service process (uvicorn on 127.0.0.1, a free port, its own data folder) is the
system under test; boto3's own ``sagemaker-a2i-runtime`` and ``sagemaker`` clients are the test
clients. moto's server mode stands in for S3 only. Workers are added through the service layer over
the same database, as ``hitl-agent workers add`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hitl_agent.service.services import ReviewServices, build_services
from hitl_agent.service.settings import ServiceSettings
from tests.helpers.servers import moto_server, started_by
from tests.helpers.service import (
    TEMPLATE,
    InProcessService,
    ServiceProcess,
    WebhookReceiver,
    WorkerClient,
    create_flow,
    new_worker,
)


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """moto's server on loopback: the stand-in for AWS S3."""
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture(scope="session")
def start_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., ServiceProcess]]:
    """Start a service process: ``start_service(*cli_args, data=None, env=None)``."""

    def make(
        *args: str, data: Path | None = None, env: dict[str, str] | None = None
    ) -> ServiceProcess:
        return ServiceProcess(data or tmp_path_factory.mktemp("svc"), *args, env=env)

    yield from started_by(make)


@pytest.fixture(scope="session")
def service(
    start_service: Callable[..., ServiceProcess], moto_s3: str, webhook: WebhookReceiver
) -> ServiceProcess:
    """The main service: webhooks to ``webhook``, s3:// outputs to moto, fast sweeps."""
    return start_service(
        "--webhook", webhook.url, "--s3-endpoint-url", moto_s3, "--sweep-interval", "0.2"
    )


@pytest.fixture(scope="session")
def open_service(start_service: Callable[..., ServiceProcess]) -> ServiceProcess:
    """A service without auth (loopback only) and with tight connection limits."""
    return start_service("--no-auth", "--header-timeout", "1", "--max-connections-per-client", "4")


@pytest.fixture(scope="session")
def runtime(service: ServiceProcess) -> Any:
    return service.client("sagemaker-a2i-runtime")


@pytest.fixture(scope="session")
def sagemaker(service: ServiceProcess) -> Any:
    return service.client("sagemaker")


@pytest.fixture(scope="session")
def local(service: ServiceProcess) -> Iterator[ReviewServices]:
    """The service layer over the main service's database (to add workers, as the CLI does)."""
    services = build_services(ServiceSettings(data_dir=service.data, background=False))
    yield services
    services.store.dispose()


@pytest.fixture(scope="session")
def task_ui(sagemaker: Any) -> str:
    return str(
        sagemaker.create_human_task_ui(
            HumanTaskUiName="review-ui", UiTemplate={"Content": TEMPLATE}
        )["HumanTaskUiArn"]
    )


@pytest.fixture(scope="session")
def make_flow(sagemaker: Any, task_ui: str, service: ServiceProcess) -> Callable[..., str]:
    """Create a flow definition on the main service; returns its ARN (see ``create_flow``)."""

    def make(*, output: str | None = None, **config: Any) -> str:
        return create_flow(sagemaker, task_ui=task_ui,
                           output=output or str(service.data / "outputs"), **config)

    return make


@pytest.fixture(scope="session")
def make_worker(local: ReviewServices, service: ServiceProcess) -> Callable[..., WorkerClient]:
    def make(*teams: str) -> WorkerClient:
        return new_worker(local, service.url, *teams)

    return make


@pytest.fixture(scope="session")
def clocked_service(
    start_clocked_service: Callable[..., InProcessService], moto_s3: str, webhook: WebhookReceiver
) -> InProcessService:
    """The main service's setup served from this process, on a clock tests move forward."""
    return start_clocked_service(
        webhook_urls=[webhook.url], s3_endpoint_url=moto_s3, sweep_interval_s=0.2
    )
