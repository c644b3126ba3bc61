"""Reviews chosen for what they teach, with the propensities that keep estimates unbiased.

A base policy decides what must go to people (below its threshold). Of what it would accept,
:class:`TeachingReviews` sends each item to review with probability

    q_i = clip(floor + rate · u_i / ū, floor, 1),

where ``u_i`` is how much the item should teach the next model (``"uncertainty"``: 1 − confidence,
uncertainty sampling, Lewis & Gale 1994; ``"margin"``: 1 − the top-two probability gap, a proxy
for the expected gradient length of a softmax model, Settles, Craven & Ray 2008), multiplied by
``1 − memory_similarity`` when the scorer reports it (diversity: an input close to a past
correction teaches less, Brinker 2003), and ``ū`` is its mean on a reference period (no labels).
So about ``floor + rate`` of the accepted items are reviewed, the informative ones far more often.

The draw is a hash of ``(seed, item_id)`` and the decision records ``q_i`` (escalated) or
``1 − q_i`` (accepted) as its propensity. Because every accepted item keeps a chance of at least
``floor``, the error among accepted items is estimated without bias by inverse-propensity
weighting (:func:`ipw_error`, Horvitz & Thompson 1952), and a certified threshold is refitted on
:func:`uniform_subsample` of the verdicts (every item kept with the same probability).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from hitl_agent._arrays import FloatArray, binary_vector, vector
from hitl_agent.errors import ValidationError
from hitl_agent.policy._hashing import unit_hash
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.policy.threshold import _check_unit
from hitl_agent.types import Decision, Prediction, Uncertainty

Utility = Literal["uncertainty", "margin"]


def teaching_utility(uncertainty: Uncertainty, prediction: Prediction,
                     utility: Utility = "uncertainty") -> float:
    """How much reviewing this item should teach, in [0, 1] (see the module docstring)."""
    if utility == "margin" and prediction.probabilities:
        top = sorted(prediction.probabilities.values(), reverse=True)
        gap = top[0] - (top[1] if len(top) > 1 else 0.0)
        u = 1.0 - min(max(gap, 0.0), 1.0)
    else:
        u = 1.0 - uncertainty.confidence
    similarity = uncertainty.components.get("memory_similarity")
    if similarity is not None and math.isfinite(similarity):
        u *= 1.0 - min(max(similarity, 0.0), 1.0)
    return float(min(max(u, 0.0), 1.0))


class TeachingReviews:
    """Wraps ``base`` (whose own audits should be off): what it escalates is escalated; what it
    accepts is reviewed with probability ``q_i`` (module docstring), reason ``"audit"`` with
    ``details["purpose"] = "teach"``.

    :meth:`fit` sets ``ū`` from a reference period's utilities (no labels); until then ``ū`` is
    ``mean_utility``.
    """

    def __init__(
        self,
        base: EscalationPolicy,
        *,
        rate: float,
        floor: float = 0.01,
        utility: Utility = "uncertainty",
        mean_utility: float = 0.1,
        seed: str = "",
        policy_id: str | None = None,
    ) -> None:
        self.base = base
        self.rate = _check_unit(rate, "rate")
        self.floor = _check_unit(floor, "floor")
        if self.floor <= 0.0 and self.rate > 0.0:
            raise ValidationError(
                "floor must be > 0: an accepted item that can never be reviewed makes the error "
                "estimates biased", field="floor", rule="> 0")
        if utility not in ("uncertainty", "margin"):
            raise ValidationError(f"unknown utility {utility!r}", field="utility",
                                  rule="uncertainty or margin")
        self.utility: Utility = utility
        self.mean_utility_ = float(mean_utility)
        self.seed = seed
        self.policy_id = policy_id or f"teach({base.policy_id},rate={rate:g},floor={floor:g})"

    def fit(self, uncertainties: Sequence[Uncertainty],
            predictions: Sequence[Prediction]) -> TeachingReviews:
        values = [teaching_utility(u, p, self.utility)
                  for u, p in zip(uncertainties, predictions, strict=True)]
        if not values:
            raise ValidationError("no reference items", field="uncertainties", rule="non-empty")
        self.mean_utility_ = max(float(np.mean(values)), 1e-6)
        return self

    def fit_confidences(self, confidences: ArrayLike, threshold: float) -> TeachingReviews:
        """Set ``ū`` for the ``"uncertainty"`` utility from a reference period's confidences: the
        mean of ``1 − c`` over those at or above ``threshold`` (what the base accepts)."""
        c = vector(confidences, "confidences")
        above = c[c >= threshold]
        if above.size:
            self.mean_utility_ = max(float(np.mean(1.0 - above)), 1e-6)
        return self

    def propensity(self, uncertainty: Uncertainty, prediction: Prediction) -> float:
        """``q_i``: the chance an item the base policy accepts is reviewed."""
        u = teaching_utility(uncertainty, prediction, self.utility)
        return float(min(1.0, self.floor + self.rate * u / max(self.mean_utility_, 1e-6)))

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        decision = self.base.decide(item_id, uncertainty, prediction)
        if decision.action == "escalate":
            return decision
        q = self.propensity(uncertainty, prediction)
        details = {**decision.details, "review_chance": q}
        if unit_hash(f"{self.seed}/teach", item_id) < q:
            return Decision(action="escalate", reason="audit", propensity=q,
                            policy_id=self.policy_id, threshold=decision.threshold,
                            details={**details, "purpose": "teach"})
        return decision.model_copy(update={"propensity": decision.propensity * (1.0 - q),
                                           "policy_id": self.policy_id, "details": details})


def ipw_error(wrong: ArrayLike, propensity: ArrayLike, population: int | None = None) -> float:
    """Error rate of a population estimated from reviewed items with known review chances.

    ``wrong`` and ``propensity`` are those of the reviewed items. With ``population`` (how many
    items the estimate is about) this is Horvitz–Thompson's ``Σ wᵢ/qᵢ / N``, unbiased; without it,
    Hájek's ratio ``Σ wᵢ/qᵢ / Σ 1/qᵢ`` (consistent, lower variance).

    >>> ipw_error([1, 0], [0.5, 1.0])
    0.6666666666666666
    """
    w = binary_vector(wrong, "wrong")
    q = vector(propensity, "propensity")
    if w.shape != q.shape or np.any(q <= 0) or np.any(q > 1):
        raise ValidationError("propensity must lie in (0, 1], one per reviewed item",
                              field="propensity", rule="(0, 1], one per item")
    if w.size == 0:
        return math.nan
    inv: FloatArray = 1.0 / q
    total = population if population is not None else float(inv.sum())
    return float((w * inv).sum() / total) if total > 0 else math.nan


def uniform_subsample(item_ids: Sequence[str], propensity: ArrayLike, seed: str = "", *,
                      q_min: float | None = None) -> np.ndarray:
    """Mask keeping reviewed item ``i`` with probability ``q_min / q_i`` (a hash of its id), so
    every item of the population had the same chance ``q_min`` of landing in the sample: what a
    certified threshold needs from verdicts gathered with unequal chances.

    ``q_min`` should be the smallest review chance any item had (a policy's ``floor``); by
    default the smallest among the reviewed items, which is close when many were reviewed."""
    q = vector(propensity, "propensity")
    if len(item_ids) != len(q) or np.any(q <= 0) or np.any(q > 1):
        raise ValidationError("propensity must lie in (0, 1], one per item", field="propensity",
                              rule="(0, 1], one per item")
    if q.size == 0:
        return np.zeros(0, dtype=bool)
    floor = float(q.min()) if q_min is None else min(float(q_min), float(q.min()))
    return np.array([unit_hash(f"{seed}/thin", i) < floor / p
                     for i, p in zip(item_ids, q, strict=True)], dtype=bool)
