"""One resume contract: any human answer to a review becomes its :class:`ReviewOutcome` here.

Every path that takes a person's answer (the review graph's interrupt, ``review_node``, tool
approval, :meth:`~hitl_agent.graph.resumer.Resumer.answer`, in-process reviews) calls
:func:`outcome_from_answer`, so each accepts the same shapes and refuses the same mistakes:

- LangChain 1.x ``HITLResponse`` ``{"decisions": [decision]}`` or one decision, with
  LangChain's meaning: ``approve`` (keep the model's output), ``edit`` (``edited_action`` with
  ``name`` and ``args``), ``reject`` (optional ``message``), ``respond`` (``message``: the
  corrected text of a text or label output, else a reasoned reject);
- Agent Inbox's one-item ``[HumanResponse]`` list;
- the library's own :class:`ReviewOutcome` (or its dict).

A label that is not one of the review's choices, an edit of the wrong type, a decision the review
does not allow, or (for tool approval) arguments that fail the tool's schema are refused with one
:class:`~hitl_agent.errors.ValidationError` naming the field and the rule; the review stays
pending. Inside a graph, :func:`resume_type` makes LangGraph refuse such a resume before anything
is saved (the interrupt can be answered again).

Backends' ``answerContent`` (A2I output files, the worker portal) is read by
:mod:`hitl_agent.review.answers`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, NotRequired, Union

from pydantic import TypeAdapter, WithJsonSchema, WrapValidator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from hitl_agent.errors import ValidationError
from hitl_agent.types import ReviewOutcome, ReviewRequest

__all__ = [
    "Action",
    "ApproveDecision",
    "EditDecision",
    "HITLResponse",
    "HumanDecision",
    "HumanResponse",
    "RejectDecision",
    "RespondDecision",
    "ResumeValue",
    "check_outcome",
    "outcome_from_answer",
    "resume_json_schema",
    "resume_type",
]


# -- the public shapes (LangChain 1.x and Agent Inbox names) -------------------------------------


class Action(TypedDict):
    """An action to run: a tool's (or a task's) name and its arguments."""

    name: str
    args: dict[str, Any]


class ApproveDecision(TypedDict):
    """Keep the model's output (run the tool call as proposed)."""

    type: Literal["approve"]


class EditDecision(TypedDict):
    """Replace the model's output with ``edited_action.args`` (same ``name``)."""

    type: Literal["edit"]
    edited_action: Action


class RejectDecision(TypedDict):
    """Refuse the model's output (do not run the call); ``message`` says why."""

    type: Literal["reject"]
    message: NotRequired[str]


class RespondDecision(TypedDict):
    """Answer in the model's place: the corrected text, or the tool's result."""

    type: Literal["respond"]
    message: str


HumanDecision = Annotated[
    ApproveDecision | EditDecision | RejectDecision | RespondDecision,
    "discriminated by type",
]
"""A person's decision on one action, in LangChain 1.x's shape."""


class HITLResponse(TypedDict):
    """LangChain 1.x's resume value: one decision per action request, in order."""

    decisions: list[ApproveDecision | EditDecision | RejectDecision | RespondDecision]


class HumanResponse(TypedDict):
    """Agent Inbox's answer; the inbox resumes with a list holding one."""

    type: Literal["accept", "ignore", "response", "edit"]
    args: NotRequired[str | dict[str, Any] | None]


ResumeValue = Union[HITLResponse, list[HumanResponse], ReviewOutcome]  # noqa: UP007
"""Everything a paused review can be resumed with."""


@functools.cache
def _resume_schema_text() -> str:
    # A fresh copy per call comes from this text: json.loads is about five times faster than
    # copy.deepcopy of the dict (~20 µs against ~90 µs, once per review opened and resumed).
    return json.dumps(_resume_schema())


def _resume_schema() -> dict[str, Any]:
    schema = TypeAdapter(ResumeValue).json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        # Self-contained (no $ref): each part keeps its public name as its title.
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {"title": "ResumeValue", **inline(schema)}


def resume_json_schema() -> dict[str, Any]:
    """The JSON Schema of :data:`ResumeValue`: ``HITLResponse`` (LangChain decisions),
    ``HumanResponse`` (Agent Inbox) or ``ReviewOutcome``, each titled with its public name."""
    loaded: dict[str, Any] = json.loads(_resume_schema_text())
    return loaded


