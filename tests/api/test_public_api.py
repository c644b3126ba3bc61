"""The public API, pinned (as httpx does): a name added, removed or renamed in ``__all__`` of the
package or a public subpackage fails here, so that it is a decision (and a migration note), not
an accident. Every name resolves, and every lazily imported name has its ``TYPE_CHECKING`` twin,
so type checkers and IDEs see its real type rather than ``Any``."""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path

import pytest

PUBLIC_API: dict[str, list[str]] = {
    "hitl_agent": [
        "A2IReviews", "AccessDeniedException", "ActivationConditionPolicy", "AlreadyDecided",
        "AnswerReviewMiddleware", "ArgumentTypeError", "AuthError", "AwsError", "BudgetPolicy",
        "CalibratedScorer", "CallableModel", "CertifiedThresholdPolicy", "ChatModelAdapter",
        "ClosestText", "CombinedScorer", "ConfigError", "ConflictException", "Correction",
        "CrossSiteRequest", "DawidSkene", "EnsembleDisagreementScorer", "EntropyScorer",
        "EvalError", "ExportError", "Forbidden", "HitlError", "HumanAnswer", "HumanDecision",
        "InProcessReviews", "IncompleteSignatureException", "InternalServerException",
        "InvalidArgumentError", "InvalidSignatureException", "InvalidStateError",
        "IsotonicCalibrator", "JudgeScorer", "Ledger", "LedgerError", "LexicalSimilarityScorer",
        "MajorityVote", "MajorityVoteScorer", "MarginScorer", "MaxProbabilityScorer",
        "MeanLogprobScorer", "MemoryIndexError", "MinLogprobScorer",
        "MissingAuthenticationTokenException", "MissingExtra", "ModelError",
        "NaiveThresholdNoGuarantee", "NotFoundError", "PayloadTooLarge", "PerplexityScorer",
        "PlattCalibrator", "Prediction", "ResourceInUse", "ResourceLimitExceeded",
        "ResourceNotFound", "ResourceNotFoundException", "ResumeReport", "Resumer",
        "ReviewBackend", "ReviewError", "ReviewLoop", "ReviewNotFound", "ReviewOutcome",
        "ReviewRequest", "ReviewStatus", "ReviewWorker", "RiskControlledThreshold",
        "RoutingDecision", "SampleAgreementScorer", "ScheduledRecalibration",
        "SemanticEntropyScorer", "ServiceError", "ServiceQuotaExceededException", "SignInError",
        "SignedUrlError", "SimilarCorrection", "SimulatedReviewer", "SklearnClassifier",
        "TemperatureScaling", "TemplateError", "ThreadInputConflict", "ThresholdPolicy",
        "ThrottlingException", "TokenEntropyScorer", "ToolApprovalMiddleware", "Unauthorized",
        "Uncertainty", "UncertifiableTarget", "UnknownOperation", "UnknownOperationException",
        "UnrecognizedClientException", "UnsupportedMediaType", "ValidationError",
        "ValidationException", "VerbalizedConfidenceScorer", "Wawa", "build_review_graph",
        "create_review_flow", "fit_calibrator", "fleiss_kappa", "krippendorff_alpha",
        "open_checkpointer", "outcome_from_answer", "parse_output", "review_node", "serializer",
    ],
    "hitl_agent.agents": [
        "AnswerReviewMiddleware", "InterruptOnConfig", "SwallowedInterrupt",
        "ToolApprovalMiddleware", "ToolCallConfidence", "ToolRiskPolicy", "answer_review",
        "compile_with_checkpointer", "create_review_agent", "find_swallowed_interrupts",
        "has_checkpointer", "hitl_safe", "is_interrupt", "require_checkpointer",
        "reraise_interrupt", "review_node",
    ],
    "hitl_agent.graph": [
        "BatchItem", "Checkpointing", "ResumeReport", "Resumer", "ReviewGraphConfig",
        "ReviewGraphInput", "ReviewGraphOutput", "ReviewGraphState", "ReviewLoop",
        "build_review_graph", "ingest", "open_checkpointer",
        "postgres_checkpointer", "run_batch", "serializer", "sqlite_checkpointer",
    ],
    "hitl_agent.review": [
        "A2IReviews", "ApproveDecision", "EditDecision", "HITLResponse", "HumanDecision",
        "HumanResponse", "InProcessReviews", "RejectDecision", "RespondDecision",
        "ResumeValue", "ReviewBackend", "ReviewStatus", "SimulatedReviewer",
        "check_outcome", "create_review_flow", "outcome_from_answer",
        "resume_json_schema", "to_hitl_request", "to_human_interrupt",
    ],
    "hitl_agent.uncertainty": [
        "CalibratedScorer", "CalibrationReport", "Calibrator", "CombinedScorer",
        "EnsembleDisagreementScorer", "EntropyScorer", "IsotonicCalibrator",
        "LearnedConfidence", "LearnedScorer", "LexicalSimilarityScorer", "MajorityVoteScorer",
        "MarginScorer", "MaxProbabilityScorer", "MeanLogprobScorer", "MinLogprobScorer",
        "PerplexityScorer", "PlattCalibrator", "SampleAgreementScorer", "Scorer",
        "SemanticEntropyScorer", "ServiceConfidenceScorer", "TemperatureScaling",
        "TokenEntropyScorer", "ToolCallConfidence", "VerbalizedConfidenceScorer", "brier_score",
        "cluster_answers", "embedding_equivalence",
        "embedding_similarity", "ensemble_disagreement", "entropy_confidence",
        "expected_calibration_error", "fit_calibrator", "judge_equivalence",
        "majority_vote_fraction", "margin", "max_probability", "mean_logprob_confidence",
        "mean_pairwise_lexical_similarity", "memory_signals", "min_logprob_confidence",
        "normalize_answer", "normalized_match", "parse_judge_verdict",
        "parse_verbalized_confidence", "perplexity_confidence", "sample_agreement",
        "semantic_entropy", "token_entropy_confidence",
    ],
    "hitl_agent.policy": [
        "ActivationConditionPolicy", "ActivationResult", "BudgetPolicy", "BuiltinLoopPolicy",
        "CertifiedThresholdPolicy", "EscalationPolicy", "FitRecord", "NaiveThresholdNoGuarantee",
        "RiskControlledThreshold", "ScheduledRecalibration", "TeachingReviews", "ThresholdPolicy",
        "ToolRiskPolicy", "UncertifiableTarget", "binomial_p_value", "certify",
        "clopper_pearson_upper",
        "evaluate_activation_conditions", "ipw_error", "learn_then_test", "min_accepted_for",
        "parse_activation_conditions", "prediction_fields", "selective_guaranteed_risk",
        "teaching_utility", "uniform_subsample",
    ],
    "hitl_agent.receivers": [
        "EVENT_DETAIL_TYPE", "ReviewWorker", "SqsReceiver", "WebhookReceiver", "review_name_of",
    ],
    "hitl_agent.memory": [
        "ChromaFunctionEmbedder", "ChromaIndex", "CorrectionMemory", "CorrectionRecall",
        "Embedder", "ForgetReport", "HnswSettings", "LangChainEmbedder", "Ledger", "MemoryHit",
        "RebuildReport", "Recall", "WordLlamaEmbeddings", "apply_memory_signal",
        "format_few_shot", "memory_agreement", "resolve_embeddings",
    ],
    "hitl_agent.export": [
        "FORMATS", "ExportFormat", "ExportOptions", "ExportResult", "Manifest",
        "Redactor", "export_dataset", "get_format", "load_manifest", "presidio_redactor",
        "regex_redactor", "select_corrections", "upload_export", "verify_files",
    ],
    "hitl_agent.evals": [
        "EvalRun", "ItemResult", "Progress", "RunResult", "Suite", "aurc", "bootstrap",
        "calibration_resampling", "e_aurc", "error_detection_auprc",
        "error_detection_auroc", "find_suite", "learning_curve", "load_suite",
        "optimal_aurc", "parse_suite", "policy_metrics", "prepare", "reliability_bins",
        "risk_coverage_curve", "roc_curve", "run_suite", "score_metrics", "summarise",
        "write_report",
    ],
    "hitl_agent.service": [
        "ReviewServices", "ServiceSettings", "build_services", "create_app",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_API))
def test_all_is_pinned(module: str) -> None:
    assert importlib.import_module(module).__all__ == PUBLIC_API[module]


@pytest.mark.parametrize("module", sorted(PUBLIC_API))
def test_every_public_name_resolves_and_is_typed(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert getattr(mod, name) is not None, name
    source = Path(mod.__file__ or "").read_text(encoding="utf-8")
    imported: set[str] = set()
    defined: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
    untyped = [n for n in mod.__all__ if n not in imported | defined]
    assert not untyped, f"{module}: no import (or TYPE_CHECKING twin) for {untyped}"


def test_py_typed_ships() -> None:
    import hitl_agent

    assert (Path(hitl_agent.__file__).parent / "py.typed").exists()


def test_renamed_names_keep_a_deprecated_alias() -> None:
    import hitl_agent
    from hitl_agent.types import RoutingDecision

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert hitl_agent.Decision is RoutingDecision
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    from hitl_agent.graph.loop import ReviewLoop, ReviewLoopParts
    from hitl_agent.types import Decision

    assert Decision is RoutingDecision and ReviewLoopParts is ReviewLoop
