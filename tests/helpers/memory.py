"""Helpers shared by the memory tests."""

from __future__ import annotations

from typing import Any

from hitl_agent.memory import CorrectionMemory
from hitl_agent.memory.ledger import Ledger
from hitl_agent.types import Correction, HumanAnswer, ReviewAction


def correction(i: int | str, input: Any, model_output: Any = "negative",
               final_output: Any = "positive", *, task: str = "sentiment",
               action: ReviewAction | None = None, **extra: Any) -> Correction:
    """A decided correction as the graph's learn node writes it."""
    if action is None:
        action = "accept" if model_output == final_output else "edit"
    return Correction(
        id=f"c{i}", task=task, thread_id=f"t{i}", review_id=f"t{i}:0", input=input,
        model_output=model_output, final_output=final_output, action=action,
        answers=[HumanAnswer(answer_content={"label": final_output}, worker_id=f"w{i}")],
        source="in_process", split_group=f"t{i}", **extra,
    )


def store(ledger: Ledger, memory: CorrectionMemory, *corrections: Correction) -> None:
    for c in corrections:
        ledger.record_correction(c)
        memory.remember(c)
