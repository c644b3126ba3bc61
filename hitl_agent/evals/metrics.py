"""Figures of an evaluation: pure numpy functions over per-item arrays, then the summary of a run.

Conventions: ``confidence`` has shape ``(n,)`` in [0, 1], higher = more sure; ``correct`` is 0/1
of shape ``(n,)``. Error detection treats a *wrong* output as the positive class, scored by
``-confidence``. Ties in confidence count half (AUROC) or are broken in expectation (AURC).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hitl_agent.errors import InvalidArgumentError
from hitl_agent.policy.certify import certify
from hitl_agent.policy.risk import (
    clopper_pearson_upper,
    learn_then_test,
    selective_guaranteed_risk,
)
from hitl_agent.uncertainty.calibration import brier_score, expected_calibration_error

FloatArray = NDArray[np.float64]


def _pair(confidence: ArrayLike, correct: ArrayLike) -> tuple[FloatArray, FloatArray]:
    c = np.asarray(confidence, dtype=float).ravel()
    y = np.asarray(correct, dtype=float).ravel()
    if c.shape != y.shape:
        raise InvalidArgumentError(
            f"confidence ({c.size}) and correct ({y.size}) differ in length", field="correct")
    return c, y


def error_detection_auroc(confidence: ArrayLike, correct: ArrayLike) -> float:
    """P(a wrong output is less confident than a right one), ties counting half.

    NaN when all outputs are right or all wrong.

    >>> error_detection_auroc([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0])
    1.0
    """
    from scipy.stats import rankdata

    c, y = _pair(confidence, correct)
    n_right, n_wrong = int(y.sum()), int((1 - y).sum())
    if n_right == 0 or n_wrong == 0:
        return math.nan
    ranks = rankdata(c)  # average ranks for ties
    u = ranks[y == 1].sum() - n_right * (n_right + 1) / 2
    return float(u / (n_right * n_wrong))


def error_detection_auprc(confidence: ArrayLike, correct: ArrayLike) -> float:
    """Average precision of finding the wrong outputs by lowest confidence first.

    ``Σ_k (R_k − R_{k−1}) P_k`` over distinct confidence values (scikit-learn's definition).
    Its chance level is the error rate.

    >>> round(error_detection_auprc([0.1, 0.2, 0.9, 0.8], [0, 1, 1, 0]), 4)
    0.8333
    """
    c, y = _pair(confidence, correct)
    wrong = 1 - y
    total = wrong.sum()
    if total == 0:
        return math.nan
    order = np.argsort(c, kind="stable")
    sc, w = c[order], wrong[order]
    last = np.r_[np.flatnonzero(np.diff(sc)), len(sc) - 1]  # end of each tie group
    tp = np.cumsum(w)[last]
    flagged = last + 1
    precision = tp / flagged
    recall = tp / total
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def roc_curve(confidence: ArrayLike, correct: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """False- and true-positive rates of error detection as the escalation cut rises."""
    c, y = _pair(confidence, correct)
    wrong = 1 - y
    order = np.argsort(c, kind="stable")
    sc, w = c[order], wrong[order]
    last = np.r_[np.flatnonzero(np.diff(sc)), len(sc) - 1]
    tp = np.cumsum(w)[last]
    fp = (last + 1) - tp
    tpr = np.r_[0.0, tp / max(w.sum(), 1)]
    fpr = np.r_[0.0, fp / max((1 - w).sum(), 1)]
    return fpr, tpr


def risk_coverage_curve(confidence: ArrayLike, correct: ArrayLike) -> tuple[FloatArray,
                                                                            FloatArray]:
    """Coverage ``k/n`` and selective risk (error among the ``k`` most confident), k = 1..n.

    Within a group of equal confidences the errors are spread evenly (the expectation over
    random tie-breaking), so a constant score gives the random baseline.
    """
    c, y = _pair(confidence, correct)
    n = len(c)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(-c, kind="stable")
    sc, wrong = c[order], 1 - y[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sc)) + 1]
    ends = np.r_[starts[1:], n]
    cum = np.zeros(n)
    before = 0.0
    for s, e in zip(starts, ends, strict=True):
        group = wrong[s:e].sum()
        cum[s:e] = before + group * np.arange(1, e - s + 1) / (e - s)
        before += group
    k = np.arange(1, n + 1)
    return k / n, cum / k


def aurc(confidence: ArrayLike, correct: ArrayLike) -> float:
    """Area under the risk–coverage curve: mean selective risk over coverages 1/n … 1
    (Geifman, Uziel & El-Yaniv, 2019). Lower is better.

    >>> round(aurc([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1]), 4)
    0.1458
    """
    _, risk = risk_coverage_curve(confidence, correct)
    return float(risk.mean()) if risk.size else math.nan


def optimal_aurc(correct: ArrayLike) -> float:
    """AURC of the oracle that ranks every right output above every wrong one."""
    y = np.asarray(correct, dtype=float).ravel()
    n, right = len(y), int(y.sum())
    if n == 0:
        return math.nan
    k = np.arange(1, n + 1)
    return float((np.maximum(0, k - right) / k).mean())


def e_aurc(confidence: ArrayLike, correct: ArrayLike) -> float:
    """Excess AURC: AURC minus the oracle's; 0 is a perfect ranking."""
    return aurc(confidence, correct) - optimal_aurc(correct)


def reliability_bins(confidence: ArrayLike, correct: ArrayLike,
                     n_bins: int = 15) -> list[dict[str, float]]:
    """Equal-width bins (as in ECE): mean confidence, accuracy and count of each non-empty bin."""
    c, y = _pair(confidence, correct)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.searchsorted(edges, c, side="right") - 1, 0, n_bins - 1)
    out = []
    for b in range(n_bins):
        mask = idx == b
        if mask.any():
            out.append({"low": float(edges[b]), "high": float(edges[b + 1]),
                        "confidence": float(c[mask].mean()), "accuracy": float(y[mask].mean()),
                        "count": int(mask.sum())})
    return out


