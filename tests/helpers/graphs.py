"""Small real parts for graph and agent tests: a keyword classifier, label-gold reviewers, review
loops, run configs, the ready graphs of ``graphs/``, and resuming until a review is back."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from langchain_core.runnables import RunnableConfig

from hitl_agent import (
    InProcessReviews,
    MaxProbabilityScorer,
    Prediction,
    Resumer,
    ReviewLoop,
    SimulatedReviewer,
    ThresholdPolicy,
)

from .paths import REPO
from .wait import wait_until

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


def cfg(thread: str, **extra: Any) -> RunnableConfig:
    """The run config of thread ``thread`` (``extra``: more RunnableConfig keys)."""
    config: RunnableConfig = {"configurable": {"thread_id": thread}}
    config.update(extra)  # type: ignore[typeddict-item]
    return config


def load_graph_module(name: str) -> ModuleType:
    """``graphs/<name>.py`` as ``langgraph.json`` loads it: by path."""
    spec = importlib.util.spec_from_file_location(f"hitl_ready_{name}",
                                                  REPO / "graphs" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resume_until_done(graph: Any, timeout: float = 20.0) -> None:
    """Run the graph's resumer until it resumes a thread whose review is back (the review is
    answered by a real service in another process: a bounded wait, not a sleep)."""
    resumer = Resumer.for_graph(graph)
    wait_until(lambda: resumer.run_once().resumed, timeout, every=0.1,
               message="the review never completed")
