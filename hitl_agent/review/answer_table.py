"""Answers as a table: three parallel sequences (or one DataFrame-like object with ``task``,
``worker`` and ``label`` columns), checked and encoded as integer indices for the aggregators
(``aggregate.py``) and the agreement measures (``agreement.py``)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hitl_agent.errors import ValidationError

Label = Hashable
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AnswerTable:
    tasks: list[Hashable]
    workers: list[Hashable]
    labels: list[Label]
    t: NDArray[np.int64]
    w: NDArray[np.int64]
    y: NDArray[np.int64]


def answer_columns(
    tasks: Any, workers: Sequence[Hashable] | None, labels: Sequence[Label] | None
) -> tuple[list[Hashable], list[Hashable], list[Label]]:
    if workers is None and labels is None:
        try:
            t, w, y = tasks["task"], tasks["worker"], tasks["label"]
        except (KeyError, TypeError, IndexError) as exc:
            raise ValidationError(
                "give tasks, workers and labels, or one table with task, worker, label columns",
                field="tasks",
                rule="columns task, worker, label",
            ) from exc
        return list(t), list(w), list(y)
    if workers is None or labels is None:
        raise ValidationError(
            "give tasks, workers and labels together", field="labels", rule="three sequences"
        )
    t, w, y = list(tasks), list(workers), list(labels)
    if not (len(t) == len(w) == len(y)):
        raise ValidationError(
            f"tasks ({len(t)}), workers ({len(w)}) and labels ({len(y)}) differ in length",
            field="labels",
            rule="parallel sequences of one length",
        )
    if not t:
        raise ValidationError("no answers to aggregate", field="tasks", rule="non-empty")
    return t, w, y


def encode_answers(
    tasks: Any,
    workers: Sequence[Hashable] | None,
    labels: Sequence[Label] | None,
    extra_labels: Sequence[Label] = (),
) -> AnswerTable:
    t, w, y = answer_columns(tasks, workers, labels)

    def index(values: Sequence[Hashable], names: list[Hashable]) -> NDArray[np.int64]:
        positions: dict[Hashable, int] = {}
        out = np.empty(len(values), dtype=np.int64)
        for i, v in enumerate(values):
            if v not in positions:
                positions[v] = len(positions)
                names.append(v)
            out[i] = positions[v]
        return out

    task_names: list[Hashable] = []
    worker_names: list[Hashable] = []
    label_names: list[Label] = []
    ti, wi = index(t, task_names), index(w, worker_names)
    yi = index([*y, *extra_labels], label_names)[: len(y)]
    return AnswerTable(task_names, worker_names, label_names, ti, wi, yi)


def vote_counts(enc: AnswerTable, weights: FloatArray | None = None) -> FloatArray:
    """Weighted vote counts, shape (n_tasks, n_labels)."""
    counts = np.zeros((len(enc.tasks), len(enc.labels)))
    np.add.at(counts, (enc.t, enc.y), 1.0 if weights is None else weights[enc.w])
    return counts
