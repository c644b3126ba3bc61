"""A learned confidence: the signals already computed, combined into one calibrated P(correct).

Each item is a mapping from signal name to a confidence in [0, 1] (a scorer's output: maximum
probability, mean logprob, sample agreement, semantic entropy, verbalized confidence, agreement
with past corrections in memory, ...); a signal may be missing (``None`` or absent). The model is
an L2-penalised logistic regression (stacking, Wolpert 1992; learned scorers such as LARS,
arXiv 2406.11278) on, per signal, ``logit(c)``, ``c`` and a missing flag, fitted on human
verdicts (1 = the model's output was kept). Optional ``sample_weight`` takes inverse-propensity
weights when the verdicts were not a uniform sample. Pure numpy/scipy: no model calls, no I/O.

>>> rows = [{"agreement": a, "verbalized": v} for a, v in [(1.0, .9), (.25, .9), (1.0, .5),
...         (0.0, .8), (.75, .95), (.5, None)]]
>>> model = LearnedConfidence().fit(rows, [1, 0, 1, 0, 1, 0])
>>> p = model.predict(rows)
>>> bool(p[0] > p[1] and p[2] > p[3])
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from hitl_agent.errors import ValidationError
from hitl_agent.types import Prediction, SimilarCorrection, Uncertainty
from hitl_agent.uncertainty._arrays import FloatArray, binary_vector, vector
from hitl_agent.uncertainty.base import Scorer

Signals = Mapping[str, float | None]
"""One item's signals: name → confidence in [0, 1], or ``None`` when it was not computed."""

_CLIP = 1e-3


def _value(row: Signals, name: str) -> float | None:
    v = row.get(name)
    if v is None:
        return None
    f = float(v)
    return f if np.isfinite(f) else None


class LearnedConfidence:
    """P(correct | signals), fitted on verdicts; see the module docstring.

    ``signals`` fixes the inputs (default: every name seen in the rows given to :meth:`fit`);
    ``l2`` is the penalty on the standardised coefficients (the intercept is not penalised).
    """

    def __init__(self, signals: Sequence[str] | None = None, *, l2: float = 1.0) -> None:
        if l2 < 0:
            raise ValidationError("l2 must be >= 0", field="l2", rule=">= 0")
        self.signals = list(signals) if signals is not None else None
        self.l2 = float(l2)

    # -- features ----------------------------------------------------------------------------

    def _raw(self, rows: Sequence[Signals], names: Sequence[str]) -> FloatArray:
        x = np.zeros((len(rows), 3 * len(names)))
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise ValidationError("each item's signals must be a mapping name → value",
                                      field="signals", rule="mapping")
            for j, name in enumerate(names):
                v = _value(row, name)
                if v is None:
                    x[i, 3 * j + 2] = 1.0
                    continue
                c = min(max(v, _CLIP), 1 - _CLIP)
                x[i, 3 * j] = np.log(c / (1 - c))
                x[i, 3 * j + 1] = c
        return x

    def features(self, rows: Sequence[Signals]) -> FloatArray:
        """The standardised design matrix of ``rows`` (shape ``(n, 3 · signals)``)."""
        if not hasattr(self, "coef_"):
            raise ValidationError("LearnedConfidence is not fitted: call fit() first",
                                  field="fit", rule="fitted")
        out: FloatArray = (self._raw(rows, self.signals_) - self.mean_) / self.scale_
        return out

    # -- fit / predict -------------------------------------------------------------------------

    def fit(self, rows: Sequence[Signals], correct: ArrayLike,
            sample_weight: ArrayLike | None = None) -> LearnedConfidence:
        y = binary_vector(correct)
        if len(rows) != len(y) or len(y) == 0:
            raise ValidationError(f"{len(rows)} rows of signals and {len(y)} verdicts",
                                  field="correct", rule="one verdict per row, at least one")
        if len(np.unique(y)) < 2:
            raise ValidationError("fitting needs both kept and corrected outputs",
                                  field="correct", rule="two classes")
        w = np.ones(len(y)) if sample_weight is None else vector(sample_weight, "sample_weight")
        if w.shape != y.shape or np.any(w < 0) or w.sum() <= 0:
            raise ValidationError("sample_weight must be >= 0, one per row, with a positive sum",
                                  field="sample_weight", rule=">= 0, one per row")
        names = self.signals if self.signals is not None else sorted(
            {k for row in rows for k in row})
        if not names:
            raise ValidationError("no signals to learn from", field="signals", rule="non-empty")
        self.signals_ = list(names)
        raw = self._raw(rows, self.signals_)
        w = w / w.mean()
        self.mean_ = np.average(raw, axis=0, weights=w)
        sd = np.sqrt(np.average((raw - self.mean_) ** 2, axis=0, weights=w))
        self.scale_ = np.where(sd > 1e-9, sd, 1.0)
        x = (raw - self.mean_) / self.scale_
        sign = 2 * y - 1
        n = len(y)

        def loss(theta: FloatArray) -> tuple[float, FloatArray]:
            z = theta[0] + x @ theta[1:]
            nll = -np.sum(w * log_expit(sign * z)) / n
            grad_z = -w * sign * expit(-sign * z) / n
            g = np.concatenate([[grad_z.sum()], x.T @ grad_z + self.l2 * theta[1:] / n])
            return float(nll + 0.5 * self.l2 * theta[1:] @ theta[1:] / n), g

        start = np.zeros(x.shape[1] + 1)
        rate = float(np.clip(np.average(y, weights=w), 1e-3, 1 - 1e-3))
        start[0] = np.log(rate / (1 - rate))
        result = minimize(loss, start, jac=True, method="L-BFGS-B")
        self.intercept_ = float(result.x[0])
        self.coef_ = np.asarray(result.x[1:], dtype=np.float64)
        self.n_fit_ = n
        return self

    def predict(self, rows: Sequence[Signals]) -> FloatArray:
        """Calibrated confidences, shape ``(n,)``."""
        x = self.features(rows)
        out: FloatArray = expit(self.intercept_ + x @ self.coef_)
        return out

    def confidence(self, row: Signals) -> float:
        return float(self.predict([row])[0])

    # -- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the fitted model (for storing next to the ledger)."""
        if not hasattr(self, "coef_"):
            raise ValidationError("LearnedConfidence is not fitted: call fit() first",
                                  field="fit", rule="fitted")
        return {"signals": self.signals_, "l2": self.l2, "intercept": self.intercept_,
                "coef": self.coef_.tolist(), "mean": self.mean_.tolist(),
                "scale": self.scale_.tolist(), "n_fit": self.n_fit_}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LearnedConfidence:
        try:
            model = cls(list(data["signals"]), l2=float(data["l2"]))
            model.signals_ = list(data["signals"])
            model.intercept_ = float(data["intercept"])
            model.coef_ = np.asarray(data["coef"], dtype=np.float64)
            model.mean_ = np.asarray(data["mean"], dtype=np.float64)
            model.scale_ = np.asarray(data["scale"], dtype=np.float64)
            model.n_fit_ = int(data.get("n_fit", 0))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"not a LearnedConfidence description: {exc}",
                                  field="data", rule="LearnedConfidence.to_dict() output") from exc
        width = 3 * len(model.signals_)
        if not (model.coef_.shape == model.mean_.shape == model.scale_.shape == (width,)):
            raise ValidationError("coef, mean and scale must have 3 entries per signal",
                                  field="data", rule="3 entries per signal")
        return model


