"""Adapters between ReviewRequest/ReviewOutcome and Agent Inbox / LangChain HITL shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hitl_agent import ReviewOutcome, ReviewRequest, RoutingDecision, Uncertainty, ValidationError
from hitl_agent.review.inbox import (
    decision_from_outcome,
    outcome_from_decision,
    outcome_from_human_response,
    to_hitl_request,
    to_human_interrupt,
)


def request(model_output: Any, labels: list[str] | None = None, **kw: Any) -> ReviewRequest:
    return ReviewRequest(
        review_id="r1", thread_id="t1", task="task", input="in", model_output=model_output,
        uncertainty=Uncertainty(confidence=0.4, scorer="s"),
        decision=RoutingDecision(action="escalate", reason="threshold", propensity=1.0,
                          policy_id="p"),
        labels=labels, deadline=datetime(2030, 1, 1, tzinfo=UTC), **kw)


def test_label_review_through_agent_inbox() -> None:
    req = request("spam", labels=["spam", "ham"])
    shown = to_human_interrupt(req)
    assert shown["action_request"] == {"action": "task", "args": {"output": "spam"}}
    assert shown["config"] == {"allow_accept": True, "allow_edit": True,
                               "allow_respond": True, "allow_ignore": True}
    assert "40%" in (shown["description"] or "")
    edit = outcome_from_human_response(req, [{"type": "edit", "args": {
        "action": "task", "args": {"output": "ham"}}}], worker_id="w")
    assert (edit.action, edit.final_output, edit.answers[0].worker_id) == ("edit", "ham", "w")
    assert outcome_from_human_response(req, [{"type": "accept", "args": None}]).action == "accept"
    assert outcome_from_human_response(req, {"type": "response", "args": "ham"}).final_output \
        == "ham"
    assert outcome_from_human_response(req, [{"type": "ignore", "args": None}]).action == "reject"
    with pytest.raises(ValidationError, match="not one of the choices"):
        outcome_from_human_response(req, [{"type": "response", "args": "eggs"}])


def test_fields_come_back_typed_from_stringified_inbox_args() -> None:
    req = request({"total": 12.5, "count": 3, "name": "x"})
    out = outcome_from_human_response(req, [{"type": "edit", "args": {
        "action": "task", "args": '{"total": "13.0", "count": "3", "name": "x"}'}}])
    assert out.final_output == {"total": 13.0, "count": 3, "name": "x"}
    reply = outcome_from_human_response(req, [{"type": "response", "args": "bad scan"}])
    assert (reply.action, reply.rationale) == ("reject", "bad scan")


def test_langchain_decisions_round_trip() -> None:
    req = request({"tool": "refund", "arguments": {"amount": 5.0}},
                  allowed_actions=["accept", "edit", "reject"])
    hitl = to_hitl_request(req)
    assert hitl["action_requests"][0]["name"] == "refund"
    assert hitl["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject",
                                                              "respond"]
    edit = outcome_from_decision(req, {"decisions": [{"type": "edit", "edited_action": {
        "name": "refund", "args": {"amount": 2.0}}}]})
    assert edit.final_output == {"tool": "refund", "arguments": {"amount": 2.0}}
    assert decision_from_outcome(edit, action_name="refund")["edited_action"]["args"] == {
        "amount": 2.0}
    with pytest.raises(ValidationError, match="cannot change the action"):
        outcome_from_decision(req, {"type": "edit", "edited_action": {"name": "x", "args": {}}})
    # Outcomes from other backends (templates, the sweeper) map onto LangChain decisions.
    template = ReviewOutcome(action="edit", final_output={"amount": 1.0})
    assert decision_from_outcome(template, action_name="refund") == {
        "type": "edit", "edited_action": {"name": "refund", "args": {"amount": 1.0}}}
    assert decision_from_outcome(ReviewOutcome(action="accept"), action_name="refund") == {
        "type": "approve"}
    assert decision_from_outcome(ReviewOutcome(action="timeout"),
                                 action_name="refund")["type"] == "reject"
    rejected = ReviewOutcome(action="reject", rationale="too much")
    assert decision_from_outcome(rejected, action_name="refund") == {"type": "reject",
                                                                     "message": "too much"}


def test_disallowed_answers_are_refused() -> None:
    req = request("text", allowed_actions=["accept"])
    with pytest.raises(ValidationError, match="not allowed"):
        outcome_from_decision(req, {"type": "reject"})
    with pytest.raises(ValidationError, match="not allowed"):
        outcome_from_human_response(req, [{"type": "ignore", "args": None}])
