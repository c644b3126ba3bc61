"""create_review_flow against the review service through boto3: an existing flow is reused only
when it is what was asked for; only SageMaker's ResourceInUse means "exists"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hitl_agent.errors import ConfigError, ReviewError
from hitl_agent.review.setup import create_review_flow
from tests.helpers.service import TEMPLATE, InProcessService, unique


@pytest.fixture(scope="module")
def sagemaker(start_clocked_service: Callable[..., InProcessService]) -> Any:
    return start_clocked_service().client("sagemaker")


def flow(sagemaker: Any, name: str, **changes: Any) -> Any:
    args: dict[str, Any] = {"template": TEMPLATE, "output_path": "s3://reviews/first",
                            "team": "reviewers"}
    return create_review_flow(sagemaker, name=name, **{**args, **changes})


def test_the_same_request_again_finds_the_same_flow(sagemaker: Any) -> None:
    name = unique("same")
    first = flow(sagemaker, name)
    assert flow(sagemaker, name) == first
    again = flow(sagemaker, name, output_path="s3://reviews/first/")  # a trailing slash
    assert again.flow_definition_arn == first.flow_definition_arn


@pytest.mark.parametrize(("changes", "field"), [
    ({"output_path": "s3://reviews/second"}, "output_path"),
    ({"team": "other-reviewers"}, "team"),
])
def test_an_existing_flow_that_differs_is_refused_naming_the_field(
        sagemaker: Any, changes: dict[str, Any], field: str) -> None:
    name = unique("differs")
    first = flow(sagemaker, name)
    with pytest.raises(ConfigError) as caught:
        flow(sagemaker, name, **changes)
    assert caught.value.context["field"] == field
    assert name in str(caught.value)
    described = sagemaker.describe_flow_definition(FlowDefinitionName=name)
    assert described["OutputConfig"]["S3OutputPath"] == first.output_path  # left as it was


def test_an_existing_task_ui_with_another_template_is_refused(sagemaker: Any) -> None:
    name = unique("ui")
    flow(sagemaker, name)
    with pytest.raises(ConfigError) as caught:
        flow(sagemaker, name, template=TEMPLATE.replace("Pick", "Choose"))
    assert caught.value.context["field"] == "template"


def test_a_refused_request_is_not_taken_for_an_existing_flow(sagemaker: Any) -> None:
    """A ValidationException (here: an output path the service does not allow) is raised as the
    refusal it is, even when a flow of that name exists."""
    name = unique("refused")
    flow(sagemaker, name)
    with pytest.raises(ReviewError) as caught:
        flow(sagemaker, name, output_path="ftp://elsewhere/out")
    assert caught.value.context["code"] == "ValidationException"
