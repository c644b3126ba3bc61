"""Certified thresholds over the score's distinct values, many calibration sets at once.

The accepted set of ``confidence ≥ τ`` only changes at values the score takes, so the candidate
thresholds are the calibration set's distinct confidences at which at least
``min_accepted_for(alpha, delta)`` items are accepted (fewer cannot pass, whatever the labels).
That list depends on the confidences alone, never on the labels, and its length ``m`` is the
multiplicity each procedure pays for:

- ``"sgr"``: binary search over the ``m`` candidates, each test at ``δ / ⌈log₂(m + 1)⌉``
  (Geifman & El-Yaniv, 2017, with the union bound over the distinct values instead of over the
  ``n`` items: a score with 21 values pays for 5 steps, not ⌈log₂ 250⌉ = 8);
- ``"holm"``: Holm's step-down over the ``m`` candidates (Learn-then-Test, Angelopoulos et al.,
  2021, on the score's own grid instead of a fixed grid of hundreds of points);
- ``"fixed_sequence"``: the candidates from the most conservative down, each at the full ``δ``,
  stopping at the first that fails; the order is fixed by the confidences, so no correction is due
  (Bauer, 1991). Strongest on coarse scores, fragile when the first tests have few items;
- ``"fallback"``: the same order with the fallback procedure (Wiens, 2003): ``δ`` is split over
  the candidates where the accepted count doubles, and a passed test hands its level on, so one
  unlucky early test does not end the sequence. The most robust of the four in
  ``tests/policy/test_policy_certify.py``;
- ``"auto"`` (:data:`AUTO_CHOICES`): ``"fallback"`` or ``"sgr"``, whichever accepts more on
  pseudo-labels drawn from the confidences themselves (``wrong ~ Bernoulli(1 − confidence)``,
  a fixed seed). The choice never sees the calibration labels, so the chosen procedure keeps its
  guarantee. (Plain fixed sequence is left out: pseudo-labels from an overconfident score make
  it look stronger than it is.)

Every test is the exact binomial test of H₀ "R(τ) > α": conditional on the ``n_τ`` accepted
items, their errors are ``Binomial(n_τ, R(τ))``; ``P(Binomial(n_τ, α) ≤ k_τ) ≤ level`` is the same
as a Clopper–Pearson upper bound at ``level`` being at most ``α``.

The functions take ``(B, n)`` arrays: ``B`` calibration sets certified at once (the tests in
``tests/policy`` draw thousands; :class:`~hitl_agent.policy.risk.RiskControlledThreshold` passes
one).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.stats import binom

Procedure = Literal["sgr", "holm", "fixed_sequence", "fallback"]
Choice = Literal["sgr", "holm", "fixed_sequence", "fallback", "auto"]
PROCEDURES: tuple[Procedure, ...] = ("sgr", "holm", "fixed_sequence", "fallback")
AUTO_CHOICES: tuple[Procedure, ...] = ("fallback", "sgr")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def min_accepted_for(alpha: float, delta: float) -> int:
    """Fewest accepted calibration items that can certify ``alpha`` at ``delta``: even with zero
    errors, ``(1 − α)^n ≤ δ`` needs ``n ≥ ln δ / ln(1 − α)``.

    >>> min_accepted_for(0.01, 0.1)
    230
    >>> min_accepted_for(0.02, 0.1)
    114
    """
    return int(math.ceil(math.log(delta) / math.log1p(-alpha) - 1e-9))


_TABLE_MAX = 3000
"""Largest calibration set whose binomial p-values come from a lookup table (≤ 72 MB)."""


@functools.lru_cache(maxsize=4)
def _cdf_table(n_max: int, alpha: float) -> FloatArray:
    """``table[n, k] = P(Binomial(n, α) ≤ k)`` for ``0 ≤ k ≤ n ≤ n_max`` (one scipy call, then
    every p-value of every calibration set is a lookup)."""
    n = np.arange(n_max + 1)[:, None]
    k = np.arange(n_max + 1)[None, :]
    table = np.asarray(binom.cdf(np.minimum(k, n), n, alpha), dtype=np.float64)
    table.setflags(write=False)
    return table


@dataclass(frozen=True)
class Candidates:
    """The label-free part of a certification: each row's confidences sorted high to low, and the
    positions (in that order) where a candidate threshold ends.

    ``positions[b, j]`` is the index, in row ``b``'s descending order, of the last item accepted by
    its ``j``-th candidate (``j = 0`` most conservative); only the first ``m[b]`` are valid.
    """

    order: IntArray
    sorted_conf: FloatArray
    positions: IntArray
    m: IntArray
    n: int

    @classmethod
    def of(cls, confidences: FloatArray, n_min: int) -> Candidates:
        conf = np.atleast_2d(np.asarray(confidences, dtype=np.float64))
        b, n = conf.shape
        order = np.argsort(-conf, axis=1, kind="stable")
        sc = np.take_along_axis(conf, order, axis=1)
        last_of_value = np.ones((b, n), dtype=bool)
        last_of_value[:, :-1] = sc[:, :-1] != sc[:, 1:]
        eligible = last_of_value & (np.arange(1, n + 1)[None, :] >= n_min)
        m = eligible.sum(axis=1).astype(np.int64)
        # eligible positions first, in ascending position (stable sort of the complement)
        positions = np.argsort(~eligible, axis=1, kind="stable").astype(np.int64)
        positions = positions[:, : max(int(m.max(initial=0)), 1)]
        return cls(order, sc, positions, m, n)

    def p_values(self, wrong: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
        """Per candidate: errors ``k`` and the p-value ``P(Binomial(n_τ, α) ≤ k)``; shape of
        ``positions`` (entries past ``m`` are meaningless)."""
        w = np.take_along_axis(np.atleast_2d(wrong), self.order, axis=1)
        k = np.take_along_axis(np.cumsum(w, axis=1), self.positions, axis=1)
        if self.n > _TABLE_MAX:  # the table would take n² floats: compute these directly
            return k, np.asarray(binom.cdf(k, self.positions + 1, alpha), dtype=np.float64)
        table = _cdf_table(self.n, alpha)
        return k, table[self.positions + 1, k.astype(np.int64)]


@dataclass(frozen=True)
class Certified:
    """Per calibration set: the candidate index chosen (``-1`` when none is certified), and the
    level its test was made at (for the reported bound)."""

    index: IntArray
    level: FloatArray


def _sgr(p: FloatArray, m: IntArray, delta: float) -> Certified:
    steps = np.maximum(1, np.ceil(np.log2(m + 1))).astype(np.int64)
    level = delta / steps
    rows = np.arange(len(m))
    lo, hi = np.zeros(len(m), dtype=np.int64), m - 1
    best = np.full(len(m), -1, dtype=np.int64)
    for _ in range(int(steps.max(initial=1))):
        active = lo <= hi
        if not active.any():
            break
        mid = np.where(active, (lo + hi + 1) // 2, 0)
        passed = active & (p[rows, np.minimum(mid, p.shape[1] - 1)] <= level)
        best = np.where(passed, np.maximum(best, mid), best)
        lo = np.where(passed, mid + 1, lo)
        hi = np.where(active & ~passed, mid - 1, hi)
    return Certified(best, level)


def _holm(p: FloatArray, m: IntArray, delta: float) -> Certified:
    width = p.shape[1]
    valid = np.arange(width)[None, :] < m[:, None]
    ps = np.where(valid, p, np.inf)
    ranked = np.sort(ps, axis=1)
    allowed = delta / np.maximum(m[:, None] - np.arange(width)[None, :], 1)
    fails = ~(ranked <= allowed)
    first_fail = np.where(fails.any(axis=1), fails.argmax(axis=1), width)
    rows = np.arange(len(m))
    # rejected: the first_fail smallest p-values, i.e. those at most the last one that passed
    cut = np.where(first_fail > 0, ranked[rows, np.maximum(first_fail - 1, 0)], -np.inf)
    rejected = valid & (ps <= cut[:, None])
    best = np.where(rejected.any(axis=1), width - 1 - np.argmax(rejected[:, ::-1], axis=1), -1)
    # the least favourable level among those passed, for a bound that covers the chosen one
    return Certified(best.astype(np.int64), delta / np.maximum(m, 1))


def _fixed_sequence(p: FloatArray, m: IntArray, delta: float) -> Certified:
    width = p.shape[1]
    valid = np.arange(width)[None, :] < m[:, None]
    fails = valid & (p > delta)
    first_fail = np.where(fails.any(axis=1), fails.argmax(axis=1), m)
    return Certified((first_fail - 1).astype(np.int64), np.full(len(m), delta))


def _fallback(p: FloatArray, m: IntArray, delta: float, n_acc: IntArray) -> Certified:
    """Fixed sequence with fallback (Wiens, 2003) from the most conservative candidate down.

    ``δ`` is split evenly over the "milestones": the candidates where the accepted count first
    reaches ``n_min · 2^i`` (so a coarse score spreads it over nearly every value, a fine one
    over ``log₂(n / n_min)`` points); a rejected hypothesis passes its whole level on to the next
    candidate, so one early failure does not end the sequence. Order and weights depend on the
    confidences only; the procedure controls the family-wise error at ``δ``.
    """
    width = p.shape[1]
    valid = np.arange(width)[None, :] < m[:, None]
    first = n_acc[:, :1]
    octave = np.floor(np.log2(np.maximum(n_acc / np.maximum(first, 1), 1.0))).astype(np.int64)
    milestone = valid & np.concatenate(
        [np.ones((len(m), 1), dtype=bool), octave[:, 1:] > octave[:, :-1]], axis=1)
    share = delta / np.maximum(milestone.sum(axis=1), 1)
    segment = np.cumsum(milestone, axis=1) - 1
    columns = np.arange(width)[None, :]
    carried = np.zeros(len(m))
    best = np.full(len(m), -1, dtype=np.int64)
    level_at = np.zeros(len(m))
    # between two milestones the level is constant, so each stretch is a plain fixed sequence
    for t in range(int(segment.max(initial=0)) + 1):
        inside = valid & (segment == t)
        if not inside.any():
            break
        level = share + carried
        failed = inside & (p > level[:, None])
        first_fail = np.where(failed.any(axis=1), failed.argmax(axis=1), width)
        passed = inside & (columns < first_fail[:, None])
        last = np.where(passed.any(axis=1), width - 1 - np.argmax(passed[:, ::-1], axis=1), -1)
        best = np.where(last >= 0, last, best)
        level_at = np.where(last >= 0, level, level_at)
        carried = np.where(inside.any(axis=1) & ~failed.any(axis=1), level, 0.0)
    return Certified(best, level_at)


def run_procedure(procedure: Procedure, p: FloatArray, m: IntArray, delta: float,
                  n_acc: IntArray) -> Certified:
    """Run one procedure on candidate p-values ``p`` (``m`` valid per row; ``n_acc`` accepted
    counts, which only the fallback's weights read)."""
    if procedure == "sgr":
        return _sgr(p, m, delta)
    if procedure == "holm":
        return _holm(p, m, delta)
    if procedure == "fixed_sequence":
        return _fixed_sequence(p, m, delta)
    return _fallback(p, m, delta, n_acc)


def choose_procedure(
    cands: Candidates, confidences: FloatArray, alpha: float, delta: float, *,
    draws: int = 8, seed: int = 0, choices: tuple[Procedure, ...] | None = None,
) -> NDArray[np.str_]:
    """Per row, the procedure that accepts the most on pseudo-labels drawn from the confidences
    (clipped to [0, 1] and read as P(correct)); ties go to the earlier of :data:`PROCEDURES`.
    Uses no calibration label."""
    choices = AUTO_CHOICES if choices is None else choices
    conf = np.clip(np.atleast_2d(confidences), 0.0, 1.0)
    rng = np.random.default_rng(seed)
    accepted = np.zeros((len(choices), conf.shape[0]))
    for _ in range(draws):
        wrong = (rng.random(conf.shape) >= conf).astype(np.float64)
        _, p = cands.p_values(wrong, alpha)
        for j, name in enumerate(choices):
            chosen = run_procedure(name, p, cands.m, delta, cands.positions + 1).index
            n_acc = np.take_along_axis(cands.positions, np.maximum(chosen, 0)[:, None], 1)[:, 0]
            accepted[j] += np.where(chosen >= 0, n_acc + 1, 0)
    return np.asarray(choices)[np.argmax(accepted, axis=0)]


@dataclass(frozen=True)
class BatchResult:
    """Per calibration set: threshold (``inf`` when nothing is certified), accepted count, errors
    among them, the level of the deciding test, the procedure used and the candidate count."""

    threshold: FloatArray
    n_accepted: IntArray
    errors: IntArray
    level: FloatArray
    procedure: NDArray[np.str_]
    m: IntArray


def certify(
    confidences: FloatArray, wrong: FloatArray, alpha: float, delta: float,
    method: Choice = "auto", *, draws: int = 8,
) -> BatchResult:
    """Certify each row of ``confidences`` / ``wrong`` (shape ``(B, n)`` or ``(n,)``)."""
    conf = np.atleast_2d(np.asarray(confidences, dtype=np.float64))
    bad = np.atleast_2d(np.asarray(wrong, dtype=np.float64))
    cands = Candidates.of(conf, min_accepted_for(alpha, delta))
    k, p = cands.p_values(bad, alpha)
    if method == "auto":
        chosen_names = choose_procedure(cands, conf, alpha, delta, draws=draws)
    else:
        chosen_names = np.full(conf.shape[0], method)
    index = np.full(conf.shape[0], -1, dtype=np.int64)
    level = np.zeros(conf.shape[0])
    for name in PROCEDURES:
        rows = chosen_names == name
        if rows.any():
            got = run_procedure(name, p[rows], cands.m[rows], delta, cands.positions[rows] + 1)
            index[rows], level[rows] = got.index, got.level
    safe = np.maximum(index, 0)[:, None]
    pos = np.take_along_axis(cands.positions, safe, 1)[:, 0]
    ok = index >= 0
    threshold = np.where(ok, np.take_along_axis(cands.sorted_conf, pos[:, None], 1)[:, 0],
                         np.inf)
    errors = np.where(ok, np.take_along_axis(k, safe, 1)[:, 0], 0).astype(np.int64)
    return BatchResult(threshold, np.where(ok, pos + 1, 0).astype(np.int64), errors, level,
                       chosen_names, cands.m)
