"""Array checks shared by the scorer functions."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from hitl_agent._arrays import FloatArray, binary_vector, vector
from hitl_agent.errors import ValidationError

__all__ = ["Confidence", "FloatArray", "binary_vector", "normalise_rows", "probability_matrix",
           "unwrap", "vector"]

Confidence = float | FloatArray
"""A float for one item, or an array of shape ``(n,)`` for a batch."""


def probability_matrix(p: ArrayLike, field: str = "probabilities") -> tuple[FloatArray, bool]:
    """``p`` as an ``(n, k)`` float array, and whether the caller gave one item (1-D)."""
    arr = np.asarray(p, dtype=np.float64)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValidationError(
            f"{field} must be 1-D (k,) or 2-D (n, k) with k >= 1, got shape {arr.shape}",
            field=field,
            rule="shape (k,) or (n, k)",
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < -1e-9):
        raise ValidationError(
            f"{field} must be finite and non-negative", field=field, rule="finite, >= 0"
        )
    return np.clip(arr, 0.0, None), single


def normalise_rows(p: FloatArray) -> FloatArray:
    total = p.sum(axis=1, keepdims=True)
    safe = np.where(total > 0, total, 1.0)
    out: FloatArray = np.where(total > 0, p / safe, 1.0 / p.shape[1])
    return out


def unwrap(values: FloatArray, single: bool) -> Confidence:
    clipped = np.clip(values, 0.0, 1.0)
    if single:
        return float(clipped[0])
    return clipped
