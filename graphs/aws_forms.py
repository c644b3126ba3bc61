"""aws_forms: Textract forms reviewed by people where A2I's activation conditions say so.

The A2I built-in task type ``AWS/Textract/AnalyzeDocument/Forms/V1`` as a graph. The input is a
document in S3 (``"s3://bucket/form.png"``); the output ``{"fields": {key: value}}``.

Two ways to run it (environment):

- **the project's review service** (``HITL_A2I_ENDPOINT=http://127.0.0.1:8080``,
  ``HITL_FLOW_ARN`` a flow definition made by
  :func:`hitl_agent.review.builtin.create_builtin_flow` with ``templates/aws/textract-forms``):
  Textract is called without ``HumanLoopConfig``, the flow's activation conditions are read from
  the service (``DescribeFlowDefinition``) and evaluated here, and the loop is started with A2I's
  built-in input;
- **AWS** (no ``HITL_A2I_ENDPOINT``; ``HITL_FLOW_ARN`` a built-in Textract flow definition):
  Textract gets ``HumanLoopConfig``, evaluates the conditions and starts the loop itself; the
  graph follows the loop it names.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import boto3

from hitl_agent import build_review_graph
from hitl_agent.agents.ready import data_dir, graph_checkpointer
from hitl_agent.errors import ConfigError
from hitl_agent.models.aws import RETRY_CONFIG, AwsHumanLoop
from hitl_agent.models.textract import TextractForms
from hitl_agent.policy import BuiltinLoopPolicy
from hitl_agent.review.builtin import BuiltinReviews, activation_conditions_of
from hitl_agent.uncertainty import ServiceConfidenceScorer


def build(*, checkpointer: Any = "server", ledger: Any = None, flow_arn: str | None = None,
          a2i_endpoint: str | None = None, textract: Any = None, sagemaker: Any = None,
          runtime: Any = None, conditions: dict[str, Any] | None = None) -> Any:
    flow_arn = flow_arn or os.environ.get("HITL_FLOW_ARN")
    if not flow_arn:
        raise ConfigError("aws_forms needs HITL_FLOW_ARN (a Textract forms flow definition)",
                          field="HITL_FLOW_ARN")
    endpoint = a2i_endpoint or os.environ.get("HITL_A2I_ENDPOINT") or None
    on_aws = endpoint is None and runtime is None
    if conditions is None and not on_aws:
        sagemaker = sagemaker or boto3.client("sagemaker", endpoint_url=endpoint,
                                              config=RETRY_CONFIG)
        conditions = activation_conditions_of(sagemaker, flow_arn)
    model = TextractForms(textract, human_loop=AwsHumanLoop(flow_arn) if on_aws else None)
    return build_review_graph(
        model=model, scorer=ServiceConfidenceScorer(), policy=BuiltinLoopPolicy(conditions),
        reviews=BuiltinReviews(flow_arn, runtime_client=runtime, endpoint_url=endpoint),
        ledger=ledger or Path(data_dir()) / "ledger.db",
        checkpointer=graph_checkpointer(checkpointer), task="textract-forms", name="aws_forms",
    )


@lru_cache(maxsize=1)
def make_graph() -> Any:
    """The served graph: the server's checkpointer."""
    return build(checkpointer="server")
