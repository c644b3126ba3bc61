"""classify: ML or LLM classification; unsure labels go to a person.

Offline default: a keyword classifier with class probabilities (support tickets: billing,
technical, other). ``HITL_CLASSIFY_MODEL=provider:model`` uses a chat model instead, scored by
its token logprobs. ``HITL_LABELS`` (comma-separated) sets the labels.

    graph = build(checkpointer="ckpt.db", ledger="ledger.db")
    graph.invoke({"input": "I was charged twice"}, {"configurable": {"thread_id": "t1"}})
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from hitl_agent import (
    MaxProbabilityScorer,
    MeanLogprobScorer,
    Prediction,
    ThresholdPolicy,
    build_review_graph,
)
from hitl_agent.agents.ready import (
    chat_model_from_env,
    data_dir,
    graph_checkpointer,
    reviews_from_env,
)
from hitl_agent.models.chat import ChatModelAdapter
from hitl_agent.uncertainty import Scorer

LABELS = ("billing", "technical", "other")
KEYWORDS = {"billing": ("charge", "invoice", "refund", "bill", "paid"),
            "technical": ("error", "crash", "login", "bug", "slow")}


def keyword_classifier(text: str) -> Prediction:
    """Probabilities from keyword hits: one kind of hit is sure, none or both are not."""
    words = text.lower()
    hits = {label: sum(k in words for k in keys) for label, keys in KEYWORDS.items()}
    found = [label for label, n in hits.items() if n]
    if len(found) == 1:
        probs = {label: 0.05 for label in LABELS}
        probs[found[0]] = 0.9
    elif found:
        probs = {"billing": 0.45, "technical": 0.45, "other": 0.1}
    else:
        probs = {"billing": 0.2, "technical": 0.2, "other": 0.6}
    return Prediction(output=max(probs, key=lambda k: probs[k]), probabilities=probs,
                      model_id="keywords")


def build(*, checkpointer: Any = "server", ledger: Any = None, reviews: Any = None,
          model: Any = None, threshold: float = 0.8, labels: tuple[str, ...] | None = None,
          ) -> Any:
    labels = labels or tuple(os.environ.get("HITL_LABELS", ",".join(LABELS)).split(","))
    chat = model if model is not None else chat_model_from_env("classify")
    scorer: Scorer
    if chat is not None and not callable(getattr(chat, "predict", None)):
        model, scorer = ChatModelAdapter(chat, labels=labels, prompt_template=(
            "Classify this support ticket as one of: {labels}. Answer with the label only.\n\n"
            "{input}")), MeanLogprobScorer()
    else:
        model, scorer = (chat or keyword_classifier), MaxProbabilityScorer()
    return build_review_graph(
        model=model, scorer=scorer, policy=ThresholdPolicy(threshold),
        reviews=reviews or reviews_from_env("classify"),
        ledger=ledger or Path(data_dir()) / "ledger.db",
        checkpointer=graph_checkpointer(checkpointer), task="classification",
        labels=list(labels), template="classification", name="classify",
    )


@lru_cache(maxsize=1)
def make_graph() -> Any:
    """The served graph (``langgraph.json``): the server's checkpointer."""
    return build(checkpointer="server")
