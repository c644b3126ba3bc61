"""Embedding the review loop in agent applications: a review node for any LangGraph graph,
tool-call approval for LangChain 1.x agents, and interrupt-safe error handling."""

import importlib
from typing import TYPE_CHECKING

from hitl_agent.agents.answers import answer_review
from hitl_agent.agents.review_node import (
    compile_with_checkpointer,
    has_checkpointer,
    require_checkpointer,
    review_node,
)
from hitl_agent.agents.safety import (
    SwallowedInterrupt,
    find_swallowed_interrupts,
    hitl_safe,
    is_interrupt,
    reraise_interrupt,
)

if TYPE_CHECKING:  # imported lazily below: they need the `langchain` package
    from hitl_agent.agents.answer_review import AnswerReviewMiddleware
    from hitl_agent.agents.tool_approval import (
        InterruptOnConfig,
        ToolApprovalMiddleware,
        create_review_agent,
    )
    from hitl_agent.policy.tool_risk import ToolRiskPolicy
    from hitl_agent.uncertainty.tool_call import ToolCallConfidence

_LANGCHAIN = {
    "AnswerReviewMiddleware": "hitl_agent.agents.answer_review",
    "InterruptOnConfig": "hitl_agent.agents.tool_approval",
    "ToolApprovalMiddleware": "hitl_agent.agents.tool_approval",
    "ToolCallConfidence": "hitl_agent.uncertainty.tool_call",
    "ToolRiskPolicy": "hitl_agent.policy.tool_risk",
    "create_review_agent": "hitl_agent.agents.tool_approval",
}

__all__ = [
    "AnswerReviewMiddleware",
    "InterruptOnConfig",
    "SwallowedInterrupt",
    "ToolApprovalMiddleware",
    "ToolCallConfidence",
    "ToolRiskPolicy",
    "answer_review",
    "compile_with_checkpointer",
    "create_review_agent",
    "find_swallowed_interrupts",
    "has_checkpointer",
    "hitl_safe",
    "is_interrupt",
    "require_checkpointer",
    "reraise_interrupt",
    "review_node",
]


def __getattr__(name: str) -> object:
    # The middleware needs `langchain` (not only langchain-core): import it lazily.
    module = _LANGCHAIN.get(name)
    if module is None:
        raise AttributeError(f"module 'hitl_agent.agents' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{name} needs LangChain 1.x agents: pip install 'hitl-agent[agents]' "
            f"(or pip install 'langchain>=1.0'): {exc}") from exc
    globals()[name] = value
    return value
