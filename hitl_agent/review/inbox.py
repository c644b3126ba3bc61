"""Adapters between hitl-agent's review types and the review UIs LangChain users already have.

Two schemas are in use (see the research notes, section 2):

- **Agent Inbox** (``langchain-ai/agent-inbox``, and LangGraph's deprecated
  ``langgraph.prebuilt.interrupt``): the interrupt value is a ``HumanInterrupt``
  ``{action_request: {action, args}, config: {allow_accept, allow_edit, allow_respond,
  allow_ignore}, description}``; the inbox resumes with a *list* holding one ``HumanResponse``
  ``{type: accept|edit|response|ignore, args}``, edited args sent back as strings.
- **LangChain 1.x** ``HumanInTheLoopMiddleware``: a ``HITLRequest``
  ``{action_requests: [{name, args, description}], review_configs: [{action_name,
  allowed_decisions}]}`` answered with ``{"decisions": [Decision]}``, or one ``Decision``
  (``approve`` | ``edit`` | ``reject`` | ``respond``) per call in ``per_call`` mode.

Our :class:`~hitl_agent.types.ReviewRequest` stays the canonical interrupt value; these functions
translate it for display and translate the answer back into a
:class:`~hitl_agent.types.ReviewOutcome`, which is then given to
:meth:`~hitl_agent.graph.resumer.Resumer.answer` (compare-and-set in the ledger, then resume), so
an answer from another UI is still decided once.

What a reviewer may edit ("args"):

- a tool call (``model_output = {"tool", "arguments"}``): the arguments, under the tool's name;
- any other object (extraction): its fields, one arg each;
- a label or a text: one arg, ``output``.

Plain-text replies (``response`` / ``respond``) correct a text or label output; for structured
outputs they reject it with the text as the rationale. ``ignore`` rejects (abstains).
This module imports nothing of LangGraph or LangChain: the shapes are plain dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any, Literal, NotRequired, TypedDict

from hitl_agent.errors import ValidationError
from hitl_agent.review.answers import _typed_like
from hitl_agent.types import HumanAnswer, ReviewAction, ReviewOutcome, ReviewRequest

__all__ = [
    "ActionRequest",
    "Decision",
    "HITLRequest",
    "HumanInterrupt",
    "HumanInterruptConfig",
    "HumanResponse",
    "InboxAction",
    "ReviewConfig",
    "decision_from_outcome",
    "editable_args",
    "is_tool_call_output",
    "outcome_from_decision",
    "outcome_from_human_response",
    "output_from_args",
    "review_markdown",
    "to_hitl_request",
    "to_human_interrupt",
    "tool_call_output",
]

# -- Agent Inbox --------------------------------------------------------------------------------


class InboxAction(TypedDict):
    action: str
    args: dict[str, Any]


class HumanInterruptConfig(TypedDict):
    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class HumanInterrupt(TypedDict):
    action_request: InboxAction
    config: HumanInterruptConfig
    description: str | None


class HumanResponse(TypedDict):
    type: Literal["accept", "ignore", "response", "edit"]
    args: None | str | InboxAction


# -- LangChain HumanInTheLoopMiddleware ---------------------------------------------------------

DecisionType = Literal["approve", "edit", "reject", "respond"]


class ActionRequest(TypedDict):
    name: str
    args: dict[str, Any]
    description: NotRequired[str]


class ReviewConfig(TypedDict):
    action_name: str
    allowed_decisions: list[DecisionType]


class HITLRequest(TypedDict):
    action_requests: list[ActionRequest]
    review_configs: list[ReviewConfig]


Decision = dict[str, Any]
"""One LangChain decision as a plain dict: ``{"type": "approve"}``, ``{"type": "edit",
"edited_action": {"name", "args"}}``, ``{"type": "reject", "message"?}``, ``{"type": "respond",
"message"}``. Deprecated name (one release): the typed form is
:data:`hitl_agent.review.decisions.HumanDecision`."""

DECISION_KEY = "langchain_decision"
INBOX_KEY = "agent_inbox_response"


# -- the editable args of a request -------------------------------------------------------------


def tool_call_output(name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """The model-output shape of a tool call, as the ``tool-approval`` template reads it."""
    return {"tool": name, "arguments": dict(args)}


def is_tool_call_output(value: Any) -> bool:
    return (isinstance(value, Mapping) and set(value) >= {"tool", "arguments"}
            and isinstance(value.get("tool"), str) and isinstance(value.get("arguments"), Mapping))


def editable_args(request: ReviewRequest) -> tuple[str, dict[str, Any]]:
    """``(action name, args)`` a reviewer sees and may edit for ``request``."""
    output = request.model_output
    if is_tool_call_output(output):
        return str(output["tool"]), dict(output["arguments"])
    if isinstance(output, Mapping):
        return request.task, dict(output)
    return request.task, {"output": output}


def _parse(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def output_from_args(request: ReviewRequest, args: Any) -> Any:
    """The final output edited ``args`` stand for (values sent as strings are typed back)."""
    args = _parse(args)
    if not isinstance(args, Mapping):
        raise ValidationError("edited args must be an object", field="args", rule="object",
                              review_id=request.review_id)
    output = request.model_output
    if is_tool_call_output(output):
        model_args = output["arguments"]
        typed = {k: _typed_like(model_args.get(k), v) for k, v in args.items()}
        return tool_call_output(str(output["tool"]), typed)
    if isinstance(output, Mapping):
        return {k: _typed_like(output.get(k), v) for k, v in args.items()}
    if "output" not in args:
        raise ValidationError("edited args need an 'output' value", field="args.output",
                              rule="required", review_id=request.review_id)
    return _check_label(request, _typed_like(output, args["output"]))


def _check_label(request: ReviewRequest, value: Any) -> Any:
    if request.labels is not None and value not in request.labels:
        raise ValidationError(f"final_output {value!r} is not one of the choices "
                              f"{request.labels}", field="final_output", rule="choice",
                              review_id=request.review_id)
    return value


def review_markdown(request: ReviewRequest) -> str:
    """A markdown summary for a reviewer: input, output, confidence, why it is here."""
    def block(value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True,
                                                               ensure_ascii=False, default=str)
        return f"```\n{text}\n```"

    d = request.decision
    lines = [
        f"**{request.task}** review `{request.review_id}`",
        "",
        "### Input",
        block(request.input),
        "### Model output",
        block(request.model_output),
        f"Confidence **{request.uncertainty.confidence:.0%}** ({request.uncertainty.scorer}); "
        f"sent for review: {d.reason} (policy `{d.policy_id}`).",
    ]
    if request.labels:
        lines.append("Labels: " + ", ".join(f"`{label}`" for label in request.labels))
    if request.similar:
        lines += ["", "### Similar past corrections"]
        for s in request.similar[:5]:
            lines.append(f"- {json.dumps(s.input, default=str)[:120]} → "
                         f"{json.dumps(s.final_output, default=str)[:80]} ({s.action})")
    lines += ["", f"Answer before {request.deadline.astimezone(UTC).isoformat()}."]
    return "\n".join(lines)


def _outcome(
    request: ReviewRequest,
    action: ReviewAction,
    final_output: Any,
    content: dict[str, Any],
    *,
    worker_id: str | None,
    rationale: str | None = None,
) -> ReviewOutcome:
    if action == "edit" and final_output == request.model_output:
        action = "accept"
    if action == "accept":
        final_output = request.model_output
    return ReviewOutcome(
        action=action,
        final_output=final_output,
        agreement=1.0,
        answers=[HumanAnswer(answer_content=content, worker_id=worker_id)],
        source="manual",
        review_id=request.review_id,
        reviewer_tier=request.tier,
        rationale=rationale,
    )


def _reply(request: ReviewRequest, text: str, content: dict[str, Any],
           worker_id: str | None) -> ReviewOutcome:
    """A plain-text reply: the corrected output of a text/label task, else a reasoned reject."""
    if isinstance(request.model_output, str):
        return _outcome(request, "edit", _check_label(request, text), content,
                        worker_id=worker_id)
    return _outcome(request, "reject", None, content, worker_id=worker_id, rationale=text)


# -- Agent Inbox adapters -------------------------------------------------------------------------


def to_human_interrupt(request: ReviewRequest) -> HumanInterrupt:
    """The Agent Inbox view of ``request``."""
    action, args = editable_args(request)
    allowed = set(request.allowed_actions)
    return HumanInterrupt(
        action_request=InboxAction(action=action, args=args),
        config=HumanInterruptConfig(
            allow_accept="accept" in allowed,
            allow_edit="edit" in allowed,
            allow_respond="edit" in allowed or "reject" in allowed,
            allow_ignore="reject" in allowed,
        ),
        description=review_markdown(request),
    )


def outcome_from_human_response(
    request: ReviewRequest,
    response: HumanResponse | Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    worker_id: str | None = None,
) -> ReviewOutcome:
    """The outcome an Agent Inbox answer stands for (the inbox sends a one-item list)."""
    if isinstance(response, Sequence) and not isinstance(response, (str, bytes, Mapping)):
        if len(response) != 1:
            raise ValidationError(f"expected one HumanResponse, got {len(response)}",
                                  field="response", rule="one", review_id=request.review_id)
        response = response[0]
    if not isinstance(response, Mapping):
        raise ValidationError("a HumanResponse is an object", field="response", rule="object",
                              review_id=request.review_id)
    kind = response.get("type")
    content = {INBOX_KEY: json.loads(json.dumps(dict(response), default=str))}
    allowed = set(request.allowed_actions)
    if kind == "accept" and "accept" in allowed:
        return _outcome(request, "accept", request.model_output, content, worker_id=worker_id)
    if kind == "edit" and "edit" in allowed:
        args = _parse(response.get("args"))
        if isinstance(args, Mapping) and "args" in args:
            args = args["args"]
        return _outcome(request, "edit", output_from_args(request, args), content,
                        worker_id=worker_id)
    if kind == "response" and ("edit" in allowed or "reject" in allowed):
        text = response.get("args")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("a response needs text", field="args", rule="non-empty",
                                  review_id=request.review_id)
        return _reply(request, text, content, worker_id)
    if kind == "ignore" and "reject" in allowed:
        return _outcome(request, "reject", None, content, worker_id=worker_id,
                        rationale="ignored in the inbox")
    raise ValidationError(f"response type {kind!r} is not allowed for this review "
                          f"(allowed: {sorted(allowed)})", field="type", rule="allowed",
                          review_id=request.review_id)


# -- LangChain HITL adapters ----------------------------------------------------------------------


def allowed_decisions(request: ReviewRequest) -> list[DecisionType]:
    allowed = set(request.allowed_actions)
    out: list[DecisionType] = []
    if "accept" in allowed:
        out.append("approve")
    if "edit" in allowed:
        out.append("edit")
    if "reject" in allowed:
        out.append("reject")
    if "edit" in allowed or "reject" in allowed:
        out.append("respond")
    return out


def to_hitl_request(request: ReviewRequest) -> HITLRequest:
    """The ``HumanInTheLoopMiddleware`` (batched) view of ``request``: one action request."""
    name, args = editable_args(request)
    return HITLRequest(
        action_requests=[ActionRequest(name=name, args=args,
                                       description=review_markdown(request))],
        review_configs=[ReviewConfig(action_name=name,
                                     allowed_decisions=allowed_decisions(request))],
    )


def outcome_from_decision(
    request: ReviewRequest,
    decision: Mapping[str, Any],
    *,
    worker_id: str | None = None,
) -> ReviewOutcome:
    """The outcome a LangChain decision stands for; ``{"decisions": [d]}`` is accepted too."""
    if "decisions" in decision:
        decisions = decision["decisions"]
        if not isinstance(decisions, Sequence) or len(decisions) != 1:
            raise ValidationError("expected exactly one decision", field="decisions",
                                  rule="one", review_id=request.review_id)
        decision = decisions[0]
    kind = decision.get("type")
    if kind not in allowed_decisions(request):
        raise ValidationError(f"decision {kind!r} is not allowed for this review",
                              field="type", rule="allowed", review_id=request.review_id)
    content = {DECISION_KEY: json.loads(json.dumps(dict(decision), default=str))}
    if kind == "approve":
        return _outcome(request, "accept", request.model_output, content, worker_id=worker_id)
    if kind == "edit":
        edited = decision.get("edited_action")
        if not isinstance(edited, Mapping) or "args" not in edited:
            raise ValidationError("an edit needs edited_action.args", field="edited_action",
                                  rule="required", review_id=request.review_id)
        name, _ = editable_args(request)
        if edited.get("name", name) != name:
            raise ValidationError(f"an edit cannot change the action from {name!r} to "
                                  f"{edited.get('name')!r}", field="edited_action.name",
                                  rule="pinned", review_id=request.review_id)
        return _outcome(request, "edit", output_from_args(request, edited["args"]), content,
                        worker_id=worker_id)
    message = decision.get("message")
    if kind == "respond":
        if not isinstance(message, str) or not message.strip():
            raise ValidationError("respond needs a message", field="message",
                                  rule="non-empty", review_id=request.review_id)
        return _reply(request, message, content, worker_id)
    return _outcome(request, "reject", None, content, worker_id=worker_id,
                    rationale=message if isinstance(message, str) else None)


def decision_from_outcome(
    outcome: ReviewOutcome,
    *,
    action_name: str,
    timeout_message: str = "No reviewer answered before the deadline; the call was not run.",
) -> Decision:
    """The LangChain decision an outcome stands for (from any backend: A2I, service, inbox).

    A decision a reviewer gave in LangChain's own shape is returned as given.
    """
    for answer in reversed(outcome.answers):
        given = answer.answer_content.get(DECISION_KEY)
        if isinstance(given, Mapping) and given.get("type") in ("approve", "edit", "reject",
                                                                  "respond"):
            return dict(given)
    if outcome.action == "accept":
        return {"type": "approve"}
    if outcome.action == "edit":
        final = outcome.final_output
        args = final["arguments"] if is_tool_call_output(final) else final
        if not isinstance(args, Mapping):
            args = {"output": args}
        return {"type": "edit", "edited_action": {"name": action_name, "args": dict(args)}}
    if outcome.action == "timeout":
        return {"type": "reject", "message": timeout_message}
    reason = outcome.rationale
    for answer in reversed(outcome.answers):
        text = answer.answer_content.get("reason")
        if not reason and isinstance(text, str) and text.strip():
            reason = text
    return {"type": "reject", "message": reason} if reason else {"type": "reject"}
