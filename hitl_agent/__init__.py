"""hitl-agent: people in the loop of LLM and ML applications, and their corrections turned into
better models.

Names load lazily (PEP 562), so ``import hitl_agent.service`` or the CLI does not pay for
LangGraph, scipy or chromadb until they are used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # errors
    "AlreadyDecided": "hitl_agent.errors",
    "ConfigError": "hitl_agent.errors",
    "HitlError": "hitl_agent.errors",
    "LedgerError": "hitl_agent.errors",
    "ModelError": "hitl_agent.errors",
    "ReviewError": "hitl_agent.errors",
    "ReviewNotFound": "hitl_agent.errors",
    "ThreadInputConflict": "hitl_agent.errors",
    "ValidationError": "hitl_agent.errors",
    # shared types
    "Correction": "hitl_agent.types",
    "HumanAnswer": "hitl_agent.types",
    "Prediction": "hitl_agent.types",
    "ReviewOutcome": "hitl_agent.types",
    "ReviewRequest": "hitl_agent.types",
    "RoutingDecision": "hitl_agent.types",
    "SimilarCorrection": "hitl_agent.types",
    "Uncertainty": "hitl_agent.types",
    # the graph
    "ReviewLoop": "hitl_agent.graph.loop",
    "build_review_graph": "hitl_agent.graph.build",
    "open_checkpointer": "hitl_agent.graph.checkpoint",
    "serializer": "hitl_agent.graph.checkpoint",
    "Resumer": "hitl_agent.graph.resumer",
    "ResumeReport": "hitl_agent.graph.resumer",
    "ReviewWorker": "hitl_agent.graph.worker",
    # agents (the middleware needs the `agents` extra: LangChain 1.x)
    "AnswerReviewMiddleware": "hitl_agent.agents.answer_review",
    "ToolApprovalMiddleware": "hitl_agent.agents.tool_approval",
    "review_node": "hitl_agent.agents.review_node",
    # the resume contract (LangChain decisions, Agent Inbox responses, outcomes)
    "HumanDecision": "hitl_agent.review.decisions",
    "outcome_from_answer": "hitl_agent.review.decisions",
    # models
    "CallableModel": "hitl_agent.models.callable",
    "ChatModelAdapter": "hitl_agent.models.chat",
    "SklearnClassifier": "hitl_agent.models.sklearn",
    # reviews
    "A2IReviews": "hitl_agent.review.a2i",
    "parse_output": "hitl_agent.review.a2i",
    "ReviewBackend": "hitl_agent.review.base",
    "ReviewStatus": "hitl_agent.review.base",
    "InProcessReviews": "hitl_agent.review.in_process",
    "SimulatedReviewer": "hitl_agent.review.simulated",
    "create_review_flow": "hitl_agent.review.setup",
    "MajorityVote": "hitl_agent.review.aggregate",
    "Wawa": "hitl_agent.review.aggregate",
    "DawidSkene": "hitl_agent.review.aggregate",
    "ClosestText": "hitl_agent.review.aggregate",
    "fleiss_kappa": "hitl_agent.review.aggregate",
    "krippendorff_alpha": "hitl_agent.review.aggregate",
    # memory
    "Ledger": "hitl_agent.memory.ledger",
    # uncertainty
    "MaxProbabilityScorer": "hitl_agent.uncertainty",
    "MarginScorer": "hitl_agent.uncertainty",
    "EntropyScorer": "hitl_agent.uncertainty",
    "EnsembleDisagreementScorer": "hitl_agent.uncertainty",
    "MeanLogprobScorer": "hitl_agent.uncertainty",
    "MinLogprobScorer": "hitl_agent.uncertainty",
    "PerplexityScorer": "hitl_agent.uncertainty",
    "TokenEntropyScorer": "hitl_agent.uncertainty",
    "SampleAgreementScorer": "hitl_agent.uncertainty",
    "MajorityVoteScorer": "hitl_agent.uncertainty",
    "SemanticEntropyScorer": "hitl_agent.uncertainty",
    "LexicalSimilarityScorer": "hitl_agent.uncertainty",
    "VerbalizedConfidenceScorer": "hitl_agent.uncertainty",
    "JudgeScorer": "hitl_agent.uncertainty",
    "CombinedScorer": "hitl_agent.uncertainty",
    "CalibratedScorer": "hitl_agent.uncertainty",
    "TemperatureScaling": "hitl_agent.uncertainty",
    "PlattCalibrator": "hitl_agent.uncertainty",
    "IsotonicCalibrator": "hitl_agent.uncertainty",
    "fit_calibrator": "hitl_agent.uncertainty",
    # policies
    "ThresholdPolicy": "hitl_agent.policy",
    "RiskControlledThreshold": "hitl_agent.policy",
    "NaiveThresholdNoGuarantee": "hitl_agent.policy",
    "UncertifiableTarget": "hitl_agent.policy",
    "CertifiedThresholdPolicy": "hitl_agent.policy",
    "ScheduledRecalibration": "hitl_agent.policy",
    "BudgetPolicy": "hitl_agent.policy",
    "ActivationConditionPolicy": "hitl_agent.policy",
}

_DEPRECATED: dict[str, tuple[str, str]] = {
    # old name: (module, new name) - kept for one release
    "Decision": ("hitl_agent.types", "RoutingDecision"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _DEPRECATED:
        module, new = _DEPRECATED[name]
        import warnings

        warnings.warn(f"hitl_agent.{name} is deprecated: use hitl_agent.{new} (the router's "
                      "choice; a person's decision is hitl_agent.HumanDecision)",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), new)
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module 'hitl_agent' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

if TYPE_CHECKING:  # pragma: no cover - every name's real type, for type checkers and IDEs
    from hitl_agent.agents.answer_review import AnswerReviewMiddleware  # noqa: F401
    from hitl_agent.agents.review_node import (  # noqa: F401
        review_node,
    )
    from hitl_agent.agents.tool_approval import ToolApprovalMiddleware  # noqa: F401
    from hitl_agent.errors import (  # noqa: F401
        AlreadyDecided,
        ConfigError,
        HitlError,
        LedgerError,
        ModelError,
        ReviewError,
        ReviewNotFound,
        ThreadInputConflict,
        ValidationError,
    )
    from hitl_agent.graph.build import (  # noqa: F401
        build_review_graph,
    )
    from hitl_agent.graph.checkpoint import (  # noqa: F401
        open_checkpointer,
        serializer,
    )
    from hitl_agent.graph.loop import (  # noqa: F401
        ReviewLoop,
    )
    from hitl_agent.graph.resumer import (  # noqa: F401
        Resumer,
        ResumeReport,
    )
    from hitl_agent.graph.worker import (  # noqa: F401
        ReviewWorker,
    )
    from hitl_agent.memory.ledger import (  # noqa: F401
        Ledger,
    )
    from hitl_agent.models.callable import (  # noqa: F401
        CallableModel,
    )
    from hitl_agent.models.chat import (  # noqa: F401
        ChatModelAdapter,
    )
    from hitl_agent.models.sklearn import (  # noqa: F401
        SklearnClassifier,
    )
    from hitl_agent.policy import (  # noqa: F401
        ActivationConditionPolicy,
        BudgetPolicy,
        CertifiedThresholdPolicy,
        NaiveThresholdNoGuarantee,
        RiskControlledThreshold,
        ScheduledRecalibration,
        ThresholdPolicy,
        UncertifiableTarget,
    )
    from hitl_agent.review.a2i import (  # noqa: F401
        A2IReviews,
        parse_output,
    )
    from hitl_agent.review.aggregate import (  # noqa: F401
        ClosestText,
        DawidSkene,
        MajorityVote,
        Wawa,
        fleiss_kappa,
        krippendorff_alpha,
    )
    from hitl_agent.review.base import (  # noqa: F401
        ReviewBackend,
        ReviewStatus,
    )
    from hitl_agent.review.decisions import (  # noqa: F401
        HumanDecision,
        outcome_from_answer,
    )
    from hitl_agent.review.in_process import (  # noqa: F401
        InProcessReviews,
    )
    from hitl_agent.review.setup import (  # noqa: F401
        create_review_flow,
    )
    from hitl_agent.review.simulated import (  # noqa: F401
        SimulatedReviewer,
    )
    from hitl_agent.types import (  # noqa: F401
        Correction,
        HumanAnswer,
        Prediction,
        ReviewOutcome,
        ReviewRequest,
        RoutingDecision,
        SimilarCorrection,
        Uncertainty,
    )
    from hitl_agent.uncertainty import (  # noqa: F401
        CalibratedScorer,
        CombinedScorer,
        EnsembleDisagreementScorer,
        EntropyScorer,
        IsotonicCalibrator,
        JudgeScorer,
        LexicalSimilarityScorer,
        MajorityVoteScorer,
        MarginScorer,
        MaxProbabilityScorer,
        MeanLogprobScorer,
        MinLogprobScorer,
        PerplexityScorer,
        PlattCalibrator,
        SampleAgreementScorer,
        SemanticEntropyScorer,
        TemperatureScaling,
        TokenEntropyScorer,
        VerbalizedConfidenceScorer,
        fit_calibrator,
    )
