"""A flow's plan (worked out once per flow definition) gives each loop the output URI that
``output_uri`` gives it."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from hitl_agent.service.output import output_uri
from hitl_agent.service.runtime import FlowPlan
from hitl_agent.service.settings import ServiceSettings


@pytest.mark.parametrize("output_path", ["s3://bucket/p", "s3://bucket/p/", "out", "/abs/out", ""])
def test_plan_output_uri_is_output_uri(tmp_path: Path, output_path: str) -> None:
    settings = ServiceSettings(data_dir=tmp_path, background=False)
    flow = SimpleNamespace(
        name="flow-a",
        arn="arn:aws:sagemaker:us-east-1:000000000000:flow-definition/flow-a",
        human_loop_config=json.dumps({"TaskCount": 2}),
        output_path=output_path,
        request_source=None,
    )
    plan = FlowPlan.build(flow, settings)
    assert plan.task_count == 2
    for created_us in (0, 1_765_000_000_123_456, 1_765_000_059_999_999):
        assert plan.output_uri(created_us, "loop-1") == output_uri(
            output_path, "flow-a", created_us, "loop-1", tmp_path
        )
