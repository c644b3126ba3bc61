"""Confidence from a classifier's class probabilities (one item ``(k,)`` or a batch ``(n, k)``).

Rows are renormalised to sum to 1. Each function returns a float for a 1-D input and an array of
shape ``(n,)`` for a 2-D input; higher means more sure.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from hitl_agent.errors import ValidationError
from hitl_agent.uncertainty._arrays import (
    Confidence,
    FloatArray,
    normalise_rows,
    probability_matrix,
    unwrap,
)


def max_probability(p: ArrayLike) -> Confidence:
    """Maximum softmax probability (Hendrycks & Gimpel, ICLR 2017).

    >>> round(max_probability([0.7, 0.2, 0.1]), 6)
    0.7
    """
    if isinstance(p, list | tuple) and 0 < len(p) < _SMALL and all(
            type(x) is float or type(x) is int for x in p):
        return _max_probability_small(p)
    arr, single = probability_matrix(p)
    return unwrap(normalise_rows(arr).max(axis=1), single)


_SMALL = 8
"""Below this many classes numpy sums a row left to right, as plain Python does: the same
float, without numpy's per-call overhead (about 20 us of a 2-class item's scoring)."""


def _max_probability_small(p: list[float] | tuple[float, ...]) -> float:
    """:func:`max_probability` of one short row in plain Python, by the same rules."""
    if not all(math.isfinite(x) and x >= -1e-9 for x in p):
        raise ValidationError("probabilities must be finite and non-negative",
                              field="probabilities", rule="finite, >= 0")
    row = [x if x > 0.0 else 0.0 for x in p]
    total = 0.0
    for x in row:
        total += x
    top = max(row) / total if total > 0 else 1.0 / len(row)
    return min(max(top, 0.0), 1.0)


def margin(p: ArrayLike) -> Confidence:
    """Gap between the two largest probabilities, ``p(1) - p(2)`` (Scheffer et al., 2001).

    One class gives 1.0.

    >>> round(margin([0.7, 0.2, 0.1]), 6)
    0.5
    """
    arr, single = probability_matrix(p)
    probs = normalise_rows(arr)
    if probs.shape[1] == 1:
        return unwrap(np.ones(probs.shape[0]), single)
    top2 = np.sort(probs, axis=1)[:, -2:]
    return unwrap(top2[:, 1] - top2[:, 0], single)


def _entropy(probs: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, -probs * np.log(probs), 0.0)
    out: FloatArray = terms.sum(axis=-1)
    return out


def entropy_confidence(p: ArrayLike) -> Confidence:
    """``1 - H(p) / ln k``: 1 for a one-hot distribution, 0 for the uniform one (Shannon, 1948).

    >>> entropy_confidence([0.25, 0.25, 0.25, 0.25])
    0.0
    >>> entropy_confidence([1.0, 0.0])
    1.0
    """
    arr, single = probability_matrix(p)
    probs = normalise_rows(arr)
    k = probs.shape[1]
    if k == 1:
        return unwrap(np.ones(probs.shape[0]), single)
    return unwrap(1.0 - _entropy(probs) / np.log(k), single)


def ensemble_disagreement(member_probabilities: ArrayLike) -> Confidence:
    """``1 - MI / ln k`` for an ensemble: the epistemic part of its predictive entropy.

    ``member_probabilities`` has shape ``(m, k)`` (m members, one item) or ``(m, n, k)``.
    MI = H(mean_m p_m) - mean_m H(p_m), the mutual information between the prediction and the
    member (BALD: Houlsby et al., 2011; Lakshminarayanan et al., NeurIPS 2017 for deep ensembles).
    Members that agree give 1, members that are each sure of a different class give near 0.

    >>> ensemble_disagreement([[0.9, 0.1], [0.9, 0.1]])
    1.0
    >>> round(ensemble_disagreement([[1.0, 0.0], [0.0, 1.0]]), 6)
    0.0
    """
    arr = np.asarray(member_probabilities, dtype=np.float64)
    single = arr.ndim == 2
    if single:
        arr = arr[:, None, :]
    if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[2] < 1:
        raise ValidationError(
            f"member_probabilities must have shape (m, k) or (m, n, k), got {arr.shape}",
            field="member_probabilities",
            rule="shape (m, k) or (m, n, k)",
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < -1e-9):
        raise ValidationError(
            "member_probabilities must be finite and non-negative",
            field="member_probabilities",
            rule="finite, >= 0",
        )
    m, n, k = arr.shape
    probs = normalise_rows(np.clip(arr, 0.0, None).reshape(m * n, k)).reshape(m, n, k)
    if k == 1:
        return unwrap(np.ones(n), single)
    total = _entropy(probs.mean(axis=0))
    aleatoric = _entropy(probs).mean(axis=0)
    mutual_information = np.clip(total - aleatoric, 0.0, None)
    return unwrap(1.0 - mutual_information / np.log(k), single)
