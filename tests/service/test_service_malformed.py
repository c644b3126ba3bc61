"""Malformed requests over raw HTTP: always a 4xx with the A2I/SageMaker error naming the field."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.helpers.service import unique


@pytest.fixture(scope="module")
def http(service: Any) -> httpx.Client:
    return service.http(headers={"Content-Type": "application/json"})  # type: ignore[no-any-return]


def _check(r: httpx.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["x-amzn-ErrorType"] == code
    body: dict[str, Any] = r.json()
    assert body["__type"] == code and body["message"]
    if field is not None:
        assert body.get("field") == field or field in body["message"], body
    return body


def test_bad_json_and_missing_fields(http: httpx.Client, make_flow: Any) -> None:
    _check(http.post("/human-loops", content=b"{not json"), 400, "ValidationException", "body")
    _check(http.post("/human-loops", content=b"[1, 2]"), 400, "ValidationException", "body")
    _check(http.post("/human-loops", json={}), 400, "ValidationException", "HumanLoopName")
    flow = make_flow()
    _check(
        http.post("/human-loops", json={"HumanLoopName": "a", "FlowDefinitionArn": flow}),
        400,
        "ValidationException",
        "HumanLoopInput",
    )
    _check(
        http.post(
            "/human-loops",
            json={"HumanLoopName": "a", "FlowDefinitionArn": flow, "HumanLoopInput": {}},
        ),
        400,
        "ValidationException",
        "HumanLoopInput.InputContent",
    )
    _check(
        http.post(
            "/human-loops",
            json={
                "HumanLoopName": 5,
                "FlowDefinitionArn": flow,
                "HumanLoopInput": {"InputContent": "{}"},
            },
        ),
        400,
        "ValidationException",
        "HumanLoopName",
    )
    _check(http.post("/human-loops/stop", content=b"nope"), 400, "ValidationException", "body")
    _check(http.post("/human-loops/stop", json={}), 400, "ValidationException", "HumanLoopName")
    _check(http.get("/human-loops"), 400, "ValidationException", "FlowDefinitionArn")
    _check(
        http.get("/human-loops", params={"FlowDefinitionArn": flow, "MaxResults": "abc"}),
        400,
        "ValidationException",
        "MaxResults",
    )
    _check(
        http.get("/human-loops", params={"FlowDefinitionArn": flow, "MaxResults": "0"}),
        400,
        "ValidationException",
        "MaxResults",
    )
    _check(
        http.get("/human-loops", params={"FlowDefinitionArn": flow, "SortOrder": "Up"}),
        400,
        "ValidationException",
        "SortOrder",
    )
    _check(
        http.get(
            "/human-loops", params={"FlowDefinitionArn": flow, "CreationTimeAfter": "yesterday"}
        ),
        400,
        "ValidationException",
        "CreationTimeAfter",
    )


def test_oversize_and_bad_names(http: httpx.Client, make_flow: Any) -> None:
    flow = make_flow()
    big = json.dumps({"x": "a" * 3_145_728})
    body = _check(
        http.post(
            "/human-loops",
            json={
                "HumanLoopName": unique("big"),
                "FlowDefinitionArn": flow,
                "HumanLoopInput": {"InputContent": big},
            },
        ),
        400,
        "ValidationException",
        "HumanLoopInput.InputContent",
    )
    assert "3145728" in body["message"]
    for bad in ("a" * 64, "-leading", "under_score", "tr ailing"):
        _check(
            http.post(
                "/human-loops",
                json={
                    "HumanLoopName": bad,
                    "FlowDefinitionArn": flow,
                    "HumanLoopInput": {"InputContent": "{}"},
                },
            ),
            400,
            "ValidationException",
            "HumanLoopName",
        )
    _check(http.get("/human-loops/" + "b" * 64), 400, "ValidationException", "HumanLoopName")
    _check(http.delete("/human-loops/bad_name"), 400, "ValidationException", "HumanLoopName")


def test_unknown_flow(http: httpx.Client) -> None:
    arn = "arn:aws:sagemaker:us-east-1:000000000000:flow-definition/absent"
    _check(
        http.post(
            "/human-loops",
            json={
                "HumanLoopName": "x",
                "FlowDefinitionArn": arn,
                "HumanLoopInput": {"InputContent": "{}"},
            },
        ),
        404,
        "ResourceNotFoundException",
        "FlowDefinitionArn",
    )
    _check(
        http.post(
            "/human-loops",
            json={
                "HumanLoopName": "x",
                "FlowDefinitionArn": "nope",
                "HumanLoopInput": {"InputContent": "{}"},
            },
        ),
        400,
        "ValidationException",
        "FlowDefinitionArn",
    )


def test_wrong_method_and_unknown_path(http: httpx.Client) -> None:
    _check(http.put("/human-loops", json={}), 400, "ValidationException", "method")
    _check(http.patch("/human-loops/x"), 400, "ValidationException", "method")
    _check(
        http.get("/", headers={"X-Amz-Target": "SageMaker.ListWorkteams"}),
        400,
        "ValidationException",
        "method",
    )
    _check(http.get("/no/such/thing"), 404, "UnknownOperationException", "path")


def test_control_plane_target_and_body(http: httpx.Client) -> None:
    ct = {"Content-Type": "application/x-amz-json-1.1"}
    body = _check(
        http.post("/", headers=ct, content=b"{}"), 400, "UnknownOperationException", "X-Amz-Target"
    )
    assert body["field"] == "X-Amz-Target"
    r = http.post("/", headers={**ct, "X-Amz-Target": "SageMaker.LaunchRocket"}, content=b"{}")
    _check(r, 400, "UnknownOperationException", "X-Amz-Target")
    assert r.headers["content-type"].startswith("application/x-amz-json-1.1")
    _check(
        http.post("/", headers={**ct, "X-Amz-Target": "Other.ListWorkteams"}, content=b"{}"),
        400,
        "UnknownOperationException",
    )
    _check(
        http.post(
            "/", headers={**ct, "X-Amz-Target": "SageMaker.CreateFlowDefinition"}, content=b"{bad"
        ),
        400,
        "ValidationException",
        "body",
    )
    _check(
        http.post(
            "/", headers={**ct, "X-Amz-Target": "SageMaker.CreateFlowDefinition"}, content=b"{}"
        ),
        400,
        "ValidationException",
        "FlowDefinitionName",
    )
    _check(
        http.post(
            "/",
            headers={**ct, "X-Amz-Target": "SageMaker.ListFlowDefinitions"},
            content=b'{"MaxResults": 1000}',
        ),
        400,
        "ValidationException",
        "MaxResults",
    )
    _check(
        http.post(
            "/",
            headers={**ct, "X-Amz-Target": "SageMaker.CreateWorkteam"},
            content=b'{"WorkteamName": "t", "MemberDefinitions": [], "Description": "d"}',
        ),
        400,
        "ValidationException",
        "MemberDefinitions",
    )


def test_never_422_or_5xx(http: httpx.Client) -> None:
    probes = [
        http.post("/human-loops", content=b"\xff\xfe"),
        http.post("/human-loops", content=b"null"),
        http.post("/human-loops", json={"HumanLoopName": None}),
        http.get("/human-loops", params={"FlowDefinitionArn": "x" * 2000}),
        http.post("/", headers={"X-Amz-Target": "SageMaker.DescribeHumanTaskUi"}, content=b"[]"),
        http.post("/worker-api/tasks/x/answer", content=b"{"),
    ]
    for r in probes:
        assert 400 <= r.status_code < 500 and r.status_code not in (422, 429), (
            r.status_code,
            r.text,
        )
        assert r.json()["__type"]
