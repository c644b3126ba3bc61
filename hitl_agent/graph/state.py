"""The review graph's state, input, output and run settings.

Everything in the state is plain JSON (dicts, lists, strings, numbers): the pydantic types of
:mod:`hitl_agent.types` are dumped with ``model_dump(mode="json")`` before they are stored, so
any checkpointer serialises it without an allowlist (``LANGGRAPH_STRICT_MSGPACK=true`` included)
and ``langgraph dev`` shows every schema. ``typing_extensions.TypedDict`` keeps the schemas
readable by pydantic on Python 3.11.
"""

from __future__ import annotations

from typing import Any, Literal, Required

from typing_extensions import TypedDict

OutputSource = Literal["model", "human", "memory", "fallback"]


class ReviewGraphInput(TypedDict, total=False):
    """What a run of the review graph takes."""

    input: Required[Any]
    """The item to predict and, if the model is unsure, to review."""
    item_id: str
    """The ledger item. Default: derived from the thread (the thread id for its first item,
    ``<thread>#2``, ``<thread>#3``, … for later items of the same thread)."""
    task: str
    """The task kind (e.g. ``classification``); defaults to the graph's."""


class ReviewGraphOutput(TypedDict, total=False):
    """What a run of the review graph gives back."""

    output: Any
    """The final output: the model's, a person's, the correction memory's or the fallback's."""
    output_source: OutputSource
    item: str
    """The ledger item this run reviewed (given as ``item_id`` or derived)."""
    correction_id: str | None
    """The ledger correction a person's verdict made, if any."""


class ReviewGraphState(ReviewGraphInput, ReviewGraphOutput, total=False):
    """The whole state (JSON forms of :mod:`hitl_agent.types`)."""

    similar: list[dict[str, Any]]
    """Similar past corrections (``SimilarCorrection``)."""
    prediction: dict[str, Any]
    """The model's ``Prediction``."""
    uncertainty: dict[str, Any]
    """The scorer's ``Uncertainty``."""
    decision: dict[str, Any]
    """The router's ``RoutingDecision``."""
    tier: int
    request: dict[str, Any]
    """The open ``ReviewRequest`` (also the interrupt value)."""
    outcome: dict[str, Any]
    """The person's verdict (``ReviewOutcome``)."""


class ReviewGraphConfig(TypedDict, total=False):
    """Per-run settings (LangGraph's run context, ``context=`` on invoke)."""

    review_timeout_seconds: float
    """This run's review deadline, in seconds from when the review opens (default: the
    graph's ``review_timeout``)."""
    reviewer_tier: int
    """The reviewer tier a review starts at (default 0)."""


def __getattr__(name: str) -> Any:
    if name == "ReviewResume":  # deprecated (one release): the resume contract's public type
        from hitl_agent.review.decisions import ResumeValue

        return ResumeValue
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
