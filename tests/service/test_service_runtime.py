"""The sagemaker-a2i-runtime API through boto3's own client, against a live service process."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers.service import ensure_team, start_loop, unique, wait_status


def test_start_and_describe(runtime: Any, make_flow: Any) -> None:
    flow = make_flow()
    name = unique("loop")
    arn = runtime.start_human_loop(
        HumanLoopName=name,
        FlowDefinitionArn=flow,
        HumanLoopInput={"InputContent": json.dumps({"text": "hello"})},
        DataAttributes={"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation"]},
    )["HumanLoopArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:human-loop/{name}"
    got = runtime.describe_human_loop(HumanLoopName=name)
    assert got["HumanLoopStatus"] == "InProgress"
    assert got["HumanLoopName"] == name and got["HumanLoopArn"] == arn
    assert got["FlowDefinitionArn"] == flow
    assert got["CreationTime"].tzinfo is not None
    assert abs(got["CreationTime"] - datetime.now(UTC)) < timedelta(seconds=30)
    # the output location is fixed at the start, as A2I reports it while InProgress
    stamp = got["CreationTime"].astimezone(UTC).strftime("%Y/%m/%d/%H/%M/%S")
    flow_name = flow.rsplit("/", 1)[1]
    assert got["HumanLoopOutput"]["OutputS3Uri"].endswith(
        f"/{flow_name}/{stamp}/{name}/output.json"
    )
    assert "FailureCode" not in got
    assert got["ResponseMetadata"]["RequestId"]


def test_loop_named_stop_routes_by_method(runtime: Any, make_flow: Any) -> None:
    flow = make_flow()
    try:
        runtime.describe_human_loop(HumanLoopName="stop")
    except runtime.exceptions.ResourceNotFoundException:
        start_loop(runtime, flow, name="stop")
    assert runtime.describe_human_loop(HumanLoopName="stop")["HumanLoopName"] == "stop"
    runtime.stop_human_loop(HumanLoopName="stop")
    assert runtime.describe_human_loop(HumanLoopName="stop")["HumanLoopStatus"] == "Stopped"
    runtime.delete_human_loop(HumanLoopName="stop")
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.describe_human_loop(HumanLoopName="stop")


def test_list_with_paginator_filters_and_sort(runtime: Any, make_flow: Any) -> None:
    flow = make_flow()
    other = make_flow()
    names = [start_loop(runtime, flow) for _ in range(7)]
    start_loop(runtime, other)
    paginator = runtime.get_paginator("list_human_loops")
    pages = list(
        paginator.paginate(
            FlowDefinitionArn=flow, SortOrder="Ascending", PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["HumanLoopSummaries"]) for p in pages] == [3, 3, 1]
    listed = [s["HumanLoopName"] for p in pages for s in p["HumanLoopSummaries"]]
    assert listed == names  # each exactly once, in creation order
    summary = pages[0]["HumanLoopSummaries"][0]
    assert summary["HumanLoopStatus"] == "InProgress" and summary["FlowDefinitionArn"] == flow
    desc = [
        s["HumanLoopName"]
        for s in runtime.list_human_loops(FlowDefinitionArn=flow, SortOrder="Descending")[
            "HumanLoopSummaries"
        ]
    ]
    assert desc == names[::-1]
    # MaxItems through the paginator, resumed with its StartingToken
    first = paginator.paginate(
        FlowDefinitionArn=flow,
        SortOrder="Ascending",
        PaginationConfig={"MaxItems": 4, "PageSize": 3},
    ).build_full_result()
    assert [s["HumanLoopName"] for s in first["HumanLoopSummaries"]] == names[:4]
    rest = paginator.paginate(
        FlowDefinitionArn=flow,
        SortOrder="Ascending",
        PaginationConfig={"StartingToken": first["NextToken"], "PageSize": 3},
    ).build_full_result()
    assert [s["HumanLoopName"] for s in rest["HumanLoopSummaries"]] == names[4:]
    # creation-time filters
    times = [runtime.describe_human_loop(HumanLoopName=n)["CreationTime"] for n in names]
    after = runtime.list_human_loops(
        FlowDefinitionArn=flow, SortOrder="Ascending", CreationTimeAfter=times[2]
    )
    # AWS: CreationTimeAfter is "greater than or equal to", CreationTimeBefore "less than"
    assert [s["HumanLoopName"] for s in after["HumanLoopSummaries"]] == names[2:]
    before = runtime.list_human_loops(
        FlowDefinitionArn=flow, SortOrder="Ascending", CreationTimeBefore=times[2]
    )
    assert [s["HumanLoopName"] for s in before["HumanLoopSummaries"]] == names[:2]
    future = datetime.now(UTC) + timedelta(days=1)
    assert (
        runtime.list_human_loops(FlowDefinitionArn=flow, CreationTimeAfter=future)[
            "HumanLoopSummaries"
        ]
        == []
    )


def test_stop_without_claim_is_immediate_and_delete(runtime: Any, make_flow: Any) -> None:
    name = start_loop(runtime, make_flow())
    with pytest.raises(runtime.exceptions.ValidationException, match="stop it first"):
        runtime.delete_human_loop(HumanLoopName=name)
    assert runtime.stop_human_loop(HumanLoopName=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert runtime.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "Stopped"
    runtime.stop_human_loop(HumanLoopName=name)  # stopping a stopped loop is harmless
    runtime.delete_human_loop(HumanLoopName=name)
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.describe_human_loop(HumanLoopName=name)
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.delete_human_loop(HumanLoopName=name)
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.stop_human_loop(HumanLoopName=name)


def test_stop_waits_for_the_worker_holding_a_claim(
    runtime: Any, make_flow: Any, make_worker: Any
) -> None:
    name = start_loop(runtime, make_flow(task_count=2))
    alice = make_worker()
    assert alice.claim(name).status_code == 200
    runtime.stop_human_loop(HumanLoopName=name)
    assert runtime.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "Stopping"
    bob = make_worker()
    assert name not in bob.task_names()
    assert bob.claim(name).status_code == 409
    assert alice.answer(name, {"category": {"label": "a"}}).status_code == 200
    wait_status(runtime, name, "Stopped")


def test_name_reuse_rules(runtime: Any, make_flow: Any) -> None:
    flow = make_flow()
    name = unique("loop")
    first = runtime.start_human_loop(
        HumanLoopName=name, FlowDefinitionArn=flow, HumanLoopInput={"InputContent": '{"a": 1}'}
    )
    again = runtime.start_human_loop(
        HumanLoopName=name, FlowDefinitionArn=flow, HumanLoopInput={"InputContent": '{"a": 1}'}
    )
    assert again["HumanLoopArn"] == first["HumanLoopArn"]  # idempotent retry
    with pytest.raises(runtime.exceptions.ConflictException) as err:
        runtime.start_human_loop(
            HumanLoopName=name, FlowDefinitionArn=flow, HumanLoopInput={"InputContent": '{"a": 2}'}
        )
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert err.value.response["Error"]["Code"] == "ConflictException"
    runtime.stop_human_loop(HumanLoopName=name)
    with pytest.raises(
        runtime.exceptions.ValidationException, match="already exists and is finished"
    ):
        runtime.start_human_loop(
            HumanLoopName=name, FlowDefinitionArn=flow, HumanLoopInput={"InputContent": '{"a": 1}'}
        )


def test_lenient_names_by_default(runtime: Any, make_flow: Any) -> None:
    name = f"Fraud-detector-{unique('x')}"
    start_loop(runtime, make_flow(), name=name)
    assert runtime.describe_human_loop(HumanLoopName=name)["HumanLoopName"] == name


def _code(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_validation_errors_name_the_field(runtime: Any, make_flow: Any) -> None:
    flow = make_flow()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"HumanLoopName": "x" * 64}, "HumanLoopName"),
        ({"HumanLoopName": "bad_name!"}, "HumanLoopName"),
        (
            {"FlowDefinitionArn": "arn:aws:sagemaker:us-east-1:12:flow-definition/x"},
            "FlowDefinitionArn",
        ),
        ({"HumanLoopInput": {"InputContent": "{not json"}}, "HumanLoopInput.InputContent"),
        ({"HumanLoopInput": {"InputContent": "1" * 3_145_729}}, "HumanLoopInput.InputContent"),
        (
            {"DataAttributes": {"ContentClassifiers": ["FreeOfCats"]}},
            "DataAttributes.ContentClassifiers",
        ),
    ]
    for override, field in cases:
        params = {
            "HumanLoopName": unique("loop"),
            "FlowDefinitionArn": flow,
            "HumanLoopInput": {"InputContent": "{}"},
            **override,
        }
        with pytest.raises(runtime.exceptions.ValidationException) as err:
            runtime.start_human_loop(**params)
        assert _code(err.value) == ("ValidationException", 400)
        assert field in err.value.response["Error"]["Message"], (field, err.value)
    with pytest.raises(runtime.exceptions.ValidationException, match="MaxResults"):
        runtime.list_human_loops(FlowDefinitionArn=flow, MaxResults=101)
    with pytest.raises(runtime.exceptions.ValidationException, match="HumanLoopName"):
        runtime.describe_human_loop(HumanLoopName="y" * 64)
    with pytest.raises(runtime.exceptions.ValidationException, match="NextToken"):
        runtime.list_human_loops(FlowDefinitionArn=flow, NextToken="garbage")


def test_unknown_flow_is_resource_not_found(runtime: Any) -> None:
    missing = "arn:aws:sagemaker:us-east-1:000000000000:flow-definition/no-such-flow"
    with pytest.raises(runtime.exceptions.ResourceNotFoundException) as err:
        runtime.start_human_loop(
            HumanLoopName=unique("loop"),
            FlowDefinitionArn=missing,
            HumanLoopInput={"InputContent": "{}"},
        )
    assert _code(err.value) == ("ResourceNotFoundException", 404)
    assert (
        "FlowDefinitionArn" in err.value.response["Error"]["Message"]
        or "no-such-flow" in err.value.response["Error"]["Message"]
    )
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.list_human_loops(FlowDefinitionArn=missing)


def test_strict_names_quota_and_throttling(start_service: Any, tmp_path: Any) -> None:
    """A second service with --strict-names, an active-loop quota (402) and a rate limit (429)."""
    svc = start_service(
        "--strict-names", "--max-active-loops", "2", "--throttle-rps", "5", data=tmp_path / "strict"
    )
    sm = svc.client("sagemaker")
    rt = svc.client("sagemaker-a2i-runtime", retries={"total_max_attempts": 1})
    ui = sm.create_human_task_ui(HumanTaskUiName="ui", UiTemplate={"Content": "x"})[
        "HumanTaskUiArn"
    ]
    flow = sm.create_flow_definition(
        FlowDefinitionName="fd",
        RoleArn="arn:aws:iam::000000000000:role/r",
        OutputConfig={"S3OutputPath": str(tmp_path / "out")},
        HumanLoopConfig={
            "WorkteamArn": ensure_team(sm, "t"),
            "HumanTaskUiArn": ui,
            "TaskTitle": "t",
            "TaskDescription": "d",
            "TaskCount": 1,
        },
    )["FlowDefinitionArn"]
    with pytest.raises(rt.exceptions.ValidationException, match="HumanLoopName"):
        start_loop(rt, flow, name="Mixed-Case")
    start_loop(rt, flow, name="lower-1")
    start_loop(rt, flow, name="lower-2")
    with pytest.raises(rt.exceptions.ServiceQuotaExceededException) as err:
        start_loop(rt, flow, name="lower-3")
    assert _code(err.value) == ("ServiceQuotaExceededException", 402)
    throttled = 0
    for _ in range(40):
        try:
            rt.describe_human_loop(HumanLoopName="lower-1")
        except rt.exceptions.ThrottlingException as exc:
            assert _code(exc) == ("ThrottlingException", 429)
            throttled += 1
    assert throttled > 0