# -- answer → outcome ----------------------------------------------------------------------------


def outcome_from_answer(
    request: ReviewRequest,
    answer: Any,
    *,
    worker_id: str | None = None,
    check_args: Callable[[str, Mapping[str, Any]], None] | None = None,
) -> ReviewOutcome:
    """The outcome ``answer`` stands for on ``request``, checked against the review's rules.

    ``check_args(name, args)`` validates edited tool arguments (raise a ValidationError).
    Raises :class:`~hitl_agent.errors.ValidationError` (``field``, ``rule``) when it does not fit.
    """
    from hitl_agent.review.inbox import outcome_from_decision, outcome_from_human_response

    if isinstance(answer, ReviewOutcome):
        outcome = answer
    elif isinstance(answer, Sequence) and not isinstance(answer, (str, bytes, Mapping)):
        outcome = outcome_from_human_response(request, list(answer), worker_id=worker_id)
    elif isinstance(answer, Mapping) and ("decisions" in answer or "type" in answer):
        outcome = outcome_from_decision(request, answer, worker_id=worker_id)
    elif isinstance(answer, Mapping):
        outcome = _outcome_from_dict(request, answer)
    else:
        raise ValidationError(
            f"a resume value is LangChain's {{'decisions': [...]}}, an Agent Inbox "
            f"[HumanResponse] or a ReviewOutcome, not {type(answer).__name__}",
            field="resume", rule="shape", review_id=request.review_id)
    return check_outcome(request, outcome, check_args=check_args)


def _outcome_from_dict(request: ReviewRequest, answer: Mapping[str, Any]) -> ReviewOutcome:
    try:
        return ReviewOutcome.model_validate(dict(answer))
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "resume"
        raise ValidationError(f"{where}: {first['msg']}", field=where, rule=first["type"],
                              review_id=request.review_id) from None


def check_outcome(
    request: ReviewRequest,
    outcome: ReviewOutcome,
    *,
    check_args: Callable[[str, Mapping[str, Any]], None] | None = None,
) -> ReviewOutcome:
    """Refuse an outcome that does not fit ``request``: an action the review does not allow, a
    label outside its choices, an edit whose type differs from the model's output."""
    rid = request.review_id
    if outcome.action != "timeout" and outcome.action not in request.allowed_actions:
        raise ValidationError(f"action {outcome.action!r} is not allowed for this review "
                              f"(allowed: {request.allowed_actions})", field="action",
                              rule="allowed", review_id=rid)
    if outcome.action != "edit":
        return outcome
    final, model = outcome.final_output, request.model_output
    if request.labels is not None and not isinstance(model, Mapping):
        if final not in request.labels:
            raise ValidationError(f"final_output {final!r} is not one of the choices "
                                  f"{request.labels}", field="final_output", rule="choice",
                                  review_id=rid)
    elif _kind(final) != _kind(model) and model is not None:
        raise ValidationError(f"final_output must be {_kind(model)} like the model's output, "
                              f"not {_kind(final)}", field="final_output", rule="type",
                              review_id=rid)
    from hitl_agent.review.inbox import is_tool_call_output

    if check_args is not None and is_tool_call_output(final):
        check_args(str(final["tool"]), final["arguments"])
    return outcome


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


# -- inside a graph: LangGraph validates the resume before it saves it ---------------------------


def resume_type(
    request: ReviewRequest,
    *,
    check_args: Callable[[str, Mapping[str, Any]], None] | None = None,
) -> Any:
    """The ``response_schema`` of a review's ``interrupt()``: validating a resume value turns it
    into the outcome's JSON, or refuses it with one error (``type`` = the rule, the message
    names the field). LangGraph saves nothing for a refused resume, so the review stays pending.
    """

    def validate(value: Any, _handler: Any) -> dict[str, Any]:
        try:
            outcome = outcome_from_answer(request, value, check_args=check_args)
        except ValidationError as exc:
            raise PydanticCustomError(exc.rule, "{field}: {message}",
                                      {"field": exc.field, "message": exc.message}) from None
        return outcome.model_dump(mode="json")

    return Annotated[Any, WrapValidator(validate), WithJsonSchema(resume_json_schema())]


def as_json(value: Any) -> Any:
    """``value`` as plain JSON (pydantic models dumped, tuples as lists)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return json.loads(json.dumps(value, default=str))