def score_metrics(confidence: ArrayLike, correct: ArrayLike, *, n_bins: int = 15) -> dict[str,
                                                                                         float]:
    """Discrimination and calibration of one score for the correctness of the outputs."""
    c, y = _pair(confidence, correct)
    if c.size == 0:
        return {"n": 0}
    return {
        "n": int(c.size),
        "error_rate": float(1 - y.mean()),
        "auroc": error_detection_auroc(c, y),
        "auprc": error_detection_auprc(c, y),
        "aurc": aurc(c, y),
        "e_aurc": e_aurc(c, y),
        "ece": expected_calibration_error(c, y, n_bins=n_bins),
        "brier": brier_score(c, y),
        "mean_confidence": float(c.mean()),
    }


# -- bootstrap ---------------------------------------------------------------------------------


def bootstrap(
    statistic: Callable[[NDArray[np.int64]], FloatArray],
    n: int,
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of ``statistic(indices)``, which maps a ``(B, n)`` matrix of resampled
    item indices to ``B`` values (vectorised). NaN values (an empty denominator) are dropped."""
    if resamples <= 0 or n == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    values = np.asarray(statistic(idx), dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan
    tail = (1 - level) / 2
    return float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1e-300), np.nan)


def policy_metrics(
    accepted: ArrayLike,
    correct: ArrayLike,
    final_correct: ArrayLike,
    reviews: ArrayLike,
    *,
    cost_per_review: float,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Automation, accepted error, final accuracy, reviews, cost and missed-error share, each
    ``{"value", "low", "high"}`` with a bootstrap interval over items."""
    a = np.asarray(accepted, dtype=float)
    ok = np.asarray(correct, dtype=float)
    fin = np.asarray(final_correct, dtype=float)
    rev = np.asarray(reviews, dtype=float)
    n = len(a)
    acc_wrong = a * (1 - ok)
    stats: dict[str, Callable[[Any], Any]] = {
        "automation": lambda i: a[i].mean(axis=-1),
        "accepted_error": lambda i: _ratio(acc_wrong[i].sum(axis=-1), a[i].sum(axis=-1)),
        "final_accuracy": lambda i: fin[i].mean(axis=-1),
        "model_accuracy": lambda i: ok[i].mean(axis=-1),
        "reviews_per_100": lambda i: 100 * (rev[i] > 0).mean(axis=-1),
        "answers": lambda i: rev[i].sum(axis=-1),
        "cost": lambda i: cost_per_review * rev[i].sum(axis=-1),
        "missed_error_share": lambda i: _ratio(acc_wrong[i].sum(axis=-1),
                                               (1 - ok[i]).sum(axis=-1)),
    }
    out: dict[str, Any] = {"n": n}
    everything = np.arange(n)[None, :]
    for k, (name, fn) in enumerate(stats.items()):
        value = float(np.asarray(fn(everything))[0]) if n else math.nan
        low, high = bootstrap(fn, n, resamples=resamples, level=level, seed=seed + k)
        out[name] = {"value": value, "low": low, "high": high}
    n_acc, n_err = int(a.sum()), int(acc_wrong.sum())
    out["accepted"] = n_acc
    out["escalated"] = int(n - n_acc)
    out["accepted_errors"] = n_err
    out["accepted_error_upper_cp"] = clopper_pearson_upper(n_err, n_acc, 1 - level)
    return out


# -- guarantees, learning curves ---------------------------------------------------------------


def calibration_resampling(
    confidence: ArrayLike,
    correct: ArrayLike,
    *,
    alpha: float,
    delta: float,
    n_calibration: int,
    method: str = "auto",
    resamples: int = 200,
    seed: int = 0,
    min_test: int = 200,
) -> dict[str, Any]:
    """Fit the certified threshold on ``resamples`` random calibration sets of ``n_calibration``
    items from the pool, and measure the error among accepted items of the rest (at least
    ``min_test`` of them, else nothing is measured).

    ``violation_rate`` is the share of certified fits whose realised error exceeds ``alpha``;
    the guarantee says it is at most ``delta``.
    """
    c, y = _pair(confidence, correct)
    n = len(c)
    if resamples <= 0:
        return {"resamples": 0}
    if n - n_calibration < min_test:
        # the realised error of a handful of test items would be noise, not a check
        return {"resamples": 0, "pool": n, "n_calibration": n_calibration,
                "skipped": f"{n - n_calibration} items left for testing, fewer than {min_test}"}
    rng = np.random.default_rng(seed)
    perms = np.array([rng.permutation(n) for _ in range(resamples)])
    cal, test = perms[:, :n_calibration], perms[:, n_calibration:]
    if method in ("ltt", "sgr_n"):
        search = learn_then_test if method == "ltt" else selective_guaranteed_risk
        found = [search(c[k], y[k], alpha, delta)[0] for k in cal]
        thresholds = np.array([np.inf if t is None else t for t in found])
    else:
        # the batch search RiskControlledThreshold runs, all resamples at once
        thresholds = certify(c[cal], 1.0 - y[cal], alpha, delta, method).threshold  # type: ignore[arg-type]
    realised, coverage = [], []
    certified = int(np.isfinite(thresholds).sum())
    for t, k in zip(thresholds, test, strict=True):
        if not np.isfinite(t):
            continue
        accept = c[k] >= t
        coverage.append(float(accept.mean()))
        if accept.any():
            realised.append(float(1 - y[k][accept].mean()))
    r = np.asarray(realised)
    return {
        "resamples": resamples,
        "n_calibration": n_calibration,
        "pool": n,
        "certified_share": certified / resamples,
        "violation_rate": float((r > alpha).mean()) if r.size else math.nan,
        "mean_realised_error": float(r.mean()) if r.size else math.nan,
        "p90_realised_error": float(np.quantile(r, 0.9)) if r.size else math.nan,
        "mean_coverage": float(np.mean(coverage)) if coverage else 0.0,
    }


def learning_curve(
    escalated: ArrayLike,
    correct: ArrayLike,
    final_correct: ArrayLike,
    *,
    window: int,
    offset: int = 0,
) -> list[dict[str, float]]:
    """Per window of ``window`` consecutive stream items: reviews per 100 items, the model's
    error, the final error, and the error among accepted items with its 95% Clopper–Pearson
    upper bound (a last partial window shorter than half is merged back). ``offset`` is the
    stream position of the first item given (for the windows' ``start``/``end``)."""
    e = np.asarray(escalated, dtype=float)
    ok = np.asarray(correct, dtype=float)
    fin = np.asarray(final_correct, dtype=float)
    n = len(e)
    starts = list(range(0, n, window))
    if len(starts) > 1 and n - starts[-1] < window / 2:
        starts.pop()
    out = []
    for k, s in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else n
        sl = slice(s, stop)
        accepted = e[sl] == 0
        n_acc, n_err = int(accepted.sum()), int((1 - ok[sl])[accepted].sum())
        out.append({"start": s + offset, "end": stop + offset,
                    "reviews_per_100": float(100 * e[sl].mean()),
                    "model_error": float(1 - ok[sl].mean()),
                    "final_error": float(1 - fin[sl].mean()),
                    "accepted": n_acc,
                    "accepted_error": n_err / n_acc if n_acc else math.nan,
                    "accepted_error_upper_cp": clopper_pearson_upper(n_err, n_acc, 0.05)})
    return out


def downsample(x: FloatArray, y: FloatArray, points: int = 200) -> tuple[list[float],
                                                                         list[float]]:
    if len(x) <= points:
        return [float(v) for v in x], [float(v) for v in y]
    idx = np.unique(np.linspace(0, len(x) - 1, points).round().astype(int))
    return [float(v) for v in x[idx]], [float(v) for v in y[idx]]
