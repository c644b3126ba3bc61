"""Uncertainty scoring and calibration: pure numpy/scipy, no LangGraph, no I/O.

Functions take probability arrays, logprobs or samples and return a confidence in [0, 1]
(higher = more sure); the ``*Scorer`` classes apply them to a :class:`~hitl_agent.types.Prediction`.
"""

from hitl_agent._lazy import lazy_exports

_EXPORTS = {
    "CalibratedScorer": "hitl_agent.uncertainty.calibration",
    "CalibrationReport": "hitl_agent.uncertainty.calibration",
    "Calibrator": "hitl_agent.uncertainty.calibration",
    "CombinedScorer": "hitl_agent.uncertainty.combine",
    "EnsembleDisagreementScorer": "hitl_agent.uncertainty.scorers",
    "EntropyScorer": "hitl_agent.uncertainty.scorers",
    "IsotonicCalibrator": "hitl_agent.uncertainty.calibration",
    "JudgeScorer": "hitl_agent.uncertainty.reflexive",
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
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
