"""The SageMaker control plane as an A2I user meets it through boto3: workforces, work-team
updates and tags round-trip with botocore's paginators and error classes; what AWS validates
at CreateFlowDefinition is validated; nothing is started that no worker could be shown."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.helpers.service import ROLE, TEMPLATE, ensure_team, unique

pytestmark = pytest.mark.slow


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    e = err.value.response["Error"]
    return e["Code"], e["Message"]


@pytest.fixture(scope="module")
def sm(review_service: Any) -> Any:
    return review_service.client("sagemaker")


@pytest.fixture(scope="module")
def ui(sm: Any) -> str:
    return str(sm.create_human_task_ui(HumanTaskUiName=unique("ui"),
                                       UiTemplate={"Content": TEMPLATE})["HumanTaskUiArn"])


def _flow(sm: Any, ui: str, team_arn: str, **extra: Any) -> str:
    return str(sm.create_flow_definition(
        FlowDefinitionName=unique("fd"), RoleArn=ROLE, OutputConfig={"S3OutputPath": "out"},
        HumanLoopConfig={"WorkteamArn": team_arn, "HumanTaskUiArn": ui, "TaskTitle": "t",
                         "TaskDescription": "d", "TaskCount": 1, **extra.pop("config", {})},
        **extra)["FlowDefinitionArn"])


def test_workforce_lifecycle_through_boto3(review_service: Any, sm: Any) -> None:
    oidc = {"ClientId": "portal", "ClientSecret": "s3cret", "Issuer": "https://idp.example.com",
            "AuthorizationEndpoint": "https://idp.example.com/auth",
            "TokenEndpoint": "https://idp.example.com/token",
            "UserInfoEndpoint": "https://idp.example.com/me",
            "LogoutEndpoint": "https://idp.example.com/logout",
            "JwksUri": "https://idp.example.com/jwks"}
    with pytest.raises(ClientError) as err:
        sm.create_workforce(WorkforceName="wf",
                            CognitoConfig={"UserPool": "us-east-1_abc", "ClientId": "c"})
    assert _error(err)[0] == "ValidationException" and "CognitoConfig" in _error(err)[1]
    with pytest.raises(ClientError) as err:
        sm.create_workforce(WorkforceName="wf", OidcConfig={**oidc, "Issuer": "http://idp.x"})
    assert "OidcConfig.Issuer" in _error(err)[1]
    arn = sm.create_workforce(WorkforceName="wf", OidcConfig=oidc,
                              SourceIpConfig={"Cidrs": ["10.0.0.0/16"]},
                              Tags=[{"Key": "cost-center", "Value": "ml"}])["WorkforceArn"]
    assert arn.endswith(":workforce/wf")
    with pytest.raises(sm.exceptions.ResourceLimitExceeded):
        sm.create_workforce(WorkforceName="second", OidcConfig=oidc)
    got = sm.describe_workforce(WorkforceName="wf")["Workforce"]
    assert got["OidcConfig"]["Issuer"] == oidc["Issuer"] and "ClientSecret" not in got["OidcConfig"]
    assert got["SourceIpConfig"] == {"Cidrs": ["10.0.0.0/16"]}
    assert got["SubDomain"] == f"{review_service.url.split('://')[1]}/portal"
    updated = sm.update_workforce(WorkforceName="wf", SourceIpConfig={"Cidrs": ["10.1.0.0/16"]},
                                  OidcConfig={**oidc, "ClientId": "portal-2"})["Workforce"]
    assert updated["OidcConfig"]["ClientId"] == "portal-2"
    listed = [w for page in sm.get_paginator("list_workforces").paginate()
              for w in page["Workforces"]]
    assert [w["WorkforceName"] for w in listed] == ["wf"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "cost-center", "Value": "ml"}]
    team = sm.create_workteam(WorkteamName=unique("wf-team"), WorkforceName="wf",
                              Description="d", MemberDefinitions=[
                                  {"OidcMemberDefinition": {"Groups": ["g"]}}])["WorkteamArn"]
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.delete_workforce(WorkforceName="wf")
    sm.delete_workteam(WorkteamName=team.rsplit("/", 1)[1])
    sm.delete_workforce(WorkforceName="wf")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_workforce(WorkforceName="wf")


def test_workteam_update_subdomain_and_member_rules(review_service: Any, sm: Any) -> None:
    name = unique("Team")
    sm.create_workteam(WorkteamName=name, Description="before",
                       MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["a"]}}])
    team = sm.update_workteam(
        WorkteamName=name, Description="after",
        MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["a", "b"]}}])["Workteam"]
    assert team["Description"] == "after"
    assert team["MemberDefinitions"] == [{"OidcMemberDefinition": {"Groups": ["a", "b"]}}]
    # the worker link a notebook prints ("https://" + SubDomain) is the portal's address
    sub = sm.describe_workteam(WorkteamName=name)["Workteam"]["SubDomain"]
    assert httpx.get(f"http://{sub}/login").status_code == 200
    bad = [
        ([{"CognitoMemberDefinition": {"UserPool": "p", "UserGroup": "g", "ClientId": "c"}}],
         "CognitoMemberDefinition"),
        ([{}], "MemberDefinitions.1"),
        ([{"OidcMemberDefinition": {"Groups": ["has space"]}}], "Groups.1"),
    ]
    for members, member in bad:
        with pytest.raises(ClientError) as err:
            sm.create_workteam(WorkteamName=unique("T"), Description="d",
                               MemberDefinitions=members)
        assert _error(err)[0] == "ValidationException" and member in _error(err)[1], members
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.update_workteam(WorkteamName="no-such-team", Description="x")


def test_tags_round_trip_with_the_paginator(sm: Any, ui: str) -> None:
    team = ensure_team(sm, "tagged")
    flow = _flow(sm, ui, team, Tags=[{"Key": "project", "Value": "forms"}])
    assert sm.list_tags(ResourceArn=flow)["Tags"] == [{"Key": "project", "Value": "forms"}]
    sm.add_tags(ResourceArn=flow, Tags=[{"Key": f"k{i:02d}", "Value": "v"} for i in range(30)]
                + [{"Key": "project", "Value": "intake"}])
    tags = [t for page in sm.get_paginator("list_tags").paginate(
        ResourceArn=flow, PaginationConfig={"PageSize": 50}) for t in page["Tags"]]
    assert len(tags) == 31 and {"Key": "project", "Value": "intake"} in tags
    sm.delete_tags(ResourceArn=flow, TagKeys=["project", "k00"])
    keys = {t["Key"] for t in sm.list_tags(ResourceArn=flow)["Tags"]}
    assert "project" not in keys and "k00" not in keys and len(keys) == 29
    for tag, member in (({"Key": "aws:owner", "Value": "x"}, "Tags.1.Key"),
                        ({"Key": "bad#key", "Value": "x"}, "Tags.1.Key"),
                        ({"Key": "ok", "Value": "semi;colon"}, "Tags.1.Value")):
        with pytest.raises(ClientError) as err:
            sm.add_tags(ResourceArn=flow, Tags=[tag])
        assert _error(err)[0] == "ValidationException" and member in _error(err)[1]
    with pytest.raises(sm.exceptions.ResourceLimitExceeded):
        sm.add_tags(ResourceArn=flow, Tags=[{"Key": f"x{i}", "Value": "v"} for i in range(25)])
    missing = flow.replace(":flow-definition/", ":flow-definition/gone-")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.list_tags(ResourceArn=missing)


def test_flow_definitions_that_cannot_be_served_are_refused(sm: Any, ui: str) -> None:
    team = ensure_team(sm, "servable")
    region_account = team.split(":workteam/")[0]
    cases: list[tuple[str, dict[str, Any], str]] = [
        (f"{region_account}:workteam/private-crowd/never-created", {}, "does not exist"),
        ("arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default", {},
         "Mechanical Turk"),
        (team, {"config": {"PublicWorkforceTaskPrice": {"AmountInUsd": {"Dollars": 3}}}},
         "Dollars"),
        (team, {"HumanLoopActivationConfig": {"HumanLoopActivationConditionsConfig": {
            "HumanLoopActivationConditions": json.dumps({"Conditions": [
                {"ConditionType": "GutFeeling", "ConditionParameters": {}}]})}}},
         "ConditionType"),
        (team, {"HumanLoopRequestSource": {
            "AwsManagedHumanLoopRequestSource": "AWS/Rekognition/DetectModerationLabels/Image/V3"},
            "HumanLoopActivationConfig": {"HumanLoopActivationConditionsConfig": {
                "HumanLoopActivationConditions": json.dumps({"Conditions": [
                    {"ConditionType": "MissingImportantFormKey",
                     "ConditionParameters": {"ImportantFormKey": "x"}}]})}}},
         "ConditionType"),
    ]
    for team_arn, extra, words in cases:
        with pytest.raises(ClientError) as err:
            _flow(sm, ui, team_arn, **extra)
        code, message = _error(err)
        assert code == "ValidationException" and words in message, (extra, message)


def test_a_deleted_task_ui_never_leaves_a_loop_unshowable(
        review_service: Any, sm: Any, add_worker: Any) -> None:
    rt = review_service.client("sagemaker-a2i-runtime")
    own_ui = sm.create_human_task_ui(HumanTaskUiName=unique("ui"),
                                     UiTemplate={"Content": TEMPLATE})["HumanTaskUiArn"]
    flow = _flow(sm, own_ui, ensure_team(sm, "ui-keepers"))
    loop = unique("loop")
    rt.start_human_loop(HumanLoopName=loop, FlowDefinitionArn=flow,
                        HumanLoopInput={"InputContent": json.dumps({"text": "x"})})
    ui_name = own_ui.rsplit("/", 1)[1]
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.delete_human_task_ui(HumanTaskUiName=ui_name)
    worker = add_worker("ui-keepers")
    shown = httpx.get(f"{review_service.url}/worker-api/tasks/{loop}",
                      headers={"Authorization": f"Bearer {worker.token}"}).json()
    assert shown["uiTemplate"] == TEMPLATE
    rt.stop_human_loop(HumanLoopName=loop)
    sm.delete_human_task_ui(HumanTaskUiName=ui_name)
    with pytest.raises(ClientError) as err:
        rt.start_human_loop(HumanLoopName=unique("loop"), FlowDefinitionArn=flow,
                            HumanLoopInput={"InputContent": "{}"})
    code, message = _error(err)
    assert code == "ValidationException" and "HumanTaskUi" in message


def test_render_ui_template_signs_files_and_wants_one_template(
        review_service: Any, sm: Any, ui: str) -> None:
    template = '<img src="{{ task.input.image | grant_read_access }}">'
    out = sm.render_ui_template(UiTemplate={"Content": template}, RoleArn=ROLE,
                                Task={"Input": json.dumps({"image": "s3://bucket/cat.jpg"})})
    src = out["RenderedContent"].split('src="')[1].split('"')[0].replace("&amp;", "&")
    assert src.startswith(f"{review_service.url}/portal/files?") and "sig=" in src
    assert "s3://" not in out["RenderedContent"]
    with pytest.raises(ClientError) as err:
        sm.render_ui_template(UiTemplate={"Content": template}, HumanTaskUiArn=ui,
                              RoleArn=ROLE, Task={"Input": "{}"})
    assert _error(err)[0] == "ValidationException" and "HumanTaskUiArn" in _error(err)[1]
