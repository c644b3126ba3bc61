from __future__ import annotations

import math

import numpy as np
import pytest

from hitl_agent.errors import ValidationError
from hitl_agent.types import Prediction
from hitl_agent.uncertainty import (
    CombinedScorer,
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
    Scorer,
    SemanticEntropyScorer,
    TokenEntropyScorer,
    VerbalizedConfidenceScorer,
    parse_verbalized_confidence,
)

FULL = Prediction(
    output="Paris",
    probabilities={"Paris": 0.8, "Lyon": 0.15, "Nice": 0.05},
    token_logprobs=[math.log(0.9), math.log(0.6)],
    top_logprobs=[{"Paris": math.log(0.9), "Lyon": math.log(0.1)}],
    samples=["Paris", "paris", "Lyon"],
    metadata={"raw_output": "Paris. Confidence: 80%", "input": "Capital of France?"},
)
EMPTY = Prediction(output="Paris")

CASES: list[tuple[Scorer, str]] = [
    (MaxProbabilityScorer(), "probabilities"),
    (MarginScorer(), "probabilities"),
    (EntropyScorer(), "probabilities"),
    (MeanLogprobScorer(), "token_logprobs"),
    (MinLogprobScorer(), "token_logprobs"),
    (PerplexityScorer(), "token_logprobs"),
    (TokenEntropyScorer(), "top_logprobs"),
    (SampleAgreementScorer(), "samples"),
    (MajorityVoteScorer(), "samples"),
    (SemanticEntropyScorer(), "samples"),
    (LexicalSimilarityScorer(), "samples"),
    (EnsembleDisagreementScorer(), "metadata.member_probabilities"),
]


@pytest.mark.parametrize(("scorer", "field"), CASES)
def test_scorer_refuses_a_prediction_without_its_signal(scorer: Scorer, field: str) -> None:
    assert isinstance(scorer, Scorer)
    with pytest.raises(ValidationError) as err:
        scorer(EMPTY)
    assert err.value.field == field
    assert err.value.rule == f"required by {type(scorer).__name__}"


@pytest.mark.parametrize(("scorer", "field"), CASES[:-1])
def test_scorer_returns_named_confidence(scorer: Scorer, field: str) -> None:
    u = scorer(FULL)
    assert 0.0 <= u.confidence <= 1.0
    assert u.scorer == scorer.name
    assert scorer.name in u.components


def test_scorer_values() -> None:
    assert MaxProbabilityScorer()(FULL).confidence == pytest.approx(0.8)
    assert MarginScorer()(FULL).confidence == pytest.approx(0.65)
    assert MinLogprobScorer()(FULL).confidence == pytest.approx(0.6)
    agreement = SampleAgreementScorer()(FULL)
    assert agreement.confidence == pytest.approx(2 / 3)
    assert agreement.components["majority_vote_fraction"] == pytest.approx(0.75)
    se = SemanticEntropyScorer()(FULL)
    assert se.components["clusters"] == 2.0
    members = Prediction(output="a", metadata={"member_probabilities": [{"a": 1.0}, {"b": 1.0}]})
    assert EnsembleDisagreementScorer()(members).confidence == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Answer: 12\nConfidence: 0.7", 0.7),
        ("Guess: Paris\nProbability: 85%", 0.85),
        ("I'm 95% sure.", 0.95),
        ("confidence level: 8/10", 0.8),
        ("Confidence: 90", 0.9),
        ("It is almost certain.", 0.95),
        ("This is highly unlikely to be right", 0.05),
        ("no idea", None),
    ],
)
def test_parse_verbalized_confidence(text: str, expected: float | None) -> None:
    got = parse_verbalized_confidence(text)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_verbalized_scorer_reads_raw_output_then_output() -> None:
    assert VerbalizedConfidenceScorer()(FULL).confidence == pytest.approx(0.8)
    inline = Prediction(output="42 (confidence: 60%)")
    assert VerbalizedConfidenceScorer()(inline).confidence == pytest.approx(0.6)
    with pytest.raises(ValidationError) as err:
        VerbalizedConfidenceScorer()(EMPTY)
    assert err.value.field == "output"


def test_combined_weighted_reports_components() -> None:
    combined = CombinedScorer([MaxProbabilityScorer(), MinLogprobScorer()], [3.0, 1.0])
    u = combined(FULL)
    assert u.confidence == pytest.approx((3 * 0.8 + 0.6) / 4)
    assert u.components == {
        "max_probability": pytest.approx(0.8),
        "min_logprob": pytest.approx(0.6),
    }
    with pytest.raises(ValidationError):
        combined(EMPTY)
    lenient = CombinedScorer(
        {"p": MaxProbabilityScorer(), "v": VerbalizedConfidenceScorer()}, on_missing="skip"
    )
    only_verbal = Prediction(output="x. Confidence: 0.3")
    assert lenient(only_verbal).confidence == pytest.approx(0.3)
    with pytest.raises(ValidationError) as err:
        CombinedScorer([MaxProbabilityScorer()], [1.0, 2.0])
    assert err.value.field == "weights"


def test_combined_logistic_learns_the_informative_component() -> None:
    rng = np.random.default_rng(0)
    n = 600
    correct = rng.uniform(size=n) < 0.7
    informative = np.clip(np.where(correct, 0.8, 0.3) + rng.normal(0, 0.1, n), 0.01, 0.99)
    noise = rng.uniform(0.01, 0.99, size=n)
    combined = CombinedScorer(
        [MaxProbabilityScorer(), MinLogprobScorer()], method="logistic"
    ).fit_matrix(np.column_stack([informative, noise]), correct)
    assert abs(combined.coef_["max_probability"]) > 5 * abs(combined.coef_["min_logprob"])
    high = combined.combine({"max_probability": 0.85, "min_logprob": 0.5})
    low = combined.combine({"max_probability": 0.25, "min_logprob": 0.5})
    assert high > 0.9 and low < 0.2
    with pytest.raises(ValidationError):
        CombinedScorer([MaxProbabilityScorer()], method="logistic")(FULL)
