"""A certified threshold as an escalation policy, and its refitting as reviews accumulate."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from hitl_agent.errors import ValidationError
from hitl_agent.policy.active import uniform_subsample
from hitl_agent.policy.risk import FWER, Method, RiskControlledThreshold
from hitl_agent.policy.threshold import _check_unit, audit_or_accept
from hitl_agent.types import Decision, Prediction, Uncertainty

logger = logging.getLogger(__name__)


class CertifiedThresholdPolicy:
    """An :class:`EscalationPolicy` from a fitted :class:`RiskControlledThreshold`, with audits.

    Below ``threshold_`` (or everything, when the fit could not certify the target): escalate,
    reason ``"threshold"``. Above it, a share ``audit_rate`` is escalated for audit, chosen by a
    hash of ``(seed, item_id)``; audits keep measuring the error of what is accepted and are the
    unbiased labels the next fit needs.
    """

    def __init__(
        self,
        fitted: RiskControlledThreshold,
        *,
        audit_rate: float = 0.0,
        seed: str = "",
        policy_id: str | None = None,
    ) -> None:
        if not hasattr(fitted, "threshold_"):
            raise ValidationError(
                "the RiskControlledThreshold is not fitted", field="fitted", rule="fitted"
            )
        self.fitted = fitted
        self.audit_rate = _check_unit(audit_rate, "audit_rate")
        self.seed = seed
        self.policy_id = policy_id or (
            f"certified(alpha={fitted.alpha:g},delta={fitted.delta:g},{fitted.method})"
        )

    def _details(self) -> dict[str, Any]:
        f = self.fitted
        return {
            "alpha": f.alpha,
            "delta": f.delta,
            "method": f.method,
            "certified": bool(f.certified_),
            "risk_bound": f.risk_bound_,
            "n_calibration": f.n_calibration_,
        }

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        threshold = self.fitted.threshold_
        finite = threshold if math.isfinite(threshold) else None
        details = self._details()
        if uncertainty.confidence < threshold:
            return Decision(
                action="escalate",
                reason="threshold",
                propensity=1.0,
                policy_id=self.policy_id,
                threshold=finite,
                details={**details, "confidence": uncertainty.confidence},
            )
        return audit_or_accept(
            item_id,
            audit_rate=self.audit_rate,
            seed=self.seed,
            policy_id=self.policy_id,
            threshold=finite,
            confidence=uncertainty.confidence,
            details=details,
        )


@dataclass(frozen=True)
class FitRecord:
    """One refit: when, on how many labels, and what it certified."""

    fitted_at: str
    n_labels: int
    n_used: int
    threshold: float | None
    certified: bool
    risk_bound: float
    coverage: float
    needed_reviews: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Label:
    item_id: str
    confidence: float
    correct: bool
    propensity: float


class ScheduledRecalibration:
    """Refits a :class:`RiskControlledThreshold` every ``every`` new labels and logs each fit.

    Labels come from the reviews: :meth:`observe` takes each reviewed item with the propensity of
    its review (1 for an item escalated by the threshold, ``audit_rate`` for an audit: the
    ``Decision.propensity`` the policy recorded). Escalated items are not a random sample of what
    the threshold accepts, so before each fit the labels are thinned to a uniform sample: an item
    of propensity ``p`` is kept with probability ``p_min / p`` (decided by a hash of its id), which
    gives every item the same inclusion probability ``p_min`` (Horvitz & Thompson, 1952). ``window``
    keeps only the latest labels, to follow drift. Until a fit certifies the target, everything
    is escalated. Each fit is appended to ``fits_``, logged, and passed to ``on_fit``.
    """

    def __init__(
        self,
        alpha: float,
        delta: float = 0.1,
        *,
        every: int = 100,
        window: int | None = None,
        method: Method = "auto",
        fwer: FWER = "holm",
        audit_rate: float = 0.05,
        seed: str = "",
        policy_id: str | None = None,
        on_fit: Callable[[FitRecord], None] | None = None,
    ) -> None:
        if every < 1:
            raise ValidationError("every must be >= 1", field="every", rule=">= 1")
        self.alpha = alpha
        self.delta = delta
        self.every = every
        self.window = window
        self.method: Method = method
        self.fwer: FWER = fwer
        self.audit_rate = _check_unit(audit_rate, "audit_rate")
        self.seed = seed
        self.policy_id = policy_id or f"recalibrated(alpha={alpha:g},delta={delta:g},{method})"
        self.on_fit = on_fit
        self.fits_: list[FitRecord] = []
        self._labels: list[_Label] = []
        self._since_fit = 0
        self._policy: CertifiedThresholdPolicy | None = None

    @property
    def threshold_(self) -> float:
        return self._policy.fitted.threshold_ if self._policy is not None else math.inf

    def observe(
        self, item_id: str, confidence: float, correct: bool, propensity: float = 1.0
    ) -> FitRecord | None:
        """Record one reviewed item; refit when ``every`` labels arrived since the last fit."""
        if not 0.0 < propensity <= 1.0:
            raise ValidationError(
                "propensity must lie in (0, 1]", field="propensity", rule="(0, 1]"
            )
        self._labels.append(_Label(item_id, float(confidence), bool(correct), float(propensity)))
        if self.window is not None and len(self._labels) > self.window:
            del self._labels[: len(self._labels) - self.window]
        self._since_fit += 1
        if self._since_fit >= self.every:
            return self.refit()
        return None

    def _uniform_sample(self) -> list[_Label]:
        keep = uniform_subsample([label.item_id for label in self._labels],
                                 [label.propensity for label in self._labels], self.seed)
        return [label for label, kept in zip(self._labels, keep, strict=True) if kept]

    def refit(self) -> FitRecord:
        """Fit now on the labels held, whatever the schedule."""
        sample = self._uniform_sample()
        estimator = RiskControlledThreshold(
            self.alpha,
            self.delta,
            method=self.method,
            fwer=self.fwer,
            on_uncertifiable="escalate_all",
        ).fit(
            np.array([label.confidence for label in sample], dtype=np.float64),
            np.array([label.correct for label in sample], dtype=bool),
        )
        self._policy = CertifiedThresholdPolicy(
            estimator, audit_rate=self.audit_rate, seed=self.seed, policy_id=self.policy_id
        )
        record = FitRecord(
            fitted_at=datetime.now(UTC).isoformat(),
            n_labels=len(self._labels),
            n_used=len(sample),
            threshold=estimator.threshold_ if math.isfinite(estimator.threshold_) else None,
            certified=bool(estimator.certified_),
            risk_bound=float(estimator.risk_bound_),
            coverage=float(estimator.coverage_),
            needed_reviews=estimator.needed_reviews_,
        )
        self.fits_.append(record)
        self._since_fit = 0
        logger.info("recalibrated %s: %s", self.policy_id, record.to_dict())
        if self.on_fit is not None:
            self.on_fit(record)
        return record

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        if self._policy is None:
            return Decision(
                action="escalate",
                reason="threshold",
                propensity=1.0,
                policy_id=self.policy_id,
                threshold=None,
                details={"certified": False, "labels": len(self._labels)},
            )
        return self._policy.decide(item_id, uncertainty, prediction)
