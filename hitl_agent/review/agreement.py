"""How much reviewers agree: Fleiss' kappa and Krippendorff's alpha over answers given as a table
(``answer_table.py``: three parallel sequences, or one table with task, worker, label columns)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any, Literal

import numpy as np

from hitl_agent.errors import ValidationError
from hitl_agent.review.answer_table import (
    AnswerTable,
    FloatArray,
    Label,
    encode_answers,
    vote_counts,
)


def _units(
    tasks: Any, workers: Sequence[Hashable] | None, labels: Sequence[Label] | None
) -> tuple[AnswerTable, FloatArray]:
    enc = encode_answers(tasks, workers, labels)
    return enc, vote_counts(enc)


def fleiss_kappa(
    tasks: Any,
    workers: Sequence[Hashable] | None = None,
    labels: Sequence[Label] | None = None,
) -> float:
    """Fleiss' kappa (Fleiss, 1971) over tasks with two or more answers.

    With a varying number of answers per task, each task's agreement uses its own count (the
    usual generalisation); with a fixed count it is Fleiss' original statistic.

    >>> rows = [("t1", "a"), ("t1", "a"), ("t2", "b"), ("t2", "b")]
    >>> fleiss_kappa([t for t, _ in rows], ["w1", "w2", "w1", "w2"], [y for _, y in rows])
    1.0
    """
    _, counts = _units(tasks, workers, labels)
    n_i = counts.sum(axis=1)
    keep = n_i >= 2
    counts, n_i = counts[keep], n_i[keep]
    if counts.size == 0:
        raise ValidationError(
            "no task has two or more answers", field="tasks", rule="a task with >= 2 answers"
        )
    p_i = (counts * (counts - 1)).sum(axis=1) / (n_i * (n_i - 1))
    p_j = counts.sum(axis=0) / n_i.sum()
    p_bar, p_e = float(p_i.mean()), float((p_j**2).sum())
    if math.isclose(p_e, 1.0):
        return 1.0
    return (p_bar - p_e) / (1 - p_e)


def krippendorff_alpha(
    tasks: Any,
    workers: Sequence[Hashable] | None = None,
    labels: Sequence[Label] | None = None,
    *,
    level: Literal["nominal", "interval"] = "nominal",
) -> float:
    """Krippendorff's alpha, ``1 − D_o / D_e``, from the coincidence matrix (Krippendorff, 2011).

    Tasks with fewer than two answers carry no information and are left out; missing answers
    are allowed. ``level="interval"`` uses squared differences of numeric labels.
    """
    enc, counts = _units(tasks, workers, labels)
    m_u = counts.sum(axis=1)
    counts = counts[m_u >= 2]
    m_u = m_u[m_u >= 2]
    if counts.size == 0:
        raise ValidationError(
            "no task has two or more answers", field="tasks", rule="a task with >= 2 answers"
        )
    # o[c, k] = Σ_u n_uc (n_uk − [c = k]) / (m_u − 1)
    coincidence = np.einsum("uc,uk->ck", counts / (m_u - 1)[:, None], counts)
    coincidence -= np.diag((counts / (m_u - 1)[:, None]).sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    if level == "nominal":
        distance = 1.0 - np.eye(len(enc.labels))
    elif level == "interval":
        try:
            values = np.array([float(v) for v in enc.labels])  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                "interval alpha needs numeric labels", field="labels", rule="numeric"
            ) from exc
        distance = (values[:, None] - values[None, :]) ** 2
    else:
        raise ValidationError(f"unknown level {level!r}", field="level", rule="nominal or interval")
    observed = float((coincidence * distance).sum() / n)
    expected = float((np.outer(n_c, n_c) * distance).sum() / (n * (n - 1)))
    if expected == 0.0:
        return 1.0
    return 1.0 - observed / expected
