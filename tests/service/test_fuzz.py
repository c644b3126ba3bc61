"""Property-based fuzzing of the service's AWS surfaces (Hypothesis): 3,000+ malformed requests,
never a 5xx, and the service still healthy and correct afterwards.

Requests are mostly signed with a valid key (so the validators, not authentication, meet the
input); some are unsigned or carry broken signatures. Bodies are valid requests with members
replaced by hostile values (lone surrogates, huge and non-finite numbers, deep nesting, wrong
types, long strings), raw bytes, or JSON of any shape; content types and query strings vary too.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitl_agent.service.client_auth import SigV4Auth
from tests.helpers.service import ServiceProcess, start_loop, unique

EXAMPLES = int(os.environ.get("HITL_FUZZ_EXAMPLES", "800"))  # × 4 requests each
RUNTIME_OPS = [
    ("POST", "/human-loops"),
    ("POST", "/human-loops/stop"),
    ("GET", "/human-loops"),
    ("GET", "/human-loops/{name}"),
    ("DELETE", "/human-loops/{name}"),
]
CONTROL_OPS = [
    "CreateFlowDefinition",
    "DescribeFlowDefinition",
    "ListFlowDefinitions",
    "CreateHumanTaskUi",
    "DescribeHumanTaskUi",
    "ListHumanTaskUis",
    "RenderUiTemplate",
    "CreateWorkteam",
    "ListWorkteams",
    "DeleteWorkteam",
    "NoSuchOperation",
]
MEMBERS = [
    "HumanLoopName",
    "FlowDefinitionArn",
    "HumanLoopInput",
    "InputContent",
    "DataAttributes",
    "ContentClassifiers",
    "FlowDefinitionName",
    "OutputConfig",
    "S3OutputPath",
    "RoleArn",
    "HumanLoopConfig",
    "TaskCount",
    "TaskTitle",
    "TaskDescription",
    "TaskAvailabilityLifetimeInSeconds",
    "TaskTimeLimitInSeconds",
    "TaskKeywords",
    "WorkteamArn",
    "HumanTaskUiArn",
    "HumanTaskUiName",
    "UiTemplate",
    "Content",
    "Task",
    "Input",
    "MaxResults",
    "NextToken",
    "SortOrder",
    "CreationTimeAfter",
    "CreationTimeBefore",
    "WorkteamName",
    "MemberDefinitions",
    "Description",
    "Tags",
    "Key",
    "Value",
]

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3
    ),
    st.sampled_from(
        [
            "",
            "\x00",
            "../../etc/passwd",
            "/tmp/x",
            "s3://",
            "arn:aws:sagemaker:",
            '{"x": "\\ud800"}',
            "[" * 200,
            "1e300",
            "NaN",
            "a" * 70,
            "{{ x | nope }}",
            "{% for a in (1..99999999) %}x{% endfor %}",
        ]
    ),
)
hostile_number = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 10**17, 2**63, 1e300, -1e300]),
)
leaf = st.one_of(hostile_text, hostile_number, st.booleans(), st.none())
json_value = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(MEMBERS), hostile_text), inner, max_size=4),
    ),
    max_leaves=6,
)


def _paths(doc: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    return out


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


raw_body = st.one_of(
    json_value.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.integers(min_value=65, max_value=5000).map(lambda n: _deep(n).encode()),
    st.sampled_from(
        [
            b"",
            b"{",
            b"null",
            b'{"HumanLoopName": NaN}',
            b'{"a": Infinity}',
            b'{"HumanLoopName": "\\udfff"}',
            b"\xff\xfe\x00",
        ]
    ),
)
content_type = st.sampled_from(
    [
        "application/json",
        "application/x-amz-json-1.1",
        "text/plain",
        "application/json; charset=utf-8",
        "",
        "multipart/form-data",
    ]
)
query = st.dictionaries(
    st.sampled_from(
        [
            "FlowDefinitionArn",
            "CreationTimeAfter",
            "CreationTimeBefore",
            "SortOrder",
            "MaxResults",
            "NextToken",
            "after",
            "limit",
        ]
    ),
    st.one_of(hostile_text.filter(lambda t: "\x00" not in t), hostile_number.map(str)),
    max_size=4,
)
signing = st.sampled_from(["valid"] * 8 + ["none", "garbage"])


FLOW = "arn:aws:sagemaker:us-east-1:000000000000:flow-definition/{flow}"
TEMPLATES: dict[str, dict[str, Any]] = {  # valid requests; the fuzzer breaks one member at a time
    "StartHumanLoop": {
        "HumanLoopName": "n",
        "FlowDefinitionArn": "{flow}",
        "HumanLoopInput": {"InputContent": "{}"},
        "DataAttributes": {"ContentClassifiers": ["FreeOfAdultContent"]},
    },
    "CreateFlowDefinition": {
        "FlowDefinitionName": "f",
        "RoleArn": "arn:aws:iam::000000000000:role/r",
        "OutputConfig": {"S3OutputPath": "output"},
        "HumanLoopConfig": {
            "WorkteamArn": "arn:aws:sagemaker:us-east-1:000000000000:workteam/private-crowd/t",
            "HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:000000000000:human-task-ui/u",
            "TaskTitle": "t",
            "TaskDescription": "d",
            "TaskCount": 1,
            "TaskAvailabilityLifetimeInSeconds": 60,
            "TaskKeywords": ["a"],
        },
    },
    "RenderUiTemplate": {
        "UiTemplate": {"Content": "<p>{{ task.input.x }}</p>"},
        "Task": {"Input": '{"x": 1}'},
        "RoleArn": "arn:aws:iam::000000000000:role/r",
    },
    "ListFlowDefinitions": {
        "MaxResults": 2,
        "SortOrder": "Ascending",
        "CreationTimeAfter": 0,
        "NextToken": "x",
    },
    "CreateWorkteam": {
        "WorkteamName": "w",
        "Description": "d",
        "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g"]}}],
        "Tags": [{"Key": "k", "Value": "v"}],
    },
}
PATHS = sorted({".".join(p) for t in TEMPLATES.values() for p in _paths(t)})


@pytest.fixture(scope="module")
def fuzz_target(service: ServiceProcess, runtime: Any, make_flow: Any) -> dict[str, Any]:
    flow = make_flow()
    return {"flow": flow, "loop": start_loop(runtime, flow), "stats": {"sent": 0, "by": {}}}


def _mutated(template: dict[str, Any], mutations: list[tuple[str, Any]], flow: str) -> bytes:
    doc = json.loads(json.dumps(template).replace("{flow}", flow))
    for path, value in mutations:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node[last] = value
    return json.dumps(doc).encode()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(
    template=st.sampled_from(sorted(TEMPLATES)),
    mutations=st.lists(st.tuples(st.sampled_from(PATHS), json_value), min_size=1, max_size=3),
    raw=st.one_of(st.none(), st.none(), st.none(), raw_body),
    op_index=st.integers(min_value=0, max_value=50),
    ctype=content_type,
    params=query,
    sign=signing,
    name=hostile_text.filter(lambda t: "/" not in t and "?" not in t and "#" not in t),
)
def test_malformed_requests_never_get_a_5xx(
    service: ServiceProcess,
    fuzz_target: dict[str, Any],
    template: str,
    mutations: list[tuple[str, Any]],
    raw: bytes | None,
    op_index: int,
    ctype: str,
    params: dict[str, str],
    sign: str,
    name: str,
) -> None:
    """Each example sends four requests: its body to the A2I runtime and to the SageMaker
    control plane, a querystring attack, and the body unsigned or with a broken signature."""
    payload = (
        raw if raw is not None else _mutated(TEMPLATES[template], mutations, fuzz_target["flow"])
    )
    query_string = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in params.items())
    runtime_path = "/human-loops/stop" if op_index % 3 == 0 else "/human-loops"
    loop_path = "/human-loops/" + _quote(name or "x")
    target = "SageMaker." + (template if op_index % 4 else CONTROL_OPS[op_index % len(CONTROL_OPS)])
    sends = [
        ("POST", runtime_path, {"Content-Type": "application/json"}, payload, "valid"),
        (
            "POST",
            "/",
            {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
            payload,
            "valid",
        ),
        (
            "GET" if op_index % 2 else "DELETE",
            ("/human-loops?" + query_string) if op_index % 2 else loop_path,
            {},
            b"",
            "valid",
        ),
        (
            "POST",
            runtime_path if op_index % 2 else "/",
            {"Content-Type": ctype, "X-Amz-Target": target},
            payload,
            sign,
        ),
    ]
    for method, path, headers, content, how in sends:
        _send(service, fuzz_target["stats"], method, path, headers, content, how, name)


def _send(
    service: ServiceProcess,
    stats: dict[str, Any],
    method: str,
    path: str,
    headers: dict[str, str],
    content: bytes,
    how: str,
    name: str,
) -> None:
    client = _client(service)
    headers = {k: v for k, v in headers.items() if v}
    if how == "garbage":
        printable = "".join(c for c in name[:30] if " " <= c <= "~")
        headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=" + printable
    request = client.build_request(method, path, content=content, headers=headers)
    if how == "valid":
        request = next(client.signer.auth_flow(request))
    response = client.send(request)
    stats["sent"] += 1
    stats["by"][response.status_code] = stats["by"].get(response.status_code, 0) + 1
    assert response.status_code < 500, (method, path, content[:200], response.text[:300])
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        assert response.headers.get("x-amzn-ErrorType"), response.text[:300]


def _quote(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


class _Client(httpx.Client):
    signer: SigV4Auth


_clients: dict[str, _Client] = {}


def _client(service: ServiceProcess) -> _Client:
    client = _clients.get(service.url)
    if client is None:
        client = _Client(base_url=service.url, timeout=30)
        creds = service.credentials
        client.signer = SigV4Auth(creds["aws_access_key_id"], creds["aws_secret_access_key"])
        _clients[service.url] = client
    return client


def test_the_service_is_healthy_after_the_fuzzing(
    service: ServiceProcess, runtime: Any, fuzz_target: dict[str, Any]
) -> None:
    stats = fuzz_target["stats"]
    assert stats["sent"] >= 3000, stats  # the fuzz test above ran first and sent them all
    assert all(status < 500 for status in stats["by"]), stats
    assert stats["by"].get(400, 0) > 1000 and stats["by"].get(200, 0) > 0, stats  # validators met
    assert httpx.get(f"{service.url}/hitl/health").status_code == 200
    name = start_loop(runtime, fuzz_target["flow"], name=unique("after"))
    assert runtime.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"
    assert runtime.describe_human_loop(HumanLoopName=fuzz_target["loop"])["HumanLoopName"]
