"""Turning a suite into the graph's parts: the model adapter, scorers, simulated reviewers, and
the checks that must pass before any item runs."""

from __future__ import annotations

import importlib
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hitl_agent.canonical import canonical_json
from hitl_agent.errors import EvalError, HitlError
from hitl_agent.evals.data import Dataset
from hitl_agent.evals.suite import ChatModel, ScorerSpec, SklearnModel, Suite
from hitl_agent.models.sklearn import SklearnClassifier
from hitl_agent.review.in_process import outcome_from_label
from hitl_agent.review.simulated import SimulatedReviewer
from hitl_agent.types import (
    Prediction,
    ReviewOutcome,
    ReviewRequest,
    SimilarCorrection,
    Uncertainty,
)
from hitl_agent.uncertainty import scorers as lib
from hitl_agent.uncertainty.base import Scorer


class RecordedScoreScorer:
    """Confidence from a number logged with the output: ``prediction.metadata[key]`` mapped
    from ``[low, high]`` onto ``[0, 1]`` (clipped)."""

    def __init__(self, key: str, *, low: float = 0.0, high: float = 1.0,
                 name: str | None = None) -> None:
        self.key = key
        self.low = low
        self.high = high
        self.name = name or f"recorded:{key}"

    def __call__(self, prediction: Prediction) -> Uncertainty:
        from hitl_agent.errors import ValidationError

        value = prediction.metadata.get(self.key)
        if not isinstance(value, int | float):
            raise ValidationError(f"{self.name} needs prediction.metadata.{self.key}, which is "
                                  "missing", field=f"metadata.{self.key}",
                                  rule=f"required by {self.name}")
        c = float(np.clip((float(value) - self.low) / (self.high - self.low), 0.0, 1.0))
        return Uncertainty(confidence=c, scorer=self.name, components={self.name: c})


_SCORERS: dict[str, Callable[[], Scorer]] = {
    "max_probability": lib.MaxProbabilityScorer,
    "margin": lib.MarginScorer,
    "entropy": lib.EntropyScorer,
    "mean_logprob": lib.MeanLogprobScorer,
    "min_logprob": lib.MinLogprobScorer,
    "perplexity": lib.PerplexityScorer,
    "token_entropy": lib.TokenEntropyScorer,
    "sample_agreement": lib.SampleAgreementScorer,
    "majority_vote": lib.MajorityVoteScorer,
    "semantic_entropy": lib.SemanticEntropyScorer,
    "lexical_similarity": lib.LexicalSimilarityScorer,
    "verbalized": lib.VerbalizedConfidenceScorer,
}

_SIGNALS = {
    "max_probability": "probabilities", "margin": "probabilities", "entropy": "probabilities",
    "mean_logprob": "token_logprobs", "min_logprob": "token_logprobs",
    "perplexity": "token_logprobs", "token_entropy": "top_logprobs",
    "sample_agreement": "samples", "majority_vote": "samples", "semantic_entropy": "samples",
    "lexical_similarity": "samples", "verbalized": "a stated confidence",
    "recorded": "metadata",
}


class _Named:
    """A scorer under the suite's name for it (two scorers of one kind stay apart)."""

    def __init__(self, inner: Scorer, name: str) -> None:
        self.inner = inner
        self.name = name

    def __call__(self, prediction: Prediction) -> Uncertainty:
        return self.inner(prediction)


def make_scorer(spec: ScorerSpec) -> Scorer:
    if spec.kind == "recorded":
        if spec.key is None:
            raise EvalError(f"scorer {spec.label!r} (recorded) needs a key: the item field that "
                            "holds the score", field="scorers.key", scorer=spec.label)
        return RecordedScoreScorer(spec.key, low=spec.low, high=spec.high, name=spec.label)
    scorer = _SCORERS[spec.kind]()
    return _Named(scorer, spec.label) if spec.name else scorer


# -- models -----------------------------------------------------------------------------------


def _import_class(path: str, prefixes: tuple[str, ...], field: str) -> Any:
    if not path.startswith(prefixes) or "." not in path:
        raise EvalError(f"{field} {path!r} must be a dotted class path under "
                        f"{' or '.join(p.rstrip('.') for p in prefixes)}", field=field)
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise EvalError(f"{field} {path!r} cannot be imported: {exc}", field=field) from exc


def fit_estimator(spec: SklearnModel, x: Sequence[Any], y: Sequence[Any]) -> Any:
    cls = _import_class(spec.estimator, ("sklearn.",), "model.estimator")
    try:
        estimator = cls(**spec.params)
        estimator.fit(np.asarray(x, dtype=float), np.asarray(y))
    except (TypeError, ValueError) as exc:
        raise EvalError(f"model {spec.estimator} cannot be trained: {exc}",
                        field="model.params") from exc
    if not hasattr(estimator, "predict_proba"):
        raise EvalError(f"{spec.estimator} has no predict_proba: scorers need probabilities",
                        field="model.estimator")
    return estimator


