"""Tool-call approval for LangChain 1.x agents, through hitl-agent's review backends.

:class:`ToolApprovalMiddleware` takes ``interrupt_on=`` like LangChain's
``HumanInTheLoopMiddleware`` (``{tool: True | False | {"allowed_decisions", "description",
"when"}}``) and works in its two modes: ``per_call`` (default: one review per gated call, as the
call starts) and ``batched`` (one interrupt per model turn whose ``HITLRequest`` lists every
gated call, answered with ``{"decisions": [...]}`` by position). Beyond it:

- a call is asked about only when it is **risky or the model is unsure**: a policy (e.g.
  :class:`~hitl_agent.policy.ToolRiskPolicy`) decides over the call and the model's confidence;
- a call a person already decided can be decided again from the **correction memory**
  (``memory=``, keyed by the tool and its arguments), without asking;
- each reviewed call is a ledger item and a review in any backend (in-process, the review
  service's portal, Amazon A2I) with a deadline and a compare-and-set; :meth:`resumer` resumes;
- edited and rejected calls become corrections (preference pairs for export).

The ledger item of a reviewed call (its ``input``, also the review's) is a plain dict::

    {"tool_call": {"name": str, "args": dict, "id": str},
     "tools": [{"name": str, "description": str, "parameters": JSON Schema}, ...],
     "conversation": {"request": last human message, "assistant": the model's words}}

The interrupt value is LangChain's ``HITLRequest`` (``action_requests``, ``review_configs``),
plus, per call, LangChain's ``ToolApprovalRequest`` fields (``type``, ``tool_call_id``,
``name``, ``args``, ``description``), Agent Inbox's ``HumanInterrupt`` (``action_request``,
``config``) and ours (``review_id``, ``review``). Every answer goes through
:func:`~hitl_agent.review.decisions.outcome_from_answer`: LangChain decisions, an Agent Inbox
``[HumanResponse]`` or a :class:`~hitl_agent.types.ReviewOutcome`. Edited arguments are checked
against the tool's schema: a direct answer that fails is refused by LangGraph (one
``pydantic.ValidationError`` naming the field, the interrupt stays pending); an answer that
came through a backend is sent back to the reviewer as a new round that says why.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired

from langchain.agents.middleware.types import (
    AgentMiddleware,
    AgentState,
    PrivateStateAttr,
    ToolCallRequest,
)
from langchain_core.messages import ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

from hitl_agent._lazy import lazy_exports
from hitl_agent.agents.tool_batch import review_turn
from hitl_agent.agents.tool_calls import (
    ALL_DECISIONS,
    InterruptOnConfig,
    ToolApprovalContext,
    _timeout,
    answer_message,
    args_error,
    call_context,
    check_decision,
    conversation_input,
    current_config,
    gates_of,
    message_of,
    messages_of,
    tool_specs,
)
from hitl_agent.agents.tool_policy import call_prediction
from hitl_agent.errors import ConfigError, ValidationError
from hitl_agent.graph.internals import require_checkpointer
from hitl_agent.graph.nodes import thread_id_of
from hitl_agent.graph.parts import LedgerRef, recall_or_none
from hitl_agent.graph.resumer import Resumer, decide_in_graph
from hitl_agent.memory.base import CorrectionRecall
from hitl_agent.memory.ledger import Ledger
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.review.decisions import (
    resume_json_schema,
    resume_type,
)
from hitl_agent.review.ids import correction_id, review_id
from hitl_agent.review.inbox import (
    Decision,
    DecisionType,
    HumanInterruptConfig,
    InboxAction,
    decision_from_outcome,
    review_markdown,
    tool_call_output,
)
from hitl_agent.tracing import review_metadata, trace_step
from hitl_agent.types import (
    Correction,
    ReviewAction,
    ReviewOutcome,
    ReviewRequest,
    utcnow,
)
from hitl_agent.uncertainty.base import Scorer
from hitl_agent.uncertainty.tool_call import ToolCallConfidence

__all__ = [
    "InterruptOnConfig",
    "ToolApprovalContext",
    "ToolApprovalMiddleware",
    "create_review_agent",
]

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "ToolRiskPolicy": "hitl_agent.policy.tool_risk",
})

EDIT_NOTICE = ("Note: a human reviewer replaced this tool call before it ran; the call in your "
               "message is not the one that executed. Do not re-issue your original call.")
_TO_ACTION: dict[str, ReviewAction] = {"approve": "accept", "edit": "edit", "reject": "reject",
                                       "respond": "reject"}
_DECIDED_KEY = "hitl_tool_decisions"


class ToolApprovalState(AgentState[Any]):
    """The agent state plus the decisions a batched review made for this turn's calls."""

    hitl_tool_decisions: NotRequired[Annotated[dict[str, Any], PrivateStateAttr]]


