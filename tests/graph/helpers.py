"""Small real parts for graph tests: a keyword classifier and label-gold reviewers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hitl_agent import (
    InProcessReviews,
    MaxProbabilityScorer,
    Prediction,
    ReviewLoop,
    SimulatedReviewer,
    ThresholdPolicy,
)

LABELS = ["spam", "ham"]


def keyword_model(text: str) -> Prediction:
    """'spam' when the text says 'win'; unsure (0.6) when it says 'maybe'."""
    p_spam = 0.95 if "win" in text else 0.05
    if "maybe" in text:
        p_spam = 0.6
    return Prediction(output="spam" if p_spam >= 0.5 else "ham",
                      probabilities={"spam": p_spam, "ham": 1 - p_spam}, model_id="keywords")


def gold_of(text: str) -> str:
    return "ham" if "maybe" in text else ("spam" if "win" in text else "ham")


def gold_reviewer(**kwargs: Any) -> SimulatedReviewer:
    return SimulatedReviewer(lambda r: gold_of(r.input), labels=LABELS, **kwargs)


def make_graph(tmp: Path, reviews: Any = None, **kwargs: Any) -> Any:
    checkpointer = kwargs.pop("checkpointer", tmp / "checkpoints.db")
    return make_loop(tmp, reviews, **kwargs).compile(checkpointer)


def make_loop(tmp: Path, reviews: Any = None, **kwargs: Any) -> ReviewLoop:
    return ReviewLoop(
        model=kwargs.pop("model", keyword_model),
        scorer=MaxProbabilityScorer(),
        policy=kwargs.pop("policy", ThresholdPolicy(0.9)),
        reviews=reviews if reviews is not None else InProcessReviews(gold_reviewer()),
        ledger=kwargs.pop("ledger", tmp / "ledger.db"),
        labels=kwargs.pop("labels", LABELS),
        task="spam",
        **kwargs,
    )


def cfg(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}
