"""Helpers of the review-service tests: the service in a process or in this process (with an
injectable clock), a webhook receiver, a worker client, loops and flows."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx
import uvicorn
from botocore.config import Config

from hitl_agent.service.access_keys import read_credentials
from hitl_agent.service.client_auth import SigV4Auth
from hitl_agent.service.process import ServiceProcess as BaseServiceProcess
from hitl_agent.service.process import free_port
from hitl_agent.service.services import ReviewServices

from .clock import ServiceClock
from .paths import child_env
from .wait import wait_until

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/a2i"
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
TEMPLATE = (
    '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>\n'
    "<crowd-form><p>{{ task.input.text }}</p>\n"
    '<crowd-classifier name="category" categories="[\'a\', \'b\']" header="Pick">'
    "</crowd-classifier>\n</crowd-form>"
)
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}-{uuid.uuid4().hex[:6]}"


class ServiceProcess(BaseServiceProcess):
    """The product's :class:`hitl_agent.service.process.ServiceProcess` as the tests run it:
    started by ``run_service.py`` (no graph imports), test credentials in its environment, a log
    per port, outputs allowed anywhere beside the data folder, and a SigV4-signed raw client."""

    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        if "--output-root" not in args:
            # Test convenience: outputs may go anywhere beside the data folder (tmp_path/...).
            args = (*args, "--output-root", str(data.parent))
        super().__init__(data, *args, env={**child_env(), **CREDS_ENV, **(env or {})})
        self.args = args
        self.log_file = data / f"service-{self.port}.log"

    def command(self) -> list[str]:
        # The product's command is ``python -m hitl_agent serve …``: the launcher runs ``serve``.
        return [sys.executable, "-m", "tests.helpers.run_service", *super().command()[4:]]

    def start(self, timeout: float = 60, *, wait: bool = True) -> ServiceProcess:
        super().start(timeout, wait=wait)
        return self

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        return self.process

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def client(self, service: str, region_name: str = REGION, **config: Any) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name=region_name,
                            config=Config(**config), **self.credentials)

    def http(self, **kwargs: Any) -> httpx.Client:
        """Raw HTTP signed with SigV4 by botocore's signer (``/hitl/events``, malformed calls)."""
        return signed_http(self.url, self.credentials, **kwargs)


class InProcessService:
    """The review service served from this process (uvicorn in a thread) over services built
    with an injectable clock: boto3 and HTTP clients reach it as they reach a process, and a
    test moves ``clock`` forward instead of sleeping. Same interface as :class:`ServiceProcess`
    (``url``, ``data``, ``credentials``, ``client``, ``http``)."""

    def __init__(self, data: Path, clock: ServiceClock | None = None, **settings: Any) -> None:
        from hitl_agent.service.access_keys import ensure_local_admin_key
        from hitl_agent.service.app import create_app
        from hitl_agent.service.services import build_services
        from hitl_agent.service.settings import ServiceSettings

        data.mkdir(parents=True, exist_ok=True)
        settings.setdefault("output_roots", [data.parent])
        self.data = data
        self.clock = clock or ServiceClock()
        self.settings = ServiceSettings(data_dir=data, **settings)
        self.services = build_services(self.settings, clock=self.clock)
        app = create_app(services=self.services)
        ensure_local_admin_key(app.state.edge.keys, data)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 60) -> InProcessService:
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), timeout,
                   message="the in-process service did not start")
        if not self.server.started:
            raise RuntimeError("the in-process service stopped while starting")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def credentials(self) -> dict[str, str]:
        creds = read_credentials(self.data / "credentials")
        assert creds is not None, "no local admin key in the data folder"
        return creds

    def client(self, service: str, region_name: str = REGION, **config: Any) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name=region_name,
                            config=Config(**config), **self.credentials)

    def http(self, **kwargs: Any) -> httpx.Client:
        return signed_http(self.url, self.credentials, **kwargs)


def signed_http(url: str, creds: dict[str, str], **kwargs: Any) -> httpx.Client:
    """An HTTP client signing with SigV4 (botocore's signer) as ``creds``."""
    return httpx.Client(base_url=url, auth=SigV4Auth(**_key_args(creds)), **kwargs)


def _key_args(creds: dict[str, str]) -> dict[str, str]:
    return {
        "access_key_id": creds["aws_access_key_id"],
        "secret_access_key": creds["aws_secret_access_key"],
    }


