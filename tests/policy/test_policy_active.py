from __future__ import annotations

import numpy as np
import pytest

from hitl_agent.errors import ValidationError
from hitl_agent.policy import ThresholdPolicy
from hitl_agent.policy.active import (
    TeachingReviews,
    ipw_error,
    teaching_utility,
    uniform_subsample,
)
from hitl_agent.types import Prediction, Uncertainty

PRED = Prediction(output="y")


def u(c: float, **components: float) -> Uncertainty:
    return Uncertainty(confidence=c, scorer="s", components=components)


def test_teaching_reviews_favour_the_unsure_and_record_propensities() -> None:
    policy = TeachingReviews(ThresholdPolicy(0.5), rate=0.1, floor=0.01, seed="x",
                             mean_utility=0.1)
    below = policy.decide("a", u(0.4), PRED)
    assert (below.action, below.reason, below.propensity) == ("escalate", "threshold", 1.0)
    assert policy.propensity(u(0.99), PRED) == pytest.approx(0.01 + 0.1 * 0.01 / 0.1)
    assert policy.propensity(u(0.6), PRED) == pytest.approx(min(1.0, 0.01 + 0.1 * 0.4 / 0.1))
    decisions = [policy.decide(str(i), u(0.9), PRED) for i in range(4000)]
    taught = [d for d in decisions if d.action == "escalate"]
    q = policy.propensity(u(0.9), PRED)
    assert abs(len(taught) / 4000 - q) < 0.02
    assert all(d.reason == "audit" and d.details["purpose"] == "teach" and d.propensity == q
               for d in taught)
    assert all(d.propensity == pytest.approx(1 - q) for d in decisions if d.action == "accept")
    # deterministic per item id
    assert policy.decide("7", u(0.9), PRED) == policy.decide("7", u(0.9), PRED)
    # a familiar input (close to a past correction) teaches less
    assert teaching_utility(u(0.8, memory_similarity=0.9), PRED) < teaching_utility(u(0.8), PRED)
    with pytest.raises(ValidationError):
        TeachingReviews(ThresholdPolicy(0.5), rate=0.1, floor=0.0)


def test_ipw_estimate_is_unbiased_and_thinning_is_uniform() -> None:
    rng = np.random.default_rng(0)
    n, runs = 2000, 300
    conf = rng.uniform(0.6, 1.0, size=n)
    wrong = rng.random(n) < 0.2 * (1 - conf) / 0.4
    q = np.clip(0.01 + 0.2 * (1 - conf) / (1 - conf).mean(), 0.01, 1.0)
    truth = wrong.mean()
    estimates = []
    for _ in range(runs):
        reviewed = rng.random(n) < q
        estimates.append(ipw_error(wrong[reviewed], q[reviewed], population=n))
    naive = np.mean([wrong[rng.random(n) < q].mean() for _ in range(50)])
    assert abs(np.mean(estimates) - truth) < 0.1 * truth
    assert naive > 1.25 * truth  # reviews of the unsure alone overstate the error
    # thinning: an item is kept with probability q_min / q_i, so it lands in the sample with the
    # same chance q_min whatever its propensity
    ids = np.array([str(i) for i in range(n)])
    landed = np.zeros(n)
    for run in range(200):
        reviewed = rng.random(n) < q
        keep = uniform_subsample(list(ids[reviewed]), q[reviewed], seed=str(run),
                                 q_min=float(q.min()))
        landed[np.flatnonzero(reviewed)[keep]] += 1
    unsure = q > np.quantile(q, 0.8)
    sure = q < np.quantile(q, 0.2)
    assert landed[unsure].mean() / 200 == pytest.approx(q.min(), rel=0.25)
    assert landed[sure].mean() / 200 == pytest.approx(q.min(), rel=0.25)
    with pytest.raises(ValidationError):
        ipw_error([1], [0.0])
