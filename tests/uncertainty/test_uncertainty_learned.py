from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from hitl_agent.errors import ValidationError
from hitl_agent.memory.ledger import ItemRecord
from hitl_agent.policy.verdicts import fit_learned_confidence, verdicts
from hitl_agent.types import Decision, Prediction, SimilarCorrection, Uncertainty
from hitl_agent.uncertainty import (
    LearnedConfidence,
    LearnedScorer,
    MaxProbabilityScorer,
    VerbalizedConfidenceScorer,
    memory_signals,
)


def two_signals(n: int, seed: int) -> tuple[list[dict[str, float | None]], np.ndarray]:
    """Two noisy views of a latent correctness; the second missing for a third of the items."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    correct = rng.random(n) < 1 / (1 + np.exp(-(1.5 + 2 * z)))
    a = 1 / (1 + np.exp(-(z + rng.normal(scale=1.0, size=n))))
    b = 1 / (1 + np.exp(-(z + rng.normal(scale=1.0, size=n))))
    rows = [{"a": float(x), "b": (float(y) if i % 3 else None)}
            for i, (x, y) in enumerate(zip(a, b, strict=True))]
    return rows, correct


def test_learned_beats_each_signal_and_is_calibrated() -> None:
    rows, y = two_signals(3000, 0)
    test_rows, test_y = two_signals(3000, 1)
    model = LearnedConfidence().fit(rows, y)
    p = model.predict(test_rows)
    learned = roc_auc_score(test_y, p)
    alone = roc_auc_score(test_y, [r["a"] for r in test_rows])
    assert learned > alone + 0.02
    # calibrated in the large and per decile
    assert abs(p.mean() - test_y.mean()) < 0.02
    order = np.argsort(p)
    for part in np.array_split(order, 10):
        assert abs(p[part].mean() - test_y[part].mean()) < 0.08


def test_round_trip_and_validation() -> None:
    rows, y = two_signals(300, 2)
    model = LearnedConfidence(["a", "b"]).fit(rows, y)
    again = LearnedConfidence.from_dict(model.to_dict())
    np.testing.assert_allclose(again.predict(rows), model.predict(rows))
    with pytest.raises(ValidationError):
        LearnedConfidence().fit(rows, np.ones(len(rows)))
    with pytest.raises(ValidationError):
        LearnedConfidence().fit(rows, y, sample_weight=-np.ones(len(rows)))
    with pytest.raises(ValidationError):
        LearnedConfidence().predict(rows)
    with pytest.raises(ValidationError):
        LearnedConfidence.from_dict({"signals": ["a"], "coef": [1.0]})


def test_memory_signals() -> None:
    def s(model: str, human: str, sim: float) -> SimilarCorrection:
        return SimilarCorrection(correction_id=model + human, input="x", model_output=model,
                                 final_output=human, action="edit", similarity=sim)

    got = memory_signals("spam", [s("spam", "spam", 0.9), s("spam", "ham", 0.3),
                                  s("ham", "ham", 0.95)])
    assert got["memory_agreement"] == pytest.approx(0.75)
    assert got["memory_similarity"] == pytest.approx(0.95)
    assert memory_signals("x", []) == {"memory_agreement": None, "memory_similarity": 0.0}


def test_scorer_treats_missing_signals_as_missing() -> None:
    rows = [{"max_probability": c, "verbalized": v}
            for c, v in [(0.9, 0.9), (0.6, None), (0.95, 0.8), (0.5, 0.3)] * 10]
    model = LearnedConfidence().fit(rows, [1, 0, 1, 0] * 10)
    scorer = LearnedScorer(model, {"max_probability": MaxProbabilityScorer(),
                                   "verbalized": VerbalizedConfidenceScorer()})
    sure = scorer(Prediction(output="a", probabilities={"a": 0.95, "b": 0.05},
                             metadata={"verbalized_confidence": 0.9}))
    unsure = scorer(Prediction(output="a", probabilities={"a": 0.5, "b": 0.5}))
    assert sure.confidence > unsure.confidence
    assert "verbalized" not in unsure.components
    with_memory = scorer.score_with_memory(
        Prediction(output="a", probabilities={"a": 0.95, "b": 0.05}), [])
    assert with_memory.components["memory_similarity"] == 0.0


def test_fit_from_verdicts_weights_by_inverse_propensity() -> None:
    now = datetime.now(UTC)

    def item(i: int, conf: float, kept: bool, propensity: float) -> ItemRecord:
        return ItemRecord(
            id=str(i), thread_id=str(i), task="t", input=i, status="finished",
            prediction=Prediction(output="a"),
            uncertainty=Uncertainty(confidence=conf, scorer="max_probability",
                                    components={"margin": conf / 2}),
            decision=Decision(action="escalate", reason="audit", propensity=propensity,
                              policy_id="p"),
            final_output="a" if kept else "b", final_source="human", error=None,
            created_at=now, updated_at=now)

    items = [item(i, 0.5 + 0.5 * (i % 2), bool(i % 2), 0.25 if i % 2 else 1.0)
             for i in range(40)]
    items.append(ItemRecord(**{**items[0].__dict__, "id": "model", "final_source": "model"}))
    found = verdicts(items)
    assert len(found.correct) == 40 and found.correct.sum() == 20
    assert set(found.weights) == {1.0, 4.0}
    assert set(found.signals[0]) == {"max_probability", "margin"}
    model = fit_learned_confidence(items)
    assert model.confidence({"max_probability": 1.0, "margin": 0.5}) > 0.5
    with pytest.raises(ValidationError):
        fit_learned_confidence(items[:1])


def test_review_graph_gives_recalled_corrections_to_a_learned_scorer(tmp_path: Path) -> None:
    """The score node passes the memory's recalled corrections to ``score_with_memory``."""
    from hitl_agent import InProcessReviews, SimulatedReviewer, ThresholdPolicy
    from hitl_agent.graph.build import build_review_graph
    from hitl_agent.memory.base import Recall

    past = [SimilarCorrection(correction_id="c1", input="win now", model_output="spam",
                              final_output="ham", action="edit", similarity=0.9)]

    class Memory:
        def recall(self, task: str, input: object) -> Recall:
            return Recall(similar=past)

        def remember(self, correction: object) -> None:
            return None

    rows = [{"max_probability": 0.95, "memory_agreement": a, "memory_similarity": 0.9}
            for a in (0.0, 1.0)] * 20
    model = LearnedConfidence().fit(rows, [0, 1] * 20)
    scorer = LearnedScorer(model, {"max_probability": MaxProbabilityScorer()})
    graph = build_review_graph(
        model=lambda text: Prediction(output="spam", probabilities={"spam": 0.95, "ham": 0.05}),
        scorer=scorer, policy=ThresholdPolicy(0.5),
        reviews=InProcessReviews(SimulatedReviewer(lambda r: "ham", labels=["spam", "ham"])),
        ledger=tmp_path / "ledger.db", checkpointer=tmp_path / "cp.db", memory=Memory(),
        labels=["spam", "ham"], task="spam")
    state = graph.invoke({"input": "win big"}, {"configurable": {"thread_id": "t1"}})
    assert state["uncertainty"]["components"]["memory_agreement"] == 0.0
    assert state["uncertainty"]["confidence"] < 0.5  # people corrected this output before
    assert state["decision"]["action"] == "escalate"
