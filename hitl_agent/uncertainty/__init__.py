"""Uncertainty scoring and calibration: pure numpy/scipy, no LangGraph, no I/O.

Functions take probability arrays, logprobs or samples and return a confidence in [0, 1]
(higher = more sure); the ``*Scorer`` classes apply them to a :class:`~hitl_agent.types.Prediction`.
"""

from typing import TYPE_CHECKING

from hitl_agent._lazy import lazy_exports

_EXPORTS = {
    "ToolCallConfidence": "hitl_agent.uncertainty.tool_call",
    "CalibratedScorer": "hitl_agent.uncertainty.calibration",
    "CalibrationReport": "hitl_agent.uncertainty.calibration",
    "Calibrator": "hitl_agent.uncertainty.calibration",
    "CombinedScorer": "hitl_agent.uncertainty.combine",
    "EnsembleDisagreementScorer": "hitl_agent.uncertainty.scorers",
    "EntropyScorer": "hitl_agent.uncertainty.scorers",
    "IsotonicCalibrator": "hitl_agent.uncertainty.calibration",
    "LearnedConfidence": "hitl_agent.uncertainty.learned",
    "LearnedScorer": "hitl_agent.uncertainty.learned",
    "LexicalSimilarityScorer": "hitl_agent.uncertainty.scorers",
    "MajorityVoteScorer": "hitl_agent.uncertainty.scorers",
    "MarginScorer": "hitl_agent.uncertainty.scorers",
    "MaxProbabilityScorer": "hitl_agent.uncertainty.scorers",
    "MeanLogprobScorer": "hitl_agent.uncertainty.scorers",
    "MinLogprobScorer": "hitl_agent.uncertainty.scorers",
    "PerplexityScorer": "hitl_agent.uncertainty.scorers",
    "PlattCalibrator": "hitl_agent.uncertainty.calibration",
    "SampleAgreementScorer": "hitl_agent.uncertainty.scorers",
    "Scorer": "hitl_agent.uncertainty.base",
    "SemanticEntropyScorer": "hitl_agent.uncertainty.scorers",
    "ServiceConfidenceScorer": "hitl_agent.uncertainty.service_confidence",
    "TemperatureScaling": "hitl_agent.uncertainty.calibration",
    "TokenEntropyScorer": "hitl_agent.uncertainty.scorers",
    "VerbalizedConfidenceScorer": "hitl_agent.uncertainty.scorers",
    "brier_score": "hitl_agent.uncertainty.calibration",
    "cluster_answers": "hitl_agent.uncertainty.sampling",
    "embedding_equivalence": "hitl_agent.uncertainty.sampling",
    "embedding_similarity": "hitl_agent.uncertainty.sampling",
    "ensemble_disagreement": "hitl_agent.uncertainty.classifier",
    "entropy_confidence": "hitl_agent.uncertainty.classifier",
    "expected_calibration_error": "hitl_agent.uncertainty.calibration",
    "fit_calibrator": "hitl_agent.uncertainty.calibration",
    "judge_equivalence": "hitl_agent.uncertainty.sampling",
    "majority_vote_fraction": "hitl_agent.uncertainty.sampling",
    "margin": "hitl_agent.uncertainty.classifier",
    "max_probability": "hitl_agent.uncertainty.classifier",
    "mean_logprob_confidence": "hitl_agent.uncertainty.logprob",
    "mean_pairwise_lexical_similarity": "hitl_agent.uncertainty.sampling",
    "memory_signals": "hitl_agent.uncertainty.learned",
    "min_logprob_confidence": "hitl_agent.uncertainty.logprob",
    "normalize_answer": "hitl_agent.uncertainty.sampling",
    "normalized_match": "hitl_agent.uncertainty.sampling",
    "parse_judge_verdict": "hitl_agent.uncertainty.reflexive",
    "parse_verbalized_confidence": "hitl_agent.uncertainty.reflexive",
    "perplexity_confidence": "hitl_agent.uncertainty.logprob",
    "sample_agreement": "hitl_agent.uncertainty.sampling",
    "semantic_entropy": "hitl_agent.uncertainty.sampling",
    "token_entropy_confidence": "hitl_agent.uncertainty.logprob",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS,
                                   deprecated={"JudgeScorer": "hitl_agent.models.judge"})

if TYPE_CHECKING:  # pragma: no cover - the names' real types, for type checkers and IDEs
    from hitl_agent.uncertainty.base import (  # noqa: F401
        Scorer,
    )
    from hitl_agent.uncertainty.calibration import (  # noqa: F401
        CalibratedScorer,
        CalibrationReport,
        Calibrator,
        IsotonicCalibrator,
        PlattCalibrator,
        TemperatureScaling,
        brier_score,
        expected_calibration_error,
        fit_calibrator,
    )
    from hitl_agent.uncertainty.classifier import (  # noqa: F401
        ensemble_disagreement,
        entropy_confidence,
        margin,
        max_probability,
    )
    from hitl_agent.uncertainty.combine import (  # noqa: F401
        CombinedScorer,
    )
    from hitl_agent.uncertainty.learned import (  # noqa: F401
        LearnedConfidence,
        LearnedScorer,
        memory_signals,
    )
    from hitl_agent.uncertainty.logprob import (  # noqa: F401
        mean_logprob_confidence,
        min_logprob_confidence,
        perplexity_confidence,
        token_entropy_confidence,
    )
    from hitl_agent.uncertainty.reflexive import (  # noqa: F401
        parse_judge_verdict,
        parse_verbalized_confidence,
    )
    from hitl_agent.uncertainty.sampling import (  # noqa: F401
        cluster_answers,
        embedding_equivalence,
        embedding_similarity,
        judge_equivalence,
        majority_vote_fraction,
        mean_pairwise_lexical_similarity,
        normalize_answer,
        normalized_match,
        sample_agreement,
        semantic_entropy,
    )
    from hitl_agent.uncertainty.scorers import (  # noqa: F401
        EnsembleDisagreementScorer,
        EntropyScorer,
        LexicalSimilarityScorer,
        MajorityVoteScorer,
        MarginScorer,
        MaxProbabilityScorer,
        MeanLogprobScorer,
        MinLogprobScorer,
        PerplexityScorer,
        SampleAgreementScorer,
        SemanticEntropyScorer,
        TokenEntropyScorer,
        VerbalizedConfidenceScorer,
    )
    from hitl_agent.uncertainty.service_confidence import (  # noqa: F401
        ServiceConfidenceScorer,
    )
    from hitl_agent.uncertainty.tool_call import (  # noqa: F401
        ToolCallConfidence,
    )
