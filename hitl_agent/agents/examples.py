"""An offline support agent for examples, docs and the ready ``tool_approval`` graph: two tools
and a scripted chat model that calls them (no API key, no network).

``support_model()`` proposes ``refund`` for "refund order N, X" and ``lookup_order`` for
"where is order N"; after a tool ran it reports the tool's answer with a stated confidence
(``additional_kwargs["confidence"]``) of 0.6, unsure enough for an answer review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool

from hitl_agent.agents.fakes import ScriptedChatModel

__all__ = ["lookup_order", "refund", "scripted_support", "support_model"]


@tool
def refund(order_id: str, amount: float, currency: str = "USD") -> str:
    """Refund part or all of an order."""
    return f"Refunded {amount:.2f} {currency} on order {order_id}."


@tool
def lookup_order(order_id: str) -> str:
    """Look an order up."""
    return f"Order {order_id}: 2 items, paid 500.00 USD."


def scripted_support(messages: Sequence[BaseMessage], *, answer_confidence: float = 0.6
                     ) -> AIMessage:
    """One turn of the scripted agent (see the module docstring)."""
    last = messages[-1]
    if last.type == "tool":
        result = last.text.split("\n\n")[-1]  # without an edit notice before it
        return AIMessage(f"Done: {result}",
                         additional_kwargs={"confidence": answer_confidence})
    text = last.text if last.type == "human" else ""
    order = re.search(r"order\s+#?(\w+)", text, re.IGNORECASE)
    amount = re.search(r"(\d+(?:\.\d+)?)", text[order.end():] if order else text)
    turn = sum(m.type == "human" for m in messages)
    if order and "refund" in text.lower():
        args = {"order_id": order.group(1), "amount": float(amount.group(1)) if amount else 0.0}
        return AIMessage("", tool_calls=[{"name": "refund", "args": args,
                                          "id": f"call-refund-{order.group(1)}-{turn}"}])
    if order:
        return AIMessage("", tool_calls=[{"name": "lookup_order",
                                          "args": {"order_id": order.group(1)},
                                          "id": f"call-lookup-{order.group(1)}-{turn}"}])
    return AIMessage("How can I help with your order?", additional_kwargs={"confidence": 0.95})


def support_model() -> ScriptedChatModel:
    """The scripted support agent as a chat model (tool calling included)."""
    return ScriptedChatModel(scripted_support, model_name="support-agent")
