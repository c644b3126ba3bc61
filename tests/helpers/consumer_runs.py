"""Three real runs that fill a ledger, for the export tests: a classification graph, an
open-ended answer graph (both with a chat model and a system prompt) and a tool-approval agent.

Every item is escalated and answered by a simulated reviewer (synchronously, through the
in-process backend), so each run leaves its corrections and the context the model saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from hitl_agent import (
    InProcessReviews,
    SimulatedReviewer,
    ThresholdPolicy,
    build_review_graph,
)
from hitl_agent.agents import ToolRiskPolicy, create_review_agent
from hitl_agent.agents.fakes import ScriptedChatModel
from hitl_agent.memory.ledger import Ledger
from hitl_agent.models.chat import ChatModelAdapter
from hitl_agent.uncertainty.scorers import MeanLogprobScorer

N = 24
DIGITS = [str(d) for d in range(10)]
CLASSIFY_SYSTEM = "Read the number word and answer with its digit only."
ANSWER_SYSTEM = "Answer the customer's question in one friendly sentence."
AGENT_SYSTEM = "You are a support agent. Use the tools to act on orders."
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _unsure(text: str) -> AIMessage:
    # Low token logprobs: every answer is escalated to the reviewer.
    return AIMessage(text, response_metadata={"logprobs": {"content": [
        {"token": t, "logprob": -2.0, "top_logprobs": []} for t in text.split() or [text]]}})


def _last_human(messages: Sequence[BaseMessage]) -> str:
    return next(m.text for m in reversed(messages) if m.type == "human")


def _graph(tmp: Path, name: str, adapter: Any, gold: Any, labels: list[str] | None) -> Ledger:
    ledger = Ledger(tmp / f"{name}.db")
    graph = build_review_graph(
        model=adapter, scorer=MeanLogprobScorer(), policy=ThresholdPolicy(0.99),
        reviews=InProcessReviews(SimulatedReviewer(gold, labels=labels)), ledger=ledger,
        checkpointer=InMemorySaver(), task=name, labels=labels)
    for i in range(N):
        graph.invoke({"input": _inputs(name)[i]}, {"configurable": {"thread_id": f"{name}-{i}"}})
    return ledger


def _inputs(name: str) -> list[str]:
    if name == "digits":
        return [f"{WORDS[i % 10]} (item {i})" for i in range(N)]
    return [f"Where is my parcel number {1000 + i}, sent to town {i}?" for i in range(N)]


def classification_run(tmp: Path) -> Ledger:
    """Digits: the model misreads two thirds of them; the reviewer picks the right digit."""

    def respond(messages: Sequence[BaseMessage]) -> AIMessage:
        i = int(_last_human(messages).split("item ")[1].rstrip(")"))
        return _unsure(str(i % 10) if i % 3 == 0 else str((i + 1) % 10))

    adapter = ChatModelAdapter(ScriptedChatModel(respond), system_prompt=CLASSIFY_SYSTEM,
                               labels=DIGITS, few_shot=None)
    return _graph(tmp, "digits", adapter,
                  lambda r: str(int(r.input.split("item ")[1].rstrip(")")) % 10), DIGITS)


def answer_run(tmp: Path) -> Ledger:
    """Open-ended answers: the reviewer rewrites most of the model's sentences."""

    def respond(messages: Sequence[BaseMessage]) -> AIMessage:
        n = _last_human(messages).split("number ")[1].split(",")[0]
        return _unsure(f"Parcel {n} is lost, sorry.")

    def gold(request: Any) -> str:
        n = int(request.input.split("number ")[1].split(",")[0])
        if n % 4 == 0:
            return f"Parcel {n} is lost, sorry."
        return f"Parcel {n} left our depot today and should reach you within {n % 5 + 1} days."

    adapter = ChatModelAdapter(ScriptedChatModel(respond), system_prompt=ANSWER_SYSTEM,
                               few_shot=None)
    return _graph(tmp, "answers", adapter, gold, None)


@tool
def refund(order_id: str, amount: float) -> str:
    """Refund an order, in whole or in part."""
    return f"refunded {amount:.2f} on {order_id}"


@tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id}: paid 500.00"


def tool_approval_run(tmp: Path) -> Ledger:
    """An agent refunds orders in full; the reviewer cuts each refund to what was agreed."""

    def respond(messages: Sequence[BaseMessage]) -> AIMessage:
        if messages[-1].type == "tool":
            return AIMessage(f"Done: {messages[-1].text}")
        order = _last_human(messages).split("order ")[1].split(",")[0]
        return AIMessage("Let me refund that.", tool_calls=[
            {"name": "refund", "args": {"order_id": order, "amount": 500.0},
             "id": f"call-{order}"}])

    def gold(request: Any) -> dict[str, Any]:
        args = dict(request.model_output["arguments"])
        return {**args, "amount": float(int(args["order_id"]) % 400 + 10)}

    ledger = Ledger(tmp / "tools.db")
    agent = create_review_agent(
        ScriptedChatModel(respond), [refund, lookup],
        policy=ToolRiskPolicy(0.8, risky_tools=["refund"]),
        reviews=InProcessReviews(SimulatedReviewer(gold)), ledger=ledger,
        checkpointer=InMemorySaver(), system_prompt=AGENT_SYSTEM)
    for i in range(N):
        agent.invoke({"messages": [("user", f"Please refund order {8800 + i}, it arrived "
                                            f"broken (ticket {i}).")]},
                     {"configurable": {"thread_id": f"agent-{i}"}})
    return ledger


RUNS = {"classification": classification_run, "answers": answer_run,
        "tool_approval": tool_approval_run}
