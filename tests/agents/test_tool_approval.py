"""Tool-call approval for LangChain 1.x agents: the two-turn edit, refusals, policy, schemas."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import is_invalid_resume
from langgraph.types import Command
from pydantic import ValidationError as PydanticValidationError

from hitl_agent import (
    AlreadyDecided,
    ConfigError,
    InProcessReviews,
    Prediction,
    Resumer,
    ReviewOutcome,
    Uncertainty,
)
from hitl_agent.agents import (
    ToolCallConfidence,
    ToolRiskPolicy,
    answer_review,
    create_review_agent,
)
from hitl_agent.agents.fakes import ScriptedChatModel
from hitl_agent.tracing import HitlTraceCollector
from tests.helpers.graphs import cfg

RAN: list[tuple[str, float]] = []


@tool
def refund(order_id: str, amount: float) -> str:
    """Refund an order."""
    RAN.append((order_id, amount))
    return f"refunded {amount:.2f} on {order_id}"


@tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id}: paid 500.00"


def agent_model(confidence: float | None = None) -> ScriptedChatModel:
    """Turn 1 proposes refund(8812, 500); turn 2 reports the tool's answer."""

    def respond(messages: Sequence[BaseMessage]) -> AIMessage:
        if messages[-1].type == "tool":
            return AIMessage(f"Done: {messages[-1].text}")
        meta = {} if confidence is None else {"confidence": confidence}
        return AIMessage("", response_metadata=meta, tool_calls=[
            {"name": "refund", "args": {"order_id": "8812", "amount": 500.0}, "id": "call-1"}])

    return ScriptedChatModel(respond)


def make_agent(tmp_path: Path, saver: InMemorySaver, reviews: InProcessReviews,
               policy: Any = None, model: Any = None, **options: Any) -> Any:
    RAN.clear()
    return create_review_agent(
        model or agent_model(), [refund, lookup],
        policy=policy or ToolRiskPolicy(0.8, risky_tools=["refund"]), reviews=reviews,
        ledger=tmp_path / "ledger.db", checkpointer=saver, approval_options=options)


def test_two_turns_reviewer_edits_the_arguments(tmp_path: Path, saver: InMemorySaver) -> None:
    reviews = InProcessReviews()
    agent = make_agent(tmp_path, saver, reviews)
    tracer = HitlTraceCollector()
    # Turn 1: the agent proposes the call; it waits for a person, nothing ran.
    first = agent.invoke({"messages": [("user", "Refund order 8812")]},
                         cfg("t1", callbacks=[tracer]))
    [intr] = first["__interrupt__"]
    assert intr.value["type"] == "tool_approval"
    assert intr.value["args"] == {"order_id": "8812", "amount": 500.0}
    assert RAN == []
    # The reviewer edits the amount, through the worker side of the backend (the tool-approval
    # template's answer shape), and the resumer resumes the agent.
    review_id = intr.value["review_id"]
    [pending] = reviews.pending()
    assert pending.review_id == review_id and pending.model_output["tool"] == "refund"
    reviews.answer(review_id, ReviewOutcome(action="edit", final_output={
        "order_id": "8812", "amount": 200.0}, rationale="partial refund agreed"))
    report = Resumer(agent, agent.hitl_approvals.ledger, [reviews]).run_once()
    assert report.resumed == [review_id]
    # Turn 2: the tool ran with the edited arguments, the model saw the result.
    assert RAN == [("8812", 200.0)]
    messages = agent.get_state(cfg("t1")).values["messages"]
    assert "Executed instead: refund" in messages[-2].text
    assert messages[-1].text.startswith("Done: ")
    # The correction is a preference pair in the ledger.
    [row] = list(agent.hitl_approvals.ledger.iter_corrections())
    c = row.correction
    assert c.action == "edit" and c.task == "tool_approval" and c.review_id == review_id
    assert c.model_output == {"tool": "refund", "arguments": {"order_id": "8812", "amount": 500.0}}
    assert c.final_output == {"tool": "refund", "arguments": {"order_id": "8812", "amount": 200.0}}
    assert c.reason == "rule" and c.propensity == 1.0
    # Tracing showed where the human stepped in.
    assert "route" in tracer.steps()


def test_edited_args_failing_the_schema_are_refused_and_not_run(
        tmp_path: Path, saver: InMemorySaver) -> None:
    reviews = InProcessReviews()
    agent = make_agent(tmp_path, saver, reviews)
    [intr] = agent.invoke({"messages": [("user", "refund")]}, cfg("t2"))["__interrupt__"]
    bad = {"type": "edit", "edited_action": {"name": "refund",
                                             "args": {"order_id": "8812", "amount": "lots"}}}
    # A direct answer (Studio, SDK): LangGraph refuses it, the interrupt stays pending.
    with pytest.raises(PydanticValidationError) as err:
        agent.invoke(Command(resume={intr.id: bad}), cfg("t2"))
    assert is_invalid_resume(err.value)
    assert RAN == [] and agent.get_state(cfg("t2")).interrupts[0].id == intr.id
    # An edit can't switch tools either.
    with pytest.raises(PydanticValidationError):
        agent.invoke(Command(resume={intr.id: {"type": "edit", "edited_action": {
            "name": "lookup", "args": {"order_id": "1"}}}}), cfg("t2"))
    # The same bad answer from a review backend: sent back to the reviewer as a new round.
    first = intr.value["review_id"]
    reviews.answer(first, ReviewOutcome(action="edit", final_output={"amount": "lots"}))
    resumer = Resumer(agent, agent.hitl_approvals.ledger, [reviews])
    resumer.run_once()
    assert RAN == []
    [again] = agent.get_state(cfg("t2")).interrupts
    second = again.value["review_id"]
    assert second != first
    assert "do not fit the tool's schema" in again.value["review"]["input"]["refused_answer"]
    reviews.answer(second, ReviewOutcome(action="edit", final_output={
        "order_id": "8812", "amount": 50}))
    resumer.run_once()
    assert RAN == [("8812", 50.0)]


