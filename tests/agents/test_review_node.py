"""review_node inside a user-built StateGraph with its own state keys; checkpointer refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from hitl_agent import (
    AlreadyDecided,
    ConfigError,
    InProcessReviews,
    MaxProbabilityScorer,
    Resumer,
    ThresholdPolicy,
)
from hitl_agent.agents import answer_review, compile_with_checkpointer, review_node
from hitl_agent.errors import ValidationError
from hitl_agent.tracing import HitlTraceCollector
from tests.helpers.graphs import LABELS, cfg, gold_reviewer, keyword_model


class TicketState(TypedDict, total=False):
    ticket: str
    category: str
    category_source: str
    log: list[str]


def user_graph(tmp_path: Path, reviews: Any, saver: Any, **kwargs: Any) -> tuple[Any, Any]:
    node = review_node(
        model=keyword_model, scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
        reviews=reviews, ledger=tmp_path / "ledger.db", input_key="ticket",
        output_key="category", outputs={"category_source": "output_source"}, labels=LABELS,
        task="spam", **kwargs)
    builder = StateGraph(TicketState)
    builder.add_node("receive", lambda s: {"log": ["received"]})
    builder.add_node("triage", node)
    builder.add_node("route", lambda s: {"log": [*s["log"], f"{s['category']}"
                                                  f"/{s['category_source']}"]})
    builder.add_edge(START, "receive")
    builder.add_edge("receive", "triage")
    builder.add_edge("triage", "route")
    builder.add_edge("route", END)
    return compile_with_checkpointer(builder, checkpointer=saver), node


def test_review_node_maps_the_users_own_keys(tmp_path: Path, saver: InMemorySaver) -> None:
    reviews = InProcessReviews(gold_reviewer(), answers_synchronously=False)
    graph, node = user_graph(tmp_path, reviews, saver)
    sure = graph.invoke({"ticket": "win a prize"}, cfg("u1"))
    assert sure == {"ticket": "win a prize", "category": "spam", "category_source": "model",
                    "log": ["received", "spam/model"]}
    tracer = HitlTraceCollector()
    waiting = graph.invoke({"ticket": "maybe win"}, cfg("u2", callbacks=[tracer]))
    assert "__interrupt__" in waiting and "category" not in waiting
    assert set(graph.get_state(cfg("u2")).values) == {"ticket", "log"}  # no internal keys
    report = Resumer(graph, Resumer.for_graph(node).ledger, [reviews]).run_once()
    assert len(report.resumed) == 1
    done = graph.get_state(cfg("u2")).values
    assert (done["category"], done["category_source"]) == ("ham", "human")
    assert done["log"] == ["received", "ham/human"]


def test_review_node_reviews_an_output_already_in_the_state(
        tmp_path: Path, saver: InMemorySaver) -> None:
    class DraftState(TypedDict, total=False):
        question: str
        draft: Any
        answer: str

    reviews = InProcessReviews()
    node = review_node(scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
                       reviews=reviews, ledger=tmp_path / "ledger.db", input_key="question",
                       prediction_key="draft", output_key="answer")
    builder = StateGraph(DraftState)
    builder.add_node("write", lambda s: {"draft": {
        "output": "42", "probabilities": {"42": 0.55, "41": 0.45}}})
    builder.add_node("check", node)
    builder.add_edge(START, "write")
    builder.add_edge("write", "check")
    builder.add_edge("check", END)
    graph = compile_with_checkpointer(builder, checkpointer=saver)
    [intr] = graph.invoke({"question": "6 x 7?"}, cfg("d1"))["__interrupt__"]
    resumer = Resumer(graph, Resumer.for_graph(node).ledger, [reviews])
    # The choices come from the draft's probabilities: another answer is refused, the review
    # stays pending.
    assert intr.value["labels"] == ["42", "41"]
    with pytest.raises(ValidationError) as err:
        answer_review(resumer, intr.value["review_id"], [{"type": "response", "args": "40"}])
    assert (err.value.field, err.value.rule) == ("final_output", "choice")
    assert resumer.ledger.get_review(intr.value["review_id"]).state == "pending"
    # Answered from an Agent Inbox-style UI, through the ledger's compare-and-set.
    answer_review(resumer, intr.value["review_id"], [{"type": "response", "args": "41"}])
    assert graph.get_state(cfg("d1")).values["answer"] == "41"
    with pytest.raises(AlreadyDecided):
        answer_review(resumer, intr.value["review_id"], [{"type": "accept", "args": None}])


def test_a_graph_without_checkpointer_is_refused(tmp_path: Path) -> None:
    reviews = InProcessReviews(gold_reviewer())
    builder = StateGraph(TicketState)
    builder.add_node("triage", review_node(
        model=keyword_model, scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
        reviews=reviews, ledger=tmp_path / "l.db", input_key="ticket", output_key="category"))
    builder.add_edge(START, "triage")
    builder.add_edge("triage", END)
    with pytest.raises(ConfigError, match="checkpointer"):
        compile_with_checkpointer(builder, checkpointer=None)
    # Compiled anyway without one: the node stops before it opens any review.
    with pytest.raises(ConfigError, match="no checkpointer"):
        builder.compile().invoke({"ticket": "maybe win"}, cfg("n1"))
    assert reviews.pending() == []


def test_review_node_checks_its_options(tmp_path: Path) -> None:
    common: dict[str, Any] = dict(scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
                                  reviews=InProcessReviews(), ledger=tmp_path / "l.db")
    with pytest.raises(ConfigError, match="model= or prediction_key"):
        review_node(**common)
    with pytest.raises(ConfigError, match="not a key of the review state"):
        review_node(model=keyword_model, outputs={"x": "nope"}, **common)
    with pytest.raises(ConfigError, match="clashes"):
        review_node(model=keyword_model, input_key="prediction", **common)
