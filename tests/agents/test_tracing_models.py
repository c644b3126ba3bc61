"""Tracing metadata through LangChain callbacks; chat models from strings; SageMaker endpoints."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict
from uuid import UUID

import boto3
import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from hitl_agent import (
    ConfigError,
    InProcessReviews,
    MaxProbabilityScorer,
    ModelError,
    ThresholdPolicy,
    build_review_graph,
)
from hitl_agent.agents import compile_with_checkpointer, review_node
from hitl_agent.models.init import chat_adapter, chat_model
from hitl_agent.models.sagemaker import (
    JsonClassifierHandler,
    JsonTextHandler,
    SageMakerEndpoint,
)
from tests.helpers.graphs import LABELS, cfg, gold_reviewer, keyword_model
from tests.helpers.servers import moto_server


class MetadataCollector(BaseCallbackHandler):
    """A user's own tracer: keeps the metadata of every run it is told about."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, dict[str, Any]]] = []

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID,
                       metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.runs.append((str(kwargs.get("name")), dict(metadata or {})))


def test_runs_carry_where_people_stepped_in(tmp_path: Path, saver: InMemorySaver) -> None:
    class S(TypedDict, total=False):
        text: str
        label: str

    node = review_node(model=keyword_model, scorer=MaxProbabilityScorer(),
                       policy=ThresholdPolicy(0.9), reviews=InProcessReviews(
                           gold_reviewer(worker_id="alice")),
                       ledger=tmp_path / "l.db", input_key="text", output_key="label",
                       labels=LABELS, task="spam")
    builder = StateGraph(S)
    builder.add_node("review", node)
    builder.add_edge(START, "review")
    builder.add_edge("review", END)
    graph = compile_with_checkpointer(builder, checkpointer=saver)
    tracer = MetadataCollector()
    graph.invoke({"text": "maybe win"}, cfg("tr1", callbacks=[tracer]))
    [(name, md)] = [(n, m) for n, m in tracer.runs if n == "hitl:review"]
    assert md["hitl_thread_id"] == "tr1" and md["thread_id"] == "tr1"  # LangGraph's own too
    assert md["hitl_policy"].startswith("threshold") and md["hitl_decision"] == "escalate"
    assert (md["hitl_action"], md["hitl_reviewer"], md["hitl_human"]) == ("edit", "alice", True)
    graph.invoke({"text": "win"}, cfg("tr2", callbacks=[tracer]))
    md2 = [m for n, m in tracer.runs if n == "hitl:review"][-1]
    assert (md2["hitl_decision"], md2["hitl_human"]) == ("accept", False)


def test_chat_models_from_strings() -> None:
    fake = FakeListChatModel(responses=["ham"])
    assert chat_model(fake) is fake
    adapter = chat_adapter(fake, labels=["spam", "ham"])
    assert adapter.predict("hello").output == "ham"
    with pytest.raises(ConfigError):
        chat_model("")
    with pytest.raises(ConfigError, match="nosuchprovider"):
        chat_model("nosuchprovider:some-model")
    if importlib.util.find_spec("langchain_openai") is None:
        with pytest.raises(ImportError, match="langchain-openai|langchain_openai"):
            chat_model("openai:gpt-4.1-mini")


def test_bedrock_needs_the_aws_extra() -> None:
    from hitl_agent.models.bedrock import bedrock_adapter

    if importlib.util.find_spec("langchain_aws") is not None:
        pytest.skip("langchain-aws is installed")
    with pytest.raises(ImportError, match=r"hitl-agent\[aws\]"):
        bedrock_adapter("anthropic.claude-3-5-haiku-20241022-v1:0")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


def queue_results(url: str, *bodies: Any) -> None:
    """moto's canned InvokeEndpoint answers, taken in order by new requests."""
    results = [{"Body": json.dumps(b), "ContentType": "application/json",
                "InvokedProductionVariant": "AllTraffic", "CustomAttributes": ""} for b in bodies]
    r = httpx.post(f"{url}/moto-api/static/sagemaker/endpoint-results",
                   json={"results": results, "region": "us-east-1"})
    assert r.status_code == 201, r.text


def runtime(url: str) -> Any:
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_sagemaker_endpoint_in_the_review_loop(moto_url: str, tmp_path: Path,
                                               saver: InMemorySaver) -> None:
    queue_results(moto_url, {"predictions": [{"probabilities": [0.97, 0.03]}]},
                  {"predictions": [{"probabilities": [0.6, 0.4]}]})
    model = SageMakerEndpoint("spam-clf", handler=JsonClassifierHandler(labels=LABELS),
                              client=runtime(moto_url))
    graph = build_review_graph(model=model, scorer=MaxProbabilityScorer(),
                               policy=ThresholdPolicy(0.9),
                               reviews=InProcessReviews(gold_reviewer()),
                               ledger=tmp_path / "l.db", checkpointer=saver, labels=LABELS,
                               task="spam")
    sure = graph.invoke({"input": "win now"}, cfg("sm1"))
    assert (sure["output"], sure["output_source"]) == ("spam", "model")
    assert sure["prediction"]["model_id"] == "sagemaker:spam-clf"
    assert sure["prediction"]["model_version"] == "AllTraffic"
    unsure = graph.invoke({"input": "maybe win"}, cfg("sm2"))
    assert (unsure["output"], unsure["output_source"]) == ("ham", "human")


def test_sagemaker_text_handler_reads_logprobs(moto_url: str) -> None:
    queue_results(moto_url, [{"generated_text": " Paris.", "details": {"tokens": [
        {"text": " Paris", "logprob": -0.1}, {"text": ".", "logprob": -0.2}]}}])
    model = SageMakerEndpoint("llm", handler=JsonTextHandler({"max_new_tokens": 8}),
                              client=runtime(moto_url))
    pred = model.predict("Capital of France?")
    assert pred.output == "Paris." and pred.token_logprobs == [-0.1, -0.2]


def test_sagemaker_errors_are_model_errors(moto_url: str) -> None:
    queue_results(moto_url, {"unexpected": True})
    model = SageMakerEndpoint("odd", handler=JsonClassifierHandler(), client=runtime(moto_url))
    with pytest.raises(ModelError, match="cannot read probabilities"):
        model.predict("x")
    handler = JsonClassifierHandler()
    with pytest.raises(ModelError, match="labels"):
        handler.parse(b"[0.1, 0.9]", "application/json")
    assert handler.parse(b'{"a": 0.2, "b": 0.8}', None)["output"] == "b"
