"""Each ready graph of graphs/ end to end, with its offline fake model and in-process reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from hitl_agent import ConfigError, InProcessReviews, Resumer, ReviewOutcome, ReviewRequest
from hitl_agent.review.in_process import outcome_from_label
from tests.helpers.graphs import cfg, load_graph_module


def test_classify_accepts_sure_labels_and_asks_about_unsure_ones(
        tmp_path: Path, saver: InMemorySaver) -> None:
    classify = load_graph_module("classify")
    seen: list[ReviewRequest] = []

    def reviewer(request: ReviewRequest) -> ReviewOutcome:
        seen.append(request)
        return outcome_from_label(request, "technical", worker_id="ann")

    graph = classify.build(checkpointer=saver, ledger=tmp_path / "l.db",
                           reviews=InProcessReviews(reviewer))
    sure = graph.invoke({"input": "The app shows an error at login"}, cfg("c1"))
    assert (sure["output"], sure["output_source"]) == ("technical", "model")
    unsure = graph.invoke({"input": "Why was I charged after the crash?"}, cfg("c2"))
    assert (unsure["output"], unsure["output_source"]) == ("technical", "human")
    assert seen[0].labels == ["billing", "technical", "other"]
    assert seen[0].template == "classification"
    [row] = list(Resumer.for_graph(graph).ledger.iter_corrections())
    assert (row.correction.model_output, row.correction.final_output) == ("billing", "technical")
    assert row.correction.answers[0].worker_id == "ann"


def test_answer_learns_from_corrections(tmp_path: Path, saver: InMemorySaver) -> None:
    answer = load_graph_module("answer")
    fixed = "Canberra is the capital of Australia."
    reviews = InProcessReviews(lambda r: ReviewOutcome(action="edit", final_output=fixed,
                                                       source="in_process"))
    model = answer.fake_model()
    graph = answer.build(checkpointer=saver, ledger=tmp_path / "l.db", reviews=reviews,
                         model=model)
    known = graph.invoke({"input": "What is the capital of France?"}, cfg("a1"))
    assert known["output_source"] == "model"
    corrected = graph.invoke({"input": "What is the capital of Australia?"}, cfg("a2"))
    assert (corrected["output"], corrected["output_source"]) == (fixed, "human")
    [row] = list(Resumer.for_graph(graph).ledger.iter_corrections())
    assert (row.correction.model_output, row.correction.final_output) == ("I am not sure.", fixed)
    # A similar question: the correction is a few-shot example, and the model now knows.
    similar = graph.invoke({"input": "what's the capital city of Australia?"}, cfg("a3"))
    assert similar["output"] == fixed and similar["output_source"] == "model"
    assert "Correct answer: " + fixed in model.seen[-1][0].text
    # The same question again: the human answer is reused, the model is not asked.
    asked = len(model.seen)
    again = graph.invoke({"input": "What is the capital of Australia?"}, cfg("a4"))
    assert (again["output"], again["output_source"]) == (fixed, "memory")
    assert len(model.seen) == asked


def test_extract_is_reviewed_field_by_field(tmp_path: Path, saver: InMemorySaver) -> None:
    extract = load_graph_module("extract")
    reviews = InProcessReviews()  # a person answers later
    graph = extract.build(checkpointer=saver, ledger=tmp_path / "l.db", reviews=reviews)
    doc = "Invoice no: INV-2026-0117, 2026-11-14. Subtotal 1000 EUR. Total: 1184.50 EUR"
    out = graph.invoke({"input": doc}, cfg("e1"))
    [intr] = out["__interrupt__"]
    request = ReviewRequest.model_validate(intr.value)
    assert request.template == "extraction"
    assert request.uncertainty.components["invoice_number"] > 0.9
    assert request.uncertainty.components["total"] < 0.5  # two totals found
    fields = {**request.model_output, "total": 1184.5}
    reviews.answer(request.review_id, ReviewOutcome(action="edit", final_output=fields))
    Resumer.for_graph(graph).run_once()
    final = graph.get_state(cfg("e1")).values
    assert final["output"]["total"] == 1184.5 and final["output_source"] == "human"


def test_tool_approval_graph_runs_safe_calls_and_waits_for_risky_ones(
        tmp_path: Path, saver: InMemorySaver) -> None:
    ready = load_graph_module("tool_approval")
    reviews = InProcessReviews()
    agent = ready.build(checkpointer=saver, ledger=tmp_path / "l.db", reviews=reviews)
    safe = agent.invoke({"messages": [("user", "Where is order 77?")]}, cfg("t1"))
    assert "__interrupt__" not in safe and "Order 77" in safe["messages"][-1].text
    risky = agent.invoke({"messages": [("user", "Refund order 8812, 500")]}, cfg("t2"))
    [intr] = risky["__interrupt__"]
    assert intr.value["name"] == "refund" and intr.value["review"]["template"] == "tool-approval"
    reviews.answer(intr.value["review_id"], ReviewOutcome(
        action="reject", answers=[], rationale="over the refund limit"))
    Resumer(agent, agent.hitl_approvals.ledger, [reviews]).run_once()
    messages = agent.get_state(cfg("t2")).values["messages"]
    assert "over the refund limit" in messages[-2].text and messages[-2].status == "error"
    [row] = list(agent.hitl_approvals.ledger.iter_corrections())
    assert row.correction.action == "reject" and row.correction.final_output is None


@pytest.mark.parametrize("name", ["classify", "answer", "extract", "tool_approval"])
def test_graphs_refuse_to_build_without_a_checkpointer(name: str, tmp_path: Path) -> None:
    module = load_graph_module(name)
    with pytest.raises(ConfigError, match="checkpointer"):
        module.build(checkpointer=None, ledger=tmp_path / "l.db")


@pytest.mark.parametrize("name", ["classify", "answer", "extract", "tool_approval"])
def test_served_graphs_build_offline_without_their_own_checkpointer(name: str) -> None:
    graph: Any = load_graph_module(name).make_graph()
    assert graph.checkpointer is None  # the server injects its own
