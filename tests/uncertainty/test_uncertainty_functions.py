from __future__ import annotations

import math

import numpy as np
import pytest

from hitl_agent.errors import ValidationError
from hitl_agent.uncertainty import (
    cluster_answers,
    embedding_equivalence,
    embedding_similarity,
    ensemble_disagreement,
    entropy_confidence,
    judge_equivalence,
    majority_vote_fraction,
    margin,
    max_probability,
    mean_logprob_confidence,
    mean_pairwise_lexical_similarity,
    min_logprob_confidence,
    normalize_answer,
    perplexity_confidence,
    sample_agreement,
    semantic_entropy,
    token_entropy_confidence,
)


def test_entropy_of_uniform_is_zero_confidence_and_one_hot_is_one() -> None:
    assert entropy_confidence(np.full(7, 1 / 7)) == pytest.approx(0.0, abs=1e-12)
    assert entropy_confidence([0.0, 1.0, 0.0]) == pytest.approx(1.0)


def test_entropy_known_value() -> None:
    # H([0.5, 0.25, 0.25]) = 1.5 ln 2; normalised by ln 3
    expected = 1 - 1.5 * math.log(2) / math.log(3)
    assert entropy_confidence([0.5, 0.25, 0.25]) == pytest.approx(expected)


def test_batch_shapes_and_values() -> None:
    p = np.array([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(max_probability(p), [0.7, 0.4, 1.0])
    np.testing.assert_allclose(margin(p), [0.5, 0.0, 1.0])
    out = entropy_confidence(p)
    assert isinstance(out, np.ndarray) and out.shape == (3,)
    assert out[2] == pytest.approx(1.0) and out[1] < out[0] < out[2]


def test_unnormalised_rows_are_normalised() -> None:
    assert max_probability([2.0, 2.0]) == pytest.approx(0.5)


@pytest.mark.parametrize("bad", [[[[0.5]]], [float("nan"), 0.5], [-0.2, 1.2]])
def test_bad_probabilities_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        max_probability(bad)  # type: ignore[arg-type]
    assert err.value.field == "probabilities"


def test_ensemble_disagreement() -> None:
    assert ensemble_disagreement([[0.6, 0.4], [0.6, 0.4], [0.6, 0.4]]) == pytest.approx(1.0)
    assert ensemble_disagreement([[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(0.0, abs=1e-9)
    batch = np.array([[[0.9, 0.1], [1.0, 0.0]], [[0.9, 0.1], [0.0, 1.0]]])  # (m=2, n=2, k=2)
    out = ensemble_disagreement(batch)
    assert isinstance(out, np.ndarray) and out[0] > 0.99 and out[1] < 0.1


def test_logprob_functions() -> None:
    lps = [math.log(0.9), math.log(0.5), math.log(0.8)]
    assert mean_logprob_confidence(lps) == pytest.approx((0.9 * 0.5 * 0.8) ** (1 / 3))
    assert min_logprob_confidence(lps) == pytest.approx(0.5)
    mean_lp = np.mean(lps)
    assert perplexity_confidence(lps) == pytest.approx(1 / (1 - mean_lp))
    assert perplexity_confidence([0.0]) == 1.0
    with pytest.raises(ValidationError) as err:
        mean_logprob_confidence([])
    assert err.value.field == "token_logprobs"
    with pytest.raises(ValidationError):
        min_logprob_confidence([0.5])


def test_token_entropy_from_top_logprobs() -> None:
    sure = [{"a": math.log(0.999999)}]
    assert token_entropy_confidence(sure) > 0.99
    split = [{"a": math.log(0.5), "b": math.log(0.5)}]
    assert token_entropy_confidence(split) == pytest.approx(0.0, abs=1e-9)
    # missing mass counts as one more outcome: a truncated top-1 of 0.5 is not sure
    truncated = [{"a": math.log(0.5)}]
    assert token_entropy_confidence(truncated) == pytest.approx(0.0, abs=1e-9)
    mixed = [{"a": 0.0}, {"a": math.log(0.5), "b": math.log(0.5)}]
    assert token_entropy_confidence(mixed) == pytest.approx(0.5)
    assert token_entropy_confidence(mixed, reduce="max") == pytest.approx(0.0, abs=1e-9)


def test_normalize_answer() -> None:
    assert normalize_answer("  The ANSWER is: 42! ") == "answer is 42"
    assert normalize_answer("1,000") == normalize_answer(1000.0) == "1000"


def test_sample_agreement_and_votes() -> None:
    samples = ["Paris", "paris.", "Lyon", "The Paris"]
    assert sample_agreement(samples, answer="Paris") == pytest.approx(0.75)
    # answer=None: the first sample against the rest
    assert sample_agreement(samples) == pytest.approx(2 / 3)
    assert majority_vote_fraction(samples) == pytest.approx(0.75)
    with pytest.raises(ValidationError) as err:
        sample_agreement(["only one"])
    assert err.value.field == "samples"


def fake_embed(texts: list[str]) -> list[list[float]]:
    table = {"paris": [1.0, 0.0], "capital of france": [0.98, 0.2], "lyon": [0.0, 1.0]}
    return [table[normalize_answer(t)] for t in texts]


def test_embedding_similarity_and_equivalence() -> None:
    sim = embedding_similarity(fake_embed)
    assert sim("Paris", "capital of France") > 0.95
    assert sim("Paris", "Lyon") == pytest.approx(0.0)
    agreement = sample_agreement(["capital of France", "Lyon"], answer="Paris", similarity=sim)
    assert 0.45 < agreement < 0.5
    eq = embedding_equivalence(fake_embed, threshold=0.9)
    assert semantic_entropy(["Paris", "capital of France", "Paris"], eq) == pytest.approx(1.0)


def test_semantic_entropy_known_values() -> None:
    assert semantic_entropy(["a", "A", "a."]) == pytest.approx(1.0)
    assert semantic_entropy(["a", "b", "c", "d"]) == pytest.approx(0.0, abs=1e-12)
    # clusters of 2 and 2 among 4: H = ln 2, normalised by ln 4
    assert semantic_entropy(["x", "x", "y", "y"]) == pytest.approx(0.5)


def test_judge_equivalence_is_bidirectional_and_cached() -> None:
    calls: list[tuple[str, str]] = []

    def entails(a: str, b: str) -> bool:
        calls.append((a, b))
        return a.startswith(b)  # "Paris, France" entails "Paris" but not the reverse

    eq = judge_equivalence(entails)
    assert not eq("Paris, France", "Paris")
    assert judge_equivalence(entails, bidirectional=False)("Paris, France", "Paris")
    n = len(calls)
    eq("Paris, France", "Paris")
    assert len(calls) == n  # cached
    assert cluster_answers(["a", "a", "b"], judge_equivalence(lambda x, y: x == y)) == [[0, 1], [2]]


def test_lexical_similarity() -> None:
    assert mean_pairwise_lexical_similarity(["the cat sat", "the cat sat"]) == pytest.approx(1.0)
    assert mean_pairwise_lexical_similarity(["cat", "dog"]) == pytest.approx(0.0)
    # ROUGE-L of "cat sat" vs "cat sat on mat": lcs 2, p=1, r=0.5 -> F=2/3
    assert mean_pairwise_lexical_similarity(["cat sat", "cat sat on mat"]) == pytest.approx(2 / 3)
    assert mean_pairwise_lexical_similarity(["x y", "y z"], metric="jaccard") == pytest.approx(
        1 / 3
    )


def test_max_probability_of_a_short_list_is_the_arrays_float_bit_for_bit() -> None:
    """A short Python list takes a plain-Python path: same float and same refusals as numpy's."""
    rng = np.random.default_rng(3)
    for k in range(1, 8):
        for _ in range(200):
            row = [float(x) for x in rng.dirichlet(np.ones(k)) * rng.uniform(0.1, 3.0)]
            assert max_probability(row) == max_probability(np.array(row))
    assert max_probability([0.0, 0.0]) == 0.5
    assert max_probability([-1e-12, 2]) == 1.0
    for bad in ([float("nan"), 0.5], [0.5, -0.2], [float("inf"), 1.0]):
        with pytest.raises(ValidationError, match="finite and non-negative"):
            max_probability(bad)
