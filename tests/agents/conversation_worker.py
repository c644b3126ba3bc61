"""One step of a reviewed conversation, in its own process, which then dies by SIGKILL (no
clean shutdown): ``python conversation_worker.py DATA say TEXT | answer JSON | backend JSON |
recover``."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from langchain.agents import create_agent
from langchain_core.runnables import RunnableConfig

from hitl_agent import InProcessReviews, Resumer, ThresholdPolicy, open_checkpointer
from hitl_agent.agents import AnswerReviewMiddleware, ToolApprovalMiddleware, ToolRiskPolicy
from hitl_agent.agents.examples import lookup_order, refund, support_model

data, step, arg = Path(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
reviews = InProcessReviews(path=data / "reviews.db")
tool_calls = ToolApprovalMiddleware(interrupt_on={"refund": True}, reviews=reviews,
                                    policy=ToolRiskPolicy(risky_tools=["refund"]),
                                    ledger=data / "ledger.db")
answers = AnswerReviewMiddleware(policy=ThresholdPolicy(0.8), reviews=reviews,
                                 ledger=data / "ledger.db")
agent = create_agent(support_model(), [refund, lookup_order],
                     middleware=[tool_calls, answers],
                     checkpointer=open_checkpointer(data / "checkpoints.db"))
chat: RunnableConfig = {"configurable": {"thread_id": "customer-42"}}
resumer = Resumer(agent, tool_calls.ledger, [reviews], lease_seconds=0.0)


def waiting() -> str:
    [ask] = agent.get_state(chat).interrupts
    return str(ask.value["review_id"])


if step == "say":
    agent.invoke({"messages": [("user", arg)]}, chat)  # type: ignore[call-overload]
elif step == "answer":  # a person answers through a UI: decided once, then resumed
    resumer.answer(waiting(), json.loads(arg))
elif step == "backend":  # a person answers in the backend; this process dies before resuming
    reviews.answer(waiting(), json.loads(arg))
elif step == "recover":  # a new process: the resumer finds the answer and resumes, once
    report = resumer.run_once()
    assert len(report.resumed) == 1, report
print(json.dumps({"interrupts": [i.value.get("review_id")
                                 for i in agent.get_state(chat).interrupts]}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
