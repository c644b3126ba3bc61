"""A conversation with reviewed tool calls and reviewed answers in one thread, across process
deaths: each step runs in a process that is killed (SIGKILL) when it is done."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hitl_agent import Ledger, open_checkpointer

WORKER = Path(__file__).with_name("conversation_worker.py")

pytestmark = pytest.mark.slow


def step(data: Path, *args: str) -> list[str]:
    result = subprocess.run([sys.executable, str(WORKER), str(data), *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == -9, result.stderr[-3000:]  # killed, as planned
    return json.loads(result.stdout.strip().splitlines()[-1])["interrupts"]


def edit_refund(amount: float) -> str:
    return json.dumps({"decisions": [{"type": "edit", "edited_action": {
        "name": "refund", "args": {"order_id": "8812", "amount": amount}}}]})


def test_three_reviewed_turns_in_one_thread_survive_kills(tmp_path: Path) -> None:
    # Turn 1: the refund call waits, a person lowers it; then the answer waits, they accept.
    [call1] = step(tmp_path, "say", "Please refund order 8812, 50 USD")
    [answer1] = step(tmp_path, "answer", edit_refund(40.0))
    assert step(tmp_path, "answer", json.dumps([{"type": "accept", "args": None}])) == []
    # Turn 2: the call is rejected; the answer is corrected in the backend, and the process
    # dies before it resumes the agent: the next process's resumer resumes it, once.
    [call2] = step(tmp_path, "say", "Please refund order 9000, 20 USD")
    [answer2] = step(tmp_path, "answer", json.dumps(
        {"decisions": [{"type": "reject", "message": "refunded already"}]}))
    assert step(tmp_path, "backend", json.dumps(
        {"action": "edit", "final_output": "Order 9000 was refunded already."})) == [answer2]
    assert step(tmp_path, "recover") == []
    # Turn 3: an unreviewed lookup; the answer is replaced by the person's reply.
    [answer3] = step(tmp_path, "say", "Where is order 8812?")
    assert step(tmp_path, "answer", json.dumps(
        {"decisions": [{"type": "respond", "message": "Order 8812 ships tomorrow."}]})) == []
    assert len({call1, answer1, call2, answer2, answer3}) == 5

    saver = open_checkpointer(tmp_path / "checkpoints.db")
    from langchain.agents import create_agent

    from hitl_agent.agents.examples import lookup_order, refund, support_model

    agent = create_agent(support_model(), [refund, lookup_order], checkpointer=saver)
    messages = agent.get_state({"configurable": {"thread_id": "customer-42"}}).values["messages"]
    ai = [m.text for m in messages if m.type == "ai" and m.text]
    assert ai == ["Done: Refunded 40.00 USD on order 8812.",
                  "Order 9000 was refunded already.", "Order 8812 ships tomorrow."]
    ledger = Ledger(tmp_path / "ledger.db")
    reviews = {r: ledger.get_review(r) for r in (call1, answer1, call2, answer2, answer3)}
    assert {r.state for r in reviews.values()} == {"resumed"}
    corrections = [(c.correction.task, c.correction.action) for c in ledger.iter_corrections()]
    assert sorted(corrections) == sorted([
        ("tool_approval", "edit"), ("answer", "accept"), ("tool_approval", "reject"),
        ("answer", "edit"), ("answer", "edit")])
    assert ledger.counts().get("reviews.pending", 0) == 0
