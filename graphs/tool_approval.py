"""tool_approval: a LangChain 1.x agent whose risky or unsure tool calls wait for a person.

``refund`` is always reviewed (risky), ``lookup_order`` never (safe), any other call when the
model's confidence is below the threshold. Reviewers approve, edit the arguments (checked against
the tool's schema), reject with a reason, or respond in the tool's place; edits and rejections
are corrections in the ledger. Offline default: a scripted model that proposes the refund the
user asks for. ``HITL_TOOL_APPROVAL_MODEL=provider:model`` uses a real tool-calling model.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from hitl_agent.agents.examples import lookup_order, refund, scripted_support
from hitl_agent.agents.fakes import ScriptedChatModel
from hitl_agent.agents.ready import (
    chat_model_from_env,
    data_dir,
    graph_checkpointer,
    reviews_from_env,
)
from hitl_agent.agents.tool_approval import create_review_agent
from hitl_agent.policy import ToolRiskPolicy

scripted_agent = scripted_support  # the offline model's script (hitl_agent.agents.examples)


def build(*, checkpointer: Any = "server", ledger: Any = None, reviews: Any = None,
          model: Any = None, threshold: float = 0.8) -> Any:
    chat = model or chat_model_from_env("tool_approval") or ScriptedChatModel(
        scripted_agent, model_name="fake-agent")
    return create_review_agent(
        chat, [refund, lookup_order],
        policy=ToolRiskPolicy(threshold, risky_tools=["refund"], safe_tools=["lookup_order"]),
        reviews=reviews or reviews_from_env("tool_approval"),
        ledger=ledger or Path(data_dir()) / "ledger.db",
        checkpointer=checkpointer if checkpointer == "server" else graph_checkpointer(
            checkpointer),
        system_prompt="You help customers with their orders.", name="tool_approval",
    )


@lru_cache(maxsize=1)
def make_graph() -> Any:
    """The served graph (``langgraph.json``): the server's checkpointer."""
    return build(checkpointer="server")
