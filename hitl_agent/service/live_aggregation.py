"""Aggregation on the live path: a completing loop's answers become one verdict with a posterior.

When a loop whose flow asks several reviewers (``TaskCount > 1``) and names an aggregation method
(its ``hitl:aggregation`` tag, ``gold.py``) completes, ``Lifecycle.complete`` calls
:meth:`LiveAggregation.annotate`, which adds ``hitlAggregation`` to its ``output.json``::

    {"method": "dawid-skene", "label": "billing", "posterior": {"billing": 0.97, ...},
     "answerContent": {...the first answer with that label...},
     "workers": {"<workerId>": {"accuracy": 0.91, "flagged": false}, ...}}

Majority needs only the loop's
answers (ties go to the label more frequent in the flow, then to the first answer). Wawa and
Dawid–Skene need each reviewer's skill, learnt from the flow's answers: a *worker model* per flow,
fitted over its most recent answers (Dawid–Skene with the gold loops clamped to their known
answers and each reviewer's gold accuracy as prior) and fitted again on every new answer while the
flow is small (under 2,000 answers), then when its answers have grown by 2 % or the model is five
minutes old. A loop's posterior is then the model's class
prior times each answer's confusion-matrix column, the per-task step of Dawid–Skene's E-step, so
the live verdicts agree with an offline fit over the same answers.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hitl_agent.errors import ValidationError
from hitl_agent.review.aggregate import DawidSkene
from hitl_agent.review.agreement import krippendorff_alpha
from hitl_agent.review.consensus import OUTPUT_KEY, Method, answer_label, fit

from .clock import Clock, now_us
from .gold import FlowQuality, GoldItem, GoldLoop, flow_quality, gold_answers, gold_scores
from .models import Answer, FlowDefinition, HumanLoop
from .storage import Store

log = logging.getLogger(__name__)

MAX_FIT_ANSWERS = 50_000
REFIT_GROWTH = 0.02
SMALL_FLOW = 2_000  # answers: below it, a fit costs milliseconds and follows every new answer
REFIT_AGE_US = 300 * 1_000_000
UNKNOWN_ACCURACY = 0.7
MIN_GOLD_FOR_PRIOR = 3


@dataclass
class WorkerModel:
    method: Method
    answers: int
    fitted_us: int
    classes: list[str]
    label_freq: dict[str, float]
    priors: np.ndarray = field(default_factory=lambda: np.zeros(0))
    confusion: dict[str, np.ndarray] = field(default_factory=dict)
    accuracy: dict[str, float] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)
    alpha: float | None = None  # Krippendorff's alpha of the answers it was fitted on
    checked_us: int = 0  # when the flow's answers were last counted against it


def flow_answer_rows(
    session: Session, flow_arn: str, limit: int = MAX_FIT_ANSWERS
) -> list[tuple[int, str, str]]:
    """``(loop_pk, worker_id, label)`` of the flow's most recent answers."""
    stmt = (
        select(Answer.loop_pk, Answer.worker_id, Answer.answer_content)
        .join(HumanLoop, HumanLoop.id == Answer.loop_pk)
        .where(HumanLoop.flow_definition_arn == flow_arn)
        .order_by(Answer.id.desc())
        .limit(limit)
    )
    rows = [(pk, w, answer_label(json.loads(c))) for pk, w, c in session.execute(stmt)]
    rows.reverse()
    return rows


def fit_model(
    session: Session, flow_name: str, flow_arn: str, method: Method, now: int
) -> WorkerModel:
    """Fit the flow's worker model over its recent answers, seeded by its gold answers."""
    rows = flow_answer_rows(session, flow_arn)
    labels = [r[2] for r in rows]
    freq = Counter(labels)
    total = max(len(labels), 1)
    model = WorkerModel(
        method=method,
        answers=len(rows),
        fitted_us=now,
        classes=sorted(freq),
        label_freq={k: v / total for k, v in freq.items()},
        answered=dict(Counter(r[1] for r in rows)),
        alpha=agreement(rows),
        checked_us=now,
    )
    if not rows or method == "majority" and len(rows) < 2:
        return model
    gold_rows = gold_answers(session, flow_name)
    priors = {
        w: right / n for w, (right, n) in gold_scores(gold_rows).items() if n >= MIN_GOLD_FOR_PRIOR
    }
    gold = dict(
        session.execute(
            select(GoldLoop.loop_pk, GoldItem.label)
            .join(GoldItem, GoldItem.id == GoldLoop.gold_pk)
            .where(GoldLoop.flow_name == flow_name)
        ).all()
    )
    tasks = [r[0] for r in rows]
    fitted = fit(
        method,
        tasks,
        [r[1] for r in rows],
        labels,
        gold={t: g for t, g in gold.items() if t in set(tasks)},
        worker_priors=priors or None,
    )
    model.accuracy = {
        str(w): float(r["accuracy"])
        for w, r in fitted.worker_reliability_.items()
        if r.get("accuracy") is not None
    }
    if isinstance(fitted, DawidSkene):
        model.classes = [str(c) for c in fitted.classes_]
        model.priors = np.array([fitted.priors_[c] for c in fitted.classes_])
        model.confusion = {str(w): fitted.errors_[i] for i, w in enumerate(_workers(fitted))}
    return model


