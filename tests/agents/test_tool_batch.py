"""Batched tool approval (parallel tool calls, LangChain's HITLRequest / {"decisions": [...]}),
and calls decided again from the correction memory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import ValidationError as PydanticValidationError

from hitl_agent import InProcessReviews, Ledger, ReviewOutcome
from hitl_agent.agents import ToolApprovalMiddleware, ToolRiskPolicy
from hitl_agent.agents.examples import lookup_order, refund
from hitl_agent.agents.fakes import ScriptedChatModel
from tests.helpers.graphs import cfg


def two_refunds(messages: Sequence[BaseMessage]) -> AIMessage:
    if messages[-1].type == "tool":
        return AIMessage("; ".join(m.text for m in messages if m.type == "tool"))
    return AIMessage("", tool_calls=[
        {"name": "refund", "args": {"order_id": "1", "amount": 10.0}, "id": "c1"},
        {"name": "lookup_order", "args": {"order_id": "2"}, "id": "c2"},
        {"name": "refund", "args": {"order_id": "3", "amount": 30.0}, "id": "c3"}])


def batched_agent(tmp_path: Path, reviews: InProcessReviews, **options: Any) -> Any:
    gate = ToolApprovalMiddleware(interrupt_on={"refund": True}, interrupt_mode="batched",
                                  policy=ToolRiskPolicy(risky_tools=["refund"]),
                                  reviews=reviews, ledger=tmp_path / "ledger.db", **options)
    agent = create_agent(ScriptedChatModel(two_refunds), [refund, lookup_order],
                         middleware=[gate], checkpointer=InMemorySaver())
    return gate, agent


def test_parallel_calls_are_one_interrupt_answered_by_position(tmp_path: Path) -> None:
    gate, agent = batched_agent(tmp_path, InProcessReviews())
    out = agent.invoke({"messages": [("user", "refund both")]}, cfg("b1"))
    [intr] = out["__interrupt__"]
    assert [a["args"]["order_id"] for a in intr.value["action_requests"]] == ["1", "3"]
    assert [c["action_name"] for c in intr.value["review_configs"]] == ["refund", "refund"]
    assert len(set(intr.value["review_ids"])) == 2
    # One decision short: refused (naming the rule), nothing saved, nothing ran.
    with pytest.raises(PydanticValidationError) as err:
        agent.invoke(Command(resume={"decisions": [{"type": "approve"}]}), cfg("b1"))
    assert err.value.errors()[0]["type"] == "one_per_action"
    assert agent.get_state(cfg("b1")).interrupts[0].id == intr.id
    agent.invoke(Command(resume={"decisions": [
        {"type": "edit", "edited_action": {"name": "refund",
                                           "args": {"order_id": "1", "amount": 5.0}}},
        {"type": "reject", "message": "duplicate"}]}), cfg("b1"))
    final = agent.get_state(cfg("b1")).values["messages"][-1].text
    assert "Refunded 5.00 USD on order 1." in final and "Order 2:" in final
    assert "rejected the tool call for `refund` with reason: duplicate" in final
    ledger = Ledger(tmp_path / "ledger.db")
    actions = sorted(r.correction.action for r in ledger.iter_corrections())
    assert actions == ["edit", "reject"]


def test_backend_answers_resume_the_batch_once_all_are_decided(tmp_path: Path) -> None:
    reviews = InProcessReviews()
    gate, agent = batched_agent(tmp_path, reviews)
    [intr] = agent.invoke({"messages": [("user", "refund both")]}, cfg("b2"))["__interrupt__"]
    first, second = intr.value["review_ids"]
    resumer = gate.resumer(agent, lease_seconds=0.0)
    reviews.answer(first, ReviewOutcome(action="accept"))
    assert resumer.run_once().resumed == []  # the other call is still open
    assert agent.get_state(cfg("b2")).interrupts
    reviews.answer(second, {"decisions": [{"type": "approve"}]})
    resumer.run_once()
    assert not agent.get_state(cfg("b2")).interrupts
    assert {Ledger(tmp_path / "ledger.db").get_review(r).state for r in (first, second)} == {
        "resumed"}
    final = agent.get_state(cfg("b2")).values["messages"][-1].text
    assert "order 1" in final and "order 3" in final


def test_a_decided_call_is_decided_again_from_memory(tmp_path: Path) -> None:
    pytest.importorskip("wordllama", reason="the correction memory needs the memory extra")
    from hitl_agent.memory import CorrectionMemory

    ledger = Ledger(tmp_path / "ledger.db")
    memory = CorrectionMemory(ledger)
    gate, agent = batched_agent(tmp_path, InProcessReviews(), memory=memory)
    agent.invoke({"messages": [("user", "refund")]}, cfg("m1"))

    def halve(order: str, amount: float) -> dict[str, Any]:
        return {"type": "edit", "edited_action": {
            "name": "refund", "args": {"order_id": order, "amount": amount / 2}}}

    agent.invoke(Command(resume={"decisions": [halve("1", 10.0), halve("3", 30.0)]}), cfg("m1"))
    # The same calls in another conversation: decided from memory, nobody asked.
    out = agent.invoke({"messages": [("user", "refund again")]}, cfg("m2"))
    assert "__interrupt__" not in out
    final = out["messages"][-1].text
    assert "Refunded 5.00 USD on order 1." in final and "Refunded 15.00 USD on order 3." in final
