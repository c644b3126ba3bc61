"""Issue 14, bullet 1: nobody without a key the service issued can call it (SigV4, as AWS).

Attacks through real boto3 (made-up keys, a wrong secret, a skewed clock, a revoked key, a key of
the wrong scope) and raw HTTP (no header, a garbage ``AWS4-HMAC-SHA256`` header, a body changed
after signing); each must get AWS's error code with a 4xx and change nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.auth
import httpx
import pytest
import typer
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from hitl_agent.cli.keys import app as keys_app
from hitl_agent.cli.serve import serve
from hitl_agent.service.client_auth import SigV4Auth
from tests.helpers.service import REGION, ROLE, ServiceProcess, start_loop, unique
from tests.helpers.wait import wait_until

runner = CliRunner()
JSON = {"Content-Type": "application/json"}
AMZ = {"Content-Type": "application/x-amz-json-1.1"}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    err = exc.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def _client(service: ServiceProcess, name: str, key: str, secret: str) -> Any:
    return boto3.client(
        name,
        endpoint_url=service.url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def _new_key(service: ServiceProcess, scope: str) -> dict[str, str]:
    out = runner.invoke(
        keys_app, ["create", "--scope", scope, "--data", str(service.data), "--json"]
    )
    assert out.exit_code == 0, out.output
    return dict(json.loads(out.stdout))


def test_unsigned_and_garbage_signatures_change_nothing(
    service: ServiceProcess, runtime: Any, sagemaker: Any, make_flow: Any
) -> None:
    flow = make_flow()
    name = start_loop(runtime, flow)
    start = json.dumps(
        {
            "HumanLoopName": unique("x"),
            "FlowDefinitionArn": flow,
            "HumanLoopInput": {"InputContent": "{}"},
        }
    )
    team = {
        "WorkteamName": "evil",
        "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g"]}}],
        "Description": "d",
    }
    calls = [
        ("POST", "/human-loops", JSON, start),
        ("POST", "/human-loops/stop", JSON, json.dumps({"HumanLoopName": name})),
        ("DELETE", f"/human-loops/{name}", {}, ""),
        ("GET", f"/human-loops/{name}", {}, ""),
        ("POST", "/", {**AMZ, "X-Amz-Target": "SageMaker.CreateWorkteam"}, json.dumps(team)),
        ("GET", "/hitl/events", {}, ""),
        ("POST", "/hitl/events/replay", {}, ""),
        ("GET", "/hitl/no-such-path", {}, ""),
    ]
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    forged = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKHLAAAAAAAAAAAAAAAA/{now[:8]}/{REGION}/"
        f"sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}",
        "X-Amz-Date": now,
    }
    attacks = {
        "MissingAuthenticationTokenException": {},
        "IncompleteSignatureException": {"Authorization": "AWS4-HMAC-SHA256 garbage"},
        "UnrecognizedClientException": forged,
    }
    for code, extra in attacks.items():
        for method, path, headers, body in calls:
            r = httpx.request(
                method, service.url + path, headers={**headers, **extra}, content=body
            )
            assert 400 <= r.status_code < 500, (code, path, r.status_code, r.text)
            assert r.headers["x-amzn-ErrorType"] == code, (path, r.text)
            assert r.json()["__type"] == code
    # the control plane (JSON 1.1) answers 400, the runtime (rest-json) 403, as AWS does
    assert httpx.post(service.url + "/", headers=AMZ, content=b"{}").status_code == 400
    assert httpx.get(f"{service.url}/human-loops/{name}").status_code == 403
    # nothing changed
    assert runtime.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"
    with pytest.raises(ClientError):
        sagemaker.describe_workteam(WorkteamName="evil")


def test_made_up_keys_wrong_secret_and_tampered_body(
    service: ServiceProcess, runtime: Any, make_flow: Any
) -> None:
    name = start_loop(runtime, make_flow())
    made_up = _client(service, "sagemaker-a2i-runtime", "AKIAIOSFODNN7EXAMPLE", "x" * 40)
    with pytest.raises(ClientError) as exc:
        made_up.stop_human_loop(HumanLoopName=name)
    assert _code(exc) == ("UnrecognizedClientException", 403)
    assert "security token included in the request is invalid" in str(exc.value)
    with pytest.raises(ClientError) as exc:
        _client(service, "sagemaker", "AKIAIOSFODNN7EXAMPLE", "x" * 40).list_workteams()
    assert _code(exc) == ("UnrecognizedClientException", 400)

    key = service.credentials["aws_access_key_id"]
    wrong = _client(service, "sagemaker-a2i-runtime", key, "not-the-secret")
    with pytest.raises(ClientError) as exc:
        wrong.delete_human_loop(HumanLoopName=name)
    assert _code(exc) == ("InvalidSignatureException", 403)
    assert "signature we calculated does not match" in str(exc.value)

    # a correctly signed request whose body is swapped afterwards
    creds = service.credentials
    auth = SigV4Auth(creds["aws_access_key_id"], creds["aws_secret_access_key"])
    signed = httpx.Request(
        "POST",
        service.url + "/human-loops/stop",
        headers=JSON,
        content=json.dumps({"HumanLoopName": "harmless"}).encode(),
    )
    signed = next(auth.auth_flow(signed))
    headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
    swapped = httpx.post(
        service.url + "/human-loops/stop",
        headers=headers,
        content=json.dumps({"HumanLoopName": name}).encode(),
    )
    assert swapped.status_code == 403
    assert swapped.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    # ... and the same request replayed to another path
    moved = urlunsplit(urlsplit(str(signed.url))._replace(path="/human-loops"))
    assert httpx.post(moved, headers=headers, content=signed.content).status_code == 403
    assert runtime.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"


def test_clock_skew_beyond_five_minutes(
    service: ServiceProcess, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for skew, words in (
        (timedelta(minutes=-6), "Signature expired"),
        (timedelta(minutes=6), "Signature not yet current"),
    ):
        monkeypatch.setattr(
            botocore.auth,
            "get_current_datetime",
            lambda skew=skew: datetime.now(UTC).replace(tzinfo=None) + skew,
        )
        with pytest.raises(ClientError) as exc:
            runtime.describe_human_loop(HumanLoopName="any")
        assert _code(exc) == ("InvalidSignatureException", 403)
        assert words in str(exc.value)
    monkeypatch.setattr(
        botocore.auth,
        "get_current_datetime",
        lambda: datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=4),
    )
    with pytest.raises(ClientError) as exc:  # within 5 minutes: signed fine, loop unknown
        runtime.describe_human_loop(HumanLoopName="any")
    assert _code(exc)[0] == "ResourceNotFoundException"


def test_scopes_and_revocation(service: ServiceProcess, make_flow: Any) -> None:
    flow = make_flow()
    key = _new_key(service, "runtime")
    assert key["Scope"] == "runtime" and key["AccessKeyId"].startswith("AKHL")
    rt = _client(service, "sagemaker-a2i-runtime", key["AccessKeyId"], key["SecretAccessKey"])
    sm = _client(service, "sagemaker", key["AccessKeyId"], key["SecretAccessKey"])
    name = start_loop(rt, flow)  # a runtime key runs loops ...
    with pytest.raises(ClientError) as exc:  # ... but cannot touch the control plane
        sm.create_workteam(
            WorkteamName="mine",
            Description="d",
            MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["g"]}}],
        )
    assert _code(exc) == ("AccessDeniedException", 400)
    assert "not authorized to perform: sagemaker:CreateWorkteam" in str(exc.value)
    events = httpx.get(
        f"{service.url}/hitl/events", auth=SigV4Auth(key["AccessKeyId"], key["SecretAccessKey"])
    )
    assert events.status_code == 403 and events.json()["__type"] == "AccessDeniedException"

    listed = runner.invoke(keys_app, ["list", "--data", str(service.data), "--json"])
    rows = {k["AccessKeyId"]: k for k in json.loads(listed.stdout)}
    assert rows[key["AccessKeyId"]]["Status"] == "Active"
    assert key["SecretAccessKey"] not in listed.stdout
    # the secret is nowhere in the database: it is derived, never stored
    assert key["SecretAccessKey"].encode() not in (service.data / "service.db").read_bytes()

    revoked = runner.invoke(keys_app, ["revoke", key["AccessKeyId"], "--data", str(service.data)])
    assert revoked.exit_code == 0, revoked.output
    def refused() -> bool:
        try:
            rt.describe_human_loop(HumanLoopName=name)
        except ClientError as err:
            assert err.response["Error"]["Code"] == "UnrecognizedClientException"
            return True
        return False

    # another process revoked it: effective within a second
    wait_until(refused, 5, every=0.2, message="a revoked key still works")
    again = runner.invoke(keys_app, ["revoke", "AKHLNOSUCHKEY", "--data", str(service.data)])
    assert again.exit_code == 1
    bad_scope = runner.invoke(keys_app, ["create", "--scope", "root", "--data", str(service.data)])
    assert bad_scope.exit_code == 2


def test_template_urls_need_their_signature(service: ServiceProcess, sagemaker: Any) -> None:
    ui = unique("ui")
    sagemaker.create_human_task_ui(HumanTaskUiName=ui, UiTemplate={"Content": "<p>secret</p>"})
    url = sagemaker.describe_human_task_ui(HumanTaskUiName=ui)["UiTemplate"]["Url"]
    assert httpx.get(url).text == "<p>secret</p>"  # presigned, like A2I's S3 URL
    bare = url.split("?", 1)[0]
    assert httpx.get(bare).status_code == 403
    assert httpx.get(bare + "?expires=99999999999&sig=forged").status_code == 403
    other = bare.replace(f"/{ui}/", "/another-ui/") + "?" + url.split("?", 1)[1]
    assert httpx.get(other).status_code == 403  # a signature is for one template only
    assert service.http().get(bare.replace(service.url, "")).text == "<p>secret</p>"


def test_auth_off_only_by_flag_and_only_on_loopback(tmp_path: Any) -> None:
    app = typer.Typer()
    app.command()(serve)
    refused = runner.invoke(app, ["--host", "0.0.0.0", "--no-auth", "--data", str(tmp_path)])
    assert refused.exit_code == 2 and "refused on a non-loopback" in refused.output


def test_no_auth_flag_on_loopback_accepts_unsigned(open_service: ServiceProcess) -> None:
    assert not (open_service.data / "credentials").exists()  # no key needed, none written
    ui = unique("ui")
    team = httpx.post(
        open_service.url + "/",
        content=json.dumps(
            {
                "WorkteamName": unique("t"),
                "Description": "d",
                "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g"]}}],
            }
        ),
        headers={**AMZ, "X-Amz-Target": "SageMaker.CreateWorkteam"},
    )
    assert team.status_code == 200, team.text
    r = httpx.post(
        open_service.url + "/",
        content=json.dumps({"HumanTaskUiName": ui, "UiTemplate": {"Content": "x"}}),
        headers={**AMZ, "X-Amz-Target": "SageMaker.CreateHumanTaskUi"},
    )
    assert r.status_code == 200, r.text
    flow = httpx.post(
        open_service.url + "/",
        content=json.dumps(
            {
                "FlowDefinitionName": unique("fd"),
                "RoleArn": ROLE,
                "OutputConfig": {"S3OutputPath": "output"},
                "HumanLoopConfig": {
                    "WorkteamArn": team.json()["WorkteamArn"],
                    "HumanTaskUiArn": r.json()["HumanTaskUiArn"],
                    "TaskTitle": "t",
                    "TaskDescription": "d",
                    "TaskCount": 1,
                },
            }
        ),
        headers={**AMZ, "X-Amz-Target": "SageMaker.CreateFlowDefinition"},
    )
    assert flow.status_code == 200, flow.text
