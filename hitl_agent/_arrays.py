"""Array checks shared by the scorers (:mod:`hitl_agent.uncertainty`) and the policies
(:mod:`hitl_agent.policy`): finite float vectors and 0/1 labels, refused with a
:class:`~hitl_agent.errors.ValidationError` naming the field."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hitl_agent.errors import ValidationError

FloatArray = NDArray[np.float64]


def vector(x: ArrayLike, field: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{field} must be finite", field=field, rule="finite")
    return arr


def binary_vector(y: Any, field: str = "correct") -> FloatArray:
    arr = np.asarray(y).reshape(-1)
    as_float = arr.astype(np.float64)
    if not np.all((as_float == 0) | (as_float == 1)):
        raise ValidationError(f"{field} must hold 0/1 or booleans", field=field, rule="binary")
    return as_float
