"""Gold loops never show through the A2I runtime API, and the ``hitl:`` tags that configure them
are checked where they are set: real boto3 clients against the session's service process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hitl_agent.service.models import ResourceTag
from hitl_agent.service.services import ReviewServices
from tests.helpers.service import WorkerClient, start_loop, unique


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def _listed(runtime: Any, flow: str) -> set[str]:
    pages = runtime.get_paginator("list_human_loops").paginate(FlowDefinitionArn=flow)
    return {s["HumanLoopName"] for page in pages for s in page["HumanLoopSummaries"]}


def test_gold_loops_never_show_through_the_runtime_api(
    runtime: Any,
    make_flow: Callable[..., str],
    local: ReviewServices,
    make_worker: Callable[..., WorkerClient],
) -> None:
    team = unique("gold")
    flow = make_flow(team=team, Tags=[{"Key": "hitl:gold-rate", "Value": "0.5"}])
    local.gold.add_items(
        flow.rsplit("/", 1)[-1], [{"input": {"text": f"gold {i}"}, "answer": "yes"} for i in (1, 2)]
    )
    started = {start_loop(runtime, flow) for _ in range(4)}
    seen = make_worker(team).task_names()
    gold = seen - started
    assert started <= seen and len(gold) == 4  # the reviewers see them; rate 0.5
    assert _listed(runtime, flow) == started
    for name in gold:
        for call in (
            lambda n: runtime.describe_human_loop(HumanLoopName=n),
            lambda n: runtime.stop_human_loop(HumanLoopName=n),
            lambda n: runtime.delete_human_loop(HumanLoopName=n),
        ):
            with pytest.raises(ClientError) as exc:
                call(name)
            code, message = _error(exc)
            assert code == "ResourceNotFoundException" and name in message
    described = runtime.describe_human_loop(HumanLoopName=sorted(started)[0])
    assert described["HumanLoopStatus"] == "InProgress"


@pytest.mark.parametrize(
    ("tags", "member", "rule"),
    [
        ([{"Key": "hitl:gold-rate", "Value": "2"}], "Tags.1.Value", "number from 0 to 0.5"),
        ([{"Key": "hitl:gold-rate", "Value": "nan"}], "Tags.1.Value", "number from 0 to 0.5"),
        ([{"Key": "hitl:accuracy-floor", "Value": "high"}], "Tags.1.Value", "number from 0 to 1"),
        ([{"Key": "hitl:aggregation", "Value": "median"}], "Tags.1.Value", "enum value set"),
        (
            [{"Key": "team", "Value": "x"}, {"Key": "hitl:gold_rate", "Value": "0.1"}],
            "Tags.2.Key",
            "hitl:gold-rate",
        ),
    ],
)
def test_malformed_hitl_tags_are_refused_naming_the_member_and_rule(
    sagemaker: Any,
    make_flow: Callable[..., str],
    tags: list[dict[str, str]],
    member: str,
    rule: str,
) -> None:
    with pytest.raises(ClientError) as exc:
        make_flow(Tags=tags)
    code, message = _error(exc)
    assert code == "ValidationException" and member in message and rule in message
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    flow = make_flow()
    with pytest.raises(ClientError) as exc:
        sagemaker.add_tags(ResourceArn=flow, Tags=tags)
    code, message = _error(exc)
    assert code == "ValidationException" and member in message and rule in message
    assert sagemaker.list_tags(ResourceArn=flow)["Tags"] == []  # nothing was kept


def test_wellformed_hitl_tags_are_kept(sagemaker: Any, make_flow: Callable[..., str]) -> None:
    tags = [
        {"Key": "hitl:aggregation", "Value": "dawid-skene"},
        {"Key": "hitl:gold-rate", "Value": "0.25"},
        {"Key": "hitl:accuracy-floor", "Value": "1"},
    ]
    flow = make_flow(Tags=tags)
    assert sorted(sagemaker.list_tags(ResourceArn=flow)["Tags"], key=str) == sorted(tags, key=str)


def test_a_malformed_stored_tag_refuses_the_start_with_its_rule(
    runtime: Any, make_flow: Callable[..., str], local: ReviewServices
) -> None:
    flow = make_flow()
    with local.store.write() as s:  # stored before tags were checked
        s.add(ResourceTag(resource_arn=flow, key="hitl:gold-rate", value="lots"))
    name = unique("loop")
    with pytest.raises(ClientError) as exc:
        start_loop(runtime, flow, name=name)
    code, message = _error(exc)
    assert code == "ValidationException"
    assert "hitl:gold-rate" in message and "number from 0 to 0.5" in message
    with pytest.raises(ClientError) as exc:  # nothing was started
        runtime.describe_human_loop(HumanLoopName=name)
    assert _error(exc)[0] == "ResourceNotFoundException"
