"""Thresholds with a finite-sample guarantee on the error of what is accepted automatically.

Given labelled calibration items (confidence, correct), choose ``τ`` so that the selective risk
``R(τ) = P(wrong | confidence ≥ τ)`` is at most ``alpha`` with probability at least ``1 - delta``
over the draw of the calibration set. Conditional on the number ``n_τ`` of calibration items at or
above ``τ``, their errors are ``Binomial(n_τ, R(τ))``; each candidate threshold is tested with an
exact binomial (Clopper–Pearson) bound and the search is corrected for multiplicity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import beta as beta_dist
from scipy.stats import binom

from hitl_agent._arrays import FloatArray, binary_vector, vector
from hitl_agent.errors import UncertifiableTarget, ValidationError
from hitl_agent.policy.certify import PROCEDURES, certify, min_accepted_for

__all__ = [
    "FWER", "Method", "NaiveThresholdNoGuarantee", "RiskControlledThreshold", "ThresholdTest",
    "UncertifiableTarget", "binomial_p_value", "clopper_pearson_upper", "default_grid",
    "learn_then_test", "min_accepted_for", "selective_guaranteed_risk",
]

Method = Literal["auto", "sgr", "holm", "fixed_sequence", "fallback", "ltt", "sgr_n"]
FWER = Literal["holm", "bonferroni", "fixed_sequence"]


def clopper_pearson_upper(errors: int, n: int, delta: float) -> float:
    """One-sided ``1 - delta`` upper confidence bound on a binomial rate (Clopper & Pearson, 1934).

    >>> clopper_pearson_upper(0, 230, 0.1) <= 0.01 < clopper_pearson_upper(0, 229, 0.1)
    True
    """
    if n <= 0 or errors >= n:
        return 1.0
    return float(beta_dist.ppf(1.0 - delta, errors + 1, n - errors))


def binomial_p_value(errors: int, n: int, alpha: float) -> float:
    """p-value of H₀ "risk > alpha" given ``errors`` in ``n``: ``P(Binomial(n, alpha) ≤ errors)``.

    The exact test Learn-then-Test uses for binary losses (Angelopoulos et al., 2021).
    """
    if n <= 0:
        return 1.0
    return float(binom.cdf(errors, n, alpha))


def _check_rate(value: float, field: str) -> float:
    if not (isinstance(value, int | float) and 0.0 < float(value) < 1.0):
        raise ValidationError(
            f"{field} is {value!r}: must lie in (0, 1)", field=field, rule="(0, 1)"
        )
    return float(value)


@dataclass(frozen=True)
class ThresholdTest:
    """One candidate threshold as tested: accepted count, errors, bound (or p-value), verdict."""

    threshold: float
    n_accepted: int
    errors: int
    statistic: float
    passed: bool


def _counts(conf: FloatArray, wrong: FloatArray, thresholds: FloatArray) -> tuple[
    FloatArray, FloatArray
]:
    """Accepted count and error count at each threshold (accept = confidence ≥ threshold)."""
    order = np.argsort(-conf, kind="stable")
    sorted_conf = conf[order]
    cum_wrong = np.concatenate([[0.0], np.cumsum(wrong[order])])
    # items with confidence >= t are the first n_t of the descending order
    n_t = np.searchsorted(-sorted_conf, -thresholds, side="right")
    return n_t.astype(np.float64), cum_wrong[n_t]


def selective_guaranteed_risk(
    confidences: ArrayLike, correct: ArrayLike, alpha: float, delta: float
) -> tuple[float | None, list[ThresholdTest]]:
    """SGR as published: binary search over the calibration confidences (Geifman & El-Yaniv,
    NeurIPS 2017).

    ``⌈log₂ n⌉`` thresholds are tested, each with a Clopper–Pearson bound at ``δ / ⌈log₂ n⌉``
    (a union bound over the search path). Returns the lowest threshold whose bound is at most
    ``alpha`` (``None`` if none), and the tests made. :class:`RiskControlledThreshold` with
    ``method="sgr"`` runs the same search over the score's distinct values instead (see
    :mod:`hitl_agent.policy.certify`), which pays for fewer steps on coarse scores.
    """
    conf = vector(confidences, "confidences")
    wrong = 1.0 - binary_vector(correct)
    candidates = np.unique(conf)[::-1]  # descending: index 0 = most conservative
    n = len(conf)
    steps = max(1, math.ceil(math.log2(max(n, 2))))
    level = delta / steps
    lo, hi = 0, len(candidates) - 1
    best: float | None = None
    tests: list[ThresholdTest] = []
    for _ in range(steps):
        if lo > hi:
            break
        mid = (lo + hi + 1) // 2
        t = candidates[mid]
        n_t, k_t = _counts(conf, wrong, np.array([t]))
        bound = clopper_pearson_upper(int(k_t[0]), int(n_t[0]), level)
        passed = bound <= alpha
        tests.append(ThresholdTest(float(t), int(n_t[0]), int(k_t[0]), bound, passed))
        if passed:
            best = float(t) if best is None else min(best, float(t))
            lo = mid + 1
        else:
            hi = mid - 1
    return best, tests


def default_grid() -> FloatArray:
    """A fixed, data-independent grid of thresholds on [0, 1], finer near 1."""
    coarse = np.linspace(0.0, 1.0, 201)
    fine = 1.0 - np.logspace(-6, -2, 41)
    return np.unique(np.concatenate([coarse, fine]))


def learn_then_test(
    confidences: ArrayLike,
    correct: ArrayLike,
    alpha: float,
    delta: float,
    *,
    grid: ArrayLike | None = None,
    fwer: FWER = "holm",
) -> tuple[float | None, list[ThresholdTest]]:
    """Learn-then-Test over a grid of thresholds (Angelopoulos, Bates, Candès, Jordan & Lei, 2021).

    Each grid point gets the exact binomial p-value of H₀ "R(τ) > α"; family-wise error is
    controlled at ``delta`` by Holm's step-down (Holm, 1979), Bonferroni, or fixed-sequence
    testing from the most conservative threshold down, stopping at the first non-rejection. The
    fixed sequence starts at the first threshold that accepts ``min_accepted_for(alpha, delta)``
    items (a choice that looks only at confidences, not labels), since earlier ones cannot pass.
    The grid must not be chosen from these labels: use :func:`default_grid` or a grid from
    another split. Returns the lowest certified threshold (``None`` if none) and the tests.
    """
    conf = vector(confidences, "confidences")
    wrong = 1.0 - binary_vector(correct)
    thresholds = np.unique(vector(default_grid() if grid is None else grid, "grid"))[::-1]
    n_t, k_t = _counts(conf, wrong, thresholds)
    p_values = np.where(n_t > 0, binom.cdf(k_t, np.maximum(n_t, 1), alpha), 1.0)
    passed = np.zeros(len(thresholds), dtype=bool)
    m = len(thresholds)
    if fwer == "bonferroni":
        passed = p_values <= delta / m
    elif fwer == "holm":
        for rank, i in enumerate(np.argsort(p_values, kind="stable")):
            if p_values[i] > delta / (m - rank):
                break
            passed[i] = True
    elif fwer == "fixed_sequence":
        n_min = min_accepted_for(alpha, delta)
        started = False
        for i in range(m):
            if not started and n_t[i] < n_min:
                continue
            started = True
            if p_values[i] > delta:
                break
            passed[i] = True
    else:
        raise ValidationError(
            f"unknown fwer {fwer!r}", field="fwer", rule="holm, bonferroni or fixed_sequence"
        )
    tests = [
        ThresholdTest(float(t), int(n), int(k), float(p), bool(ok))
        for t, n, k, p, ok in zip(thresholds, n_t, k_t, p_values, passed, strict=True)
    ]
    certified = thresholds[passed]
    return (float(certified.min()) if certified.size else None), tests


def _needed_reviews(
    conf: FloatArray, wrong: FloatArray, alpha: float, delta: float, steps_for: int
) -> int | None:
    """Estimated further labelled items needed to certify ``alpha``, at the error rates seen.

    For thresholds at 50 quantiles of the confidences, assume the accepted share and error rate
    stay as observed and find the smallest calibration size whose bound (with the method's
    multiplicity correction; ``steps_for=0`` means SGR's ⌈log₂ n⌉) falls to ``alpha``.
    """
    n = len(conf)
    thresholds = np.unique(np.quantile(conf, np.linspace(0.0, 1.0, 51)))
    n_t, k_t = _counts(conf, wrong, thresholds)
    best: float | None = None
    for n_acc, errors in zip(n_t, k_t, strict=True):
        rate = errors / n_acc if n_acc else 1.0
        if n_acc < min(10, n) or rate >= alpha:
            continue
        share = n_acc / n
        # start above what is at hand: the search already failed with it
        start = max(min_accepted_for(alpha, delta), math.ceil(n_acc * 1.1))
        accepted = np.unique(np.ceil(start * 1.05 ** np.arange(400)).astype(np.int64))
        total = accepted / share
        if steps_for == 0:
            steps = np.maximum(1, np.ceil(np.log2(np.maximum(total, 2))))
        else:
            steps = np.full(len(accepted), float(steps_for))
        k = np.floor(rate * accepted)
        bound = beta_dist.ppf(1.0 - delta / steps, k + 1, accepted - k)
        ok = np.flatnonzero(bound <= alpha)
        if ok.size:
            candidate = float(total[ok[0]])
            best = candidate if best is None else min(best, candidate)
    if best is None:
        return None
    return max(1, int(math.ceil(best - n)))


class RiskControlledThreshold:
    """Accept automatically when ``confidence ≥ threshold_``, where ``threshold_`` keeps the error
    rate of accepted items at most ``alpha`` with probability ≥ ``1 - delta``.

    ``method`` (see :mod:`hitl_agent.policy.certify`; all search the score's distinct values):

    - ``"auto"`` (default): ``"fallback"`` or ``"sgr"``, whichever is expected to accept the
      most, judged on pseudo-labels drawn from the confidences, never on the calibration labels;
    - ``"fallback"``: fixed-sequence testing with fallback from the most conservative value down,
      ``δ`` spread over the values where the accepted count doubles;
    - ``"sgr"``: selective guaranteed risk (Geifman & El-Yaniv, 2017), a binary search whose
      union bound is over ``⌈log₂(m + 1)⌉`` steps for ``m`` candidate values;
    - ``"holm"``: Holm's step-down over the ``m`` candidates;
    - ``"fixed_sequence"``: the candidates from the most conservative down at the full ``δ``;
    - ``"ltt"``: Learn-then-Test over a fixed ``grid`` with ``fwer`` control (Angelopoulos et al.,
      2021);
    - ``"sgr_n"``: SGR as published, its union bound over ``⌈log₂ n⌉`` steps (the default before
      the distinct-value search; kept for comparison).

    A target the data cannot certify is refused with :class:`UncertifiableTarget`, which
    says how many more reviews it needs; with ``on_uncertifiable="escalate_all"`` the fit
    succeeds instead with ``certified_ = False`` and ``threshold_ = inf`` (escalate everything).

    The guarantee holds for new items exchangeable with the calibration items: labels gathered
    with unequal chances must first be thinned to a uniform sample (see
    :class:`~hitl_agent.policy.recalibrate.ScheduledRecalibration`).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> conf = rng.uniform(size=2000)
    >>> correct = rng.uniform(size=2000) < 0.9 + 0.1 * conf
    >>> rct = RiskControlledThreshold(alpha=0.05, delta=0.1).fit(conf, correct)
    >>> bool(rct.certified_), bool(rct.risk_bound_ <= 0.05)
    (True, True)
    """

    def __init__(
        self,
        alpha: float,
        delta: float = 0.1,
        *,
        method: Method = "auto",
        fwer: FWER = "holm",
        grid: ArrayLike | None = None,
        on_uncertifiable: Literal["raise", "escalate_all"] = "raise",
    ) -> None:
        self.alpha = alpha
        self.delta = delta
        self.method = method
        self.fwer = fwer
        self.grid = grid
        self.on_uncertifiable = on_uncertifiable

    def fit(self, confidences: ArrayLike, correct: ArrayLike) -> RiskControlledThreshold:
        alpha = _check_rate(self.alpha, "alpha")
        delta = _check_rate(self.delta, "delta")
        conf = vector(confidences, "confidences")
        ok = binary_vector(correct)
        if conf.shape != ok.shape:
            raise ValidationError(
                "confidences and correct must have the same length",
                field="correct",
                rule="same length as confidences",
            )
        n = len(conf)
        n_min = min_accepted_for(alpha, delta)
        self.n_calibration_ = n
        self.minimum_total_ = n_min
        self.procedure_: str = self.method
        if n < n_min:
            return self._refuse(
                f"certifying alpha={alpha:g} at delta={delta:g} needs at least {n_min} reviewed "
                f"items that would be accepted, even with no errors among them (ln δ / ln(1−α)); "
                f"the calibration set has {n}: at least {n_min - n} more reviews are needed",
                needed=n_min - n,
            )
        level = delta
        if self.method in ("auto", *PROCEDURES):
            batch = certify(conf, 1.0 - ok, alpha, delta, self.method)  # type: ignore[arg-type]
            found = bool(np.isfinite(batch.threshold[0]))
            threshold: float | None = float(batch.threshold[0]) if found else None
            self.procedure_ = str(batch.procedure[0])
            self.candidates_ = int(batch.m[0])
            level = float(batch.level[0])
            steps_for = {"sgr": 0, "holm": max(1, self.candidates_), "fixed_sequence": 1,
                         "fallback": max(1, math.ceil(math.log2(max(n / n_min, 2))))}[
                self.procedure_
            ]
        elif self.method == "sgr_n":
            threshold, tests = selective_guaranteed_risk(conf, ok, alpha, delta)
            self.tests_ = tests
            steps_for = 0
            level = delta / max(1, math.ceil(math.log2(max(n, 2))))
        elif self.method == "ltt":
            threshold, tests = learn_then_test(
                conf, ok, alpha, delta, grid=self.grid, fwer=self.fwer
            )
            self.tests_ = tests
            steps_for = {"bonferroni": len(tests), "holm": len(tests), "fixed_sequence": 1}[
                self.fwer
            ]
            level = delta / len(tests) if self.fwer != "fixed_sequence" else delta
        else:
            raise ValidationError(
                f"unknown method {self.method!r}",
                field="method",
                rule="auto, sgr, holm, fixed_sequence, fallback, ltt or sgr_n",
            )
        if threshold is None:
            needed = _needed_reviews(conf, 1.0 - ok, alpha, delta, steps_for)
            if needed is None:
                advice = (
                    "no number of reviews will: the error rate of the model's most confident "
                    "answers is not below alpha; raise alpha or improve the model or its score"
                )
            else:
                advice = f"about {needed} more reviews are needed at the error rates seen so far"
            return self._refuse(
                f"the {n} calibration items cannot certify alpha={alpha:g} at delta={delta:g} "
                f"with {self.procedure_}: {advice}",
                needed=needed,
            )
        accept = conf >= threshold
        self.threshold_ = threshold
        self.certified_ = True
        self.n_accepted_ = int(accept.sum())
        self.n_errors_ = int((1.0 - ok)[accept].sum())
        self.coverage_ = float(accept.mean())
        self.empirical_risk_ = self.n_errors_ / max(self.n_accepted_, 1)
        self.risk_bound_ = clopper_pearson_upper(self.n_errors_, self.n_accepted_, level)
        self.needed_reviews_: int | None = 0
        return self

    def _refuse(self, message: str, *, needed: int | None) -> RiskControlledThreshold:
        if self.on_uncertifiable == "raise":
            raise UncertifiableTarget(
                message,
                needed_reviews=needed,
                minimum_total=self.minimum_total_,
                n_calibration=self.n_calibration_,
            )
        self.threshold_ = math.inf
        self.certified_ = False
        self.n_accepted_ = 0
        self.n_errors_ = 0
        self.coverage_ = 0.0
        self.empirical_risk_ = 0.0
        self.risk_bound_ = 1.0
        self.needed_reviews_ = needed
        self.refusal_ = message
        return self

    def predict(self, confidences: ArrayLike) -> np.ndarray:
        """Boolean accept mask, shape ``(n,)``: True where the item may be accepted."""
        if not hasattr(self, "threshold_"):
            raise ValidationError(
                "RiskControlledThreshold is not fitted: call fit() first",
                field="fit",
                rule="fitted",
            )
        return np.asarray(vector(confidences, "confidences") >= self.threshold_)


class NaiveThresholdNoGuarantee:
    """The lowest threshold whose *calibration* error among accepted items is at most ``alpha``.

    NO GUARANTEE: on new data this breaks its target in about half of random splits
    (measured in ``benchmarks/thresholds.py``). Kept as a baseline; use
    :class:`RiskControlledThreshold` to decide.
    """

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def fit(self, confidences: ArrayLike, correct: ArrayLike) -> NaiveThresholdNoGuarantee:
        alpha = _check_rate(self.alpha, "alpha")
        conf = vector(confidences, "confidences")
        wrong = 1.0 - binary_vector(correct)
        candidates = np.unique(conf)[::-1]
        n_t, k_t = _counts(conf, wrong, candidates)
        ok = k_t <= alpha * n_t
        self.threshold_ = float(candidates[ok].min()) if ok.any() else math.inf
        self.coverage_ = float((conf >= self.threshold_).mean())
        return self

    def predict(self, confidences: ArrayLike) -> np.ndarray:
        if not hasattr(self, "threshold_"):
            raise ValidationError(
                "NaiveThresholdNoGuarantee is not fitted: call fit() first",
                field="fit",
                rule="fitted",
            )
        return np.asarray(vector(confidences, "confidences") >= self.threshold_)
