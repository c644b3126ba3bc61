"""From the ledger's human verdicts to a learned confidence: the fitting glue.

Every routed item keeps its :class:`~hitl_agent.types.Uncertainty` (the routing confidence and
every component signal the scorer computed) and its :class:`~hitl_agent.types.Decision` (with the
propensity of the review). An item people reviewed is a verdict: the model's output was kept (1)
or changed (0). :func:`fit_learned_confidence` fits
:class:`~hitl_agent.uncertainty.learned.LearnedConfidence` on them, weighting each by the inverse
of its chance of review so that audits of confident items count for the many they stand for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hitl_agent.canonical import canonical_json
from hitl_agent.errors import ValidationError
from hitl_agent.memory.ledger import ItemRecord
from hitl_agent.uncertainty.learned import LearnedConfidence


@dataclass(frozen=True)
class Verdicts:
    """Reviewed items: their signals, whether the model's output was kept, and IPW weights."""

    item_ids: list[str]
    signals: list[dict[str, float | None]]
    correct: np.ndarray
    weights: np.ndarray


def verdicts(items: Iterable[ItemRecord], *, task: str | None = None) -> Verdicts:
    """The human verdicts among ``items`` (e.g. ``ledger.iter_items(status="finished")``)."""
    ids: list[str] = []
    rows: list[dict[str, float | None]] = []
    correct: list[bool] = []
    weights: list[float] = []
    for item in items:
        if task is not None and item.task != task:
            continue
        if item.final_source != "human" or item.prediction is None \
                or item.uncertainty is None or item.decision is None:
            continue
        signals: dict[str, float | None] = {item.uncertainty.scorer: item.uncertainty.confidence}
        signals.update(item.uncertainty.components)
        ids.append(item.id)
        rows.append(signals)
        correct.append(canonical_json(item.prediction.output) == canonical_json(item.final_output))
        weights.append(1.0 / max(item.decision.propensity, 1e-6))
    return Verdicts(ids, rows, np.asarray(correct, dtype=bool), np.asarray(weights))


def fit_learned_confidence(items: Iterable[ItemRecord], *, task: str | None = None,
                           signals: Sequence[str] | None = None,
                           **options: Any) -> LearnedConfidence:
    """Fit a :class:`LearnedConfidence` on the verdicts of ``items`` (IPW-weighted).

    Fit it on verdicts other than those a certified threshold is then calibrated on (an earlier
    period, say): a score fitted on the calibration labels would void the guarantee.
    """
    found = verdicts(items, task=task)
    if len(found.correct) < 2:
        raise ValidationError(f"{len(found.correct)} human verdicts: too few to learn from",
                              field="items", rule="at least 2 reviewed items")
    return LearnedConfidence(signals, **options).fit(found.signals, found.correct,
                                                     sample_weight=found.weights)
