"""Combining several reviewers' answers into one verdict, and measuring how much they agree.

Aggregators follow scikit-learn's convention: ``fit(tasks, workers, labels)`` over three parallel
sequences (or one DataFrame-like object with ``task``, ``worker`` and ``label`` columns, as
crowd-kit takes) returns ``self``; ``fit_predict`` returns one label per task, in the order of
``tasks_`` (first appearance). After fitting: ``labels_`` (task → label, ``None`` when the task
goes to an adjudicator), ``posteriors_`` (task → {label: probability}) and
``worker_reliability_`` (worker → plain dict, for the ledger to persist and pass back later as
``worker_priors``). numpy only; crowd-kit (Ustalov et al., 2021) is the reference implementation.
The agreement measures (Fleiss' kappa, Krippendorff's alpha) are in ``agreement.py``; both read
answers through ``answer_table.py``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import ValidationError
from hitl_agent.review.answer_table import (
    AnswerTable,
    FloatArray,
    Label,
    answer_columns,
    encode_answers,
    vote_counts,
)

TiePolicy = Literal["escalate", "prior"]
# moved to agreement.py; the old path warns for one release
__getattr__, __dir__ = lazy_exports(
    globals(),
    deprecated={
        "fleiss_kappa": "hitl_agent.review.agreement",
        "krippendorff_alpha": "hitl_agent.review.agreement",
    },
)


def _prior_accuracy(prior: Any) -> float | None:
    if isinstance(prior, int | float):
        return float(prior)
    if isinstance(prior, Mapping) and isinstance(prior.get("accuracy"), int | float):
        return float(prior["accuracy"])
    return None


def _log_odds_weights(
    enc: AnswerTable, worker_priors: Mapping[Any, Any] | None
) -> FloatArray | None:
    """Weights ln(K·a/(1−a)) ... the optimal vote weights for symmetric workers of accuracy a
    (Nitzan & Paroush, 1982); ``None`` when no priors are given."""
    if not worker_priors:
        return None
    k = max(len(enc.labels), 2)
    weights = np.ones(len(enc.workers))
    for i, worker in enumerate(enc.workers):
        acc = _prior_accuracy(worker_priors.get(worker))
        if acc is not None:
            acc = min(max(acc, 1e-3), 1 - 1e-3)
            weights[i] = max(math.log((k - 1) * acc / (1 - acc)), 1e-3)
    return weights


def _prior_confusion(prior: Any, labels: Sequence[Label]) -> FloatArray | None:
    """A worker's prior confusion matrix (rows: true label) from a reliability dict or accuracy.

    A ``"confusion"`` entry (as ``DawidSkene.worker_reliability_`` gives) is used as it is; an
    accuracy alone spreads the errors evenly over the other labels.
    """
    k = len(labels)
    confusion = prior.get("confusion") if isinstance(prior, Mapping) else None
    if isinstance(confusion, Mapping):
        names = [str(label) for label in labels]
        matrix = np.array([[float(confusion.get(a, {}).get(b, 0.0)) for b in names] for a in names])
        rows = matrix.sum(axis=1, keepdims=True)
        if np.all(rows > 0):
            out: FloatArray = matrix / rows
            return out
    acc = _prior_accuracy(prior)
    if acc is None or k < 2:
        return None
    off = (1 - acc) / (k - 1)
    return np.where(np.eye(k, dtype=bool), acc, off)


def _posteriors(enc: AnswerTable, probs: FloatArray) -> dict[Hashable, dict[Label, float]]:
    return {
        task: {label: float(probs[i, j]) for j, label in enumerate(enc.labels)}
        for i, task in enumerate(enc.tasks)
    }


def _agreement_reliability(
    enc: AnswerTable, consensus: NDArray[np.int64]
) -> dict[Hashable, dict[str, Any]]:
    valid = consensus[enc.t] >= 0
    hits = np.zeros(len(enc.workers))
    totals = np.zeros(len(enc.workers))
    np.add.at(totals, enc.w[valid], 1.0)
    np.add.at(hits, enc.w[valid], (enc.y[valid] == consensus[enc.t[valid]]).astype(float))
    answers = np.bincount(enc.w, minlength=len(enc.workers))
    return {
        worker: {
            "accuracy": float(hits[i] / totals[i]) if totals[i] else None,
            "answers": int(answers[i]),
        }
        for i, worker in enumerate(enc.workers)
    }


class _Aggregator:
    tasks_: list[Hashable]
    labels_: dict[Hashable, Label | None]

    def fit(
        self,
        tasks: Any,
        workers: Sequence[Hashable] | None = None,
        labels: Sequence[Label] | None = None,
    ) -> _Aggregator:
        raise NotImplementedError

    def fit_predict(
        self,
        tasks: Any,
        workers: Sequence[Hashable] | None = None,
        labels: Sequence[Label] | None = None,
    ) -> list[Label | None]:
        """Fit, then return one label per task in the order of ``tasks_``."""
        self.fit(tasks, workers, labels)
        return [self.labels_[task] for task in self.tasks_]


class MajorityVote(_Aggregator):
    """The most frequent answer per task, with an explicit tie policy.

    - ``tie="escalate"`` (default): a tied task gets label ``None`` and is listed in
      ``escalations_``, for an adjudicator to decide;
    - ``tie="prior"``: ties are broken by worker reliability (votes weighted by the log-odds of
      each worker's prior accuracy, from ``worker_priors``), then by the label's prior
      (``label_priors``, or its frequency over all answers), then by the first answer given.

    ``worker_priors`` maps a worker to its accuracy (a float, or a dict with ``"accuracy"``, as
    ``worker_reliability_`` returns); with ``weighted=True`` every vote is weighted that way,
    not only ties.
    """

    def __init__(
        self,
        *,
        tie: TiePolicy = "escalate",
        worker_priors: Mapping[Any, Any] | None = None,
        label_priors: Mapping[Any, float] | None = None,
        weighted: bool = False,
    ) -> None:
        self.tie = tie
        self.worker_priors = worker_priors
        self.label_priors = label_priors
        self.weighted = weighted

    def fit(
        self,
        tasks: Any,
        workers: Sequence[Hashable] | None = None,
        labels: Sequence[Label] | None = None,
    ) -> MajorityVote:
        if self.tie not in ("escalate", "prior"):
            raise ValidationError(
                f"unknown tie policy {self.tie!r}", field="tie", rule="escalate or prior"
            )
        enc = encode_answers(tasks, workers, labels)
        weights = _log_odds_weights(enc, self.worker_priors)
        counts = vote_counts(enc, weights if self.weighted else None)
        top = counts.max(axis=1, keepdims=True)
        tied = (np.isclose(counts, top)).sum(axis=1) > 1
        choice = counts.argmax(axis=1)
        escalations: list[Hashable] = []
        if tied.any():
            weighted = vote_counts(enc, weights) if weights is not None else counts
            if self.label_priors is not None:
                prior = np.array([self.label_priors.get(lab, 0.0) for lab in enc.labels])
            else:
                prior = np.bincount(enc.y, minlength=len(enc.labels)) / len(enc.y)
            first = np.full(len(enc.tasks), -1)
            for pos in range(len(enc.t) - 1, -1, -1):
                first[enc.t[pos]] = enc.y[pos]
            for row in (int(r) for r in np.flatnonzero(tied)):
                if self.tie == "escalate":
                    choice[row] = -1
                    escalations.append(enc.tasks[row])
                    continue
                candidates = [int(c) for c in np.flatnonzero(np.isclose(counts[row], top[row, 0]))]
                keys = {
                    c: (round(float(weighted[row, c]), 9), float(prior[c]), c == first[row], -c)
                    for c in candidates
                }
                choice[row] = max(candidates, key=keys.__getitem__)
        totals = counts.sum(axis=1, keepdims=True)
        probs = counts / np.where(totals > 0, totals, 1.0)
        self.tasks_ = enc.tasks
        self.classes_ = enc.labels
        self.labels_ = {
            task: (enc.labels[c] if c >= 0 else None)
            for task, c in zip(enc.tasks, choice, strict=True)
        }
        self.posteriors_ = _posteriors(enc, probs)
        self.escalations_ = escalations
        self.worker_reliability_ = _agreement_reliability(enc, choice)
        return self


class Wawa(_Aggregator):
    """Worker Agreement With Aggregate: majority vote, then each worker's agreement with it as
    their skill, then a vote weighted by skill (crowd-kit's ``Wawa``; Appen's "trust" scores).

    ``worker_priors`` (accuracy per worker) replaces the measured skill of workers it names.
    """

    def __init__(self, *, worker_priors: Mapping[Any, Any] | None = None) -> None:
        self.worker_priors = worker_priors

    def fit(
        self,
        tasks: Any,
        workers: Sequence[Hashable] | None = None,
        labels: Sequence[Label] | None = None,
    ) -> Wawa:
        enc = encode_answers(tasks, workers, labels)
        first = MajorityVote(tie="prior").fit(tasks, workers, labels)
        mv = np.array([enc.labels.index(first.labels_[t]) for t in enc.tasks])
        skills = np.array([r["accuracy"] or 0.0 for r in _agreement_reliability(enc, mv).values()])
        if self.worker_priors:
            for i, worker in enumerate(enc.workers):
                acc = _prior_accuracy(self.worker_priors.get(worker))
                if acc is not None:
                    skills[i] = acc
        counts = vote_counts(enc, skills)
        totals = counts.sum(axis=1, keepdims=True)
        probs = counts / np.where(totals > 0, totals, 1.0)
        choice = counts.argmax(axis=1)
        self.tasks_ = enc.tasks
        self.classes_ = enc.labels
        self.labels_ = {t: enc.labels[c] for t, c in zip(enc.tasks, choice, strict=True)}
        self.posteriors_ = _posteriors(enc, probs)
        answers = np.bincount(enc.w, minlength=len(enc.workers))
        self.worker_reliability_: dict[Hashable, dict[str, Any]] = {
            w: {"accuracy": float(skills[i]), "answers": int(answers[i])}
            for i, w in enumerate(enc.workers)
        }
        return self


class DawidSkene(_Aggregator):
    """Dawid & Skene (1979): EM over one confusion matrix per worker and the class priors.

    Initialised from majority-vote shares (as crowd-kit). ``gold`` (task → true label) clamps those
    tasks' posteriors to their known label in every E-step, so they teach the confusion matrices.
    ``worker_priors`` (accuracy per worker, or ``worker_reliability_`` of an earlier fit) become
    Dirichlet pseudo-counts of weight ``prior_strength`` on each worker's confusion rows;
    ``smoothing`` is a small pseudo-count on every cell. Stops after ``n_iter`` rounds or when
    the log-likelihood gains less than ``tol``.
    """

    def __init__(
        self,
        *,
        n_iter: int = 100,
        tol: float = 1e-5,
        smoothing: float = 0.01,
        worker_priors: Mapping[Any, Any] | None = None,
        prior_strength: float = 5.0,
    ) -> None:
        self.n_iter = n_iter
        self.tol = tol
        self.smoothing = smoothing
        self.worker_priors = worker_priors
        self.prior_strength = prior_strength

    def fit(
        self,
        tasks: Any,
        workers: Sequence[Hashable] | None = None,
        labels: Sequence[Label] | None = None,
        gold: Mapping[Any, Any] | None = None,
    ) -> DawidSkene:
        if self.n_iter < 1:
            raise ValidationError("n_iter must be >= 1", field="n_iter", rule=">= 1")
        gold = dict(gold or {})
        enc = encode_answers(tasks, workers, labels, extra_labels=list(gold.values()))
        n_tasks, n_workers, k = len(enc.tasks), len(enc.workers), len(enc.labels)
        task_pos = {t: i for i, t in enumerate(enc.tasks)}
        gold_rows = np.array([task_pos[t] for t in gold if t in task_pos], dtype=np.int64)
        gold_cols = np.array(
            [enc.labels.index(gold[t]) for t in gold if t in task_pos], dtype=np.int64
        )
        pseudo = np.full((n_workers, k, k), self.smoothing)
        if self.worker_priors:
            for i, worker in enumerate(enc.workers):
                expected = _prior_confusion(self.worker_priors.get(worker), enc.labels)
                if expected is not None:
                    pseudo[i] += self.prior_strength * expected

        def clamp(probs: FloatArray) -> FloatArray:
            if gold_rows.size:
                probs[gold_rows] = 0.0
                probs[gold_rows, gold_cols] = 1.0
            return probs

        counts = vote_counts(enc)
        probs = clamp(counts / counts.sum(axis=1, keepdims=True))
        if gold_rows.size:
            # start from confusion matrices learned on the gold tasks alone, so a crowd whose
            # majority is wrong does not set the starting point
            weights = np.zeros(n_tasks)
            weights[gold_rows] = 1.0
            probs = clamp(self._e_step(enc, probs * weights[:, None], pseudo)[0])
        log_likelihood = -np.inf
        iterations = 0
        for iterations in range(1, self.n_iter + 1):  # noqa: B007
            post, norm, priors, confusion = self._e_step(enc, probs, pseudo)
            probs = clamp(post)
            new_ll = float(norm.sum())
            if abs(new_ll - log_likelihood) < self.tol:
                log_likelihood = new_ll
                break
            log_likelihood = new_ll
        choice = probs.argmax(axis=1)
        self.tasks_ = enc.tasks
        self.classes_ = enc.labels
        self.labels_ = {t: enc.labels[c] for t, c in zip(enc.tasks, choice, strict=True)}
        self.posteriors_ = _posteriors(enc, probs)
        self.priors_ = {label: float(p) for label, p in zip(enc.labels, priors, strict=True)}
        self.errors_ = confusion
        self.n_iter_ = iterations
        self.log_likelihood_ = log_likelihood
        answers = np.bincount(enc.w, minlength=n_workers)
        self.worker_reliability_: dict[Hashable, dict[str, Any]] = {
            worker: {
                "accuracy": float(priors @ np.diag(confusion[i])),
                "answers": int(answers[i]),
                "confusion": {
                    str(enc.labels[a]): {
                        str(enc.labels[b]): float(confusion[i, a, b]) for b in range(k)
                    }
                    for a in range(k)
                },
            }
            for i, worker in enumerate(enc.workers)
        }
        return self

    @staticmethod
    def _e_step(
        enc: AnswerTable, probs: FloatArray, pseudo: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """M-step from ``probs`` (rows may be zero = unused), then E-step.

        Returns the new posteriors, their log-normalisers, the class priors and the confusions.
        """
        k = len(enc.labels)
        used = probs.sum(axis=1) > 0
        priors = probs[used].mean(axis=0) + 1e-12
        priors /= priors.sum()
        # confusion[worker, true, observed]: each answer adds its task's posterior over the
        # true label to the column of the label it gave
        confusion = pseudo.copy()
        for j in range(k):
            given = enc.y == j
            np.add.at(confusion[:, :, j], enc.w[given], probs[enc.t[given]])
        confusion /= confusion.sum(axis=2, keepdims=True)
        log_conf = np.log(np.clip(confusion, 1e-12, None))
        log_post = np.tile(np.log(priors), (len(enc.tasks), 1))
        np.add.at(log_post, enc.t, log_conf[enc.w, :, enc.y])
        norm = np.logaddexp.reduce(log_post, axis=1, keepdims=True)
        return np.exp(log_post - norm), norm, priors, confusion

    def fit_predict(
        self,
        tasks: Any,
        workers: Sequence[Hashable] | None = None,
        labels: Sequence[Label] | None = None,
        gold: Mapping[Any, Any] | None = None,
    ) -> list[Label | None]:
        self.fit(tasks, workers, labels, gold=gold)
        return [self.labels_[task] for task in self.tasks_]


def text_similarity(a: str, b: str) -> float:
    """Similarity of two texts in [0, 1]: difflib's ratio over whitespace-normalised lower case."""
    x, y = " ".join(str(a).lower().split()), " ".join(str(b).lower().split())
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()


@dataclass(frozen=True)
class TextVerdict:
    """The chosen free-text answer (``None`` when escalated) and its mean similarity to others."""

    answer: str | None
    agreement: float
    escalate: bool
    index: int


def closest_text(
    answers: Sequence[str],
    *,
    similarity: Callable[[str, str], float] = text_similarity,
    min_agreement: float | None = None,
) -> TextVerdict:
    """The answer with the highest mean similarity to the others (the medoid).

    Escalates (``answer=None``) when that mean similarity is below ``min_agreement``: the
    reviewers disagree and an adjudicator should decide. ROVER-style consensus for free text
    (Fiscus, 1997) reduced to choosing one reviewer's answer, as crowd-kit's ``TextSummarization``
    alternatives do by embedding similarity.

    >>> closest_text(["the cat sat", "The cat sat.", "a dog ran"]).answer
    'the cat sat'
    """
    items = list(answers)
    if not items:
        raise ValidationError("no answers", field="answers", rule="non-empty")
    if len(items) == 1:
        return TextVerdict(items[0], 1.0, False, 0)
    sims = np.ones((len(items), len(items)))
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            sims[i, j] = sims[j, i] = float(similarity(items[i], items[j]))
    mean = (sims.sum(axis=1) - 1.0) / (len(items) - 1)
    best = int(np.argmax(mean))
    agreement = float(mean[best])
    if min_agreement is not None and agreement < min_agreement:
        return TextVerdict(None, agreement, True, best)
    return TextVerdict(items[best], agreement, False, best)


class ClosestText(_Aggregator):
    """Per task, the free-text answer closest to the others (:func:`closest_text`).

    Tasks below ``min_agreement`` get ``None`` and are listed in ``escalations_``;
    ``posteriors_`` holds each task's agreement of the chosen answer.
    """

    def __init__(
        self,
        *,
        similarity: Callable[[str, str], float] = text_similarity,
        min_agreement: float | None = None,
    ) -> None:
        self.similarity = similarity
        self.min_agreement = min_agreement

    def fit(
        self,
        tasks: Any,
        workers: Sequence[Hashable] | None = None,
        labels: Sequence[Label] | None = None,
    ) -> ClosestText:
        t, _, y = answer_columns(tasks, workers, labels)
        grouped: dict[Hashable, list[str]] = {}
        for task, text in zip(t, y, strict=True):
            grouped.setdefault(task, []).append(str(text))
        self.tasks_ = list(grouped)
        self.labels_ = {}
        self.posteriors_: dict[Hashable, float] = {}
        self.escalations_: list[Hashable] = []
        for task, texts in grouped.items():
            verdict = closest_text(
                texts, similarity=self.similarity, min_agreement=self.min_agreement
            )
            self.labels_[task] = verdict.answer
            self.posteriors_[task] = verdict.agreement
            if verdict.escalate:
                self.escalations_.append(task)
        return self
