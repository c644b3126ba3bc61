"""Batched tool approval: one interrupt per model turn, LangChain's ``HITLRequest`` listing every
gated call of the turn, answered with ``{"decisions": [...]}`` by position.

Each call is still its own ledger item and review (with its own review id, deadline and
compare-and-set). A review backend's answers resume the turn once every call of it is decided
(:class:`~hitl_agent.graph.resumer.Resumer` sends ``{"outcomes": {review_id: outcome}}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Protocol

from langchain_core.messages import AIMessage
from langgraph.types import interrupt
from pydantic import WithJsonSchema, WrapValidator
from pydantic_core import PydanticCustomError

from hitl_agent.agents.tool_calls import answer_message, check_decision, current_config
from hitl_agent.errors import ValidationError
from hitl_agent.review.decisions import outcome_from_answer, resume_json_schema
from hitl_agent.types import ReviewOutcome, ReviewRequest

_DECIDED_KEY = "hitl_tool_decisions"


class ApprovalSteps(Protocol):
    """The steps of :class:`~hitl_agent.agents.tool_approval.ToolApprovalMiddleware` that a
    batched turn runs per call."""

    known_tools: list[Any]
    _seen_tools: list[Any]

    def gate(self, call: Any, request: Any) -> Any: ...

    def prepare(self, gate: Any, state: Any, tool: Any, config: Any,
                context: Any = None) -> ReviewRequest | None: ...

    def memory_decision(self, review: ReviewRequest) -> Any: ...

    def open(self, review: ReviewRequest) -> ReviewOutcome | None: ...

    def check_args(self, tool: Any) -> Callable[[str, Mapping[str, Any]], None]: ...

    def decide(self, review: ReviewRequest, outcome: ReviewOutcome, *,
               by: str) -> ReviewOutcome: ...

    def decision(self, outcome: ReviewOutcome, name: str) -> Any: ...

    def record(self, review: ReviewRequest, outcome: ReviewOutcome, decision: Any) -> None: ...


def review_turn(mw: ApprovalSteps, state: Any, runtime: Any) -> dict[str, Any] | None:
    """The ``after_model`` hook of a batched ``ToolApprovalMiddleware``."""
    messages = state.get("messages") or []
    last = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
    if last is None or not last.tool_calls:
        return {_DECIDED_KEY: {}} if state.get(_DECIDED_KEY) else None
    config = current_config()
    tools = {t.name: t for t in mw.known_tools or mw._seen_tools}
    decided: dict[str, Any] = {}
    waiting: list[tuple[ReviewRequest, Any]] = []
    allowed_of: dict[str, Any] = {}
    for call in last.tool_calls:
        gate = mw.gate(call, None)
        if gate is None:
            continue
        review = mw.prepare(gate, state, tools.get(call["name"]), config,
                            getattr(runtime, "context", None))
        if review is None:
            continue
        allowed_of[review.review_id] = gate["allowed"]
        remembered = mw.memory_decision(review)
        if remembered is not None:
            decided[str(call["id"])] = remembered
            continue
        known = mw.open(review)
        if known is not None:
            decided[str(call["id"])] = _final(mw, review, known, call, tools, allowed_of)
        else:
            waiting.append((review, call))
    if waiting:
        reviews = [r for r, _ in waiting]
        value = {
            "action_requests": [a for r in reviews for a in (r.action_requests or [])],
            "review_configs": [c for r in reviews for c in (r.review_configs or [])],
            "review_ids": [r.review_id for r in reviews],
            "reviews": [r.model_dump(mode="json", exclude={"response_schema"}) for r in reviews],
            # Agent Inbox shows the first call only (it reads one HumanInterrupt)
            **reviews[0].model_dump(mode="json", include={
                "action_request", "config", "description"}),
        }
        checks = [mw.check_args(tools.get(c["name"])) for _, c in waiting]
        raw = interrupt(value, response_schema=batch_type(reviews, checks))
        for (review, call), outcome in zip(waiting, raw, strict=True):
            found = mw.decide(review, ReviewOutcome.model_validate(outcome), by="graph")
            decided[str(call["id"])] = _final(mw, review, found, call, tools, allowed_of)
    if not decided:
        return {_DECIDED_KEY: {}} if state.get(_DECIDED_KEY) else None
    answers = [answer_message(c, decided[str(c["id"])]) for c in last.tool_calls
               if str(c["id"]) in decided
               and decided[str(c["id"])]["type"] in ("reject", "respond")]
    return {"messages": answers, _DECIDED_KEY: decided}


def _final(mw: ApprovalSteps, review: ReviewRequest, outcome: ReviewOutcome,
           call: Any, tools: Mapping[str, Any], allowed_of: Mapping[str, Any]) -> Any:
    decision = mw.decision(outcome, call["name"])
    why = check_decision(decision, allowed_of[review.review_id], tools.get(call["name"]))
    if why is not None:
        decision = {"type": "reject", "message": f"The reviewer's answer was refused ({why}); "
                    "the call was not run."}
    mw.record(review, outcome, decision)
    return decision


def batch_type(reviews: list[ReviewRequest], checks: list[Any]) -> Any:
    """The resume schema of a batched interrupt: ``{"decisions": [...]}`` (one per call, in
    order), or ``{"outcomes": {review_id: outcome}}``; validated into one outcome per call."""

    def validate(value: Any, _handler: Any) -> list[dict[str, Any]]:
        try:
            answers = _answers(reviews, value)
            return [outcome_from_answer(r, a, check_args=c).model_dump(mode="json")
                    for r, a, c in zip(reviews, answers, checks, strict=True)]
        except ValidationError as exc:
            raise PydanticCustomError(exc.rule, "{field}: {message}",
                                      {"field": exc.field, "message": exc.message}) from None

    schema = {"title": "BatchedResumeValue", "anyOf": [
        {"type": "object", "title": "HITLResponse", "required": ["decisions"],
         "properties": {"decisions": {"type": "array", "minItems": len(reviews),
                                      "maxItems": len(reviews)}}},
        {"type": "object", "title": "Outcomes", "required": ["outcomes"],
         "properties": {"outcomes": {"type": "object",
                                     "additionalProperties": resume_json_schema()}}}]}
    return Annotated[Any, WrapValidator(validate), WithJsonSchema(schema)]


def _answers(reviews: list[ReviewRequest], value: Any) -> list[Any]:
    if isinstance(value, Mapping) and isinstance(value.get("outcomes"), Mapping):
        outcomes = value["outcomes"]
        missing = [r.review_id for r in reviews if r.review_id not in outcomes]
        if missing:
            raise ValidationError(f"no outcome for reviews {missing}", field="outcomes",
                                  rule="complete")
        return [outcomes[r.review_id] for r in reviews]
    decisions = value.get("decisions") if isinstance(value, Mapping) else None
    if not isinstance(decisions, list):
        raise ValidationError("a batched review is answered with {'decisions': [...]}, one "
                              "decision per action request", field="decisions", rule="shape")
    if len(decisions) != len(reviews):
        raise ValidationError(f"{len(decisions)} decisions for {len(reviews)} action requests",
                              field="decisions", rule="one_per_action")
    return [{"decisions": [d]} for d in decisions]
