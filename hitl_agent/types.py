"""The pydantic models every part of hitl-agent shares.

They are the typed view of the data at the library's boundaries (ledger rows, backend requests,
resume values). The review graph's state and its interrupts hold their JSON form
(``model_dump(mode="json")``), so a checkpoint needs no serializer allowlist.

Two decisions, two types: :class:`RoutingDecision` is the *router's* choice (accept the model's
output or escalate it to people); a *person's* decision on a review is a LangChain decision
(``approve`` | ``edit`` | ``reject`` | ``respond``, :mod:`hitl_agent.review.decisions`) that
becomes a :class:`ReviewOutcome`.
"""

from __future__ import annotations

import copy
import functools
import math
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

JSONValue = Any
"""Any JSON-serialisable value: a label, a text, or a structured object."""

ReviewAction = Literal["accept", "edit", "reject", "timeout"]
RoutingAction = Literal["accept", "escalate"]
RoutingReason = Literal["confident", "threshold", "audit", "rule", "budget", "memory_hit"]
ReviewSource = Literal["a2i", "service", "in_process", "sweeper", "memory", "manual"]
TimeoutFallback = Literal["accept", "reject", "escalate"]


_DEFAULT_ACTIONS: list[ReviewAction] = ["accept", "edit", "reject"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, ser_json_inf_nan="constants")