CREDS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class WebhookReceiver:
    """A local HTTP endpoint that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail_next = 0
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.cond:
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        self.send_response(503)
                        self.end_headers()
                        return
                    receiver.events.append(json.loads(body))
                    receiver.cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event in self.events:
                    if pred(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching webhook event in {timeout} s")
                self.cond.wait(left)


def workteam_arn(team: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/{team}"


def ensure_team(sagemaker: Any, team: str) -> str:
    """The ARN of work team ``team``, created first when it does not exist (a flow definition
    may only name an existing team, as on AWS)."""
    try:
        return str(
            sagemaker.create_workteam(
                WorkteamName=team,
                MemberDefinitions=[{"OidcMemberDefinition": {"Groups": [team]}}],
                Description=f"Work team {team}",
            )["WorkteamArn"]
        )
    except sagemaker.exceptions.ResourceInUse:
        return workteam_arn(team)


class WorkerClient:
    """A worker talking to the worker API with its bearer token."""

    def __init__(self, url: str, name: str, token: str) -> None:
        self.name, self.token = name, token
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})

    def tasks(self) -> list[dict[str, Any]]:
        r = self.http.get("/worker-api/tasks")
        assert r.status_code == 200, r.text
        return list(r.json()["tasks"])

    def task_names(self) -> set[str]:
        return {t["humanLoopName"] for t in self.tasks()}

    def claim(self, loop: str) -> httpx.Response:
        return self.http.post(f"/worker-api/tasks/{loop}/claim")

    def release(self, loop: str, decline: bool = False) -> httpx.Response:
        return self.http.post(f"/worker-api/tasks/{loop}/{'decline' if decline else 'release'}")

    def answer(self, loop: str, content: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"/worker-api/tasks/{loop}/answer", json={"answerContent": content})


def create_flow(
    sagemaker: Any,
    *,
    output: str,
    task_ui: str | None = None,
    template: str = TEMPLATE,
    task_count: int = 1,
    team: str = "team-a",
    title: str = "Review",
    description: str = "Check the label",
    lifetime: int | None = None,
    time_limit: int | None = None,
    loop_config: dict[str, Any] | None = None,
    **extra: Any,
) -> str:
    """Create a flow definition for work team ``team`` (created when missing) over a new task UI
    of ``template`` (or ``task_ui``), its outputs to ``output``; returns its ARN.
    ``loop_config``: more ``HumanLoopConfig`` members; ``extra``: more request members."""
    if task_ui is None:
        task_ui = str(sagemaker.create_human_task_ui(
            HumanTaskUiName=unique("ui"), UiTemplate={"Content": template})["HumanTaskUiArn"])
    config: dict[str, Any] = {
        "WorkteamArn": ensure_team(sagemaker, team),
        "HumanTaskUiArn": task_ui,
        "TaskTitle": title,
        "TaskDescription": description,
        "TaskCount": task_count,
        **(loop_config or {}),
    }
    if lifetime is not None:
        config["TaskAvailabilityLifetimeInSeconds"] = lifetime
    if time_limit is not None:
        config["TaskTimeLimitInSeconds"] = time_limit
    return str(
        sagemaker.create_flow_definition(
            FlowDefinitionName=unique("fd"),
            RoleArn=ROLE,
            HumanLoopConfig=config,
            OutputConfig={"S3OutputPath": output},
            **extra,
        )["FlowDefinitionArn"]
    )


def service_flow(services: ReviewServices, output: Path, *, task_ui: str | None = None,
                 team: str = "t", **loop_config: Any) -> str:
    """A flow definition ``fd`` made through the service layer (no HTTP) for team ``team`` over
    ``task_ui`` (a new task UI ``ui`` when None), its outputs to ``output``; returns its ARN.
    ``loop_config``: more ``HumanLoopConfig`` members."""
    if task_ui is None:
        task_ui = str(services.control.create_human_task_ui(
            {"HumanTaskUiName": "ui", "UiTemplate": {"Content": "x"}})["HumanTaskUiArn"])
    return str(services.control.create_flow_definition({
        "FlowDefinitionName": "fd",
        "RoleArn": ROLE,
        "OutputConfig": {"S3OutputPath": str(output)},
        "HumanLoopConfig": {"WorkteamArn": services.workforce.ensure_team(team),
                            "HumanTaskUiArn": task_ui, "TaskTitle": "t",
                            "TaskDescription": "d", "TaskCount": 1, **loop_config},
    })["FlowDefinitionArn"])


def new_worker(services: ReviewServices, url: str, *teams: str,
               password: str | None = None) -> WorkerClient:
    """A new worker of ``teams`` (default ``team-a``), added through the service layer as
    ``hitl-agent workers add`` adds one, as a client of the worker API at ``url``."""
    info, token = services.workforce.add_worker(unique("w"), teams=list(teams or ("team-a",)),
                                                password=password)
    return WorkerClient(url, info.name, token)


def start_loop(
    runtime: Any, flow_arn: str, content: dict[str, Any] | None = None, name: str | None = None
) -> str:
    name = name or unique("loop")
    runtime.start_human_loop(
        HumanLoopName=name,
        FlowDefinitionArn=flow_arn,
        HumanLoopInput={"InputContent": json.dumps(content or {"text": name})},
    )
    return name


def wait_status(runtime: Any, name: str, status: str, timeout: float = 10) -> dict[str, Any]:
    """The loop's description once its status is ``status`` (the service's sweeper and webhook
    threads work in another process: a bounded wait)."""
    seen: list[dict[str, Any]] = []

    def reached() -> dict[str, Any] | None:
        got: dict[str, Any] = runtime.describe_human_loop(HumanLoopName=name)
        seen.append(got)
        return got if got["HumanLoopStatus"] == status else None

    return wait_until(reached, timeout, message=lambda: f"not {status}: {seen[-1]}")


PORTAL_PASSWORD = "correct-horse-1"
_RE_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_RE_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def portal_sign_in(
    url: str, name: str, password: str = PORTAL_PASSWORD, **client: Any
) -> tuple[httpx.Client, httpx.Response, str | None]:
    """Sign in to the portal: the client (cookies kept), the sign-in answer and the CSRF token."""
    http = httpx.Client(base_url=url, **client)
    form = http.get("/portal/login")
    token = _RE_CSRF_FIELD.search(form.text)
    assert token is not None, form.text
    answer = http.post(
        "/portal/login", data={"csrf": token.group(1), "name": name, "password": password}
    )
    if answer.status_code != 303:
        return http, answer, None
    csrf = _RE_CSRF_META.search(http.get("/portal/tasks").text)
    return http, answer, csrf.group(1) if csrf else None
