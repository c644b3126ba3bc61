"""Issue 14, bullets 2-4: output only where it belongs, no drive-by requests, every input bounded.

Real boto3 where it can send the attack, raw HTTP (signed with botocore's signer, so that the
edge's checks, not authentication, are what refuses) where it cannot.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.helpers.service import (
    PORTAL_PASSWORD,
    ROLE,
    ServiceProcess,
    ensure_team,
    portal_sign_in,
    start_loop,
    unique,
)
from tests.helpers.wait import wait_until

JSON = {"Content-Type": "application/json"}
AMZ = {"Content-Type": "application/x-amz-json-1.1"}


def _refused(r: httpx.Response, status: int, code: str, member: str | None = None) -> None:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["x-amzn-ErrorType"] == code, r.text[:500]
    if member is not None:
        assert member in r.json()["message"], r.text[:500]


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def _flow_config(sm: Any, task_ui: str, **extra: Any) -> dict[str, Any]:
    return {
        "WorkteamArn": ensure_team(sm, "team-a"),
        "HumanTaskUiArn": task_ui,
        "TaskTitle": "t",
        "TaskDescription": "d",
        "TaskCount": 1,
        **extra,
    }


# --- bullet 2: output only under the configured roots ---------------------------------------------


def test_output_paths_outside_the_roots_are_refused(start_service: Any, tmp_path: Path) -> None:
    data = tmp_path / "svc"
    # bullet 6 on the side: temp files a crash left are removed at start (fresh ones are kept)
    folder = data / "output" / "fd" / "2026" / "loop"
    folder.mkdir(parents=True)
    stale, fresh = folder / ".output-abc.tmp", folder / ".output-new.tmp"
    stale.write_text("{half")
    fresh.write_text("{being written by another process")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    # the default, said explicitly (serve takes --output-root relative to its working directory)
    svc = start_service("--output-root", str(data / "output"), data=data)
    assert not stale.exists() and fresh.exists()
    sm = svc.client("sagemaker")
    ui = sm.create_human_task_ui(HumanTaskUiName="ui", UiTemplate={"Content": "x"})
    (data / "output" / "escape").symlink_to(tmp_path)  # a link out of the root
    refused = [
        "/tmp/anywhere",
        "../../..",
        "output/../../x",
        "output/escape/x",
        str(tmp_path / "elsewhere"),
        "file:///etc",
        "http://attacker.example/bucket/key",
        "ftp://host/x",
        "s3://",
    ]
    for path in refused:
        with pytest.raises(ClientError) as exc:
            sm.create_flow_definition(
                FlowDefinitionName=unique("fd"),
                RoleArn=ROLE,
                OutputConfig={"S3OutputPath": path},
                HumanLoopConfig=_flow_config(sm, ui["HumanTaskUiArn"]),
            )
        code, message = _error(exc)
        assert code == "ValidationException", path
        assert "OutputConfig.S3OutputPath" in message, message
    for path in (
        "output",
        str(data / "output" / "team-a"),
        "s3://bucket/prefix",
        "https://bucket.s3.amazonaws.com/prefix",
    ):
        sm.create_flow_definition(
            FlowDefinitionName=unique("fd"),
            RoleArn=ROLE,
            OutputConfig={"S3OutputPath": path},
            HumanLoopConfig=_flow_config(sm, ui["HumanTaskUiArn"]),
        )
    assert not (tmp_path / "elsewhere").exists() and not Path("/tmp/anywhere").exists()


# --- bullet 3: no drive-by requests ---------------------------------------------------------------


def test_simple_requests_a_web_page_could_send_are_refused(
    service: ServiceProcess, runtime: Any, make_flow: Any
) -> None:
    flow = make_flow()
    name = start_loop(runtime, flow)
    plain = {"Content-Type": "text/plain"}
    stop = json.dumps({"HumanLoopName": name})
    start = json.dumps(
        {
            "HumanLoopName": unique("d"),
            "FlowDefinitionArn": flow,
            "HumanLoopInput": {"InputContent": "{}"},
        }
    )
    # what a no-cors fetch sends: no signature, text/plain
    _refused(
        httpx.post(f"{service.url}/human-loops/stop", headers=plain, content=stop),
        403,
        "MissingAuthenticationTokenException",
    )
    # even signed, only AWS's content types are accepted
    http = service.http()
    _refused(
        http.post("/human-loops/stop", headers=plain, content=stop),
        415,
        "UnsupportedMediaTypeException",
        "application/json",
    )
    _refused(
        http.post(
            "/human-loops",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            content=start,
        ),
        415,
        "UnsupportedMediaTypeException",
    )
    _refused(
        http.post("/", headers={**JSON, "X-Amz-Target": "SageMaker.ListWorkteams"}, content=b"{}"),
        415,
        "UnsupportedMediaTypeException",
        "application/x-amz-json-1.1",
    )
    assert runtime.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"


def test_portal_refuses_cross_site_state_changes(service: ServiceProcess, local: Any) -> None:
    name = unique("w")
    local.workforce.add_worker(name, teams=["team-a"], password=PORTAL_PASSWORD)
    client, _, csrf = portal_sign_in(service.url, name)
    assert csrf is not None
    for headers in (
        {"Origin": "http://attacker.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
    ):
        r = client.post("/portal/logout", data={"csrf": csrf}, headers=headers)
        assert r.status_code == 403, (headers, r.status_code)
        assert r.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert client.get("/portal/tasks").status_code == 200  # still signed in: nothing happened
    same = client.post(
        "/portal/logout",
        data={"csrf": csrf},
        headers={"Origin": service.url, "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 303


# --- bullet 4: every input bounded and validated at the edge --------------------------------------


def test_text_that_cannot_be_stored_is_refused_and_nothing_stored(
    service: ServiceProcess, runtime: Any, sagemaker: Any, make_flow: Any, task_ui: str
) -> None:
    flow = make_flow()
    name = unique("sur")
    with pytest.raises(ClientError) as exc:
        runtime.start_human_loop(
            HumanLoopName=name,
            FlowDefinitionArn=flow,
            HumanLoopInput={"InputContent": json.dumps({"x": "\ud800"})},
        )
    code, message = _error(exc)
    assert code == "ValidationException" and "surrogate" in message
    assert "HumanLoopInput.InputContent" in message
    with pytest.raises(ClientError) as exc:
        runtime.describe_human_loop(HumanLoopName=name)
    assert _error(exc)[0] == "ResourceNotFoundException"  # nothing stored
    for config in (
        {"TaskDescription": "bad \ud800"},
        {"TaskAvailabilityLifetimeInSeconds": 10**17},
        {"TaskTimeLimitInSeconds": 10**9},
    ):
        with pytest.raises(ClientError) as exc:
            sagemaker.create_flow_definition(
                FlowDefinitionName=unique("fd"),
                RoleArn=ROLE,
                OutputConfig={"S3OutputPath": str(service.data / "output")},
                HumanLoopConfig=_flow_config(sagemaker, task_ui, **config),
            )
        code, message = _error(exc)
        assert code == "ValidationException", config
        assert f"HumanLoopConfig.{next(iter(config))}" in message, message
    ok = sagemaker.create_flow_definition(  # A2I's ceiling itself is fine
        FlowDefinitionName=unique("fd"),
        RoleArn=ROLE,
        OutputConfig={"S3OutputPath": str(service.data / "output")},
        HumanLoopConfig=_flow_config(sagemaker, task_ui, TaskAvailabilityLifetimeInSeconds=864_000),
    )
    assert ok["FlowDefinitionArn"]
    http = service.http(headers=JSON)
    raw = (
        '{"HumanLoopName": "\\ud800", "FlowDefinitionArn": "' + flow + '", '
        '"HumanLoopInput": {"InputContent": "{}"}}'
    )
    _refused(http.post("/human-loops", content=raw), 400, "ValidationException", "surrogate")


def test_depth_numbers_and_pagination_tokens(
    service: ServiceProcess, runtime: Any, sagemaker: Any, make_flow: Any
) -> None:
    flow = make_flow()
    http = service.http(headers=JSON)
    big = http.post("/human-loops", content=b"[" * 100_000)
    _refused(big, 400, "ValidationException", "deeper")
    deep = json.dumps(
        {
            "HumanLoopName": "d",
            "FlowDefinitionArn": flow,
            "HumanLoopInput": {"InputContent": "[" * 500 + "]" * 500},
        }
    )
    _refused(http.post("/human-loops", content=deep), 400, "ValidationException", "deeper")
    nested: Any = "x"
    for _ in range(200):
        nested = {"a": nested}
    _refused(
        http.post("/human-loops", content=json.dumps({"HumanLoopName": nested})),
        400,
        "ValidationException",
        "deeper",
    )
    _refused(
        http.post("/human-loops", content=b'{"HumanLoopName": NaN}'), 400, "ValidationException"
    )
    for value in ("1e300", "-1e300", "inf", "99999999999999999999"):
        _refused(
            http.get(
                "/human-loops", params={"FlowDefinitionArn": flow, "CreationTimeAfter": value}
            ),
            400,
            "ValidationException",
            "CreationTimeAfter",
        )
    amz = service.http(headers={**AMZ, "X-Amz-Target": "SageMaker.ListFlowDefinitions"})
    _refused(
        amz.post("/", content=b'{"CreationTimeAfter": 1e300}'),
        400,
        "ValidationException",
        "CreationTimeAfter",
    )
    for i in range(3):
        start_loop(runtime, flow, name=f"{unique('page')}-{i}")
    page = runtime.list_human_loops(FlowDefinitionArn=flow, MaxResults=1)
    token = page["NextToken"]
    assert runtime.list_human_loops(FlowDefinitionArn=flow, MaxResults=1, NextToken=token)
    import base64

    forged_payload = (
        base64.urlsafe_b64encode(b'{"k":1e300,"i":99999999999999999999999,"a":false}')
        .decode()
        .rstrip("=")
    )
    for forged in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        forged_payload + "." + token.split(".")[1],
        forged_payload,
        "x" * 8000,
    ):
        with pytest.raises(ClientError) as exc:
            runtime.list_human_loops(FlowDefinitionArn=flow, MaxResults=1, NextToken=forged)
        code, message = _error(exc)
        assert code == "ValidationException" and "NextToken" in message
    with pytest.raises(ClientError) as exc:
        sagemaker.list_flow_definitions(NextToken=token[::-1])
    assert _error(exc)[0] == "ValidationException"


def test_body_size_limit(service: ServiceProcess) -> None:
    http = service.http(headers=JSON)
    big = b'{"HumanLoopName": "' + b"a" * (9 * 1024 * 1024) + b'"}'
    _refused(http.post("/human-loops", content=big), 413, "RequestEntityTooLargeException")

    def chunks() -> Any:  # no Content-Length: cut off while reading
        for _ in range(10):
            yield b"a" * (1024 * 1024)

    r = httpx.post(f"{service.url}/worker-api/tasks/x/answer", content=chunks())
    _refused(r, 413, "RequestEntityTooLargeException")
    assert httpx.get(f"{service.url}/hitl/health").status_code == 200


def test_header_timeout_and_connections_per_client(open_service: ServiceProcess) -> None:
    svc = open_service  # --header-timeout 1 --max-connections-per-client 4
    host, port = "127.0.0.1", svc.port
    slow = [socket.create_connection((host, port)) for _ in range(4)]
    for s in slow:
        s.sendall(b"GET /hitl/health HTTP/1.1\r\nHost: x\r\n")  # headers never finished

    def fifth_refused() -> bool:
        with socket.create_connection((host, port)) as extra:
            extra.sendall(b"GET /hitl/health HTTP/1.1\r\nHost: x\r\n\r\n")
            return extra.recv(4096).startswith(b"HTTP/1.1 429")

    # the server's event loop registers the four, then a fifth is refused at once
    wait_until(fifth_refused, 5, message="a fifth connection was served")
    for s in slow:  # the half-sent ones are answered 408 and closed after the timeout
        s.settimeout(5)
        got = s.recv(4096)
        assert got.startswith(b"HTTP/1.1 408"), got
        assert s.recv(4096) == b""
        s.close()
    # once the server has seen them closed, it serves this client again
    wait_until(lambda: httpx.get(f"{svc.url}/hitl/health").status_code == 200, 5)


def test_render_has_a_loop_budget_and_names_the_line(sagemaker: Any) -> None:
    # 360,000 iterations: past the 200,000 loop budget however fast the machine is.
    template = (
        "<p>ok</p>\n{% for a in (1..600) %}\n"
        "{% for b in (1..600) %}{{ a | append: b }}{% endfor %}{% endfor %}"
    )
    started = time.monotonic()
    out = sagemaker.render_ui_template(
        UiTemplate={"Content": template}, Task={"Input": "{}"}, RoleArn=ROLE
    )
    assert time.monotonic() - started < 6
    [error] = out["Errors"]
    assert "line 3" in error["Message"] and "limit" in error["Message"], error
    huge = "{% for a in (1..100000) %}{% for b in (1..100000) %}x{% endfor %}{% endfor %}"
    out = sagemaker.render_ui_template(
        UiTemplate={"Content": huge}, Task={"Input": "{}"}, RoleArn=ROLE
    )
    assert out["Errors"] and "line 1" in out["Errors"][0]["Message"]
    assert sagemaker.list_workteams()["Workteams"] is not None  # the service still answers


def test_render_has_a_time_budget_and_names_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from hitl_agent.service import liquid

    # Under the loop budget (160,000 iterations), so only the clock can stop it: the budget is
    # set to nothing instead of waiting for a slow machine.
    template = (
        "<p>ok</p>\n{% for a in (1..400) %}\n"
        "{% for b in (1..400) %}{{ a | append: b }}{% endfor %}{% endfor %}"
    )
    monkeypatch.setattr(liquid, "RENDER_TIME_BUDGET_S", 600.0)
    assert "<p>ok</p>" in liquid.render_template(template, {})
    monkeypatch.setattr(liquid, "RENDER_TIME_BUDGET_S", 0.0)
    with pytest.raises(liquid.TemplateError) as caught:
        liquid.render_template(template, {})
    assert "budget" in caught.value.message and "line 2" in caught.value.message
