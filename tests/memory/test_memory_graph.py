"""The memory inside the real review graph: reuse without a model call, few-shot into the model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hitl_agent.graph.build import build_review_graph
from hitl_agent.memory import CorrectionMemory, WordLlamaEmbeddings, format_few_shot
from hitl_agent.memory.ledger import Ledger
from hitl_agent.review.in_process import InProcessReviews, outcome_from_label
from hitl_agent.types import (
    Decision,
    Prediction,
    ReviewOutcome,
    ReviewRequest,
    SimilarCorrection,
    Uncertainty,
)


class AlwaysUnsure:
    name = "always-unsure"

    def __call__(self, prediction: Prediction) -> Uncertainty:
        return Uncertainty(confidence=0.5, scorer=self.name)


class EscalateAll:
    policy_id = "escalate-all"

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        return Decision(action="escalate", reason="threshold", propensity=1.0,
                        policy_id=self.policy_id)


class RecordingModel:
    """Always says "negative", and keeps what it was asked with."""

    model_id = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[Any, list[SimilarCorrection]]] = []

    def predict(self, input: Any, *, examples: Sequence[SimilarCorrection] = ()) -> Prediction:
        self.calls.append((input, list(examples)))
        return Prediction(output="negative", probabilities={"negative": 0.6, "positive": 0.4},
                          model_id=self.model_id)


def reviewer(request: ReviewRequest) -> ReviewOutcome:
    return outcome_from_label(request, "positive", worker_id="ann")


def test_graph_reuses_human_answers_and_passes_few_shot_examples(
    tmp_path: Path, embedder: WordLlamaEmbeddings
) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    model = RecordingModel()
    memory = CorrectionMemory(ledger, embeddings=embedder)
    graph = build_review_graph(
        model=model, scorer=AlwaysUnsure(), policy=EscalateAll(),
        reviews=InProcessReviews(reviewer), ledger=ledger, memory=memory, task="sentiment",
        labels=["negative", "positive"],
    )

    def run(thread: str, text: str) -> dict[str, Any]:
        return graph.invoke({"input": text}, {"configurable": {"thread_id": thread}})

    first = run("t1", "I loved every minute of this film")
    assert first["output"] == "positive" and first["output_source"] == "human"
    assert model.calls == [("I loved every minute of this film", [])]
    stored = [r.correction for r in ledger.iter_corrections()]
    assert len(stored) == 1 and stored[0].final_output == "positive"

    # The same input again (other spacing and case): the human answer, with no model call.
    again = run("t2", "i loved every minute of this  FILM")
    assert again["output"] == "positive" and again["output_source"] == "memory"
    assert len(model.calls) == 1
    assert len(list(ledger.iter_corrections())) == 1  # reuse is no new verdict

    # A similar input: the model is called, with the correction as a few-shot example.
    similar = run("t3", "I loved every minute of this movie")
    assert similar["output_source"] == "human"
    _input, examples = model.calls[-1]
    assert examples and examples[0].correction_id == stored[0].id
    assert examples[0].model_output == "negative" and examples[0].final_output == "positive"
    block = format_few_shot(examples)
    assert "I loved every minute of this film" in block and "Correct answer: positive" in block


def test_graph_marks_reused_answers_in_the_ledger(tmp_path: Path,
                                                   embedder: WordLlamaEmbeddings) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    graph = build_review_graph(
        model=RecordingModel(), scorer=AlwaysUnsure(), policy=EscalateAll(),
        reviews=InProcessReviews(reviewer), ledger=ledger,
        memory=CorrectionMemory(ledger, embeddings=embedder), task="sentiment",
    )
    for thread in ("t1", "t2"):
        graph.invoke({"input": "Best pizza in town"}, {"configurable": {"thread_id": thread}})
    item = ledger.get_item("t2")
    assert item is not None, "the graph's finish node wrote no ledger row for a memory answer"
    assert item.final_source == "memory" and item.final_output == "positive"


def test_graph_runs_on_without_a_working_index(tmp_path: Path,
                                               embedder: WordLlamaEmbeddings) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    folder = tmp_path / "memory"
    folder.mkdir()
    (folder / "chroma.sqlite3").write_bytes(b"corrupt" * 1000)
    model = RecordingModel()
    graph = build_review_graph(
        model=model, scorer=AlwaysUnsure(), policy=EscalateAll(),
        reviews=InProcessReviews(reviewer), ledger=ledger,
        memory=CorrectionMemory(ledger, embeddings=embedder), task="sentiment",
    )
    for thread in ("a", "b"):
        out = graph.invoke({"input": "same text"}, {"configurable": {"thread_id": thread}})
        assert out["output"] == "positive"
    # No similar corrections without the index, but nothing failed; the exact match is the
    # ledger's, so the second item reuses the first one's answer even so.
    assert len(model.calls) == 1
    assert len(list(ledger.iter_corrections())) == 1
    assert ledger.get_item("b").final_source == "memory"  # type: ignore[union-attr]
