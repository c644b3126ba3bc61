"""answer: an LLM answers questions; unsure answers are corrected by a person, and the corrections
come back as few-shot examples (and as the answer itself for a repeated question).

Offline default: a scripted model that knows a few answers (sure) and is unsure of the rest, with
token logprobs. ``HITL_ANSWER_MODEL=provider:model`` uses a real chat model (ask it for logprobs,
e.g. ``openai:gpt-4.1-mini`` with ``logprobs=True``). The correction memory is a chromadb index in
the data folder, rebuilt from the ledger when lost.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from hitl_agent import MeanLogprobScorer, ThresholdPolicy, build_review_graph
from hitl_agent.agents.fakes import ScriptedChatModel, lookup_answers
from hitl_agent.agents.ready import (
    LazyMemory,
    chat_model_from_env,
    data_dir,
    graph_checkpointer,
    reviews_from_env,
)
from hitl_agent.models.chat import ChatModelAdapter

SYSTEM = "Answer the question in one short sentence. If you do not know, say so."
KNOWN = {
    "capital of france": "Paris is the capital of France.",
    "boiling point of water": "Water boils at 100 degrees Celsius at sea level.",
}


def fake_model() -> ScriptedChatModel:
    return ScriptedChatModel(lookup_answers(KNOWN), model_name="fake-answers")


def build(*, checkpointer: Any = "server", ledger: Any = None, reviews: Any = None,
          model: Any = None, memory: Any = "default", threshold: float = 0.7) -> Any:
    chat = model or chat_model_from_env("answer") or fake_model()
    ledger = ledger or Path(data_dir()) / "ledger.db"
    if memory == "default":
        from hitl_agent.memory import ChromaIndex, CorrectionMemory

        folder = Path(str(ledger)).parent if not str(ledger).startswith(("postgres", "sqlite:")) \
            else data_dir()
        memory = LazyMemory(lambda: CorrectionMemory(ledger, index=ChromaIndex(folder / "memory")))
    return build_review_graph(
        model=ChatModelAdapter(chat, system_prompt=SYSTEM, prompt_version="answer-v1"),
        scorer=MeanLogprobScorer(), policy=ThresholdPolicy(threshold),
        reviews=reviews or reviews_from_env("answer"), ledger=ledger,
        checkpointer=graph_checkpointer(checkpointer), memory=memory, task="answer",
        template="text-correction", name="answer",
    )


@lru_cache(maxsize=1)
def make_graph() -> Any:
    """The served graph (``langgraph.json``): the server's checkpointer."""
    return build(checkpointer="server")