def memory_signals(output: Any, similar: Sequence[SimilarCorrection]) -> dict[str, float | None]:
    """Two signals from the corrections the memory recalled for this input.

    - ``memory_agreement``: similarity-weighted share of the relevant neighbours (the model gave
      ``output`` there, or people chose it) whose human answer is ``output``; ``None`` if none;
    - ``memory_similarity``: the similarity of the nearest past correction (0 when none), i.e. how
      familiar the input is.
    """
    total = backed = 0.0
    nearest = 0.0
    for s in similar:
        sim = max(s.similarity if s.similarity is not None else 1.0, 0.0)
        nearest = max(nearest, min(sim, 1.0))
        if s.model_output != output and s.final_output != output:
            continue
        total += sim
        backed += sim if s.final_output == output else 0.0
    return {"memory_agreement": None if total <= 0 else backed / total,
            "memory_similarity": nearest}


class LearnedScorer:
    """A :class:`~hitl_agent.uncertainty.base.Scorer` whose confidence is a fitted
    :class:`LearnedConfidence` over component scorers' confidences.

    A component whose signal is missing from a prediction counts as missing, not as an error.
    :meth:`score_with_memory` adds the :func:`memory_signals` of the recalled corrections (the
    graph's score node calls it when the memory recalled some).
    """

    def __init__(self, model: LearnedConfidence, components: Mapping[str, Scorer], *,
                 name: str = "learned") -> None:
        self.model = model
        self.components = dict(components)
        self.name = name

    def signals(self, prediction: Prediction) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for key, scorer in self.components.items():
            try:
                out[key] = scorer(prediction).confidence
            except ValidationError:
                out[key] = None
        return out

    def _score(self, values: dict[str, float | None]) -> Uncertainty:
        confidence = float(np.clip(self.model.confidence(values), 0.0, 1.0))
        return Uncertainty(confidence=confidence, scorer=self.name,
                           components={k: v for k, v in values.items() if v is not None})

    def __call__(self, prediction: Prediction) -> Uncertainty:
        return self._score(self.signals(prediction))

    def score_with_memory(self, prediction: Prediction,
                          similar: Sequence[SimilarCorrection]) -> Uncertainty:
        return self._score({**self.signals(prediction),
                            **memory_signals(prediction.output, similar)})