class SwappableModel:
    """A model adapter whose inner adapter is replaced when the eval retrains the model."""

    def __init__(self, inner: Any, model_id: str) -> None:
        self.inner = inner
        self.model_id = model_id
        self._lock = threading.Lock()

    def swap(self, inner: Any) -> None:
        with self._lock:
            self.inner = inner

    def predict(self, input: Any, *, examples: Sequence[SimilarCorrection] = ()) -> Prediction:
        with self._lock:
            inner = self.inner
        result: Prediction = inner.predict(input, examples=examples)
        return result


class ReplayModel:
    """Answers each input with its recorded prediction."""

    def __init__(self, dataset: Dataset, model_id: str = "replay") -> None:
        self.model_id = model_id
        self._by_input = {canonical_json(i.input): i.prediction for i in dataset.stream
                          if i.prediction is not None}

    def predict(self, input: Any, *, examples: Sequence[SimilarCorrection] = ()) -> Prediction:
        found = self._by_input.get(canonical_json(input))
        if found is None:
            raise EvalError("no recorded prediction for this input", field="input")
        return found


def sklearn_adapter(estimator: Any, version: str, model_id: str) -> SklearnClassifier:
    return SklearnClassifier(estimator, model_id=model_id, model_version=version)


def chat_adapter(spec: ChatModel, labels: Sequence[str] | None) -> Any:
    from hitl_agent.models.chat import ChatModelAdapter

    cls = _import_class(spec.chat_model, ("langchain",), "model.chat_model")
    try:
        chat = cls(**spec.params)
    except Exception as exc:  # noqa: BLE001 - any constructor failure is a suite problem
        raise EvalError(f"chat model {spec.chat_model} cannot be created: {exc}",
                        field="model.params") from exc
    return ChatModelAdapter(chat, system_prompt=spec.system_prompt,
                            prompt_template=spec.prompt_template, labels=labels,
                            n_samples=spec.n_samples)


# -- reviewers --------------------------------------------------------------------------------


class PanelReviewer:
    """``task_count`` simulated reviewers answer each review; the majority label wins (ties go
    to the earliest answer), with every answer kept."""

    def __init__(self, gold: dict[str, Any], *, task_count: int, error_rate: float,
                 automation_bias: float, labels: Sequence[str] | None, seed: int) -> None:
        self.members = [
            SimulatedReviewer(gold, error_rate=error_rate, automation_bias=automation_bias,
                              labels=labels, worker_id=f"simulated-{k + 1}", seed=seed)
            for k in range(task_count)
        ]

    def __call__(self, request: ReviewRequest) -> ReviewOutcome | None:
        outcomes = [m(request) for m in self.members]
        done = [o for o in outcomes if o is not None]
        if len(done) < len(outcomes):
            return None
        if len(done) == 1:
            return done[0]
        votes = Counter(canonical_json(o.final_output) for o in done)
        best, count = votes.most_common(1)[0]
        winner = next(o for o in done if canonical_json(o.final_output) == best)
        merged = outcome_from_label(request, winner.final_output, worker_id="panel")
        return merged.model_copy(update={
            "answers": [a for o in done for a in o.answers],
            "agreement": count / len(done),
        })


# -- checks before anything runs --------------------------------------------------------------


@dataclass
class Checked:
    labels: list[str] | None


def check(suite: Suite, dataset: Dataset, model_labels: Sequence[str] | None) -> Checked:
    """Gold labels inside the label set; every replay item carrying what each scorer reads."""
    labels = list(suite.labels) if suite.labels is not None else (
        list(model_labels) if model_labels is not None else None)
    if suite.data.kind == "replay" and suite.data.format == "factual_claims" and labels is None:
        labels = ["true", "false"]
    if labels is not None:
        allowed = set(labels)
        outside = Counter(str(i.gold) for i in dataset.stream if str(i.gold) not in allowed)
        if outside:
            shown = ", ".join(f"{g!r} ({n})" for g, n in outside.most_common(5))
            where = "suite labels" if suite.labels is not None else "model's labels"
            raise EvalError(f"gold labels outside the {where} {sorted(allowed)}: {shown}",
                            field="labels", outside=sorted(outside))
    specs = suite.scorer_specs
    if suite.model.kind == "sklearn":
        for spec in specs:
            if _SIGNALS[spec.kind] != "probabilities":
                raise EvalError(f"scorer {spec.label!r} needs {_SIGNALS[spec.kind]}, which a "
                                "scikit-learn model does not give (it gives probabilities)",
                                field="scorers", scorer=spec.label)
    if suite.model.kind == "replay":
        built = [(spec, make_scorer(spec)) for spec in specs]
        for n, item in enumerate(dataset.stream):
            if item.prediction is None:
                raise EvalError(f"replay item {n + 1} ({item.id}) has no recorded prediction",
                                field="data", item=item.id)
            for spec, scorer in built:
                try:
                    scorer(item.prediction)
                except HitlError as exc:
                    missing = exc.context.get("field", _SIGNALS[spec.kind])
                    raise EvalError(
                        f"replay item {n + 1} ({item.id}) lacks {missing}, which scorer "
                        f"{spec.label!r} needs: {exc}", field="scorers", scorer=spec.label,
                        item=item.id, signal=missing) from exc
    return Checked(labels)