class Prediction(_Model):
    """What a model said about one input, with the raw signals scorers read."""

    output: JSONValue = Field(description="The label, text or structured object produced.")
    probabilities: dict[str, float] | None = Field(
        default=None, description="Class label → probability, for classifiers."
    )
    token_logprobs: list[float] | None = Field(
        default=None, description="Log-probability of each generated token."
    )
    top_logprobs: list[dict[str, float]] | None = Field(
        default=None, description="Per generated token, the top-k alternatives and their logprobs."
    )
    samples: list[JSONValue] | None = Field(
        default=None, description="Further samples of the same prompt, for agreement scoring."
    )
    model_id: str = "unknown"
    model_version: str | None = None
    prompt_version: str | None = None
    latency_ms: float | None = None
    metadata: dict[str, JSONValue] = Field(default_factory=dict)

    @field_validator("probabilities")
    @classmethod
    def _finite_probabilities(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("probabilities must not be empty")
        for label, p in v.items():
            if not math.isfinite(p):
                raise ValueError(f"probability of {label!r} is {p}: probabilities must be finite")
            if p < -1e-9 or p > 1 + 1e-9:
                raise ValueError(f"probability of {label!r} is {p}: must lie in [0, 1]")
        return v

    @field_validator("token_logprobs")
    @classmethod
    def _finite_logprobs(cls, v: list[float] | None) -> list[float] | None:
        if v is not None:
            for i, lp in enumerate(v):
                if math.isnan(lp) or lp > 1e-9:
                    raise ValueError(f"token_logprobs[{i}] is {lp}: logprobs must be <= 0, not NaN")
        return v


class Uncertainty(_Model):
    """How sure the scorer is of a prediction: ``confidence`` in [0, 1], higher = more sure."""

    confidence: float = Field(ge=0.0, le=1.0)
    scorer: str
    components: dict[str, float] = Field(default_factory=dict)


class RoutingDecision(_Model):
    """The router's choice for one item (accept the model's output or escalate it), with the
    propensity of that choice.

    ``propensity`` is the probability that the policy makes this choice for this item, so audits of
    accepted items can be weighted back to unbiased estimates (inverse propensity weighting).
    """

    action: RoutingAction
    reason: RoutingReason
    propensity: float = Field(ge=0.0, le=1.0)
    policy_id: str
    threshold: float | None = None
    details: dict[str, JSONValue] = Field(default_factory=dict)


Decision = RoutingDecision
"""Deprecated alias of :class:`RoutingDecision` (kept for one release)."""


class SimilarCorrection(_Model):
    """A past human verdict shown next to a new item (few-shot, reviewer context)."""

    correction_id: str
    input: JSONValue
    model_output: JSONValue
    final_output: JSONValue
    action: ReviewAction
    similarity: float | None = None


class HumanAnswer(_Model):
    """One reviewer's answer: an entry of A2I's ``humanAnswers[]``."""

    answer_content: dict[str, JSONValue]
    worker_id: str | None = None
    acceptance_time: datetime | None = None
    submission_time: datetime | None = None
    time_spent_seconds: float | None = None
    worker_metadata: dict[str, JSONValue] | None = None


class ReviewOutcome(_Model):
    """The aggregated verdict a graph resumes with: its resume value and ``response_schema``."""

    action: ReviewAction = Field(description="accept (LangChain's approve: keep the model's "
                                 "output), edit, reject or timeout.")
    final_output: JSONValue = None
    agreement: float | None = Field(default=None, ge=0.0, le=1.0)
    answers: list[HumanAnswer] = Field(default_factory=list)
    source: ReviewSource = "manual"
    review_id: str | None = None
    reviewer_tier: int = Field(default=0, ge=0)
    rationale: str | None = None
    decided_at: datetime = Field(default_factory=utcnow)

    @field_validator("action", mode="before")
    @classmethod
    def _approve_is_accept(cls, v: Any) -> Any:
        # LangChain's name for a person keeping the model's output; stored as "accept".
        return "accept" if v == "approve" else v


@functools.cache
def _outcome_schema() -> dict[str, JSONValue]:
    # Building a JSON schema costs about a millisecond; every ReviewRequest carries the same one.
    return ReviewOutcome.model_json_schema()


class ReviewRequest(_Model):
    """What a reviewer sees; also the value of the graph's interrupt."""

    @property
    def item(self) -> str:
        return self.item_id or self.thread_id

    review_id: str
    thread_id: str = Field(description="The LangGraph thread to resume.")
    item_id: str | None = Field(
        default=None, description="The ledger item, when a thread holds several (default: "
        "the thread id).")
    task: str
    input: JSONValue
    model_output: JSONValue
    uncertainty: Uncertainty
    decision: RoutingDecision
    confidence: float | None = Field(default=None, description="The model's confidence "
                                     "(the scorer's, in [0, 1]).")
    similar: list[SimilarCorrection] = Field(default_factory=list)
    allowed_actions: list[ReviewAction] = Field(default_factory=lambda: _DEFAULT_ACTIONS.copy())
    labels: list[str] | None = Field(default=None, description="Choices, for classification.")
    deadline: datetime
    tier: int = Field(default=0, ge=0)
    template: str | None = None
    # The interrupt value is this request as JSON. LangChain 1.x reads it as a ``HITLRequest``
    # (``action_requests``, ``review_configs``) and Agent Inbox as a ``HumanInterrupt``
    # (``action_request``, ``config``, ``description``): the graph fills both views.
    action_requests: list[dict[str, JSONValue]] | None = None
    review_configs: list[dict[str, JSONValue]] | None = None
    action_request: dict[str, JSONValue] | None = None
    config: dict[str, bool] | None = None
    description: str | None = None
    response_schema: dict[str, JSONValue] = Field(
        default_factory=lambda: copy.deepcopy(_outcome_schema()),
        description="JSON Schema of the resume value: LangChain decisions, an Agent Inbox "
        "response or a ReviewOutcome.",
    )


class InboxResponse(_Model):
    """Agent Inbox's ``HumanResponse``: how the inbox answers a ``HumanInterrupt``."""

    type: Literal["accept", "ignore", "response", "edit"]
    args: str | dict[str, JSONValue] | None = None


class Correction(_Model):
    """A ledger row for one decided review, with its full provenance."""

    id: str
    task: str
    thread_id: str
    review_id: str
    interrupt_id: str | None = None
    input: JSONValue
    model_output: JSONValue
    final_output: JSONValue
    action: ReviewAction
    agreement: float | None = None
    answers: list[HumanAnswer] = Field(default_factory=list)
    source: ReviewSource = "manual"
    confidence: float | None = None
    policy_id: str | None = None
    reason: RoutingReason | None = None
    propensity: float | None = None
    model_id: str | None = None
    model_version: str | None = None
    prompt_version: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime = Field(default_factory=utcnow)
    split_group: str = Field(description="Items sharing a group never straddle a train/val split.")


CHECKPOINT_TYPES: tuple[type[BaseModel], ...] = (
    Prediction,
    Uncertainty,
    RoutingDecision,
    SimilarCorrection,
    HumanAnswer,
    ReviewOutcome,
    ReviewRequest,
    InboxResponse,
    Correction,
)
"""Types allowed through the checkpointer's msgpack serializer (for checkpoints written by
earlier versions, which held these types; new ones hold plain JSON)."""
