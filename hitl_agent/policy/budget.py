"""At most K reviews per period, the least confident first, with random audits on top.

"Least confident first" needs to see the period's items together, so there are two ways in:

- :meth:`BudgetPolicy.decide_batch` is exact: given the items of one period (a queue drained on a
  schedule), it escalates the K least confident (ties broken by a hash of the item id).
- :meth:`BudgetPolicy.decide` streams, one item at a time, and stays pure: it escalates items
  below ``threshold_``, the confidence quantile that sent K of ``volume`` items to review in a
  reference period (:meth:`BudgetPolicy.fit` on last period's confidences). It spends about K per
  period when traffic looks like the reference, not exactly K; a hard cap would make the decision
  depend on arrival order and break determinism per item id, so the graph's ledger, not the
  policy, should count reviews if a hard cap is needed.

Audits (``audit_rate``) are drawn among the accepted items and do not count against K.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from hitl_agent._arrays import vector
from hitl_agent.errors import ValidationError
from hitl_agent.policy._hashing import unit_hash
from hitl_agent.policy.threshold import _check_unit, audit_or_accept
from hitl_agent.types import Decision, Prediction, Uncertainty

Item = tuple[str, Uncertainty, Prediction]


class BudgetPolicy:
    """Review at most ``budget`` items per period, least confident first, plus audits.

    With ``threshold`` set, only items below it are candidates; a candidate left over when the
    budget is spent is accepted with reason ``"budget"`` (``details["budget_exhausted"]``).
    Items escalated within the budget get reason ``"budget"`` and propensity 1.
    """

    def __init__(
        self,
        budget: int,
        *,
        threshold: float | None = None,
        audit_rate: float = 0.0,
        seed: str = "",
        policy_id: str | None = None,
    ) -> None:
        if not isinstance(budget, int) or budget < 0:
            raise ValidationError("budget must be an integer >= 0", field="budget", rule=">= 0")
        self.budget = budget
        self.threshold = None if threshold is None else _check_unit(threshold, "threshold")
        self.audit_rate = _check_unit(audit_rate, "audit_rate")
        self.seed = seed
        self.policy_id = policy_id or f"budget(k={budget},audit={self.audit_rate:g})"

    def fit(self, confidences: ArrayLike, *, volume: int | None = None) -> BudgetPolicy:
        """Set ``threshold_`` from a reference period's confidences, for :meth:`decide`.

        ``volume`` is the number of items expected per period (default: as many as given).
        """
        conf = np.sort(vector(confidences, "confidences"))
        if conf.size == 0:
            raise ValidationError(
                "no reference confidences", field="confidences", rule="non-empty"
            )
        volume = conf.size if volume is None else volume
        share = min(1.0, self.budget / max(volume, 1))
        if share <= 0:
            quantile = -math.inf
        elif share >= 1:
            quantile = math.inf
        else:
            # escalate strictly below the value at the share-th position of the sorted sample
            quantile = float(conf[min(int(math.floor(share * conf.size)), conf.size - 1)])
        limit = self.threshold if self.threshold is not None else math.inf
        self.threshold_ = min(quantile, limit)
        self.reference_size_ = int(conf.size)
        return self

    def _order_key(self, item: Item) -> tuple[float, float]:
        return (item[1].confidence, unit_hash(f"{self.seed}/tie", item[0]))

    def decide_batch(self, items: Sequence[Item]) -> list[Decision]:
        """Decisions for one period's items, in their order: the K least confident escalate."""
        candidates = [
            i
            for i, item in enumerate(items)
            if self.threshold is None or item[1].confidence < self.threshold
        ]
        candidates.sort(key=lambda i: self._order_key(items[i]))
        chosen = set(candidates[: self.budget])
        # without a threshold every item is a candidate: those left are the more confident ones
        left_over = set(candidates[self.budget :]) if self.threshold is not None else set()
        decisions = []
        for i, (item_id, uncertainty, _) in enumerate(items):
            details = {"confidence": uncertainty.confidence, "budget": self.budget}
            if i in chosen:
                decisions.append(
                    Decision(
                        action="escalate",
                        reason="budget",
                        propensity=1.0,
                        policy_id=self.policy_id,
                        threshold=self.threshold,
                        details={**details, "rank": candidates.index(i)},
                    )
                )
                continue
            decision = audit_or_accept(
                item_id,
                audit_rate=self.audit_rate,
                seed=self.seed,
                policy_id=self.policy_id,
                threshold=self.threshold,
                confidence=uncertainty.confidence,
                details={**details, "budget_exhausted": i in left_over},
            )
            if i in left_over and decision.action == "accept":
                decision = decision.model_copy(update={"reason": "budget"})
            decisions.append(decision)
        return decisions

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        """Streaming decision against ``threshold_`` (see :meth:`fit`)."""
        if not hasattr(self, "threshold_"):
            raise ValidationError(
                "BudgetPolicy.decide needs fit() on a reference period first (or use "
                "decide_batch)",
                field="fit",
                rule="fitted",
            )
        threshold = self.threshold_
        if uncertainty.confidence < threshold:
            return Decision(
                action="escalate",
                reason="budget",
                propensity=1.0,
                policy_id=self.policy_id,
                threshold=threshold if math.isfinite(threshold) else None,
                details={"confidence": uncertainty.confidence, "budget": self.budget},
            )
        return audit_or_accept(
            item_id,
            audit_rate=self.audit_rate,
            seed=self.seed,
            policy_id=self.policy_id,
            threshold=threshold if math.isfinite(threshold) else None,
            confidence=uncertainty.confidence,
            details={"budget": self.budget},
        )
