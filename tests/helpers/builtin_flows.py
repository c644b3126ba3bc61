"""A2I's built-in task types (Textract, Rekognition) against the project's review service: a flow
definition created through boto3 and the review graph over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from hitl_agent import build_review_graph
from hitl_agent.policy.builtin_loop import BuiltinLoopPolicy
from hitl_agent.review.builtin import (
    BuiltinReviews,
    activation_conditions_of,
    create_builtin_flow,
)
from hitl_agent.uncertainty.service_confidence import ServiceConfidenceScorer

from .paths import REPO
from .service import ensure_team, unique


def builtin_graph(review_service: Any, tmp_path: Path, *, source: str, template: str,
                  conditions: dict[str, Any], model: Any, team: str) -> tuple[Any, str]:
    """A built-in flow (``templates/aws/<template>``, ``conditions``) on work team ``team``, and
    the review graph whose policy reads the conditions back from the service: (graph, flow ARN).
    """
    sagemaker = review_service.client("sagemaker")
    name = unique("fd")
    flow = create_builtin_flow(
        sagemaker, name=name, request_source=source,
        template=REPO / "templates" / "aws" / template, output_path=str(tmp_path / "outputs"),
        workteam_arn=ensure_team(sagemaker, team), conditions=conditions)
    described = sagemaker.describe_flow_definition(FlowDefinitionName=name)
    assert described["HumanLoopRequestSource"] == {"AwsManagedHumanLoopRequestSource": source}
    graph = build_review_graph(
        model=model, scorer=ServiceConfidenceScorer(),
        policy=BuiltinLoopPolicy(activation_conditions_of(sagemaker, flow)),
        reviews=BuiltinReviews(flow, runtime_client=review_service.client(
            "sagemaker-a2i-runtime")),
        ledger=tmp_path / "ledger.db", checkpointer=InMemorySaver(), task=source)
    return graph, flow