def test_a_decision_for_a_review_no_longer_pending_is_refused(
        tmp_path: Path, saver: InMemorySaver) -> None:
    reviews = InProcessReviews()
    agent = make_agent(tmp_path, saver, reviews)
    [intr] = agent.invoke({"messages": [("user", "refund")]}, cfg("t3"))["__interrupt__"]
    resumer = Resumer(agent, agent.hitl_approvals.ledger, [reviews])
    review_id = intr.value["review_id"]
    answer_review(resumer, review_id, {"type": "reject", "message": "no refunds today"},
                  worker_id="bob")
    with pytest.raises(AlreadyDecided):
        answer_review(resumer, review_id, {"type": "approve"})
    assert RAN == []
    messages = agent.get_state(cfg("t3")).values["messages"]
    assert "no refunds today" in messages[-2].text
    [row] = list(agent.hitl_approvals.ledger.iter_corrections())
    assert row.correction.action == "reject" and row.correction.answers[0].worker_id == "bob"


def test_respond_and_agent_inbox_answers(tmp_path: Path, saver: InMemorySaver) -> None:
    reviews = InProcessReviews()
    agent = make_agent(tmp_path, saver, reviews)
    [intr] = agent.invoke({"messages": [("user", "refund")]}, cfg("t4"))["__interrupt__"]
    agent.invoke(Command(resume={intr.id: {"type": "respond",
                                           "message": "refund already issued"}}), cfg("t4"))
    messages = agent.get_state(cfg("t4")).values["messages"]
    assert messages[-2].text == "refund already issued" and messages[-2].status == "success"
    assert RAN == [] and list(agent.hitl_approvals.ledger.iter_corrections()) == []
    # Agent Inbox resumes with [HumanResponse], edited args as strings.
    [intr] = agent.invoke({"messages": [("user", "refund")]}, cfg("t5"))["__interrupt__"]
    assert intr.value["action_request"] == {"action": "refund",
                                            "args": {"order_id": "8812", "amount": 500.0}}
    agent.invoke(Command(resume={intr.id: [{"type": "edit", "args": {
        "action": "refund", "args": {"order_id": "8812", "amount": "75"}}}]}), cfg("t5"))
    assert RAN == [("8812", 75.0)]


def test_only_risky_or_unsure_calls_are_reviewed(tmp_path: Path, saver: InMemorySaver) -> None:
    policy = ToolRiskPolicy(0.8, safe_tools=["lookup"],
                            risky=lambda name, args: float(args.get("amount", 0)) > 1000)
    sure = make_agent(tmp_path / "a", saver, InProcessReviews(), policy=policy,
                      model=agent_model(confidence=0.95))
    out = sure.invoke({"messages": [("user", "refund")]}, cfg("s1"))
    assert "__interrupt__" not in out and RAN == [("8812", 500.0)]
    unsure = make_agent(tmp_path / "b", saver, InProcessReviews(), policy=policy,
                        model=agent_model(confidence=0.3))
    assert "__interrupt__" in unsure.invoke({"messages": [("user", "refund")]}, cfg("s2"))
    call = Prediction(output={"tool": "refund", "arguments": {"amount": 5000}})
    sure_call = Uncertainty(confidence=0.99, scorer="x")
    assert policy.decide("k", sure_call, call).reason == "rule"
    lookup_call = Prediction(output={"tool": "lookup", "arguments": {}})
    assert policy.decide("k", Uncertainty(confidence=0.0, scorer="x"),
                         lookup_call).action == "accept"


def test_confidence_reads_logprobs_and_stated_confidence() -> None:
    scorer = ToolCallConfidence(unknown=0.25)
    assert scorer(Prediction(output={"tool": "t", "arguments": {}})).confidence == 0.25
    stated = Prediction(output="x", metadata={"confidence": 0.9})
    assert scorer(stated).confidence == 0.9
    lp = scorer(Prediction(output="x", token_logprobs=[-0.1, -0.1])).confidence
    assert lp == pytest.approx(0.904837, rel=1e-4)


def test_in_process_reviewer_answers_inline(tmp_path: Path, saver: InMemorySaver) -> None:
    reviews = InProcessReviews(lambda r: ReviewOutcome(action="accept"))
    agent = make_agent(tmp_path, saver, reviews)
    out = agent.invoke({"messages": [("user", "refund")]}, cfg("i1"))
    assert "__interrupt__" not in out and RAN == [("8812", 500.0)]


def test_agent_without_checkpointer_is_refused_at_build_time(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="checkpointer"):
        create_review_agent(agent_model(), [refund], policy=ToolRiskPolicy(),
                            reviews=InProcessReviews(), ledger=tmp_path / "l.db",
                            checkpointer=None)
