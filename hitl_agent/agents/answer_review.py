"""Review an agent's final answer: the review loop as LangChain 1.x agent middleware.

:class:`AnswerReviewMiddleware` runs after the agent has answered (``after_agent``): the final
AI message is the output to review, the last human message its input. The loop scores it (the
model's stated confidence or its token logprobs, by default), asks a person when the policy
says so, and replaces the message with the person's correction (a rejected answer becomes
``rejected_text``). Each answer is a ledger item of the thread (``<thread>``, ``<thread>#2``,
…), so a conversation holds any number of reviewed answers; corrections go to the ledger and
the correction memory like every other review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from langchain.agents.middleware.types import AgentMiddleware
from langchain_core.messages import AIMessage, BaseMessage
from langgraph.config import get_config

from hitl_agent.errors import InvalidStateError
from hitl_agent.graph.loop import ReviewLoop
from hitl_agent.memory.base import CorrectionRecall
from hitl_agent.memory.ledger import Ledger
from hitl_agent.models.chat import extract_logprobs
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.uncertainty.base import Scorer
from hitl_agent.uncertainty.tool_call import ToolCallConfidence

__all__ = ["AnswerReviewMiddleware"]


def _not_called(input: Any) -> Any:  # the answer is in the state; the loop never asks a model
    raise InvalidStateError("AnswerReviewMiddleware reviews the agent's answer; no model to call")


class AnswerReviewMiddleware(AgentMiddleware):  # type: ignore[type-arg]
    """Ask people about the agent's unsure final answers (see the module docstring).

    ``review_options`` go to :class:`~hitl_agent.graph.loop.ReviewLoop` (``review_timeout``,
    ``timeout_fallback``, ``template``, …); the task is ``answer`` (a text, no labels).
    """

    def __init__(
        self,
        *,
        policy: EscalationPolicy,
        reviews: ReviewBackend | Sequence[ReviewBackend],
        ledger: Ledger | str | Path,
        scorer: Scorer | None = None,
        memory: CorrectionRecall | None = None,
        task: str = "answer",
        template: str | None = "text-correction",
        review_timeout: timedelta | float = timedelta(days=1),
        rejected_text: str = "A reviewer withheld this answer.",
        **review_options: Any,
    ) -> None:
        super().__init__()
        self.loop = ReviewLoop(model=_not_called, scorer=scorer or ToolCallConfidence(),
                               policy=policy, reviews=reviews, ledger=ledger, memory=memory,
                               task=task, template=template, review_timeout=review_timeout,
                               name="answer_review", **review_options)
        self.node = self.loop.node(input_key="question", prediction_key="draft",
                                   output_key="answer", outputs={"source": "output_source"},
                                   name="answer_review")
        self.rejected_text = rejected_text

    def resumer(self, agent: Any, **options: Any) -> Any:
        """A resumer for ``agent`` over this middleware's ledger and reviewers."""
        return self.loop.resumer(agent, **options)

    def after_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        messages: list[BaseMessage] = list(state.get("messages") or [])
        last = messages[-1] if messages else None
        if not isinstance(last, AIMessage) or last.tool_calls or not last.text:
            return None
        question = next((m.text for m in reversed(messages) if m.type == "human"), "")
        out = self.node.invoke({"question": question, "draft": _draft(last)}, get_config())
        if out.get("source") in ("model", None):
            return None
        answer = out.get("answer")
        text = answer if isinstance(answer, str) and answer else self.rejected_text
        if text == last.text:
            return None
        # Same id: the reviewed text replaces the draft in the conversation.
        return {"messages": [AIMessage(content=text, id=last.id,
                                       response_metadata=last.response_metadata)]}

    async def aafter_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        return self.after_agent(state, runtime)


def _draft(message: AIMessage) -> dict[str, Any]:
    """The Prediction (as JSON) the loop reviews: the text and its confidence signals."""
    metadata: dict[str, Any] = {}
    for source in (message.response_metadata or {}, message.additional_kwargs):
        value = source.get("confidence") if isinstance(source, Mapping) else None
        if isinstance(value, int | float):
            metadata["confidence"] = float(value)
            break
    logprobs, top = extract_logprobs(message.response_metadata or {})
    name = (message.response_metadata or {}).get("model_name")
    return {"output": message.text, "token_logprobs": logprobs, "top_logprobs": top,
            "model_id": name if isinstance(name, str) and name else "agent",
            "metadata": metadata}
