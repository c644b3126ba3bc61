"""The SageMaker control-plane subset through boto3's ``sagemaker`` client."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.helpers.service import ROLE, TEMPLATE, ensure_team, unique, workteam_arn


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def _config(ui: str, **over: Any) -> dict[str, Any]:
    return {
        "WorkteamArn": workteam_arn("team-a"),
        "HumanTaskUiArn": ui,
        "TaskTitle": "Title",
        "TaskDescription": "Describe",
        "TaskCount": 2,
        **over,
    }


def test_flow_definition_crud_and_paginator(sagemaker: Any, task_ui: str, tmp_path: Any) -> None:
    ensure_team(sagemaker, "team-a")
    conditions = json.dumps(
        {
            "Conditions": [
                {
                    "ConditionType": "Sampling",
                    "ConditionParameters": {"RandomSamplingPercentage": 5},
                }
            ]
        }
    )
    names = [unique("fd") for _ in range(3)]
    for name in names:
        arn = sagemaker.create_flow_definition(
            FlowDefinitionName=name,
            RoleArn=ROLE,
            OutputConfig={"S3OutputPath": "s3://bucket/prefix"},
            HumanLoopConfig=_config(
                task_ui,
                TaskAvailabilityLifetimeInSeconds=3600,
                TaskTimeLimitInSeconds=300,
                TaskKeywords=["Images", "Text"],
            ),
            HumanLoopRequestSource={
                "AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"
            },
            HumanLoopActivationConfig={
                "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": conditions}
            },
        )["FlowDefinitionArn"]
        assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:flow-definition/{name}"
    got = sagemaker.describe_flow_definition(FlowDefinitionName=names[0])
    assert got["FlowDefinitionStatus"] == "Active"
    assert got["HumanLoopConfig"]["TaskCount"] == 2
    assert got["HumanLoopConfig"]["TaskKeywords"] == ["Images", "Text"]
    assert got["HumanLoopConfig"]["TaskTimeLimitInSeconds"] == 300
    assert got["OutputConfig"] == {"S3OutputPath": "s3://bucket/prefix"}
    assert got["RoleArn"] == ROLE
    assert got["HumanLoopRequestSource"]["AwsManagedHumanLoopRequestSource"].startswith(
        "AWS/Textract"
    )
    kept = got["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"]
    assert kept["HumanLoopActivationConditions"] == conditions  # the JSON string, unchanged
    assert got["CreationTime"].tzinfo is not None

    pages = list(
        sagemaker.get_paginator("list_flow_definitions").paginate(
            SortOrder="Ascending", PaginationConfig={"PageSize": 2}
        )
    )
    listed = [s["FlowDefinitionName"] for p in pages for s in p["FlowDefinitionSummaries"]]
    assert len(listed) == len(set(listed))
    assert [n for n in listed if n in names] == names
    assert all(len(p["FlowDefinitionSummaries"]) <= 2 for p in pages)

    with pytest.raises(ClientError) as err:
        sagemaker.create_flow_definition(
            FlowDefinitionName=names[0], RoleArn=ROLE, OutputConfig={"S3OutputPath": "s3://b/p"}
        )
    assert _error(err)[:2] == ("ResourceInUse", 400)
    assert isinstance(err.value, sagemaker.exceptions.ResourceInUse)
    sagemaker.delete_flow_definition(FlowDefinitionName=names[0])
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_flow_definition(FlowDefinitionName=names[0])
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.delete_flow_definition(FlowDefinitionName=names[0])


def test_flow_definition_validation(sagemaker: Any, task_ui: str) -> None:
    ensure_team(sagemaker, "team-a")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"FlowDefinitionName": "Upper-Case"}, "FlowDefinitionName"),
        ({"HumanLoopConfig": _config(task_ui, TaskCount=4)}, "HumanLoopConfig.TaskCount"),
        ({"HumanLoopConfig": _config(task_ui, TaskKeywords=["bad!"])}, "TaskKeywords"),
        (
            {"HumanLoopConfig": _config(task_ui, WorkteamArn="arn:aws:sagemaker:x")},
            "HumanLoopConfig.WorkteamArn",
        ),
        (
            {
                "HumanLoopConfig": _config(
                    "arn:aws:sagemaker:us-east-1:000000000000:human-task-ui/missing"
                )
            },
            "HumanLoopConfig.HumanTaskUiArn",
        ),
        ({"RoleArn": "arn:aws:iam::1:role/short"}, "RoleArn"),
        (
            {
                "HumanLoopActivationConfig": {
                    "HumanLoopActivationConditionsConfig": {
                        "HumanLoopActivationConditions": "{nope"
                    }
                }
            },
            "HumanLoopActivationConditions",
        ),
    ]
    for override, field in cases:
        params = {
            "FlowDefinitionName": unique("fd"),
            "RoleArn": ROLE,
            "OutputConfig": {"S3OutputPath": "s3://b/p"},
            "HumanLoopConfig": _config(task_ui),
            **override,
        }
        with pytest.raises(ClientError) as err:
            sagemaker.create_flow_definition(**params)
        code, status, message = _error(err)
        assert (code, status) == ("ValidationException", 400), message
        assert field in message, (field, message)


def test_flow_definition_in_use_cannot_be_deleted(
    sagemaker: Any, runtime: Any, make_flow: Any
) -> None:
    flow = make_flow()
    name = unique("loop")
    runtime.start_human_loop(
        HumanLoopName=name, FlowDefinitionArn=flow, HumanLoopInput={"InputContent": "{}"}
    )
    with pytest.raises(sagemaker.exceptions.ResourceInUse):
        sagemaker.delete_flow_definition(FlowDefinitionName=flow.rsplit("/", 1)[1])
    runtime.stop_human_loop(HumanLoopName=name)
    sagemaker.delete_flow_definition(FlowDefinitionName=flow.rsplit("/", 1)[1])


def test_human_task_ui_crud_url_and_hash(sagemaker: Any) -> None:
    name = unique("ui")
    content = TEMPLATE + "\n<!-- é ✓ -->"
    arn = sagemaker.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": content})[
        "HumanTaskUiArn"
    ]
    got = sagemaker.describe_human_task_ui(HumanTaskUiName=name)
    assert got["HumanTaskUiArn"] == arn and got["HumanTaskUiStatus"] == "Active"
    assert got["UiTemplate"]["ContentSha256"] == hashlib.sha256(content.encode()).hexdigest()
    fetched = httpx.get(got["UiTemplate"]["Url"])
    assert fetched.status_code == 200 and fetched.text == content
    names = [
        s["HumanTaskUiName"]
        for p in sagemaker.get_paginator("list_human_task_uis").paginate(
            PaginationConfig={"PageSize": 1}
        )
        for s in p["HumanTaskUiSummaries"]
    ]
    assert name in names and len(names) == len(set(names))
    with pytest.raises(sagemaker.exceptions.ResourceInUse):
        sagemaker.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": "x"})
    with pytest.raises(ClientError) as err:
        sagemaker.create_human_task_ui(
            HumanTaskUiName=unique("ui"), UiTemplate={"Content": "x" * 128_001}
        )
    assert "UiTemplate.Content" in _error(err)[2]
    sagemaker.delete_human_task_ui(HumanTaskUiName=name)
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_human_task_ui(HumanTaskUiName=name)
    assert httpx.get(got["UiTemplate"]["Url"]).status_code == 404


def test_render_ui_template(sagemaker: Any, task_ui: str) -> None:
    out = sagemaker.render_ui_template(
        UiTemplate={"Content": TEMPLATE},
        Task={"Input": json.dumps({"text": "<b>hi</b>"})},
        RoleArn=ROLE,
    )
    assert out["Errors"] == []
    assert "&lt;b&gt;hi&lt;/b&gt;" in out["RenderedContent"]  # autoescaped, as A2I does
    by_arn = sagemaker.render_ui_template(
        HumanTaskUiArn=task_ui, RoleArn=ROLE, Task={"Input": json.dumps({"text": "x"})}
    )
    assert "<p>x</p>" in by_arn["RenderedContent"]
    broken = sagemaker.render_ui_template(
        UiTemplate={"Content": "<p>\n{{ task.input.text | no_such_filter }}</p>"},
        Task={"Input": "{}"},
        RoleArn=ROLE,
    )
    assert broken["RenderedContent"] == ""
    assert len(broken["Errors"]) == 1 and broken["Errors"][0]["Code"]
    assert "no_such_filter" in broken["Errors"][0]["Message"]
    with pytest.raises(ClientError) as err:
        sagemaker.render_ui_template(
            UiTemplate={"Content": "x"}, Task={"Input": "{bad"}, RoleArn=ROLE
        )
    assert "Task.Input" in _error(err)[2]


def test_workteams(sagemaker: Any) -> None:
    names = [unique("Team") for _ in range(3)]
    member = [{"OidcMemberDefinition": {"Groups": ["reviewers"]}}]
    for name in names:
        arn = sagemaker.create_workteam(
            WorkteamName=name, MemberDefinitions=member, Description="Reviewers"
        )["WorkteamArn"]
        assert arn.endswith(f":workteam/private-crowd/{name}")
    team = sagemaker.describe_workteam(WorkteamName=names[1])["Workteam"]
    assert team["MemberDefinitions"] == member and team["Description"] == "Reviewers"
    pages = list(
        sagemaker.get_paginator("list_workteams").paginate(
            SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 2}
        )
    )
    listed = [w["WorkteamName"] for p in pages for w in p["Workteams"]]
    assert listed == sorted(listed) and set(names) <= set(listed)
    only = sagemaker.list_workteams(NameContains=names[2])["Workteams"]
    assert [w["WorkteamName"] for w in only] == [names[2]]
    with pytest.raises(sagemaker.exceptions.ResourceInUse):
        sagemaker.create_workteam(
            WorkteamName=names[0], MemberDefinitions=member, Description="again"
        )
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_workteam(WorkteamName="no-such-team")


def test_unknown_operation(service: Any, sagemaker: Any) -> None:
    with pytest.raises(ClientError) as err:
        sagemaker.create_model(
            ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "x"}
        )
    code, status, message = _error(err)
    assert (code, status) == ("UnknownOperationException", 400)
    assert "CreateModel" in message


def test_aws_only_calls_validated_by_stubber() -> None:
    """Control calls the service does not implement are checked against botocore's model."""
    client = boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "create_workforce",
            {"WorkforceArn": "arn:aws:sagemaker:us-east-1:000000000000:workforce/wf"},
            {
                "WorkforceName": "wf",
                "CognitoConfig": {"UserPool": "us-east-1_abc", "ClientId": "c"},
            },
        )
        got = client.create_workforce(
            WorkforceName="wf", CognitoConfig={"UserPool": "us-east-1_abc", "ClientId": "c"}
        )
        assert got["WorkforceArn"].endswith("workforce/wf")
        stub.assert_no_pending_responses()
        stub.add_response(
            "describe_workforce",
            {
                "Workforce": {
                    "WorkforceName": "wf",
                    "WorkforceArn": "arn:aws:sagemaker:us-east-1:0:workforce/wf",
                }
            },
            {"WorkforceName": "wf"},
        )
        assert client.describe_workforce(WorkforceName="wf")["Workforce"]["WorkforceName"] == "wf"
        # a response that breaks the model is refused by the stubber itself
        with pytest.raises(Exception, match="WorkforceArn|Workforce"):
            stub.add_response("create_workforce", {"NotAMember": 1}, {})
