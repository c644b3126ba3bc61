"""Model adapters on real parts: scikit-learn estimators and LangChain's own fake chat models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from pydantic import BaseModel
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from hitl_agent import (
    InProcessReviews,
    MeanLogprobScorer,
    ModelError,
    SimilarCorrection,
    SklearnClassifier,
    ThresholdPolicy,
    build_review_graph,
)
from hitl_agent.models.chat import ChatModelAdapter, extract_logprobs

OPENAI_LOGPROBS = {
    "logprobs": {
        "content": [
            {"token": "pos", "logprob": -0.01, "bytes": [112],
             "top_logprobs": [{"token": "pos", "logprob": -0.01},
                              {"token": "neg", "logprob": -4.6}]},
            {"token": "itive", "logprob": -0.2, "bytes": [105], "top_logprobs": []},
        ]
    },
    "finish_reason": "stop",
}


def test_sklearn_adapter_labels_and_probabilities() -> None:
    x, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=500).fit(x, y)
    adapter = SklearnClassifier(clf, label_names=["setosa", "versicolor", "virginica"])
    pred = adapter.predict(x[0].tolist())
    assert pred.output == "setosa"
    assert pred.probabilities is not None
    assert abs(sum(pred.probabilities.values()) - 1) < 1e-9
    assert pred.model_id == "LogisticRegression"
    with pytest.raises(ModelError, match="numeric"):
        adapter.predict(["a", "b"])


def test_sklearn_adapter_refuses_unfitted_and_nan() -> None:
    with pytest.raises(ModelError, match="not fitted"):
        SklearnClassifier(LogisticRegression())

    class NanModel:
        classes_ = np.array([0, 1])

        def predict_proba(self, x: Any) -> np.ndarray:
            return np.array([[np.nan, 0.5]])

    with pytest.raises(ModelError, match="non-finite"):
        SklearnClassifier(NanModel()).predict([1.0])


def test_openai_logprobs_are_read() -> None:
    tokens, top = extract_logprobs(OPENAI_LOGPROBS)
    assert tokens == [-0.01, -0.2]
    assert top == [{"pos": -0.01, "neg": -4.6}, {}]
    assert extract_logprobs({"token_likelihoods": [{"token": "a", "likelihood": -0.5}]}) == (
        [-0.5], None)
    assert extract_logprobs({}) == (None, None)


def test_chat_adapter_label_logprobs_and_few_shot() -> None:
    model = FakeMessagesListChatModel(responses=[
        AIMessage(content="Positive.", response_metadata=OPENAI_LOGPROBS)])
    adapter = ChatModelAdapter(model, system_prompt="Classify the sentiment.",
                               labels=["positive", "negative"], prompt_version="v1")
    example = SimilarCorrection(correction_id="c1", input="meh movie", model_output="positive",
                                final_output="negative", action="edit", similarity=0.9)
    messages = adapter.messages("great film", [example])
    assert "meh movie" in messages[0].content and "negative" in messages[0].content
    pred = adapter.predict("great film", examples=[example])
    assert pred.output == "positive"
    assert pred.token_logprobs == [-0.01, -0.2]
    assert pred.prompt_version == "v1"
    assert 0 < MeanLogprobScorer()(pred).confidence < 1


def test_chat_adapter_samples_for_agreement() -> None:
    model = GenericFakeChatModel(messages=iter(["42", "42", "41", "42"]))
    pred = ChatModelAdapter(model, n_samples=3).predict("6*7?")
    assert pred.output == "42" and pred.samples == ["42", "41", "42"]


class Invoice(BaseModel):
    vendor: str
    total: float


def test_chat_adapter_structured_output() -> None:
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel

    class ToolFake(FakeMessagesListChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:  # the fake has no tool binding
            return self

    msg = AIMessage(content="", tool_calls=[{"name": "Invoice", "args": {"vendor": "ACME",
                                                                         "total": 12.5},
                                             "id": "call-1"}])
    pred = ChatModelAdapter(ToolFake(responses=[msg]), structured_output=Invoice).predict("doc")
    assert pred.output == {"vendor": "ACME", "total": 12.5}


def test_chat_model_in_the_graph_with_review(tmp_path: Path) -> None:
    low = {"logprobs": {"content": [{"token": "neg", "logprob": -1.5, "top_logprobs": []}]}}
    model = FakeMessagesListChatModel(responses=[AIMessage(content="negative",
                                                           response_metadata=low)])
    reviews = InProcessReviews(lambda r: {"action": "edit", "final_output": "positive"})
    graph = build_review_graph(
        model=ChatModelAdapter(model, labels=["positive", "negative"]),
        scorer=MeanLogprobScorer(), policy=ThresholdPolicy(0.5), reviews=reviews,
        ledger=tmp_path / "l.db", task="sentiment", labels=["positive", "negative"],
    )
    out = graph.invoke({"input": "loved it"}, {"configurable": {"thread_id": "c1"}})
    assert out["prediction"]["output"] == "negative"
    assert out["output"] == "positive" and out["outcome"]["action"] == "edit"
