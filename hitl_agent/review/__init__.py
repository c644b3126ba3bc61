"""Human reviews: the backend protocol and backends, and the one resume contract (any person's
answer, in LangChain's, Agent Inbox's or the library's shape, to a checked outcome)."""

from typing import TYPE_CHECKING

from hitl_agent._lazy import lazy_exports

_EXPORTS = {
    "A2IReviews": "hitl_agent.review.a2i",
    "ApproveDecision": "hitl_agent.review.decisions",
    "EditDecision": "hitl_agent.review.decisions",
    "HITLResponse": "hitl_agent.review.decisions",
    "HumanDecision": "hitl_agent.review.decisions",
    "HumanResponse": "hitl_agent.review.decisions",
    "InProcessReviews": "hitl_agent.review.in_process",
    "RejectDecision": "hitl_agent.review.decisions",
    "RespondDecision": "hitl_agent.review.decisions",
    "ResumeValue": "hitl_agent.review.decisions",
    "ReviewBackend": "hitl_agent.review.base",
    "ReviewStatus": "hitl_agent.review.base",
    "SimulatedReviewer": "hitl_agent.review.simulated",
    "check_outcome": "hitl_agent.review.decisions",
    "create_review_flow": "hitl_agent.review.setup",
    "outcome_from_answer": "hitl_agent.review.decisions",
    "resume_json_schema": "hitl_agent.review.decisions",
    "to_hitl_request": "hitl_agent.review.inbox",
    "to_human_interrupt": "hitl_agent.review.inbox",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - the names' real types, for type checkers and IDEs
    from hitl_agent.review.a2i import (  # noqa: F401
        A2IReviews,
    )
    from hitl_agent.review.base import (  # noqa: F401
        ReviewBackend,
        ReviewStatus,
    )
    from hitl_agent.review.decisions import (  # noqa: F401
        ApproveDecision,
        EditDecision,
        HITLResponse,
        HumanDecision,
        HumanResponse,
        RejectDecision,
        RespondDecision,
        ResumeValue,
        check_outcome,
        outcome_from_answer,
        resume_json_schema,
    )
    from hitl_agent.review.in_process import (  # noqa: F401
        InProcessReviews,
    )
    from hitl_agent.review.inbox import (  # noqa: F401
        to_hitl_request,
        to_human_interrupt,
    )
    from hitl_agent.review.setup import (  # noqa: F401
        create_review_flow,
    )
    from hitl_agent.review.simulated import (  # noqa: F401
        SimulatedReviewer,
    )