class _Gate(TypedDict):
    call: ToolCall
    allowed: tuple[DecisionType, ...]
    config: InterruptOnConfig


class ToolApprovalMiddleware(AgentMiddleware):  # type: ignore[type-arg]
    """Ask people about risky or unsure tool calls (see the module docstring).

    - ``interrupt_on``: which tools may be reviewed, LangChain's way: ``True`` (all four
      decisions), ``False`` (never), or an :class:`InterruptOnConfig`; ``None`` (default): every
      tool, all decisions. ``tools=`` is its deprecated name.
    - ``interrupt_mode``: ``"per_call"`` or ``"batched"`` (see the module docstring).
    - ``memory``: a correction memory; a call decided before (same tool, same arguments) is
      decided again without asking.
    - ``timeout_decision``: what an unanswered review past ``review_timeout`` becomes.
    - ``max_rounds``: how many times an answer whose edited arguments fail the tool's schema is
      sent back before the call is rejected.
    - ``input_of``: the conversation part of what the reviewer sees (default: the last human
      message and the model's text).
    - ``known_tools``: the tools the model is given, recorded with each reviewed call (default:
      those seen in the model call).
    """

    state_schema = ToolApprovalState  # type: ignore[assignment]

    def __init__(
        self,
        *,
        policy: EscalationPolicy,
        reviews: ReviewBackend,
        ledger: Ledger | str | Path,
        scorer: Scorer | None = None,
        interrupt_on: Mapping[str, bool | InterruptOnConfig | Sequence[DecisionType]]
        | None = None,
        interrupt_mode: Literal["per_call", "batched"] = "per_call",
        memory: CorrectionRecall | None = None,
        tools: Mapping[str, bool | Sequence[DecisionType]] | None = None,
        task: str = "tool_approval",
        template: str | None = "tool-approval",
        review_timeout: timedelta | float = timedelta(days=1),
        timeout_decision: Literal["approve", "reject"] = "reject",
        max_rounds: int = 3,
        edit_notice: str | None = EDIT_NOTICE,
        input_of: Callable[[Any], Any] | None = None,
        known_tools: Sequence[BaseTool] = (),
    ) -> None:
        super().__init__()
        self.known_tools = list(known_tools)
        self.system_prompt: str | None = None  # create_review_agent sets it (for exports)
        self._seen_tools: list[BaseTool] = []
        self.policy = policy
        self.reviews = reviews
        self._ledger = LedgerRef(ledger)
        self.scorer: Scorer = scorer or ToolCallConfidence()
        if interrupt_on is not None and tools is not None:
            raise ConfigError("pass interrupt_on= (tools= is its deprecated name), not both",
                              field="tools")
        self.gated = gates_of(interrupt_on if interrupt_on is not None else tools)
        if interrupt_mode not in ("per_call", "batched"):
            raise ConfigError(f"interrupt_mode must be per_call or batched, not "
                              f"{interrupt_mode!r}", field="interrupt_mode")
        self.interrupt_mode = interrupt_mode
        self.memory = memory
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
        self.input_of = input_of or conversation_input

    @property
    def ledger(self) -> Ledger:
        """The ledger, opened on first use (building an agent does no I/O)."""
        return self._ledger.get()

    def resumer(self, agent: Any, **options: Any) -> Resumer:
        """A :class:`~hitl_agent.graph.resumer.Resumer` that resumes ``agent`` (this one's)."""
        return Resumer(agent, self.ledger, [self.reviews], **options)

    # -- the hooks ------------------------------------------------------------------------------

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

    def wrap_model_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        self._see_tools(request.tools)
        return handler(request)

    async def awrap_model_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]
                               ) -> Any:
        self._see_tools(request.tools)
        return await handler(request)

    def _see_tools(self, tools: Sequence[Any]) -> None:
        # The tools the model is given, for the ledger items of its calls (when not passed as
        # known_tools; after a restart between the model call and the tool call, only the
        # called tool is known).
        if not self.known_tools:
            self._seen_tools = [t for t in tools if isinstance(t, BaseTool)]

    def after_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        if self.interrupt_mode != "batched":
            return None
        return review_turn(self, state, runtime)

    async def aafter_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        return self.after_model(state, runtime)

    # -- deciding -------------------------------------------------------------------------------

    def allowed(self, name: str) -> tuple[DecisionType, ...] | None:
        if self.gated is None:
            return ALL_DECISIONS
        found = self.gated.get(name)
        return tuple(found["allowed_decisions"]) if found is not None else None

    def gate(self, call: ToolCall, request: ToolCallRequest | None) -> _Gate | None:
        """The review settings of ``call``, or None when it is never asked about."""
        allowed = self.allowed(call["name"])
        if allowed is None:
            return None
        config: InterruptOnConfig = (self.gated or {}).get(call["name"]) or {}
        when = config.get("when")
        if when is not None and request is not None and not when(request):
            return None
        return _Gate(call=call, allowed=allowed, config=config)

    def _resolve(
        self, request: ToolCallRequest
    ) -> tuple[ToolCallRequest, dict[str, Any] | None] | ToolMessage:
        call = request.tool_call
        if self.interrupt_mode == "batched":
            decided = (request.state or {}).get(_DECIDED_KEY) or {} \
                if isinstance(request.state, Mapping) else {}
            decision = decided.get(call.get("id") or "")
            return self._apply(request, decision) if decision else (request, None)
        gate = self.gate(call, request)
        if gate is None:
            return request, None
        config: RunnableConfig = request.runtime.config if request.runtime is not None else {}
        context = getattr(request.runtime, "context", None)
        review = self.prepare(gate, request.state, request.tool, config, context)
        if review is None:
            return request, None
        decision = self.memory_decision(review)
        if decision is None:
            decision, outcome, reviewed = self._ask(request, review, gate["allowed"])
            self.record(reviewed, outcome, decision)
        return self._apply(request, decision)

    def _apply(
        self, request: ToolCallRequest, decision: Decision
    ) -> tuple[ToolCallRequest, dict[str, Any] | None] | ToolMessage:
        call = request.tool_call
        kind = decision["type"]
        if kind == "approve":
            return request, None
        if kind == "edit":
            edited = dict(decision["edited_action"])
            new_call: ToolCall = {**call, "args": dict(edited["args"])}
            return request.override(tool_call=new_call), edited
        return answer_message(call, decision)

    def prepare(self, gate: _Gate, state: Any, tool: BaseTool | None,
                config: RunnableConfig, context: Any = None) -> ReviewRequest | None:
        """Score and route one gated call; when it escalates, journal it in the ledger and
        return its review request (None: the policy lets it run)."""
        call = gate["call"]
        thread_id = thread_id_of(config)
        call_id = call.get("id")
        if not call_id:
            raise ConfigError(f"tool call {call['name']!r} has no id; the chat model must return "
                              "tool call ids for approvals", field="tool_call.id")
        key = f"{thread_id}:{call_id}"
        prediction = call_prediction(message_of(state, call_id), call)
        uncertainty = self.scorer(prediction)
        routing = self.policy.decide(key, uncertainty, prediction)
        trace_step("route", review_metadata(thread_id=thread_id, task=self.task,
                                            decision=routing, uncertainty=uncertainty,
                                            tool=call["name"]), config)
        if routing.action == "accept":
            return None
        require_checkpointer(config, where="tool approval")
        item = {"tool_call": {"name": call["name"], "args": dict(call["args"]), "id": call_id},
                "tools": tool_specs(self.known_tools or self._seen_tools
                                    or ([tool] if tool else [])),
                "conversation": self.input_of(state)}
        self.ledger.record_routing(key, uncertainty, routing, task=self.task,
                                   input_value=item, prediction=prediction, thread_id=thread_id,
                                   context=self._context(state, call_id, tool))
        allowed = gate["allowed"]
        description = gate["config"].get("description")
        if callable(description):
            description = description(call, state, None)
        review = ReviewRequest(
            review_id=review_id(key, 0, prefix="tool"), thread_id=thread_id, item_id=key,
            task=self.task, input=item, model_output=prediction.output,
            uncertainty=uncertainty, decision=routing, confidence=uncertainty.confidence,
            allowed_actions=sorted({_TO_ACTION[d] for d in allowed}),  # type: ignore[arg-type]
            deadline=utcnow() + _timeout(context, self.review_timeout),
            template=self.template, response_schema=resume_json_schema(),
        )
        markdown = review_markdown(review)
        text = f"{description}\n\n{markdown}" if isinstance(description, str) else markdown
        return review.model_copy(update={
            "description": text,
            "action_requests": [{"name": call["name"], "args": dict(call["args"]),
                                 "description": text}],
            "review_configs": [{"action_name": call["name"], "allowed_decisions": list(allowed)}],
            "action_request": InboxAction(action=call["name"], args=dict(call["args"])),
            "config": HumanInterruptConfig(
                allow_accept="approve" in allowed, allow_edit="edit" in allowed,
                allow_respond="respond" in allowed or "reject" in allowed,
                allow_ignore="reject" in allowed),
        })

    def _context(self, state: Any, call_id: str, tool: BaseTool | None) -> dict[str, Any] | None:
        """What the model saw when it made the call (for exports)."""
        return call_context(messages_of(state), call_id, system=self.system_prompt,
                            tools=self.known_tools or self._seen_tools or ([tool] if tool else []))

    def memory_decision(self, review: ReviewRequest) -> Decision | None:
        """A past person's decision on the same call, from the correction memory."""
        call = review.model_output
        found = recall_or_none(self.memory, self.task, {"tool": call["tool"],
                                                        "arguments": call["arguments"]})
        reuse = found.reuse if found is not None else None
        if reuse is None or reuse.action not in ("accept", "edit", "reject"):
            return None
        outcome = ReviewOutcome(action=reuse.action, final_output=reuse.final_output,
                                source="memory", review_id=review.review_id,
                                rationale=f"decided before (correction {reuse.correction_id})")
        decision = self.decision(outcome, str(call["tool"]))
        if check_decision(decision, [d for d in ALL_DECISIONS], None) is not None:
            return None
        self.ledger.finish_item(review.item, {"review_id": None, "decision": decision["type"]},
                                "memory")
        return decision

    def check_args(self, tool: BaseTool | None) -> Callable[[str, Mapping[str, Any]], None]:
        def check(name: str, args: Mapping[str, Any]) -> None:
            why = args_error(tool, args)
            if why is not None:
                raise ValidationError(why[1], field=f"edited_action.args.{why[0]}",
                                      rule="tool_schema")
        return check

    def _ask(
        self,
        request: ToolCallRequest,
        base: ReviewRequest,
        allowed: Sequence[DecisionType],
    ) -> tuple[Decision, ReviewOutcome, ReviewRequest]:
        call = request.tool_call
        key = base.item
        refused: str | None = None
        outcome: ReviewOutcome | None = None
        review = base
        for round_ in range(self.max_rounds):
            review_input = base.input if refused is None else {
                **base.input, "refused_answer": refused}
            review = base.model_copy(update={
                "review_id": review_id(f"{key}:r{round_}", 0, prefix="tool") if round_
                else base.review_id,
                "input": review_input,
            })
            outcome = self._outcome(review, call, request.tool)
            decision = self.decision(outcome, call["name"])
            refused = check_decision(decision, allowed, request.tool)
            if refused is None:
                return decision, outcome, review
        if outcome is None:  # pragma: no cover - max_rounds >= 1
            raise ConfigError("max_rounds must be >= 1", field="max_rounds")
        return ({"type": "reject", "message": f"The reviewer's answer was refused "
                 f"{self.max_rounds} times ({refused}); the call was not run."}, outcome, review)

    def open(self, review: ReviewRequest) -> ReviewOutcome | None:
        """Open the review in the ledger and its backend; the outcome when already known."""
        record = self.ledger.open_review(review, self.reviews.name)
        review = record.request
        if record.outcome is None:
            self.reviews.start(review)
        if self.reviews.answers_synchronously:
            found = record.outcome or self.reviews.result(review.review_id)
            if found is not None:
                return self.decide(review, found, by="inline")
        return None

    def _outcome(self, review: ReviewRequest, call: ToolCall,
                 tool: BaseTool | None) -> ReviewOutcome:
        known = self.open(review)
        if known is not None:
            return known
        # One interrupt per round, nothing else waits: on resume this node re-runs from its top
        # and each round's interrupt finds its answer by position.
        value = {
            **review.model_dump(mode="json", include={
                "action_requests", "review_configs", "action_request", "config",
                "description", "review_id", "confidence"}),
            # LangChain's ToolApprovalRequest (per_call)
            "type": "tool_approval", "tool_call_id": call.get("id"), "name": call["name"],
            "args": call["args"], "allowed_decisions": (review.review_configs or [{}])[0].get(
                "allowed_decisions", list(ALL_DECISIONS)),
            "review": review.model_dump(mode="json", exclude={"response_schema"}),
        }
        raw = interrupt(value, response_schema=resume_type(review,
                                                           check_args=self.check_args(tool)))
        return self.decide(review, ReviewOutcome.model_validate(raw), by="graph")

    def decide(self, review: ReviewRequest, outcome: ReviewOutcome, *, by: str) -> ReviewOutcome:
        # Someone decided first (the Resumer, another answer): the ledger's verdict wins.
        return decide_in_graph(self.ledger, review.review_id,
                               outcome.model_copy(update={"review_id": review.review_id}),
                               decided_by=by)

    def decision(self, outcome: ReviewOutcome, name: str) -> Decision:
        if outcome.action == "timeout":
            if self.timeout_decision == "approve":
                return {"type": "approve"}
            return {"type": "reject", "message": "No reviewer answered before the deadline; "
                    "the call was not run."}
        return decision_from_outcome(outcome, action_name=name)

    def record(self, review: ReviewRequest, outcome: ReviewOutcome, decision: Decision) -> None:
        """Finish the call's ledger item; edits and rejections become corrections."""
        kind = decision["type"]
        self.ledger.finish_item(review.item, {"review_id": review.review_id, "decision": kind},
                                "human")
        trace_step("review", review_metadata(thread_id=review.thread_id, task=self.task,
                                             review_id=review.review_id, decision=review.decision,
                                             uncertainty=review.uncertainty, outcome=outcome,
                                             tool=review.model_output["tool"],
                                             tool_decision=kind), current_config())
        if kind not in ("edit", "reject") or outcome.action == "timeout":
            return  # approvals and human-supplied results are not corrections of the call
        final = (tool_call_output(decision["edited_action"]["name"],
                                  decision["edited_action"]["args"]) if kind == "edit" else None)
        d = review.decision
        correction = Correction(
            # thread_id is the ledger item (the call), as for every correction; split_group keeps
            # a conversation's calls on one side of a train/validation split.
            id=correction_id(review.item, review.review_id),
            task=review.task, thread_id=review.item, review_id=review.review_id,
            input=review.input, model_output=review.model_output, final_output=final,
            action="edit" if kind == "edit" else "reject", agreement=outcome.agreement,
            answers=outcome.answers, source=outcome.source,
            confidence=review.uncertainty.confidence, policy_id=d.policy_id, reason=d.reason,
            propensity=d.propensity, model_id=str(review.input.get("model_id", "agent"))
            if isinstance(review.input, Mapping) else "agent",
            created_at=min(review.deadline - self.review_timeout, outcome.decided_at),
            decided_at=outcome.decided_at, split_group=review.thread_id,
        )
        self.ledger.record_correction(correction)
        if self.memory is not None:
            # Indexed by the call itself, so the same call is recognised in any conversation.
            keyed = correction.model_copy(update={"input": {
                "tool": review.model_output["tool"],
                "arguments": review.model_output["arguments"]}})
            # The ledger has it; `memory rebuild` repairs the index.
            with contextlib.suppress(Exception):
                self.memory.remember(keyed)

    def _annotate(self, result: ToolMessage | Command[Any],
                  edited: dict[str, Any] | None) -> ToolMessage | Command[Any]:
        if edited is None or not self.edit_notice or not isinstance(result, ToolMessage):
            return result
        notice = (f"{self.edit_notice} Executed instead: {edited['name']} with arguments "
                  f"{json.dumps(edited['args'], default=str)}.")
        if isinstance(result.content, str):
            return result.model_copy(update={"content": f"{notice}\n\n{result.content}"})
        return result


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
    ``approvals.resumer(agent)`` resumes waiting agents when their reviews end, where
    ``approvals`` is the middleware: build it yourself and pass it in ``middleware=``, or read
    ``agent.hitl_approvals`` (deprecated, one release).
    """
    from langchain.agents import create_agent

    if checkpointer is None or checkpointer is False:
        raise ConfigError(
            "an agent whose tool calls wait for approval needs a checkpointer: a review cannot "
            "wait without one (pass a saver, or checkpointer='server' under LangGraph Server)",
            field="checkpointer")
    from langchain_core.tools import tool as as_tool

    options = dict(approval_options or {})
    options.setdefault("known_tools", [t if isinstance(t, BaseTool) else as_tool(t)
                                       for t in tools if isinstance(t, BaseTool) or callable(t)])
    approvals = ToolApprovalMiddleware(policy=policy, reviews=reviews, ledger=ledger, **options)
    agent_options.setdefault("context_schema", ToolApprovalContext)
    system = agent_options.get("system_prompt")
    approvals.system_prompt = system if isinstance(system, str) else getattr(system, "text", None)
    agent = create_agent(model, tools, middleware=[approvals, *middleware],
                         checkpointer=None if checkpointer == "server" else checkpointer,
                         **agent_options)
    agent.hitl_approvals = approvals  # type: ignore[attr-defined]
    return agent
