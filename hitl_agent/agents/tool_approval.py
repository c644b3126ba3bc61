"""Tool-call approval for LangChain 1.x agents, through hitl-agent's review backends.

:class:`ToolApprovalMiddleware` works like LangChain's ``HumanInTheLoopMiddleware`` in
``per_call`` mode (one review per gated tool call, as the call starts), with three differences:

- it asks only when the call is **risky or the model is unsure**: an
  :class:`~hitl_agent.policy.base.EscalationPolicy` (e.g. :class:`ToolRiskPolicy`) decides over the
  call (``Prediction.output = {"tool", "arguments"}``) and the model's confidence (a scorer over
  the model message's logprobs or stated confidence);
- the review goes to the same backends as every other review (in-process, the review service's
  worker portal with the ``tool-approval`` template, or Amazon A2I), with a ledger row, a deadline
  and a compare-and-set, so :class:`~hitl_agent.graph.resumer.Resumer` resumes the agent once;
- edited and rejected calls become corrections in the ledger (preference pairs for export).

The interrupt value is a superset of LangChain's ``ToolApprovalRequest`` (``type``,
``tool_call_id``, ``name``, ``args``, ``description``) and Agent Inbox's ``HumanInterrupt``
(``action_request``, ``config``), plus ``review_id`` and ``review`` (the
:class:`~hitl_agent.types.ReviewRequest`). It is answered with LangChain's own decisions
(``approve``, ``edit`` with ``edited_action``, ``reject`` with a ``message``, ``respond``), an
Agent Inbox ``[HumanResponse]``, or a :class:`~hitl_agent.types.ReviewOutcome` from a backend.
Edited arguments are checked against the tool's schema: a direct answer that fails is refused by
LangGraph (``pydantic.ValidationError``, the interrupt stays pending); an answer that came through
a backend is sent back to the reviewer as a new review round that says why, and is never run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Required, Union

from langchain.agents.middleware.types import AgentMiddleware, ToolCallRequest
from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.types import Command, interrupt
from pydantic import (
    BaseModel,
    Discriminator,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    create_model,
)
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import IntegrityError
from typing_extensions import TypedDict

from hitl_agent.agents.review_node import require_checkpointer
from hitl_agent.errors import ConfigError
from hitl_agent.graph.nodes import thread_id_of
from hitl_agent.memory.ledger import Ledger
from hitl_agent.models.chat import extract_logprobs
from hitl_agent.models.context import context_from_messages
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.policy.threshold import ThresholdPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.review.ids import correction_id, review_id
from hitl_agent.review.inbox import (
    Decision,
    DecisionType,
    HumanInterruptConfig,
    InboxAction,
    decision_from_outcome,
    outcome_from_decision,
    outcome_from_human_response,
    review_markdown,
    tool_call_output,
)
from hitl_agent.tracing import review_metadata, trace_step
from hitl_agent.types import (
    Correction,
    Prediction,
    ReviewAction,
    ReviewOutcome,
    ReviewRequest,
    Uncertainty,
    utcnow,
)
from hitl_agent.uncertainty.base import Scorer

__all__ = [
    "ToolApprovalMiddleware",
    "ToolCallConfidence",
    "ToolRiskPolicy",
    "create_review_agent",
]

ALL_DECISIONS: tuple[DecisionType, ...] = ("approve", "edit", "reject", "respond")
log = logging.getLogger(__name__)
EDIT_NOTICE = ("Note: a human reviewer replaced this tool call before it ran; the call in your "
               "message is not the one that executed. Do not re-issue your original call.")
_TO_ACTION: dict[str, ReviewAction] = {"approve": "accept", "edit": "edit", "reject": "reject",
                                       "respond": "reject"}


# -- policy and confidence -----------------------------------------------------------------------


class ToolRiskPolicy:
    """Review a tool call when it is risky or the model is unsure.

    - a call to a tool in ``safe_tools`` is never reviewed;
    - a call to a tool in ``risky_tools``, or one for which ``risky(name, args)`` is true, is
      always reviewed (reason ``rule``, propensity 1);
    - any other call is reviewed when the confidence is below ``threshold``, plus a random
      ``audit_rate`` share of the rest (a :class:`ThresholdPolicy`, deterministic per call).
    """

    def __init__(
        self,
        threshold: float = 0.8,
        *,
        risky_tools: Iterable[str] = (),
        safe_tools: Iterable[str] = (),
        risky: Callable[[str, Mapping[str, Any]], bool] | None = None,
        audit_rate: float = 0.0,
        seed: str = "",
        policy_id: str | None = None,
    ) -> None:
        self.threshold = threshold
        self.risky_tools = frozenset(risky_tools)
        self.safe_tools = frozenset(safe_tools)
        self.risky = risky
        self.audit_rate = audit_rate
        self.seed = seed
        overlap = self.risky_tools & self.safe_tools
        if overlap:
            raise ConfigError(f"tools both risky and safe: {sorted(overlap)}", field="safe_tools")
        self.policy_id = policy_id or (
            f"tool-risk(t={threshold:g},risky={','.join(sorted(self.risky_tools)) or '-'})")
        self._threshold = ThresholdPolicy(threshold, audit_rate=audit_rate, seed=seed,
                                          policy_id=self.policy_id)

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Any:
        from hitl_agent.types import Decision as Routing

        output = prediction.output if isinstance(prediction.output, Mapping) else {}
        name = str(output.get("tool", ""))
        args = output.get("arguments") or {}
        if name in self.safe_tools:
            return Routing(action="accept", reason="rule", propensity=1.0,
                           policy_id=self.policy_id, details={"rule": "safe_tool"})
        if name in self.risky_tools or (self.risky is not None and self.risky(name, args)):
            return Routing(action="escalate", reason="rule", propensity=1.0,
                           policy_id=self.policy_id, threshold=self.threshold,
                           details={"rule": "risky_tool" if name in self.risky_tools
                                    else "risky_call", "confidence": uncertainty.confidence})
        return self._threshold.decide(item_id, uncertainty, prediction)


class ToolCallConfidence:
    """Confidence of a tool call: the model's stated confidence, else its token logprobs.

    Reads ``Prediction.metadata["confidence"]`` (copied from the model message's
    ``response_metadata`` or ``additional_kwargs`` key ``confidence``, or the tool call's own
    ``confidence`` key), then the geometric mean token probability ``exp(mean logprob)``. With
    neither, the confidence is ``unknown`` (default 0: an unscored call counts as unsure).
    """

    name = "tool_call_confidence"

    def __init__(self, unknown: float = 0.0) -> None:
        if not 0.0 <= unknown <= 1.0:
            raise ConfigError("unknown must lie in [0, 1]", field="unknown")
        self.unknown = unknown

    def __call__(self, prediction: Prediction) -> Uncertainty:
        stated = prediction.metadata.get("confidence")
        if isinstance(stated, int | float) and 0.0 <= float(stated) <= 1.0:
            return Uncertainty(confidence=float(stated), scorer=self.name,
                               components={"stated": float(stated)})
        if prediction.token_logprobs:
            mean = sum(prediction.token_logprobs) / len(prediction.token_logprobs)
            conf = min(1.0, max(0.0, math.exp(mean)))
            return Uncertainty(confidence=conf, scorer=self.name,
                               components={"mean_logprob": mean})
        return Uncertainty(confidence=self.unknown, scorer=self.name,
                           components={"unknown": 1.0})


def call_prediction(message: AIMessage | None, tool_call: ToolCall) -> Prediction:
    """The Prediction a policy sees for one tool call of ``message``."""
    metadata: dict[str, Any] = {}
    logprobs: list[float] | None = None
    top: list[dict[str, float]] | None = None
    model_id = "agent"
    if message is not None:
        logprobs, top = extract_logprobs(message.response_metadata or {})
        for source in (tool_call, message.response_metadata or {}, message.additional_kwargs):
            value = source.get("confidence") if isinstance(source, Mapping) else None
            if isinstance(value, int | float):
                metadata["confidence"] = float(value)
                break
        name = (message.response_metadata or {}).get("model_name")
        if isinstance(name, str) and name:
            model_id = name
    return Prediction(output=tool_call_output(tool_call["name"], tool_call["args"]),
                      token_logprobs=logprobs, top_logprobs=top, model_id=model_id,
                      metadata=metadata)


# -- the resume schema ---------------------------------------------------------------------------


class _Approve(TypedDict):
    type: Literal["approve"]


class _Reject(TypedDict, total=False):
    type: Required[Literal["reject"]]
    message: str


class _Respond(TypedDict):
    type: Literal["respond"]
    message: str


class _InboxResponse(TypedDict):
    type: Literal["accept", "ignore", "response", "edit"]
    args: Any


def _as_sent(value: Any, check: ValidatorFunctionWrapHandler) -> Any:
    check(value)
    return value


def _edit_schema(name: str, tool: BaseTool | None) -> Any:
    schema = tool.tool_call_schema if tool is not None else None
    args: Any = schema if isinstance(schema, type) and issubclass(schema, BaseModel) \
        else dict[str, Any]
    literal: Any = Literal
    edited = create_model("EditedAction", name=(literal[name], ...), args=(args, ...))
    edit: Any = literal["edit"]
    decision = create_model("EditDecision", type=(edit, ...),
                            edited_action=(edited, ...))
    return Annotated[decision, WrapValidator(_as_sent)]


def resume_schema(name: str, tool: BaseTool | None, allowed: Sequence[DecisionType]) -> Any:
    """What the approval interrupt accepts on resume: one of this tool's allowed LangChain
    decisions (edit args checked against the tool's schema, name pinned), an Agent Inbox
    ``[HumanResponse]``, or a :class:`ReviewOutcome`."""
    by_type: dict[str, Any] = {"approve": _Approve, "reject": _Reject, "respond": _Respond}
    if "edit" in allowed:
        by_type["edit"] = _edit_schema(name, tool)
    members = tuple(by_type[d] for d in dict.fromkeys(allowed))
    decisions = members[0] if len(members) == 1 else Annotated[
        Union[members], Discriminator("type")]  # noqa: UP007
    return Union[decisions, ReviewOutcome, list[_InboxResponse]]  # noqa: UP007


# -- the middleware ------------------------------------------------------------------------------


class ToolApprovalMiddleware(AgentMiddleware):  # type: ignore[type-arg]
    """Ask people about risky or unsure tool calls (see the module docstring).

    - ``tools``: which tools may be reviewed and the decisions allowed for each (``True``: all
      four); ``None`` (default): every tool, all decisions.
    - ``timeout_decision``: what an unanswered review past ``review_timeout`` becomes.
    - ``max_rounds``: how many times an answer whose edited arguments fail the tool's schema is
      sent back before the call is rejected.
    - ``input_of``: what the reviewer sees as the input (default: the conversation's last human
      message and the model's text).
    """

    def __init__(
        self,
        *,
        policy: EscalationPolicy,
        reviews: ReviewBackend,
        ledger: Ledger | str | Path,
        scorer: Scorer | None = None,
        tools: Mapping[str, bool | Sequence[DecisionType]] | None = None,
        task: str = "tool_approval",
        template: str | None = "tool-approval",
        review_timeout: timedelta | float = timedelta(days=1),
        timeout_decision: Literal["approve", "reject"] = "reject",
        max_rounds: int = 3,
        edit_notice: str | None = EDIT_NOTICE,
        input_of: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__()
        self.policy = policy
        self.reviews = reviews
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
        self.scorer: Scorer = scorer or ToolCallConfidence()
        self.gated: dict[str, tuple[DecisionType, ...]] | None = None
        if tools is not None:
            self.gated = {}
            for name, value in tools.items():
                if value is True:
                    self.gated[name] = ALL_DECISIONS
                elif value:
                    bad = [d for d in value if d not in ALL_DECISIONS]  # type: ignore[union-attr]
                    if bad:
                        raise ConfigError(f"unknown decisions for {name!r}: {bad}",
                                          field="tools")
                    self.gated[name] = tuple(value)  # type: ignore[arg-type]
        self.task = task
        self.template = template
        self.review_timeout = review_timeout if isinstance(review_timeout, timedelta) \
            else timedelta(seconds=float(review_timeout))
        if self.review_timeout.total_seconds() <= 0:
            raise ConfigError("review_timeout must be positive", field="review_timeout")
        self.timeout_decision = timeout_decision
        if max_rounds < 1:
            raise ConfigError("max_rounds must be >= 1", field="max_rounds")
        self.max_rounds = max_rounds
        self.edit_notice = edit_notice
        self.input_of = input_of or _conversation_input
        # What the model is offered, recorded with each reviewed call for exports
        # (create_review_agent sets both from its arguments).
        self.offered_tools: Sequence[Any] = ()
        self.system_prompt: str | None = None

    # -- the hook -------------------------------------------------------------------------------

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        resolved = self._resolve(request)
        if isinstance(resolved, ToolMessage):
            return resolved
        to_run, edited = resolved
        return self._annotate(handler(to_run), edited)

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        resolved = self._resolve(request)
        if isinstance(resolved, ToolMessage):
            return resolved
        to_run, edited = resolved
        return self._annotate(await handler(to_run), edited)

    # -- deciding -------------------------------------------------------------------------------

    def allowed(self, name: str) -> tuple[DecisionType, ...] | None:
        if self.gated is None:
            return ALL_DECISIONS
        return self.gated.get(name)

    def _resolve(
        self, request: ToolCallRequest
    ) -> tuple[ToolCallRequest, dict[str, Any] | None] | ToolMessage:
        call = request.tool_call
        allowed = self.allowed(call["name"])
        if allowed is None:
            return request, None
        config: RunnableConfig = request.runtime.config if request.runtime is not None else {}
        thread_id = thread_id_of(config)
        call_id = call.get("id")
        if not call_id:
            raise ConfigError(f"tool call {call['name']!r} has no id; the chat model must return "
                              "tool call ids for approvals", field="tool_call.id")
        key = f"{thread_id}:{call_id}"
        prediction = call_prediction(_message_of(request.state, call_id), call)
        uncertainty = self.scorer(prediction)
        routing = self.policy.decide(key, uncertainty, prediction)
        trace_step("route", review_metadata(thread_id=thread_id, task=self.task,
                                            decision=routing, uncertainty=uncertainty,
                                            tool=call["name"]), config)
        if routing.action == "accept":
            return request, None
        require_checkpointer(config, where="tool approval")

        base = ReviewRequest(
            review_id=review_id(key, 0, prefix="tool"), thread_id=thread_id, task=self.task,
            input=self.input_of(request.state), model_output=prediction.output,
            uncertainty=uncertainty, decision=routing,
            allowed_actions=sorted({_TO_ACTION[d] for d in allowed}),  # type: ignore[arg-type]
            deadline=utcnow() + self.review_timeout, template=self.template,
        )
        decision, outcome, reviewed = self._ask(request, base, key, allowed)
        trace_step("review", review_metadata(thread_id=thread_id, task=self.task,
                                             review_id=reviewed.review_id, decision=routing,
                                             uncertainty=uncertainty, outcome=outcome,
                                             tool=call["name"],
                                             tool_decision=decision["type"]), config)
        self._record(reviewed, outcome, decision, prediction)
        self.ledger.finish_item(thread_id, {"review_id": reviewed.review_id,
                                            "decision": decision["type"]}, "human",
                                context=self._context(request.state, call_id))
        kind = decision["type"]
        if kind == "approve":
            return request, None
        if kind == "edit":
            edited = dict(decision["edited_action"])
            new_call: ToolCall = {**call, "args": dict(edited["args"])}
            return request.override(tool_call=new_call), edited
        return _answer_message(call, decision)

    def _ask(
        self,
        request: ToolCallRequest,
        base: ReviewRequest,
        key: str,
        allowed: Sequence[DecisionType],
    ) -> tuple[Decision, ReviewOutcome, ReviewRequest]:
        call = request.tool_call
        schema = resume_schema(call["name"], request.tool, allowed)
        refused: str | None = None
        outcome: ReviewOutcome | None = None
        review = base
        for round_ in range(self.max_rounds):
            review_input = base.input if refused is None else {
                "conversation": base.input, "refused_answer": refused}
            review = base.model_copy(update={
                "review_id": review_id(f"{key}:r{round_}", 0, prefix="tool") if round_
                else base.review_id,
                "input": review_input,
            })
            outcome = self._outcome(review, call, schema, allowed)
            decision = self._decision(outcome, call["name"])
            refused = self._check(decision, allowed, request.tool)
            if refused is None:
                return decision, outcome, review
        assert outcome is not None
        return ({"type": "reject", "message": f"The reviewer's answer was refused "
                 f"{self.max_rounds} times ({refused}); the call was not run."}, outcome, review)

    def _outcome(
        self, review: ReviewRequest, call: ToolCall, schema: Any,
        allowed: Sequence[DecisionType],
    ) -> ReviewOutcome:
        self._ensure_item(review.thread_id)
        record = self.ledger.open_review(review, self.reviews.name)
        review = record.request
        if record.outcome is None:
            self.reviews.start(review)
        if self.reviews.answers_synchronously:
            found = record.outcome or self.reviews.result(review.review_id)
            if found is not None:
                return self._decide(review, found, by="inline")
        # One interrupt per round and nothing else that waits: on resume this node re-runs
        # from its top, and each round's interrupt finds its own answer by position.
        raw = interrupt(self._interrupt_value(review, call, allowed), response_schema=schema)
        return self._decide(review, self._to_outcome(review, raw), by="graph")

    def _ensure_item(self, thread_id: str) -> None:
        """The ledger's reviews hang off an item: the agent thread is one (its input is the
        thread id, so every tool call of the thread fits it). It is kept ``finished`` between
        reviews so that ``Resumer.recover_stalled`` never re-runs a live agent thread."""
        if self.ledger.get_item(thread_id) is not None:
            return
        with contextlib.suppress(IntegrityError):  # a parallel call of the thread made it
            self.ledger.finish_item(thread_id, None, "model", task=self.task,
                                    input_value={"agent_thread": thread_id})

    def _decide(self, review: ReviewRequest, outcome: ReviewOutcome, *, by: str) -> ReviewOutcome:
        outcome = outcome.model_copy(update={"review_id": review.review_id})
        if self.ledger.decide_review(review.review_id, outcome, decided_by=by):
            self.ledger.mark_resumed(review.review_id, None)
            return outcome
        stored = self.ledger.get_review(review.review_id)
        # Someone decided first (the Resumer, another answer): the ledger's verdict wins.
        return stored.outcome if stored is not None and stored.outcome is not None else outcome

    def _to_outcome(self, review: ReviewRequest, raw: Any) -> ReviewOutcome:
        if isinstance(raw, ReviewOutcome):
            return raw
        if isinstance(raw, list):
            return outcome_from_human_response(review, raw)
        if isinstance(raw, BaseModel):
            raw = raw.model_dump()
        if isinstance(raw, Mapping) and "type" in raw:
            return outcome_from_decision(review, raw)
        return ReviewOutcome.model_validate(raw)

    def _decision(self, outcome: ReviewOutcome, name: str) -> Decision:
        if outcome.action == "timeout":
            if self.timeout_decision == "approve":
                return {"type": "approve"}
            return {"type": "reject", "message": "No reviewer answered before the deadline; "
                    "the call was not run."}
        return decision_from_outcome(outcome, action_name=name)

    def _check(self, decision: Decision, allowed: Sequence[DecisionType],
               tool: BaseTool | None) -> str | None:
        """Why an answer cannot be used (None when it can)."""
        if decision.get("type") not in allowed:
            return f"decision {decision.get('type')!r} is not allowed (allowed: {list(allowed)})"
        if decision["type"] != "edit":
            return None
        args = decision.get("edited_action", {}).get("args")
        if not isinstance(args, Mapping):
            return "edited arguments must be an object"
        schema = tool.tool_call_schema if tool is not None else None
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            try:
                schema.model_validate(dict(args))
            except PydanticValidationError as exc:
                errors = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                   for e in exc.errors())
                return f"edited arguments do not fit the tool's schema: {errors}"
        return None

    def _interrupt_value(self, review: ReviewRequest, call: ToolCall,
                         allowed: Sequence[DecisionType]) -> dict[str, Any]:
        description = review_markdown(review)
        return {
            # LangChain's ToolApprovalRequest (per_call)
            "type": "tool_approval",
            "tool_call_id": call.get("id"),
            "name": call["name"],
            "args": call["args"],
            "description": description,
            "allowed_decisions": list(allowed),
            # Agent Inbox's HumanInterrupt
            "action_request": InboxAction(action=call["name"], args=dict(call["args"])),
            "config": HumanInterruptConfig(
                allow_accept="approve" in allowed, allow_edit="edit" in allowed,
                allow_respond="respond" in allowed or "reject" in allowed,
                allow_ignore="reject" in allowed),
            # ours: the Resumer finds the interrupt by review_id
            "review_id": review.review_id,
            "review": review.model_dump(mode="json", exclude={"response_schema"}),
        }

    def _record(self, review: ReviewRequest, outcome: ReviewOutcome, decision: Decision,
                prediction: Prediction) -> None:
        kind = decision["type"]
        if kind not in ("edit", "reject") or outcome.action == "timeout":
            return  # approvals and human-supplied results are not corrections of the call
        final = (tool_call_output(decision["edited_action"]["name"],
                                  decision["edited_action"]["args"]) if kind == "edit" else None)
        d = review.decision
        self.ledger.record_correction(Correction(
            id=correction_id(review.thread_id, review.review_id),
            task=review.task, thread_id=review.thread_id, review_id=review.review_id,
            input=review.input, model_output=review.model_output, final_output=final,
            action="edit" if kind == "edit" else "reject", agreement=outcome.agreement,
            answers=outcome.answers, source=outcome.source,
            confidence=review.uncertainty.confidence, policy_id=d.policy_id, reason=d.reason,
            propensity=d.propensity, model_id=prediction.model_id,
            created_at=review.deadline - self.review_timeout, decided_at=outcome.decided_at,
            split_group=review.thread_id,
        ))

    def _annotate(self, result: ToolMessage | Command[Any],
                  edited: dict[str, Any] | None) -> ToolMessage | Command[Any]:
        if edited is None or not self.edit_notice or not isinstance(result, ToolMessage):
            return result
        notice = (f"{self.edit_notice} Executed instead: {edited['name']} with arguments "
                  f"{json.dumps(edited['args'], default=str)}.")
        if isinstance(result.content, str):
            return result.model_copy(update={"content": f"{notice}\n\n{result.content}"})
        return result

    def _context(self, state: Any, call_id: str) -> dict[str, Any] | None:
        """What the model saw when it made the call: the conversation up to its message."""
        messages = _messages(state)
        for i in range(len(messages) - 1, -1, -1):
            m = messages[i]
            if isinstance(m, AIMessage) and any(c.get("id") == call_id for c in m.tool_calls):
                try:
                    return context_from_messages(messages[: i + 1], tools=self.offered_tools,
                                                 system=self.system_prompt)
                except Exception as exc:  # noqa: BLE001 - a record for exports, not the answer
                    log.warning("context of tool call %s not recorded: %s", call_id, exc)
                    return None
        return None


def _answer_message(call: ToolCall, decision: Decision) -> ToolMessage:
    if decision["type"] == "respond":
        content = str(decision["message"])
    elif decision.get("message"):
        content = f"User rejected the tool call for `{call['name']}` with reason: " \
                  f"{decision['message']}"
    else:
        content = (f"User rejected the tool call for `{call['name']}`. The tool was not "
                   "executed. Do not retry this tool call unless the user asks for it.")
    return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"] or "",
                       status="success" if decision["type"] == "respond" else "error")


def _messages(state: Any) -> list[BaseMessage]:
    messages = state.get("messages") if isinstance(state, Mapping) else getattr(
        state, "messages", None)
    return list(messages or [])


def _message_of(state: Any, call_id: str) -> AIMessage | None:
    for message in reversed(_messages(state)):
        if isinstance(message, AIMessage) and any(
                c.get("id") == call_id for c in message.tool_calls):
            return message
    return None


def _conversation_input(state: Any) -> Any:
    """The last human request and the model's own words before the call."""
    out: dict[str, Any] = {}
    for message in reversed(_messages(state)):
        if message.type == "human" and "request" not in out:
            out["request"] = message.text
        if message.type == "ai" and "assistant" not in out and message.text:
            out["assistant"] = message.text
    return out or {"request": ""}


# -- building an agent ---------------------------------------------------------------------------


def create_review_agent(
    model: Any,
    tools: Sequence[Any],
    *,
    policy: EscalationPolicy,
    reviews: ReviewBackend,
    ledger: Ledger | str | Path,
    checkpointer: Any,
    middleware: Sequence[Any] = (),
    approval_options: Mapping[str, Any] | None = None,
    **agent_options: Any,
) -> Any:
    """``langchain.agents.create_agent`` with a :class:`ToolApprovalMiddleware` first in the list
    (so it wraps retry or error-handling middleware), refusing to build without a checkpointer.

    ``checkpointer="server"`` builds without one for LangGraph Server / ``langgraph dev``.
    The middleware is on ``agent.hitl_approvals``; ``Resumer(agent, approvals.ledger,
    [reviews])`` resumes waiting agents when their reviews end.
    """
    from langchain.agents import create_agent

    if checkpointer is None or checkpointer is False:
        raise ConfigError(
            "an agent whose tool calls wait for approval needs a checkpointer: a review cannot "
            "wait without one (pass a saver, or checkpointer='server' under LangGraph Server)",
            field="checkpointer")
    approvals = ToolApprovalMiddleware(policy=policy, reviews=reviews, ledger=ledger,
                                       **dict(approval_options or {}))
    agent = create_agent(model, tools, middleware=[approvals, *middleware],
                         checkpointer=None if checkpointer == "server" else checkpointer,
                         **agent_options)
    approvals.offered_tools = list(tools)
    system = agent_options.get("system_prompt")
    approvals.system_prompt = system if isinstance(system, str) else getattr(system, "text", None)
    agent.hitl_approvals = approvals  # type: ignore[attr-defined]
    return agent