def agreement(rows: list[tuple[int, str, str]]) -> float | None:
    """Krippendorff's alpha (nominal) over the loops with two or more answers, if any."""
    counts = Counter(r[0] for r in rows)
    keep = [r for r in rows if counts[r[0]] >= 2]
    if not keep:
        return None
    try:
        value = krippendorff_alpha([r[0] for r in keep], [r[1] for r in keep], [r[2] for r in keep])
    except ValidationError:
        return None
    return round(value, 4) if math.isfinite(value) else None


def _workers(fitted: Any) -> list[str]:
    return [str(w) for w in fitted.worker_reliability_]


class LiveAggregation:
    """Per-flow worker models, cached per process, and the ``output.json`` annotation."""

    def __init__(self, store: Store, clock: Clock = now_us) -> None:
        self.store, self.clock = store, clock
        self._models: dict[tuple[str, str], WorkerModel] = {}
        self._lock = threading.Lock()

    def model(
        self,
        session: Session,
        flow: FlowDefinition,
        method: Method,
        *,
        need: frozenset[str] | set[str] = frozenset(),
        checked_within_us: int = 0,
    ) -> WorkerModel:
        """The flow's worker model, fitted again when stale or missing a label in ``need``.

        ``checked_within_us``: a model fitted that recently is taken as it is, without counting
        the flow's answers (the team view, read often, need not be fresher than a few seconds).
        """
        now = self.clock()
        key = (flow.name, method)
        with self._lock:
            recent = self._models.get(key)
        if recent is not None and not need and now - recent.checked_us < checked_within_us:
            return recent
        count = (
            session.scalar(
                select(func.count(Answer.id))
                .join(HumanLoop, HumanLoop.id == Answer.loop_pk)
                .where(HumanLoop.flow_definition_arn == flow.arn)
            )
            or 0
        )
        with self._lock:
            cached = self._models.get(key)
        stale = (
            cached is None
            or (count > cached.answers and cached.answers < SMALL_FLOW)
            or count > cached.answers * (1 + REFIT_GROWTH)
            or (count != cached.answers and now - cached.fitted_us > REFIT_AGE_US)
            or bool(need - set(cached.classes))
        )
        if cached is not None and not stale:
            cached.checked_us = now
            return cached
        fresh = fit_model(session, flow.name, flow.arn, method, now)
        with self._lock:
            self._models[key] = fresh
        return fresh

    def annotate(self, session: Session, loop: HumanLoop, doc: dict[str, Any]) -> None:
        """Add the verdict of a completed multi-reviewer loop to its output document."""
        answers = doc.get("humanAnswers") or []
        if loop.task_count <= 1 or len(answers) < 2:
            return
        flow = session.scalars(
            select(FlowDefinition).where(FlowDefinition.arn == loop.flow_definition_arn)
        ).first()
        if flow is None:
            return
        quality = flow_quality(session, flow.arn)
        if not quality.chosen:  # the output keeps A2I's exact shape
            return
        workers = [str(a.get("workerId")) for a in answers]
        labels = [answer_label(a.get("answerContent") or {}) for a in answers]
        model = self.model(session, flow, quality.method, need=set(labels))
        doc[OUTPUT_KEY] = verdict(model, quality, workers, labels, answers)


def verdict(
    model: WorkerModel,
    quality: FlowQuality,
    workers: list[str],
    labels: list[str],
    answers: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ``hitlAggregation`` record of one loop's answers under the flow's worker model."""
    posterior = loop_posterior(model, workers, labels)
    top = max(posterior.values())
    tied = [c for c, p in posterior.items() if np.isclose(p, top)]
    # ties: the label more frequent in the flow, then the first answer's
    label = max(tied, key=lambda c: (model.label_freq.get(c, 0.0), -labels.index(c)))
    chosen = answers[labels.index(label)]
    return {
        "method": quality.method,
        "label": label,
        "posterior": {c: round(p, 6) for c, p in posterior.items()},
        "answerContent": chosen.get("answerContent"),
        "workers": {
            w: {
                "accuracy": round(model.accuracy[w], 4) if w in model.accuracy else None,
                "flagged": w in model.accuracy and model.accuracy[w] < quality.accuracy_floor,
            }
            for w in dict.fromkeys(workers)
        },
    }


def loop_posterior(model: WorkerModel, workers: list[str], labels: list[str]) -> dict[str, float]:
    """Probability of each label given this loop's answers."""
    if model.method == "dawid-skene" and model.confusion:
        classes = model.classes
        index = {c: i for i, c in enumerate(classes)}
        log_post = np.log(np.clip(model.priors, 1e-12, None))
        k = len(classes)
        for w, y in zip(workers, labels, strict=True):
            matrix = model.confusion.get(w)
            if matrix is None:
                off = (1 - UNKNOWN_ACCURACY) / max(k - 1, 1)
                matrix = np.where(np.eye(k, dtype=bool), UNKNOWN_ACCURACY, off)
            log_post = log_post + np.log(np.clip(matrix[:, index[y]], 1e-12, None))
        probs = np.exp(log_post - np.logaddexp.reduce(log_post))
        return {c: float(probs[i]) for i, c in enumerate(classes) if probs[i] > 1e-9 or c in labels}
    weights = [
        (model.accuracy.get(w, _mean(model.accuracy)) if model.method == "wawa" else 1.0)
        for w in workers
    ]
    votes: dict[str, float] = {}
    for y, weight in zip(labels, weights, strict=True):
        votes[y] = votes.get(y, 0.0) + weight
    total = sum(votes.values()) or 1.0
    return {c: v / total for c, v in votes.items()}


def _mean(values: dict[str, float]) -> float:
    return float(np.mean(list(values.values()))) if values else UNKNOWN_ACCURACY
